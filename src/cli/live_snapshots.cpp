#include "cli/live_snapshots.h"

#include <fmt/format.h>

#include "cli/store_inputs.h"
#include "io/manifest_decoder.h"

namespace netpolgen::cli {
namespace {

core::Timestamp wallNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

LiveSnapshots::LiveSnapshots(std::unique_ptr<kube::ApiClient> client,
                             LiveSnapshotOptions options,
                             std::ostream& log)
    : client_(std::move(client)), options_(std::move(options)), log_(log) {}

core::Result<std::unique_ptr<LiveSnapshots>> LiveSnapshots::start(const LiveClusterOptions& live,
                                                                  LiveSnapshotOptions options,
                                                                  std::ostream& log) {
    auto client = connectLive(live);
    if (!client) {
        return core::Error{client.error()};
    }
    std::unique_ptr<LiveSnapshots> out(new LiveSnapshots(std::move(*client), options, log));
    kube::WatchOptions watch_options;
    watch_options.page_size = live.page_size;
    watch_options.first_list =
        live.consistent_read ? kube::ListFrom::kLatest : kube::ListFrom::kWatchCache;
    out->watch_ = std::make_unique<kube::ClusterWatch>(*out->client_, watch_options);
    if (core::Status st = out->watch_->start(); !st) {
        return core::Error{st.error()};
    }
    const auto started = std::chrono::steady_clock::now();
    if (!out->watch_->waitSynced(options.sync_timeout)) {
        // One line: the refusal that ended the wait (every kind is refused alike for a revoked
        // token), else what is still failing.
        std::string why = out->watch_->fatalProblem();
        if (why.empty()) {
            const auto problems = out->watch_->problems();
            why = problems.empty()
                      ? "no answer within " + std::to_string(options.sync_timeout.count()) + " s"
                      : problems.front();
        }
        return core::Error{"the cluster could not be listed: " + why};
    }
    log << fmt::format(
               "netpolgen serve: the cluster is listed and cached: {} objects in {:.1f} s; "
               "watching\n",
               out->watch_->objectCount(),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count())
        << std::flush;
    if (core::Status st = out->record(); !st) {
        return core::Error{st.error()};
    }
    out->logProblems();
    out->recorder_ = std::thread([p = out.get()] { p->loop(); });
    return out;
}

LiveSnapshots::~LiveSnapshots() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    wake_.notify_all();
    if (recorder_.joinable()) {
        recorder_.join();
    }
    if (watch_) {
        watch_->stop();
    }
}

// The cached cluster, decoded as `snapshot --kubeconfig` decodes a list (so the stored copy is
// known to decode again), stored with the tenancies changed since the last snapshot.
core::Status LiveSnapshots::record() {
    const uint64_t generation = watch_->generation();
    store::Snapshot snapshot;
    snapshot.cluster = options_.cluster_name;
    snapshot.taken_at = wallNow();
    snapshot.keep_latest = options_.keep_latest;
    io::ManifestStats stats;
    for (auto& page : watch_->pages()) {
        // Only to know that it decodes: one kind's objects at a time, dropped after (tens of
        // thousands of decoded pods would otherwise sit beside their text while it is stored).
        core::ClusterObjects objects;
        if (core::Status st = io::decodeManifests(page.text, page.name, {}, objects, stats); !st) {
            return st;
        }
        snapshot.files.push_back({std::move(page.name), std::move(page.text)});
    }
    // Tenancies of a snapshot that could not be stored go with the next one (rows are keyed by
    // tenancy: the newer word on one comes last and wins).
    snapshot.tenancies = std::move(pending_tenancies_);
    for (auto& t : watch_->takeTenancyChanges()) {
        snapshot.tenancies.push_back(std::move(t));
    }
    auto store = openStoreAt(options_.db);
    auto id =
        store ? (*store)->putSnapshot(snapshot) : core::Result<int64_t>(core::Error{store.error()});
    if (!id) {
        pending_tenancies_ = std::move(snapshot.tenancies);
        return core::Error{options_.db + ": " + id.error()};
    }
    recorded_generation_ = generation;
    log_ << fmt::format(
                "netpolgen serve: snapshot {} of the watched cluster \"{}\" stored ({} objects, "
                "{} address tenancies changed)\n",
                *id,
                options_.cluster_name,
                stats.objects,
                snapshot.tenancies.size())
         << std::flush;
    return {};
}

void LiveSnapshots::logProblems() {
    auto problems = watch_->problems();
    if (problems == logged_problems_) {
        return;
    }
    for (const auto& p : problems) {
        if (std::find(logged_problems_.begin(), logged_problems_.end(), p) ==
            logged_problems_.end()) {
            log_ << "netpolgen serve: watch: " << p << "\n" << std::flush;
        }
    }
    logged_problems_ = std::move(problems);
}

void LiveSnapshots::loop() {
    auto last = std::chrono::steady_clock::now();
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
        wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_.load(); });
        if (stop_) {
            break;
        }
        lock.unlock();
        logProblems();
        const bool due = std::chrono::steady_clock::now() - last >= options_.interval;
        if (due && watch_->generation() != recorded_generation_) {
            if (core::Status st = record(); !st) {
                log_ << "netpolgen serve: snapshot not stored: " << st.error() << "\n"
                     << std::flush;
            }
            last = std::chrono::steady_clock::now();
        }
        lock.lock();
    }
}

}  // namespace netpolgen::cli
