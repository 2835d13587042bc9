// CollectPending: what a `collect` source read since its last commit — flows resolved against
// the newest stored snapshot of the cluster and aggregated per (UTC day, edge), with the read
// counters — and the totals of the run for the status line. Shared by every source `collect`
// learns from (a followed exporter file, Hubble Relay, Kafka), which differ only in how they read
// and in the position they commit with the flows.
//
//   CollectPending pending(store, "netpolgen.db", "default");
//   if (auto st = pending.start(); !st) { … }
//   decoder.decode(line, where, pending.stats(), pending.consumer());
//   auto stored = pending.commit({digest, source}, std::move(shape));   // one transaction
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/store_inputs.h"
#include "collect/collect_metrics.h"
#include "core/bucketed_flow_graph.h"
#include "core/cluster_index.h"
#include "core/flow_aggregator.h"
#include "core/ip_tenancy.h"
#include "io/flow_reader.h"
#include "store/store.h"

namespace netpolgen::cli {

// The cluster flows resolve against: the latest snapshot and the stored address tenancies.
struct ClusterView {
    std::optional<int64_t> snapshot_id;
    LoadedSnapshot snapshot;
    std::unique_ptr<core::ClusterIndex> index;
    core::IpTenancies tenancies;
};

// Over the whole run, for the status line.
struct CollectTotals {
    uint64_t flows_read = 0;
    uint64_t committed = 0;
    std::map<std::string, uint64_t> skipped;
    core::Timestamp newest = core::kUndated;
};

class CollectPending {
public:
    // `db` names the store in messages.
    CollectPending(store::Store& store, std::string db, std::string cluster);

    // Loads the newest snapshot; an error when the store has none.
    core::Status start();

    // Counters a decoder fills while reading into consumer().
    io::FlowReadStats& stats() { return stats_; }
    const io::FlowReadStats& stats() const { return stats_; }
    // Resolves and aggregates one decoded flow.
    core::Status add(const core::FlowObservation& f);
    const io::FlowConsumer& consumer() const { return consumer_; }
    // Every commit is reported there too (may be null).
    void reportTo(collect::CollectMetrics* metrics) { metrics_ = metrics; }
    // Events the source reports lost (never seen): stored as the skip reason "lost-events".
    void addLost(uint64_t events) { lost_ += events; }

    // Commits what was read as the source's ingest record (`digest`, `source`), with the
    // position in `shape` (its batch is filled here), in one transaction; then resolves against
    // a newer snapshot if one was stored, and starts a new pending batch. false when the store
    // refused the position (another collector moved it): nothing was written, and the pending
    // flows are dropped.
    core::Result<bool> commit(const std::string& digest,
                              const std::string& source,
                              store::FollowCommit shape);
    // Starts a new pending batch, dropping what was read.
    void drop() { reset(); }
    // When idle: a newer snapshot is still picked up.
    core::Status refreshCluster();
    // The snapshot flows resolve against now (after start()), and its id.
    const core::Cluster& cluster() const { return view_->snapshot.cluster; }
    std::optional<int64_t> snapshotId() const { return view_->snapshot_id; }

    const CollectTotals& totals() const { return totals_; }
    // "netpolgen collect: N flows read, …; lag Ts" (+ `extra` before the lag when not empty).
    std::string statusLine(core::Timestamp now, const std::string& extra = {}) const;
    // The first invalid lines' messages since the last commit, to print.
    const std::vector<std::string>& invalidExamples() const { return invalid_examples_; }

private:
    void reset();

    store::Store& store_;
    std::string db_;
    std::string cluster_;
    std::unique_ptr<ClusterView> view_;
    core::BucketedFlowGraph buckets_;
    std::unique_ptr<core::FlowAggregator> aggregator_;
    io::FlowReadStats stats_;
    CollectTotals totals_;
    std::vector<std::string> invalid_examples_;
    uint64_t lost_ = 0;
    collect::CollectMetrics* metrics_ = nullptr;
    io::FlowConsumer consumer_;
};

// Unix seconds now.
core::Timestamp wallNow();

}  // namespace netpolgen::cli
