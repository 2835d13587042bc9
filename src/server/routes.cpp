#include "server/routes.h"

#include <algorithm>

namespace netpolgen::server {
namespace {

// The cluster or notifier id segment of a path: anything but '/', checked by checkPathNames.
constexpr const char* kSegment = "([^/]+)";

Route route(std::string method,
            const std::string& path,
            Role role,
            Endpoint endpoint,
            PathGroup group = PathGroup::kCluster) {
    return {std::move(method), std::regex(path), RouteKind::kApi, role, std::move(endpoint), group};
}

std::optional<ApiResponse> denied(const ServerOptions& options,
                                  const Route& route,
                                  const RequestHead& head,
                                  std::optional<AccessToken>& token) {
    if (options.tokens.empty() ||
        (route.kind != RouteKind::kApi && route.kind != RouteKind::kMetrics)) {
        return std::nullopt;  // without tokens everyone is admin (only on loopback: Server)
    }
    token = options.tokens.find(head.authorization);
    if (!token) {
        return apiError(401, "missing or unknown bearer token (Authorization: Bearer TOKEN)");
    }
    if (route.role == Role::kAdmin && token->role != Role::kAdmin) {
        return apiError(403, "this endpoint needs an admin token");
    }
    return std::nullopt;
}

// The route for method and path, or 404 (no route has the path) / 405 (another method has it).
// Routes of the request's method are matched first: a regex match costs microseconds.
std::optional<ApiResponse> findRoute(const Routes& routes, const RequestHead& head, Admission& a) {
    std::smatch match;
    for (const Route& candidate : routes) {
        if (candidate.method == head.method && std::regex_match(a.path, match, candidate.path)) {
            a.route = &candidate;
            a.group = match.size() > 1 ? match[1].str() : "";
            return std::nullopt;
        }
    }
    const bool path_known = std::any_of(routes.begin(), routes.end(), [&](const Route& r) {
        return std::regex_match(a.path, r.path);
    });
    return path_known ? apiError(405, "method " + head.method + " not allowed here")
                      : apiError(404, "no such endpoint");
}

// A path's notifier id (used in the next paths a client builds) or cluster is a name: no '/',
// no '..', no spaces.
core::Status checkPathNames(const ApiRequest& request, PathGroup group) {
    if (group == PathGroup::kNotifierId) {
        return checkId(request.id, "notifier id");
    }
    return checkName(request.cluster, "cluster");
}

// The request as endpoints see it. The cluster is the first path group, else ?clusterId=, else
// the one `serve` was started for; under /v1/notifiers/ the first group is the notifier id.
ApiRequest apiRequest(const Admission& a,
                      const RequestHead& head,
                      std::string body,
                      const ServerOptions& options) {
    ApiRequest out;
    out.params = parseQuery(targetQuery(head.target));
    const auto cluster_id = out.params.find("clusterId");
    const bool cluster_in_path = !a.group.empty() && a.route->group == PathGroup::kCluster;
    out.cluster = cluster_in_path                  ? a.group
                  : cluster_id != out.params.end() ? cluster_id->second
                                                   : options.cluster_name;
    if (a.route->group == PathGroup::kNotifierId) {
        out.id = a.group;
    }
    out.body = std::move(body);
    // The token's name, never the token: the apply history is readable with a read token.
    out.user = (a.token ? "token " + a.token->name : std::string("netpolgen serve")) + " (" +
               head.remote + ")";
    return out;
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
    if (from.empty()) {
        return;
    }
    for (size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
}

// An error answer names no file of the server: the store layer and the notifier file put their
// paths in messages written for the command line, where they help.
ApiResponse withoutServerPaths(ApiResponse response, const ServerOptions& options) {
    if (response.status < 400 || !response.body.contains("error") ||
        !response.body["error"].is_string()) {
        return response;
    }
    std::string error = response.body["error"].get<std::string>();
    replaceAll(error, options.db, "the store");
    replaceAll(error, options.notifiers_file, "the notifier file");
    replaceAll(error, options.web_dir, "the portal's directory");
    response.body["error"] = error;
    return response;
}

}  // namespace

Routes apiRoutes(bool static_files) {
    const std::string np = "/v1/networkpolicies/";
    const std::string cluster = kSegment;
    const std::string id = std::string("/v1/notifiers/") + kSegment;
    Routes routes;
    routes.push_back({"GET", std::regex("/v1/healthz"), RouteKind::kHealthz, Role::kRead, {}, {}});
    // Prometheus text: the collector's counters (a read token when tokens are set).
    routes.push_back({"GET", std::regex("/metrics"), RouteKind::kMetrics, Role::kRead, {}, {}});
    routes.push_back(route("GET", "/v1/collect", Role::kRead, collectEndpoint));
    routes.push_back(route("GET", np + "generate/" + cluster, Role::kRead, generateEndpoint));
    routes.push_back(route("POST", np + "simulate/" + cluster, Role::kRead, simulateEndpoint));
    routes.push_back(route("POST", np + "apply/" + cluster, Role::kAdmin, applyEndpoint));
    routes.push_back(route("GET", np + "undo/" + cluster, Role::kRead, undoEndpoint));
    routes.push_back(route("POST", np + "revert/" + cluster, Role::kAdmin, revertEndpoint));
    routes.push_back(route("GET", np + "history/" + cluster, Role::kRead, historyEndpoint));
    routes.push_back(route("GET", "/v1/networkpolicies", Role::kRead, listPoliciesEndpoint));
    routes.push_back(route("GET", "/v1/namespaces/" + cluster, Role::kRead, namespacesEndpoint));
    routes.push_back(route("GET", "/v1/graph/" + cluster, Role::kRead, graphEndpoint));
    // Sending YAML out of the cluster is StackRox's "modify Integration": admin.
    routes.push_back(
        route("POST", np + "simulate/" + cluster + "/notify", Role::kAdmin, notifyEndpoint));
    // Notifier configuration is StackRox's "modify Integration" too: admin for every write.
    routes.push_back(route("GET", "/v1/notifiers", Role::kRead, notifiersEndpoint));
    routes.push_back(route("POST", "/v1/notifiers", Role::kAdmin, createNotifierEndpoint));
    routes.push_back(route("POST", "/v1/notifiers/test", Role::kAdmin, testNotifierEndpoint));
    routes.push_back(route("GET", id, Role::kRead, notifierEndpoint, PathGroup::kNotifierId));
    routes.push_back(
        route("PUT", id, Role::kAdmin, updateNotifierEndpoint, PathGroup::kNotifierId));
    routes.push_back(
        route("DELETE", id, Role::kAdmin, deleteNotifierEndpoint, PathGroup::kNotifierId));
    if (static_files) {
        // Last, so that it only sees what no endpoint took. Under /v1/ nothing is a file: an
        // unknown endpoint stays a JSON 404.
        routes.push_back(
            {"GET", std::regex("/(?!v1/).*"), RouteKind::kStatic, Role::kRead, {}, {}});
    }
    return routes;
}

Admission admit(const RequestHead& head,
                const Routes& routes,
                const ServerOptions& options,
                const AllowedHosts& hosts) {
    Admission a;
    a.close = true;  // the framing or the size of what follows the header is not to be trusted
    if ((a.refusal = framingError(head))) {
        return a;
    }
    if (head.field_count > kMaxHeaderFields) {
        a.refusal = apiError(431, "more than " + std::to_string(kMaxHeaderFields) + " fields");
        return a;
    }
    // A refused request's body is never read: its connection cannot carry another request.
    a.close = head.chunked() || head.contentLength() > 0;
    a.path = targetPath(head.target);
    if ((a.refusal = hostError(head, hosts)) || (a.refusal = findRoute(routes, head, a)) ||
        (a.refusal = denied(options, *a.route, head, a.token)) ||
        (a.refusal = crossSiteError(head, hosts))) {
        return a;
    }
    if (head.contentLength() > options.max_body) {
        a.refusal = apiError(
            413, "request body too large (at most " + std::to_string(options.max_body) + " bytes)");
    }
    return a;
}

ApiResponse callEndpoint(const Admission& admission,
                         const RequestHead& head,
                         std::string body,
                         const ServerOptions& options) {
    try {
        ApiRequest request = apiRequest(admission, head, std::move(body), options);
        if (auto st = checkPathNames(request, admission.route->group); !st) {
            return apiError(400, st.error());
        }
        ApiResponse response = admission.route->endpoint(options, request);
        if (admission.route->role == Role::kAdmin && options.inputs_cache) {
            options.inputs_cache->clear();  // apply records: the cluster's policies changed
        }
        return withoutServerPaths(std::move(response), options);
    } catch (const std::exception& e) {
        return withoutServerPaths(apiError(500, std::string("internal error: ") + e.what()),
                                  options);
    }
}

}  // namespace netpolgen::server
