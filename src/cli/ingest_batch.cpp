#include "cli/ingest_batch.h"

#include <limits>
#include <utility>
#include <vector>

#include "store/entity_key.h"

namespace netpolgen::cli {
namespace {

// Batch indices of the entities, assigned on first use so the batch names only what it uses.
class EntityIndex {
public:
    EntityIndex(const core::Cluster& cluster, std::vector<std::string>& names)
        : cluster_(cluster), names_(names), index_(cluster.workloads.size() + 2, kNone) {}

    uint32_t operator()(core::EntityId id) {
        uint32_t& i = index_.at(id);
        if (i == kNone) {
            i = static_cast<uint32_t>(names_.size());
            names_.push_back(store::entityName(cluster_, id));
        }
        return i;
    }

private:
    static constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
    const core::Cluster& cluster_;
    std::vector<std::string>& names_;
    std::vector<uint32_t> index_;
};

}  // namespace

store::IngestBatch makeIngestBatch(const core::Cluster& cluster,
                                   const core::BucketedFlowGraph& buckets,
                                   store::IngestRecord record,
                                   IngestBatchStats& stats) {
    store::IngestBatch batch;
    batch.record = std::move(record);
    batch.record.flows = 0;
    EntityIndex entity(cluster, batch.entities);
    core::FlowGraph distinct;  // counts only the distinct edges across days
    batch.edges.reserve(buckets.bucketedEdges());
    for (const auto& [bucket, graph] : buckets.buckets()) {
        if (bucket == core::BucketedFlowGraph::kUndatedBucket) {
            stats.undated = true;
        } else {
            ++stats.days;
        }
        for (const auto& [key, edge] : graph.edges()) {
            // The store's day of the bucket's flows: the same floor division as the bucket.
            batch.edges.push_back({store::dayOf(edge.first_seen),
                                   {entity(key.src),
                                    entity(key.dst),
                                    key.port,
                                    key.protocol,
                                    edge.count,
                                    edge.first_seen,
                                    edge.last_seen}});
            batch.record.flows += edge.count;
            distinct.add(key, 0, core::kUndated);
        }
    }
    stats.day_buckets = batch.edges.size();
    stats.edges = distinct.size();
    return batch;
}

std::vector<store::SkipCount> skipCounts(const io::FlowReadStats& f,
                                         const core::AggregationStats& a) {
    const std::pair<const char*, uint64_t> reasons[] = {
        {"invalid", f.invalid},
        {"non-flow", f.skipped_non_flow},
        {"reply", f.skipped_replies},
        {"not-opening", f.skipped_not_initial},
        {"duplicate", f.skipped_duplicates},
        {"dropped", f.skipped_dropped},
        {"unknown-workload", a.unresolved},
        {"dst-not-workload", a.dst_not_workload},
    };
    std::vector<store::SkipCount> out;
    for (const auto& [reason, count] : reasons) {
        if (count > 0) {
            out.push_back({reason, count});
        }
    }
    return out;
}

}  // namespace netpolgen::cli
