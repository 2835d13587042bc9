// LiveSnapshots: `serve` with a live cluster keeps it watched (kube/cluster_watch.h) and records a
// snapshot in the store when it changed, at most once per interval, so that generate, the graph
// and the history follow the cluster. Each snapshot carries the pod address tenancies opened or
// closed since the one before (core/ip_tenancy.h), which `ingest` uses to resolve flows naming
// only addresses with the pod of their time.
//
//   auto live = LiveSnapshots::start(options.live, {db, "default", std::chrono::seconds(60)}, err);
//   …serve…   // the destructor stops the watch and the recorder
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

#include "cli/live_cluster.h"
#include "core/result.h"
#include "kube/cluster_watch.h"

namespace netpolgen::cli {

struct LiveSnapshotOptions {
    std::string db;
    std::string cluster_name;
    std::chrono::seconds interval{60};       // at most one snapshot per interval
    std::chrono::seconds sync_timeout{120};  // for the first list of every kind
    size_t keep_latest = 10;                 // snapshots of the cluster kept (0: all)
};

class LiveSnapshots {
public:
    // Connects, lists every kind, records the first snapshot, then keeps watching and recording
    // in the background. Errors: the cluster cannot be listed (each kind's problem), or the first
    // snapshot cannot be stored. `log` gets a line per snapshot recorded and per new problem; it
    // must outlive the object and be safe to write from another thread (std::cerr).
    static core::Result<std::unique_ptr<LiveSnapshots>> start(const LiveClusterOptions& live,
                                                              LiveSnapshotOptions options,
                                                              std::ostream& log);
    ~LiveSnapshots();
    LiveSnapshots(const LiveSnapshots&) = delete;
    LiveSnapshots& operator=(const LiveSnapshots&) = delete;

    const kube::ClusterWatch& watch() const { return *watch_; }

private:
    LiveSnapshots(std::unique_ptr<kube::ApiClient> client,
                  LiveSnapshotOptions options,
                  std::ostream& log);
    core::Status record();
    void loop();
    void logProblems();

    std::unique_ptr<kube::ApiClient> client_;
    std::unique_ptr<kube::ClusterWatch> watch_;
    LiveSnapshotOptions options_;
    std::ostream& log_;
    uint64_t recorded_generation_ = 0;
    std::vector<std::string> logged_problems_;
    std::vector<core::IpTenancy> pending_tenancies_;  // of a snapshot that could not be stored
    std::atomic<bool> stop_{false};
    std::mutex mu_;
    std::condition_variable wake_;
    std::thread recorder_;
};

}  // namespace netpolgen::cli
