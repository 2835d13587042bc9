// ServeRelay: `serve --hubble-relay`: the collector of cli/collect_relay.h on its own thread and
// its own store connection while serve runs, so that the portal's graph fills as flows arrive
// (the portal polls /v1/collect and redraws after each commit). Stopped, with a last commit, when
// serve stops.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <ostream>
#include <thread>

#include "cli/collect_command.h"
#include "collect/collect_metrics.h"
#include "core/result.h"
#include "store/store.h"

namespace netpolgen::cli {

class ServeRelay {
public:
    // `options.db` and `options.cluster_name` name the store and the cluster; the store must hold
    // a snapshot of it (an error otherwise).
    static core::Result<std::unique_ptr<ServeRelay>> start(
        CollectCommandOptions options,
        std::shared_ptr<collect::CollectMetrics> metrics,
        std::ostream& err);
    ~ServeRelay();  // stops the collector: it commits what it read
    ServeRelay(const ServeRelay&) = delete;
    ServeRelay& operator=(const ServeRelay&) = delete;

private:
    ServeRelay() = default;

    CollectCommandOptions options_;
    std::shared_ptr<collect::CollectMetrics> metrics_;
    std::unique_ptr<store::Store> store_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace netpolgen::cli
