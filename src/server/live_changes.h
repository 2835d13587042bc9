// How `serve` changes a live cluster when it has one (serve --kubeconfig/--context/--in-cluster
// with an admin token): the apply and revert endpoints hand a planned change to a LiveChanges,
// which the command line layer implements with the API server writer (cli/kube_writer.h: dry run
// first, all or nothing, rolled back in reverse), so that the server links no Kubernetes client.
// Without one (ServerOptions::live_changes null) the endpoints only record, as before.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "core/result.h"
#include "store/cluster_history.h"

namespace netpolgen::server {

// Why a change was not made: the HTTP status to answer (409 when the API server answered 409
// Conflict, 502 for its other refusals and for a server that cannot be reached) and the message.
struct LiveChangeFailure {
    int status = 502;
    std::string message;
};

class LiveChanges {
public:
    virtual ~LiveChanges() = default;

    // Makes `change` in the cluster, all or nothing, then calls `record`. When `record` fails,
    // the changes are rolled back and the failure says how that went (record's own error is the
    // caller's to report). nullopt: changed and recorded.
    virtual std::optional<LiveChangeFailure> changeThenRecord(
        const store::Change& change,
        core::Timestamp at,
        const std::function<core::Status()>& record) = 0;

    // Held by the endpoints from reading the history to recording: changes of one server never
    // interleave, and each is planned on the history the previous one left.
    std::mutex& mutex() { return mutex_; }

private:
    std::mutex mutex_;
};

}  // namespace netpolgen::server
