#include "core/bucketed_flow_graph.h"

namespace netpolgen::core {

int64_t BucketedFlowGraph::bucketOf(Timestamp time) const {
    if (time == kUndated) {
        return kUndatedBucket;
    }
    int64_t bucket = time / bucket_seconds_;
    if (time % bucket_seconds_ < 0) {
        --bucket;
    }
    return bucket;
}

void BucketedFlowGraph::add(const EdgeKey& key, uint64_t count, Timestamp time) {
    const int64_t bucket = bucketOf(time);
    if (last_graph_ == nullptr || bucket != last_bucket_) {
        last_graph_ = &buckets_[bucket];
        last_bucket_ = bucket;
    }
    last_graph_->add(key, count, time);
}

size_t BucketedFlowGraph::bucketedEdges() const {
    size_t n = 0;
    for (const auto& [bucket, graph] : buckets_) {
        n += graph.size();
    }
    return n;
}

}  // namespace netpolgen::core
