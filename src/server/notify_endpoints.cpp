// Sharing a modification's YAML with notifiers (docs/stackrox-generator.md §6;
// server/endpoints.h). Only the YAML of the policies to apply and the cluster name are sent, as
// StackRox does; toDelete is not.
#include <set>

#include "io/modification_decoder.h"
#include "io/policy_encoder.h"
#include "server/endpoints.h"
#include "server/notifier_registry.h"
#include "server/request_params.h"

namespace netpolgen::server {
namespace {

using nlohmann::json;

// The notifiers named by ?notifierIds=a,b, in the order listed by GET /v1/notifiers. Errors name
// the parameter.
core::Result<std::vector<notify::NotifierConfig>> chosenNotifiers(
    const std::vector<KnownNotifier>& known, const Params& params) {
    const std::string list = param(params, "notifierIds").value_or("");
    if (list.empty()) {
        return core::Error{"notifierIds: give at least one notifier id (GET /v1/notifiers)"};
    }
    std::set<std::string> ids;
    size_t pos = 0;
    while (pos <= list.size()) {
        const size_t end = std::min(list.find(',', pos), list.size());
        ids.insert(list.substr(pos, end - pos));
        pos = end + 1;
    }
    std::vector<notify::NotifierConfig> chosen;
    for (const KnownNotifier& n : known) {
        if (ids.erase(n.config.id) > 0) {
            chosen.push_back(n.config);
        }
    }
    if (!ids.empty()) {
        return core::Error{"notifierIds: unknown notifier \"" + *ids.begin() + "\""};
    }
    return chosen;
}

json resultJson(const notify::NotifierResult& r) {
    json out = {{"id", r.id}, {"name", r.name}, {"ok", r.status.ok()}, {"attempts", r.attempts}};
    if (!r.status) {
        out["error"] = r.status.error();
    }
    return out;
}

}  // namespace

ApiResponse notifyEndpoint(const ServerOptions& options, const ApiRequest& request) {
    if (auto st = checkParams(request.params, {"notifierIds"}); !st) {
        return apiError(400, st.error());
    }
    auto registry = openNotifierRegistry(options);
    if (!registry) {
        return apiError(500, registry.error());
    }
    auto notifiers = chosenNotifiers(registry->known, request.params);
    if (!notifiers) {
        return apiError(400, notifiers.error());
    }
    io::DecodedModification decoded;
    if (auto st = io::decodeModification(request.body, "body", {}, decoded); !st) {
        return apiError(400, st.error());
    }
    core::Modification apply_only;
    apply_only.apply = std::move(decoded.modification.apply);
    if (apply_only.apply.empty()) {
        return apiError(400, "body: no policy to apply: only the YAML of policies is shared");
    }
    auto results = notify::sendToAll(
        *notifiers, request.cluster, io::modificationToYaml(apply_only), options.send_options);
    if (!results) {
        return apiError(400, results.error());
    }
    json list = json::array();
    std::string errors;
    for (const notify::NotifierResult& r : *results) {
        list.push_back(resultJson(r));
        if (!r.status) {
            errors += (errors.empty() ? "" : "; ") + r.status.error();
        }
    }
    if (!errors.empty()) {
        // The notifiers' services failed, not the request: 502, with every notifier's outcome.
        return {502, {{"error", errors}, {"code", 502}, {"results", std::move(list)}}};
    }
    return {200, {{"results", std::move(list)}}};
}

}  // namespace netpolgen::server
