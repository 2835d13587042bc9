// BucketedFlowGraph: a FlowGraph per time bucket, for ingest into the store, which keeps traffic
// per UTC day so that a later --since/--until can pick whole days (store.h).
//
// Flows are aggregated here in memory, per (bucket, edge), before anything touches the store: the
// store then writes one row per bucket and edge, whatever the number of flow lines.
//
//   BucketedFlowGraph buckets(86400);                  // one bucket per UTC day
//   FlowAggregator aggregator(index, {}, buckets);     // resolved flows land in `buckets`
//   for (const auto& [day, graph] : buckets.buckets()) { … }
//
// Bucket b holds the flows with floor(time / bucket_seconds) == b; undated flows are in
// kUndatedBucket. Within a bucket, first/last seen are those of its own flows.
#pragma once

#include <cstdint>
#include <limits>
#include <map>

#include "core/flow.h"
#include "core/flow_graph.h"

namespace netpolgen::core {

class BucketedFlowGraph {
public:
    static constexpr int64_t kUndatedBucket = std::numeric_limits<int64_t>::min();

    // REQUIRES: bucket_seconds > 0.
    explicit BucketedFlowGraph(int64_t bucket_seconds) : bucket_seconds_(bucket_seconds) {}

    void add(const EdgeKey& key, uint64_t count, Timestamp time);

    // The bucket `time` falls in: floor division, so times before 1970 are in negative buckets.
    int64_t bucketOf(Timestamp time) const;

    // Non-empty buckets in ascending order (kUndatedBucket first).
    const std::map<int64_t, FlowGraph>& buckets() const { return buckets_; }
    // Rows a store writes: the sum of the buckets' edge counts.
    size_t bucketedEdges() const;

private:
    int64_t bucket_seconds_;
    std::map<int64_t, FlowGraph> buckets_;
    // Flow files are mostly in time order: the bucket of the previous flow usually takes the next
    // one too, which saves the map lookup. Map nodes never move, so the pointer stays valid.
    int64_t last_bucket_ = kUndatedBucket;
    FlowGraph* last_graph_ = nullptr;
};

}  // namespace netpolgen::core
