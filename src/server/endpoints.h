// The endpoints of the HTTP API (docs/stackrox-generator.md §1), independent of the HTTP library:
// server.cpp routes, authenticates and limits; these validate parameters and do the work.
//
//   GET
//   /v1/networkpolicies/generate/{cluster}?query=&deleteExisting=&networkDataSince=&includePorts=
//   POST /v1/networkpolicies/simulate/{cluster}?networkDataSince=&diffLimit=N  body: modification
//   POST /v1/networkpolicies/apply/{cluster}                        body: modification
//   GET  /v1/networkpolicies/undo/{cluster}
//   POST /v1/networkpolicies/revert/{cluster}?steps=N | ?to=ID
//   GET  /v1/networkpolicies/history/{cluster}
//   GET  /v1/networkpolicies?clusterId=&namespace=a,b
//   GET  /v1/namespaces/{cluster}
//   GET  /v1/graph/{cluster}?since=&until=&namespaces=a,b&collapse=none|namespaces
//   POST /v1/networkpolicies/simulate/{cluster}/notify?notifierIds=a,b  body: modification
//   GET  /v1/notifiers                 GET /v1/notifiers/{id}          (secrets masked)
//   POST /v1/notifiers  body: notifier  PUT /v1/notifiers/{id}  body: notifier
//   DELETE /v1/notifiers/{id}           POST /v1/notifiers/test  body: notifier
//
// A modification body is what generate answers ({"applyYaml","toDelete"}), what `netpolgen
// generate` writes (YAML or JSON), or plain NetworkPolicy YAML (an upload);
// io/modification_decoder.h. Each call reads the store anew (one connection per call: a Store is
// single-threaded).
#pragma once

#include <map>
#include <string>

#include "server/api_response.h"
#include "server/server_options.h"

namespace netpolgen::server {

struct ApiRequest {
    std::string cluster;  // the {cluster} path segment, or ?clusterId=
    std::string id;       // the {id} path segment of /v1/notifiers/{id}
    std::multimap<std::string, std::string> params;
    std::string body;
    std::string user;  // recorded with an apply
};

ApiResponse generateEndpoint(const ServerOptions& options, const ApiRequest& request);
ApiResponse simulateEndpoint(const ServerOptions& options, const ApiRequest& request);
ApiResponse listPoliciesEndpoint(const ServerOptions& options, const ApiRequest& request);
ApiResponse namespacesEndpoint(const ServerOptions& options, const ApiRequest& request);
ApiResponse graphEndpoint(const ServerOptions& options, const ApiRequest& request);
// GET /v1/collect: the flow source serve collects from (--hubble-relay), for the portal:
// {"sources": [{"source","state","received","committed","skipped":{reason: n},"lostEvents",
// "reconnects","commits","lagSeconds","lastCommit","newestFlow"}]}; empty without one.
ApiResponse collectEndpoint(const ServerOptions& options, const ApiRequest& request);

ApiResponse applyEndpoint(const ServerOptions& options, const ApiRequest& request);
ApiResponse undoEndpoint(const ServerOptions& options, const ApiRequest& request);
ApiResponse revertEndpoint(const ServerOptions& options, const ApiRequest& request);
ApiResponse historyEndpoint(const ServerOptions& options, const ApiRequest& request);

ApiResponse notifyEndpoint(const ServerOptions& options, const ApiRequest& request);
// Notifiers (server/notifier_registry.h): a body is one notifier in the shape of an entry of
// the --notifiers file (notify/notifier_config.h); answers show it with every secret masked.
ApiResponse notifiersEndpoint(const ServerOptions& options, const ApiRequest& request);
ApiResponse notifierEndpoint(const ServerOptions& options, const ApiRequest& request);
ApiResponse createNotifierEndpoint(const ServerOptions& options, const ApiRequest& request);
ApiResponse updateNotifierEndpoint(const ServerOptions& options, const ApiRequest& request);
ApiResponse deleteNotifierEndpoint(const ServerOptions& options, const ApiRequest& request);
ApiResponse testNotifierEndpoint(const ServerOptions& options, const ApiRequest& request);

}  // namespace netpolgen::server
