// `netpolgen collect` (collect_command.h): the loop around a FileFollower — decode, resolve and
// aggregate each line as `ingest` does, commit with the cursor, report.
#include "cli/collect_command.h"

#include <fmt/format.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "cli/app.h"
#include "cli/flow_format_option.h"
#include "cli/ingest_batch.h"
#include "cli/progress.h"
#include "cli/stop_signals.h"
#include "cli/store_inputs.h"
#include "collect/file_follower.h"
#include "core/cluster_index.h"
#include "io/flow_line_decoder.h"
#include "io/time_text.h"

namespace netpolgen::cli {
namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// "200ms", or what io::parseDuration reads ("5s", "1m").
std::optional<Millis> parseMillis(const std::string& text) {
    if (text.ends_with("ms")) {
        try {
            size_t used = 0;
            const long long ms = std::stoll(text.substr(0, text.size() - 2), &used);
            return used == text.size() - 2 && ms > 0 ? std::optional<Millis>(ms) : std::nullopt;
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    auto seconds = io::parseDuration(text);
    return seconds && *seconds > 0 ? std::optional<Millis>(*seconds * 1000) : std::nullopt;
}

core::Timestamp wallNow() {
    return static_cast<core::Timestamp>(std::time(nullptr));
}

// True when a stop signal arrived within `wait`.
bool stopRequested(const sigset_t& signals, Millis wait) {
    const timespec timeout{static_cast<time_t>(wait.count() / 1000),
                           static_cast<long>((wait.count() % 1000) * 1'000'000)};
    return sigtimedwait(&signals, nullptr, &timeout) > 0;
}

// The cluster flows resolve against: the latest snapshot and the stored address tenancies.
struct ClusterView {
    std::optional<int64_t> snapshot_id;
    LoadedSnapshot snapshot;
    std::unique_ptr<core::ClusterIndex> index;
    core::IpTenancies tenancies;
};

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

// Over the whole run, for the status line.
struct Totals {
    uint64_t flows_read = 0;
    uint64_t committed = 0;
    std::map<std::string, uint64_t> skipped;
    core::Timestamp newest = core::kUndated;
};

// `pending_flows`: read since the last commit.
std::string statusLine(const Totals& t, uint64_t pending_flows, core::Timestamp now) {
    std::string skipped;
    for (const auto& [reason, count] : t.skipped) {
        skipped += fmt::format("{}{} {}", skipped.empty() ? "" : ", ", count, reason);
    }
    const std::string lag =
        t.newest == core::kUndated ? "-" : fmt::format("{}s", std::max<int64_t>(0, now - t.newest));
    return fmt::format("netpolgen collect: {} flows read, {} committed, skipped: {}; lag {}\n",
                       t.flows_read + pending_flows,
                       t.committed,
                       skipped.empty() ? "none" : skipped,
                       lag);
}

class Collector {
public:
    Collector(const CollectCommandOptions& o, store::Store& store, std::ostream& err)
        : o_(o),
          store_(store),
          err_(err),
          digest_("follow:" + std::filesystem::absolute(o.follow).lexically_normal().string()),
          decoder_(o.flow_format),
          status_(!o.quiet && progressWanted(o.status ? "always" : "auto", err)) {}

    int run(Millis commit_every, Millis poll_every);

private:
    core::Status start();
    void onLine(std::string_view line, uint64_t offset);
    core::Status commit();
    core::Status refreshCluster();
    void resetPending();
    void report();
    bool anythingToCommit() const;

    const CollectCommandOptions& o_;
    store::Store& store_;
    std::ostream& err_;
    std::string digest_;
    io::FlowLineDecoder decoder_;
    bool status_;
    std::unique_ptr<ClusterView> view_;
    std::unique_ptr<collect::FileFollower> follower_;
    std::optional<store::FileCursor> expected_;  // the cursor the store holds
    // Read since the last commit: aggregated, never kept as lines.
    core::BucketedFlowGraph buckets_{store::kSecondsPerDay};
    std::unique_ptr<core::FlowAggregator> aggregator_;
    io::FlowReadStats stats_;
    Totals totals_;
};

core::Status Collector::start() {
    auto view = loadView(store_, o_.cluster_name);
    auto state = view ? store_.followState(o_.cluster_name, digest_)
                      : core::Result<store::FollowState>(core::Error{view.error()});
    if (!state) {
        return core::Error{state.error()};
    }
    view_ = std::move(*view);
    expected_ = state->cursor;
    follower_ = std::make_unique<collect::FileFollower>(o_.follow, std::move(*state));
    follower_->replayOnResume([this](std::string_view line, uint64_t offset) {
        io::FlowReadStats ignored;
        decoder_.decode(line, {o_.follow, offset}, ignored, [](const core::FlowObservation&) {
            return core::Status{};
        });
    });
    resetPending();
    return {};
}

void Collector::resetPending() {
    buckets_ = core::BucketedFlowGraph(store::kSecondsPerDay);
    aggregator_ =
        std::make_unique<core::FlowAggregator>(*view_->index, core::TimeWindow{}, buckets_);
    aggregator_->useTenancies(&view_->tenancies);
    stats_ = io::FlowReadStats{};
}

void Collector::onLine(std::string_view line, uint64_t offset) {
    decoder_.decode(line, {o_.follow, offset}, stats_, [this](const core::FlowObservation& f) {
        if (f.time != core::kUndated) {
            totals_.newest = std::max(totals_.newest, f.time);
        }
        return aggregator_->add(f);
    });
}

bool Collector::anythingToCommit() const {
    return stats_.lines > 0 || !expected_ || *expected_ != follower_->cursor();
}

// The flows read since the last commit, the source's counts and the cursor: one transaction.
core::Status Collector::commit() {
    std::vector<std::string> done = follower_->takeDone();
    std::vector<std::string> forget = follower_->takeForget();
    if (!anythingToCommit() && done.empty() && forget.empty()) {
        return refreshCluster();  // idle: a new snapshot is still picked up every interval
    }
    const core::AggregationStats aggregation = aggregator_->stats();
    store::IngestRecord record{o_.cluster_name,
                               digest_,
                               o_.follow,
                               stats_.bytes,
                               stats_.lines,
                               0,
                               wallNow(),
                               skipCounts(stats_, aggregation)};
    IngestBatchStats batch_stats;
    store::FollowCommit c{makeIngestBatch(view_->snapshot.cluster, buckets_, record, batch_stats),
                          expected_,
                          follower_->cursor(),
                          std::move(done),
                          std::move(forget),
                          {}};
    auto stored = store_.commitFollow(c);
    if (!stored) {
        return core::Error{o_.db + ": " + stored.error()};
    }
    if (!*stored) {
        return core::Error{o_.follow +
                           ": another collector moved this file's cursor in the store: stopping"};
    }
    expected_ = c.cursor;
    totals_.flows_read += stats_.flows;
    totals_.committed += c.batch.record.flows;
    for (const store::SkipCount& s : c.batch.record.skipped) {
        totals_.skipped[s.reason] += s.count;
    }
    for (const std::string& example : stats_.invalid_examples) {
        if (!o_.quiet) {
            err_ << "netpolgen collect: skipped " << example << "\n";
        }
    }
    return refreshCluster();
}

// A newer snapshot resolves the flows read from now on (after a commit: the batch is named
// against the cluster it was resolved with).
core::Status Collector::refreshCluster() {
    auto id = store_.latestSnapshotId(o_.cluster_name);
    if (!id) {
        return core::Error{o_.db + ": " + id.error()};
    }
    if (*id != view_->snapshot_id) {
        auto view = loadView(store_, o_.cluster_name);
        if (!view) {
            return core::Error{o_.db + ": " + view.error()};
        }
        view_ = std::move(*view);
    }
    resetPending();
    return {};
}

void Collector::report() {
    for (const std::string& note : follower_->takeNotes()) {
        if (!o_.quiet) {
            err_ << "netpolgen collect: " << note << "\n";
        }
    }
}

int Collector::run(Millis commit_every, Millis poll_every) {
    // SIGINT and SIGTERM are taken by sigtimedwait in the loop (its idle wait).
    const sigset_t signals = blockStopSignals();
    if (core::Status st = start(); !st) {
        err_ << "netpolgen: " << st.error() << "\n";
        return kExitBadInput;
    }
    auto last_commit = Clock::now();
    auto last_status = last_commit;
    const auto sink = [this](std::string_view line, uint64_t offset) { onLine(line, offset); };
    for (;;) {
        auto got = follower_->poll(sink);
        report();
        const bool due =
            !got || stats_.flows >= o_.commit_flows || Clock::now() - last_commit >= commit_every;
        if (due) {
            if (core::Status st = commit(); !st || !got) {
                err_ << "netpolgen: " << (st ? got.error() : st.error()) << "\n";
                return kExitFailure;
            }
            last_commit = Clock::now();
        }
        if (status_ && Clock::now() - last_status >= commit_every) {
            err_ << statusLine(totals_, stats_.flows, wallNow()) << std::flush;
            last_status = Clock::now();
        }
        if (stopRequested(signals, *got == 0 ? poll_every : Millis(0))) {
            break;
        }
    }
    if (core::Status st = commit(); !st) {
        err_ << "netpolgen: " << st.error() << "\n";
        return kExitFailure;
    }
    if (!o_.quiet) {
        err_ << statusLine(totals_, stats_.flows, wallNow()) << std::flush;
    }
    return kExitOk;
}

}  // namespace

CLI::App* addCollectCommand(CLI::App& app, CollectCommandOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "collect", "Collect flows continuously into the store (a followed Hubble exporter file)");
    addDbOption(*cmd, o.db);
    cmd->add_option("--follow",
                    o.follow,
                    "Hubble exporter file to follow across rotations (Hubble JSON lines)")
        ->required();
    addClusterNameOption(*cmd, o.cluster_name);
    addFlowFormatOption(*cmd, o.flow_format);
    cmd->add_option("--commit-interval",
                    o.commit_interval,
                    "Commit what was read at least this often (200ms, 5s, 1m)")
        ->default_str(o.commit_interval);
    cmd->add_option("--commit-flows", o.commit_flows, "Commit at the latest after this many flows")
        ->default_str(std::to_string(o.commit_flows))
        ->check(CLI::PositiveNumber);
    cmd->add_option("--poll-interval",
                    o.poll_interval,
                    "How often the idle file is checked for lines, truncation and rotation")
        ->default_str(o.poll_interval);
    cmd->add_flag(
        "--status", o.status, "A status line per commit interval even when stderr is no terminal");
    cmd->add_flag("--quiet,-q", o.quiet, "No status lines or notes on stderr");
    return cmd;
}

int runCollect(const CollectCommandOptions& o, std::ostream& err) {
    const auto commit_every = parseMillis(o.commit_interval);
    const auto poll_every = parseMillis(o.poll_interval);
    if (!commit_every || !poll_every) {
        err << "netpolgen: "
            << (!commit_every ? "--commit-interval \"" + o.commit_interval
                              : "--poll-interval \"" + o.poll_interval)
            << "\": a duration such as 200ms, 5s or 1m\n";
        return kExitBadInput;
    }
    // The flows resolve against a stored snapshot: do not create an empty store.
    auto store = openExistingStoreAt(o.db);
    if (!store) {
        err << "netpolgen: " << store.error() << "\n";
        return kExitBadInput;
    }
    Collector collector(o, **store, err);
    return collector.run(*commit_every, *poll_every);
}

}  // namespace netpolgen::cli
