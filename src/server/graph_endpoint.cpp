// GET /v1/graph/{cluster} (server/endpoints.h, server/traffic_graph.h).
#include "server/cluster_inputs.h"
#include "server/endpoints.h"
#include "server/request_params.h"
#include "server/traffic_graph.h"

namespace netpolgen::server {
namespace {

// ?since= and ?until= (RFC 3339 or a duration back from now); open when absent.
core::Result<core::TimeWindow> graphWindow(const Params& params) {
    core::TimeWindow window;
    auto since = timeParam(params, "since");
    auto until = timeParam(params, "until");
    if (!since || !until) {
        return core::Error{!since ? since.error() : until.error()};
    }
    if (*since) {
        window.since = **since;
    }
    if (*until) {
        window.until = **until;
    }
    if (window.since && window.until && *window.since > *window.until) {
        return core::Error{"since: after until"};
    }
    return window;
}

core::Result<GraphOptions> graphOptions(const Params& params) {
    GraphOptions o;
    const std::string collapse = param(params, "collapse").value_or("auto");
    if (collapse != "auto" && collapse != "none" && collapse != "namespaces") {
        return core::Error{"collapse: expected auto, none or namespaces, got \"" + collapse + "\""};
    }
    o.collapse = collapse == "none"         ? GraphCollapse::kNone
                 : collapse == "namespaces" ? GraphCollapse::kNamespaces
                                            : GraphCollapse::kAuto;
    auto namespaces = nameListParam(params, "namespaces");
    if (!namespaces) {
        return core::Error{namespaces.error()};
    }
    o.namespaces = std::move(*namespaces);
    return o;
}

}  // namespace

ApiResponse graphEndpoint(const ServerOptions& options, const ApiRequest& request) {
    if (auto st = checkParams(request.params, {"since", "until", "namespaces", "collapse"}); !st) {
        return apiError(400, st.error());
    }
    auto window = graphWindow(request.params);
    if (!window) {
        return apiError(400, window.error());
    }
    auto graph_options = graphOptions(request.params);
    if (!graph_options) {
        return apiError(400, graph_options.error());
    }
    ClusterInputs in = loadClusterInputs(options,
                                         request.cluster,
                                         *window,
                                         true,
                                         relativeWindowText(request.params, {"since", "until"}));
    if (!in.inputs) {
        return in.error;
    }
    auto graph = trafficGraph(in.inputs->cluster, in.inputs->graph, *graph_options);
    if (!graph) {
        return apiError(400, graph.error());
    }
    return {200, std::move(*graph)};
}

}  // namespace netpolgen::server
