// CollectPending (collect_pending.h): the pending batch of a `collect` source and its commit.
#include "cli/collect_pending.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <utility>

#include "cli/ingest_batch.h"

namespace netpolgen::cli {
namespace {

core::Result<std::unique_ptr<ClusterView>> loadView(store::Store& store, const std::string& name) {
    auto view = std::make_unique<ClusterView>();
    auto id = store.latestSnapshotId(name);
    auto snapshot = id ? loadLatestSnapshot(store, name)
                       : core::Result<LoadedSnapshot>(core::Error{id.error()});
    auto tenancies =
        snapshot ? store.ipTenancies(name)
                 : core::Result<std::vector<core::IpTenancy>>(core::Error{snapshot.error()});
    if (!tenancies) {
        return core::Error{tenancies.error()};
    }
    view->snapshot_id = *id;
    view->snapshot = std::move(*snapshot);
    view->index = std::make_unique<core::ClusterIndex>(view->snapshot.cluster);
    for (auto& t : *tenancies) {
        view->tenancies.add(std::move(t));
    }
    return view;
}

}  // namespace

core::Timestamp wallNow() {
    return static_cast<core::Timestamp>(std::time(nullptr));
}

CollectPending::CollectPending(store::Store& store, std::string db, std::string cluster)
    : store_(store),
      db_(std::move(db)),
      cluster_(std::move(cluster)),
      buckets_(store::kSecondsPerDay),
      consumer_([this](const core::FlowObservation& f) { return add(f); }) {}

core::Status CollectPending::start() {
    auto view = loadView(store_, cluster_);
    if (!view) {
        return core::Error{view.error()};
    }
    view_ = std::move(*view);
    reset();
    return {};
}

void CollectPending::reset() {
    buckets_ = core::BucketedFlowGraph(store::kSecondsPerDay);
    aggregator_ =
        std::make_unique<core::FlowAggregator>(*view_->index, core::TimeWindow{}, buckets_);
    aggregator_->useTenancies(&view_->tenancies);
    stats_ = io::FlowReadStats{};
    lost_ = 0;
}

core::Status CollectPending::add(const core::FlowObservation& f) {
    if (f.time != core::kUndated) {
        totals_.newest = std::max(totals_.newest, f.time);
    }
    return aggregator_->add(f);
}

core::Result<bool> CollectPending::commit(const std::string& digest,
                                          const std::string& source,
                                          store::FollowCommit shape) {
    const core::AggregationStats aggregation = aggregator_->stats();
    store::IngestRecord record{cluster_,
                               digest,
                               source,
                               stats_.bytes,
                               stats_.lines,
                               0,
                               wallNow(),
                               skipCounts(stats_, aggregation)};
    if (lost_ > 0) {
        record.skipped.push_back({"lost-events", lost_});
    }
    IngestBatchStats batch_stats;
    shape.batch = makeIngestBatch(view_->snapshot.cluster, buckets_, record, batch_stats);
    const auto began = std::chrono::steady_clock::now();
    auto stored = store_.commitFollow(shape);
    if (!stored) {
        return core::Error{db_ + ": " + stored.error()};
    }
    if (*stored && metrics_ != nullptr) {
        std::map<std::string, uint64_t> skipped;
        for (const store::SkipCount& s : shape.batch.record.skipped) {
            skipped[s.reason] += s.count;
        }
        metrics_->committed(
            shape.batch.record.flows,
            skipped,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count(),
            totals_.newest == core::kUndated ? 0 : totals_.newest,
            wallNow());
    }
    invalid_examples_ = stats_.invalid_examples;  // the decoders keep only the first few
    if (*stored) {
        totals_.flows_read += stats_.flows;
        totals_.committed += shape.batch.record.flows;
        for (const store::SkipCount& s : shape.batch.record.skipped) {
            totals_.skipped[s.reason] += s.count;
        }
    }
    if (core::Status st = refreshCluster(); !st) {
        return core::Error{st.error()};
    }
    return *stored;
}

// A newer snapshot resolves the flows read from now on (after a commit: the batch is named
// against the cluster it was resolved with).
core::Status CollectPending::refreshCluster() {
    auto id = store_.latestSnapshotId(cluster_);
    if (!id) {
        return core::Error{db_ + ": " + id.error()};
    }
    if (*id != view_->snapshot_id) {
        auto view = loadView(store_, cluster_);
        if (!view) {
            return core::Error{db_ + ": " + view.error()};
        }
        view_ = std::move(*view);
    }
    reset();
    return {};
}

std::string CollectPending::statusLine(core::Timestamp now, const std::string& extra) const {
    const CollectTotals& t = totals_;
    std::string skipped;
    for (const auto& [reason, count] : t.skipped) {
        skipped += fmt::format("{}{} {}", skipped.empty() ? "" : ", ", count, reason);
    }
    const std::string lag =
        t.newest == core::kUndated ? "-" : fmt::format("{}s", std::max<int64_t>(0, now - t.newest));
    return fmt::format("netpolgen collect: {} flows read, {} committed, skipped: {}{}; lag {}\n",
                       t.flows_read + stats_.flows,
                       t.committed,
                       skipped.empty() ? "none" : skipped,
                       extra.empty() ? "" : "; " + extra,
                       lag);
}

}  // namespace netpolgen::cli
