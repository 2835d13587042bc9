// apply, undo, revert and history (server/endpoints.h), on the store's policy history as
// `netpolgen apply`, `history` and `revert` use it (store/cluster_history.h). With a live cluster
// (ServerOptions::live_changes) apply and revert change it first, as `apply --kube` and
// `revert --kube`; without, apply only records and revert only computes.
#include <chrono>
#include <mutex>
#include <optional>
#include <vector>

#include "core/policy_state.h"
#include "io/modification_decoder.h"
#include "io/policy_encoder.h"
#include "io/time_text.h"
#include "server/endpoints.h"
#include "server/request_params.h"
#include "store/cluster_history.h"

namespace netpolgen::server {
namespace {

using nlohmann::json;

// Nothing stored yet (no store file, no snapshot) is 404: the caller can fix it. A history that
// no longer replays or undoes is 409: the state of the stored history, named in the message, not
// a server failure (docs/decisions.md). Anything else is 500.
ApiResponse historyError(const std::string& message) {
    const bool missing = message.find("no snapshot of cluster") != std::string::npos ||
                         message.find("no such store") != std::string::npos;
    const bool conflict = message.find("no longer replays") != std::string::npos ||
                          message.find("cannot undo") != std::string::npos;
    return apiError(missing ? 404 : conflict ? 409 : 500, message);
}

json countsJson(const core::Modification& m) {
    const core::ChangeCounts c = core::countChanges(m);
    return {{"created", c.created}, {"replaced", c.replaced}, {"deleted", c.deleted}};
}

json recordJson(const store::ApplyRecord& r) {
    json out = {{"id", r.id},
                {"action", r.action},
                {"clusterId", r.cluster},
                {"user", r.user},
                {"applyTimestamp", io::formatRfc3339(r.applied_at)},
                {"viaKubectl", r.via_kubectl}};
    if (r.reverts_to) {
        out["revertsTo"] = *r.reverts_to;
    }
    return out;
}

core::Timestamp clockNow() {
    return static_cast<core::Timestamp>(std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
}

// The body as apply records it: decoded, canonical, not empty.
core::Result<core::Modification> bodyModification(const std::string& body) {
    io::DecodedModification decoded;
    if (auto st = io::decodeModification(body, "body", {}, decoded); !st) {
        return core::Error{st.error()};
    }
    if (core::isEmpty(decoded.modification)) {
        return core::Error{"body: the modification is empty: no policy to apply or delete"};
    }
    return store::canonicalModification(decoded.modification);
}

// Records `change` planned on the history up to `latest_id`; with a live cluster, makes it there
// first (rolled back when the record fails). The record's id, or the answer to give.
core::Result<int64_t> changeAndRecord(const ServerOptions& options,
                                      store::Store& store,
                                      const ApiRequest& request,
                                      const store::Change& change,
                                      int64_t latest_id,
                                      std::optional<ApiResponse>& failure) {
    const core::Timestamp now = clockNow();
    const store::ApplyRecord record = store::recordOf(
        change, request.cluster, now, request.user, options.live_changes != nullptr);
    std::optional<int64_t> id;
    // Recorded only if no other change landed since the history was read: of concurrent applies
    // planned on the same history, one wins and the others are 409 (nothing recorded).
    const auto write = [&]() -> core::Status {
        auto outcome = store.recordApply(record, latest_id);
        if (!outcome) {
            failure = apiError(500, "cannot record the " + change.action + ": " + outcome.error());
        } else if (!outcome->id) {
            failure = apiError(409, store::conflictText(request.cluster, *outcome));
        } else {
            id = *outcome->id;
            return {};
        }
        return core::Error{failure->body["error"].get<std::string>()};
    };
    if (!options.live_changes) {
        if (write()) {
            return *id;
        }
        return core::Error{"not recorded"};
    }
    if (auto failed = options.live_changes->changeThenRecord(change, now, write)) {
        if (failure) {  // changed, then not recorded: the record's error and the rollback's
            failure->body["error"] =
                failure->body["error"].get<std::string>() + "; " + failed->message;
        } else {
            failure = apiError(failed->status, failed->message);
        }
        return core::Error{"not changed"};
    }
    return *id;
}

// Plans and records (with a live cluster: applies, then records) the apply of the body.
ApiResponse applyLocked(const ServerOptions& options,
                        const ApiRequest& request,
                        core::Modification modification) {
    auto store = store::openExistingStoreAt(options.db);
    if (!store) {
        return historyError(store.error());
    }
    auto history = store::loadClusterHistory(**store, request.cluster, options.db);
    if (!history) {
        return historyError(history.error());
    }
    if (auto st = store::requireReplayable(*history); !st) {
        return apiError(409, st.error());
    }
    auto change = store::planChange(history->current, std::move(modification), "apply");
    if (!change) {
        return apiError(409,
                        "the modification does not apply to cluster \"" + request.cluster +
                            "\": " + change.error());
    }
    std::optional<ApiResponse> failure;
    auto id = changeAndRecord(options, **store, request, *change, history->latest_id, failure);
    if (!id) {
        return *failure;
    }
    json answer = {{"applyId", *id},
                   {"counts", countsJson(change->modification)},
                   {"undoModification", modificationJson(change->undo)}};
    if (options.live_changes) {
        answer["appliedToCluster"] = true;
    }
    return {200, std::move(answer)};
}

// The lock that keeps one server's live changes apart: from reading the history to recording.
std::unique_lock<std::mutex> liveLock(const ServerOptions& options) {
    return options.live_changes ? std::unique_lock<std::mutex>(options.live_changes->mutex())
                                : std::unique_lock<std::mutex>();
}

}  // namespace

ApiResponse applyEndpoint(const ServerOptions& options, const ApiRequest& request) {
    if (auto st = checkParams(request.params, {}); !st) {
        return apiError(400, st.error());
    }
    auto modification = bodyModification(request.body);
    if (!modification) {
        return apiError(400, modification.error());
    }
    const std::unique_lock<std::mutex> lock = liveLock(options);
    return applyLocked(options, request, std::move(*modification));
}

namespace {

// The recorded applies of the request's cluster, for endpoints that take no parameters; the
// error to answer otherwise.
std::optional<ApiResponse> loadEntries(const ServerOptions& options,
                                       const ApiRequest& request,
                                       std::vector<store::HistoryEntry>& entries) {
    if (auto st = checkParams(request.params, {}); !st) {
        return apiError(400, st.error());
    }
    auto store = store::openExistingStoreAt(options.db);
    if (!store) {
        return historyError(store.error());
    }
    auto loaded = store::loadHistoryEntries(**store, request.cluster);
    if (!loaded) {
        return apiError(500, loaded.error());
    }
    entries = std::move(*loaded);
    return std::nullopt;
}

}  // namespace

ApiResponse undoEndpoint(const ServerOptions& options, const ApiRequest& request) {
    std::vector<store::HistoryEntry> entries;
    if (auto error = loadEntries(options, request, entries)) {
        return *error;
    }
    if (entries.empty()) {
        return apiError(404, "no undo record stored for cluster \"" + request.cluster + "\"");
    }
    const store::HistoryEntry& last = entries.back();
    if (!last.error.empty()) {
        return apiError(409, last.error);
    }
    json record = recordJson(last.record);
    record["originalModification"] = modificationJson(last.modification);
    record["undoModification"] = modificationJson(last.undo);
    return {200, {{"undoRecord", std::move(record)}}};
}

ApiResponse revertEndpoint(const ServerOptions& options, const ApiRequest& request) {
    if (auto st = checkParams(request.params, {"steps", "to"}); !st) {
        return apiError(400, st.error());
    }
    auto steps = positiveParam(request.params, "steps");
    auto to = positiveParam(request.params, "to");
    if (!steps || !to) {
        return apiError(400, !steps ? steps.error() : to.error());
    }
    if (*steps && *to) {
        return apiError(400, "steps, to: give one of them");
    }
    const std::unique_lock<std::mutex> lock = liveLock(options);
    auto store = store::openExistingStoreAt(options.db);
    if (!store) {
        return historyError(store.error());
    }
    auto revert = store::planRevert(**store, request.cluster, options.db, {*to, *steps});
    if (!revert) {
        const std::string& e = revert.error();
        const bool bad = e.rfind("--steps", 0) == 0 || e.rfind("--to", 0) == 0;
        // The store's messages name the command's flags; the API's parameters drop the dashes.
        if (bad) {
            return apiError(400, e.substr(2));
        }
        const bool none = e.find("no applied modification") != std::string::npos;
        return none ? apiError(404, e) : historyError(e);
    }
    json answer = {{"modification", modificationJson(revert->modification)},
                   {"yaml", io::modificationToYaml(revert->modification)},
                   {"revertsTo", recordJson(revert->back_to)},
                   {"counts", countsJson(revert->modification)}};
    // With a live cluster the revert is made there and recorded, as `revert --kube`; without,
    // it is only computed, as `revert` prints it.
    if (!options.live_changes || core::isEmpty(revert->modification)) {
        return {200, std::move(answer)};
    }
    auto change = store::planChange(revert->current, revert->modification, "revert");
    if (!change) {
        return apiError(500, change.error());  // modificationBetween always applies: a bug
    }
    change->reverts_to = revert->back_to.id;
    std::optional<ApiResponse> failure;
    auto id = changeAndRecord(options, **store, request, *change, revert->latest_id, failure);
    if (!id) {
        return *failure;
    }
    answer["applyId"] = *id;
    answer["undoModification"] = modificationJson(change->undo);
    answer["appliedToCluster"] = true;
    return {200, std::move(answer)};
}

ApiResponse historyEndpoint(const ServerOptions& options, const ApiRequest& request) {
    std::vector<store::HistoryEntry> entries;
    if (auto error = loadEntries(options, request, entries)) {
        return *error;
    }
    json applies = json::array();
    for (const store::HistoryEntry& e : entries) {
        json r = recordJson(e.record);
        r["counts"] = e.error.empty() ? countsJson(e.modification) : json(nullptr);
        if (!e.error.empty()) {
            r["error"] = e.error;
        }
        applies.push_back(std::move(r));
    }
    return {200, {{"clusterId", request.cluster}, {"applies", std::move(applies)}}};
}

}  // namespace netpolgen::server
