// The routes of the HTTP API and what is decided before a body is read, independent of the HTTP
// library: server.cpp reads a request header, asks admit(), and reads the body only when admitted.
//
//   Routes routes = apiRoutes(!options.web_dir.empty());
//   Admission a = admit(head, routes, options, hosts);
//   if (a.refusal) … answer it (close the connection when a.close) …
//   else … read the body (at most options.max_body), then callEndpoint(a, head, body, options) …
#pragma once

#include <functional>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "server/endpoints.h"
#include "server/http_request.h"

namespace netpolgen::server {

using Endpoint = std::function<ApiResponse(const ServerOptions&, const ApiRequest&)>;

// What a route serves: the health check and the portal's files need no token.
enum class RouteKind : uint8_t { kHealthz, kApi, kStatic, kMetrics };
// What the first group of a route's path is.
enum class PathGroup : uint8_t { kCluster, kNotifierId };

struct Route {
    std::string method;
    std::regex path;  // matched against the whole %-decoded path
    RouteKind kind = RouteKind::kApi;
    Role role = Role::kRead;
    Endpoint endpoint;
    PathGroup group = PathGroup::kCluster;
};

using Routes = std::vector<Route>;

// The API's routes; with `static_files`, every GET outside /v1/ is a portal file.
Routes apiRoutes(bool static_files);

struct Admission {
    std::optional<ApiResponse> refusal;  // the answer when the request is refused
    bool close = false;                  // refused with framing or limits the connection cannot
                                         // recover from: answer, then close
    const Route* route = nullptr;        // when admitted
    std::string path;                    // %-decoded
    std::string group;                   // the route's first path group ("" when none)
    std::optional<AccessToken> token;    // the caller's token, when tokens are configured
};

// In order: framing (400), header fields (431), Host (400/421), route (404/405), token
// (401/403), cross-site and content type (403/415), Content-Length above max_body (413).
Admission admit(const RequestHead& head,
                const Routes& routes,
                const ServerOptions& options,
                const AllowedHosts& hosts);

// Runs an admitted API route's endpoint; never throws (500 with the message instead).
ApiResponse callEndpoint(const Admission& admission,
                         const RequestHead& head,
                         std::string body,
                         const ServerOptions& options);

}  // namespace netpolgen::server
