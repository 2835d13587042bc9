// ClusterWatch: an informer-style cache of a live cluster, as client-go's reflectors keep one
// (docs/kubernetes-api-client.md §6.3). One thread per kind lists it (pages of limit/continue),
// then watches from the list's resourceVersion with bookmarks; a watch the server ends is resumed
// from the last resourceVersion seen; a 410 (HTTP or ERROR event) or a failed watch request relists
// and replaces the kind's objects (those gone become deletions); failures back off 0.8 s → 30 s.
//
// What it offers the server (cli/serve_command.cpp):
//   - pages(): the cached objects as one List per kind, sorted by namespace/name, the same JSON a
//     list returns (minus managedFields), for the same decoder as files; deterministic;
//   - generation(): a counter that moves with every change, to record a snapshot only when the
//     cluster changed;
//   - the address history of the pods (core/ip_tenancy.h): a tenancy opens when a pod is seen with
//     an address (for pods of the first list: at its status.startTime) and closes when it is
//     deleted, finishes or changes address.
//
//   ClusterWatch watch(client, {});
//   watch.start();
//   if (!watch.waitSynced(std::chrono::seconds(60))) … watch.problems() …
//   auto pages = watch.pages();
//   watch.stop();
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/ip_tenancy.h"
#include "kube/api_client.h"
#include "kube/api_kinds.h"
#include "kube/cluster_reader.h"
#include "kube/object_text.h"

namespace netpolgen::kube {

struct WatchOptions {
    int page_size = 500;
    // Where each kind's first list comes from (cluster_reader.h); relists read the latest state.
    ListFrom first_list = ListFrom::kWatchCache;
    // A watch request's timeoutSeconds is drawn from [min, 2·min) as client-go's reflector does.
    std::chrono::seconds watch_timeout{300};
    std::chrono::milliseconds backoff_initial{800};
    std::chrono::milliseconds backoff_max{30000};
    // The clock of tenancies (Unix seconds); tests move it.
    std::function<int64_t()> now;
};

struct WatchCounters {
    uint64_t lists = 0;    // list rounds (first lists and relists)
    uint64_t watches = 0;  // watch requests
    uint64_t events = 0;   // ADDED, MODIFIED, DELETED applied
    uint64_t bookmarks = 0;
    uint64_t relists = 0;   // after a 410 or a failed watch
    uint64_t failures = 0;  // failed requests, each followed by a backoff
};

class ClusterWatch {
public:
    ClusterWatch(ApiClient& client, WatchOptions options);
    ~ClusterWatch();
    ClusterWatch(const ClusterWatch&) = delete;
    ClusterWatch& operator=(const ClusterWatch&) = delete;

    // Discovery (OpenShift kinds only where served), then one thread per kind. Errors: discovery
    // failed.
    core::Status start();
    // True once every kind has been listed (optional kinds the server refuses count as listed);
    // false after `timeout`, or when a kind's first list failed for good (401, 403: problems()).
    bool waitSynced(std::chrono::milliseconds timeout);
    // Stops every thread (an open watch ends within a second).
    void stop();

    std::vector<ListedPage> pages() const;
    // Objects in the cache, over every kind.
    size_t objectCount() const;
    uint64_t generation() const;
    WatchCounters counters() const;
    // The last failure of each kind still failing, one line each.
    std::vector<std::string> problems() const;
    // The failure that made waitSynced give up (a first list refused: 401, 403), or "".
    std::string fatalProblem() const;
    // Tenancies opened or closed since the last call (for the store).
    std::vector<core::IpTenancy> takeTenancyChanges();
    std::vector<core::IpTenancy> tenancies() const;

private:
    struct KindState;
    void run(KindState& kind);
    bool listKind(KindState& kind);
    bool watchKind(KindState& kind);
    void replaceObjects(KindState& kind, std::vector<ObjectText> objects, bool first_list);
    void applyEvent(KindState& kind, WatchEvent& event);
    void podChanged(const std::string* before, const std::string* after, bool first_list);
    void fail(KindState& kind, const std::string& problem);
    void sleepFor(std::chrono::milliseconds d);
    int64_t now() const;

    ApiClient& client_;
    WatchOptions options_;
    std::vector<std::unique_ptr<KindState>> kinds_;
    std::vector<std::thread> threads_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mu_;  // guards everything below and each KindState's objects
    std::condition_variable changed_;
    uint64_t generation_ = 0;
    WatchCounters counters_;
    core::IpTenancies tenancies_;
};

}  // namespace netpolgen::kube
