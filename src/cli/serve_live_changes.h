// serve's live cluster writer (server/live_changes.h) on the API server writer
// (cli/kube_writer.h): the apply and revert endpoints change the cluster as `apply --kube` does
// (dry run first, StackRox's backups of deleted policies, all or nothing, rolled back in reverse
// when a change or the record fails). One log line per change goes to `log` ("netpolgen serve:
// apply to cluster default: created networkpolicy shop/web").
#pragma once

#include <memory>
#include <ostream>

#include "kube/api_client.h"
#include "server/live_changes.h"

namespace netpolgen::cli {

class KubeLiveChanges : public server::LiveChanges {
public:
    KubeLiveChanges(std::unique_ptr<kube::ApiClient> client, std::ostream& log)
        : client_(std::move(client)), log_(log) {}

    std::optional<server::LiveChangeFailure> changeThenRecord(
        const store::Change& change,
        core::Timestamp at,
        const std::function<core::Status()>& record) override;

private:
    std::unique_ptr<kube::ApiClient> client_;
    std::ostream& log_;
};

}  // namespace netpolgen::cli
