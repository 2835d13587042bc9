#include "cli/serve_relay.h"

#include <utility>

#include "cli/collect_relay.h"
#include "cli/store_inputs.h"

namespace netpolgen::cli {

core::Result<std::unique_ptr<ServeRelay>> ServeRelay::start(
    CollectCommandOptions options,
    std::shared_ptr<collect::CollectMetrics> metrics,
    std::ostream& err) {
    auto store = openExistingStoreAt(options.db);
    if (!store) {
        return core::Error{store.error()};
    }
    auto snapshot = (*store)->latestSnapshotId(options.cluster_name);
    if (!snapshot || !*snapshot) {
        return core::Error{snapshot ? "--hubble-relay: the store holds no snapshot of cluster \"" +
                                          options.cluster_name +
                                          "\" to resolve flows against (netpolgen snapshot, or "
                                          "serve --kubeconfig)"
                                    : snapshot.error()};
    }
    std::unique_ptr<ServeRelay> relay(new ServeRelay());
    relay->options_ = std::move(options);
    relay->options_.quiet = false;
    relay->options_.status = false;
    relay->metrics_ = std::move(metrics);
    relay->store_ = std::move(*store);
    ServeRelay* self = relay.get();
    self->thread_ = std::thread([self, &err] {
        const StopWait stop = [self](std::chrono::milliseconds wait) {
            std::unique_lock lock(self->mutex_);
            return self->wake_.wait_for(lock, wait, [self] { return self->stopping_; });
        };
        const int status = runRelayCollect(self->options_,
                                           *self->store_,
                                           err,
                                           std::chrono::seconds(5),
                                           stop,
                                           self->metrics_.get());
        if (status != 0) {
            self->metrics_->setState("failed");
        }
    });
    return relay;
}

ServeRelay::~ServeRelay() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

}  // namespace netpolgen::cli
