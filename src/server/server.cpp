#include "server/server.h"

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>

#include "server/cluster_inputs.h"
#include "server/endpoints.h"
#include "server/json_text.h"
#include "server/listen_address.h"
#include "server/request_params.h"
#include "server/static_files.h"

namespace netpolgen::server {
namespace {

using Endpoint = std::function<ApiResponse(const ServerOptions&, const ApiRequest&)>;

// The cluster or notifier id segment of a path: anything but '/', validated by handler() below.
constexpr const char* kCluster = "([^/]+)";

// What the first group of a route's path is.
enum class PathGroup : uint8_t { kCluster, kNotifierId };

// With a charset, httplib does not compress: it compresses exactly "application/json" and text/*
// for every client that accepts it, with brotli at its slowest quality when the client (every
// browser) offers br, which took 44 s for the 10 MB graph of 10,000 workloads (1.5 s plain).
constexpr const char* kJsonType = "application/json; charset=utf-8";

// The body text with `spliced` in place of the marker string, as pieces sent one after the other.
std::vector<std::string> splicedPieces(const ApiResponse& response) {
    std::string text = jsonText(response.body);
    const std::string marker = std::string("\"") + kSplicedMarker + "\"";
    const size_t at = text.find(marker);
    if (at == std::string::npos) {  // an endpoint bug: never send the marker
        throw std::logic_error("spliced answer without its marker");
    }
    std::vector<std::string> pieces;
    pieces.push_back(text.substr(0, at + 1));  // up to the opening quote
    for (const std::string& part : response.spliced) {
        pieces.push_back(part);
    }
    pieces.push_back(text.substr(at + marker.size() - 1) + "\n");  // from the closing quote
    return pieces;
}

void send(httplib::Response& res, ApiResponse response) {
    res.status = response.status;
    if (response.spliced.empty()) {
        std::string text = jsonText(response.body);  // no copy of a large answer: moved
        text += '\n';
        res.body = std::move(text);
        res.set_header("Content-Type", kJsonType);
        return;
    }
    auto pieces = std::make_shared<const std::vector<std::string>>(splicedPieces(response));
    size_t length = 0;
    for (const std::string& piece : *pieces) {
        length += piece.size();
    }
    res.set_content_provider(
        length, kJsonType, [pieces](size_t offset, size_t max, httplib::DataSink& sink) {
            for (const std::string& piece : *pieces) {
                if (offset < piece.size()) {
                    return sink.write(piece.data() + offset, std::min(max, piece.size() - offset));
                }
                offset -= piece.size();
            }
            return false;
        });
}

// 401 / 403 when `role` is not allowed; nullopt when it is. Without tokens everyone is admin
// (only possible on loopback: Server::create).
std::optional<ApiResponse> denied(const ServerOptions& options,
                                  const httplib::Request& req,
                                  Role needed) {
    if (options.tokens.empty()) {
        return std::nullopt;
    }
    const auto role = options.tokens.roleOf(req.get_header_value("Authorization"));
    if (!role) {
        return apiError(401, "missing or unknown bearer token (Authorization: Bearer TOKEN)");
    }
    if (needed == Role::kAdmin && *role != Role::kAdmin) {
        return apiError(403, "this endpoint needs an admin token");
    }
    return std::nullopt;
}

// The request as endpoints see it. The cluster is the first path group, else ?clusterId=, else
// the one `serve` was started for; under /v1/notifiers/ the first group is the notifier id.
ApiRequest apiRequest(const ServerOptions& options, const httplib::Request& req, PathGroup group) {
    ApiRequest out;
    // The query string only: httplib also puts the fields of a form-encoded body into req.params,
    // and a modification posted with curl -d is such a body.
    if (const auto q = req.target.find('?'); q != std::string::npos) {
        httplib::detail::parse_query_text(req.target.substr(q + 1), out.params);
    }
    const auto cluster_id = out.params.find("clusterId");
    const bool cluster_in_path = req.matches.size() > 1 && group == PathGroup::kCluster;
    out.cluster = cluster_in_path                  ? req.matches[1].str()
                  : cluster_id != out.params.end() ? cluster_id->second
                                                   : options.cluster_name;
    if (group == PathGroup::kNotifierId) {
        out.id = req.matches[1].str();
    }
    out.body = req.body;
    out.user = "netpolgen serve (" + req.remote_addr + ")";
    return out;
}

// A path's notifier id (used in the next paths a client builds) or cluster is a name: no '/',
// no '..', no spaces.
core::Status checkPathNames(const ApiRequest& request, PathGroup group) {
    if (group == PathGroup::kNotifierId) {
        return checkId(request.id, "notifier id");
    }
    return checkName(request.cluster, "cluster");
}

// Runs an endpoint for a request whose first path group is `group`; never lets an exception out
// (httplib would answer 500 without a JSON body).
httplib::Server::Handler handler(const ServerOptions& options,
                                 Role role,
                                 Endpoint endpoint,
                                 PathGroup group = PathGroup::kCluster) {
    return [&options, role, endpoint = std::move(endpoint), group](const httplib::Request& req,
                                                                   httplib::Response& res) {
        if (auto refusal = denied(options, req, role)) {
            if (refusal->status == 401) {
                res.set_header("WWW-Authenticate", "Bearer");  // RFC 6750: how to authenticate
            }
            send(res, *refusal);
            return;
        }
        ApiRequest request = apiRequest(options, req, group);
        if (auto st = checkPathNames(request, group); !st) {
            send(res, apiError(400, st.error()));
            return;
        }
        try {
            send(res, endpoint(options, request));
            if (role == Role::kAdmin && options.inputs_cache) {
                options.inputs_cache->clear();  // apply records: the cluster's policies changed
            }
        } catch (const std::exception& e) {
            send(res, apiError(500, std::string("internal error: ") + e.what()));
        }
    };
}

// JSON for the errors httplib answers itself (404 unknown path, 413, 400 bad request line).
httplib::Server::HandlerResponse errorBody(const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) {
        return httplib::Server::HandlerResponse::Unhandled;  // an endpoint's JSON error
    }
    const std::string message = res.status == 404   ? "no such endpoint"
                                : res.status == 413 ? "request body too large"
                                                    : "HTTP error " + std::to_string(res.status);
    send(res, apiError(res.status, message));
    return httplib::Server::HandlerResponse::Handled;
}

}  // namespace

core::Result<std::unique_ptr<Server>> Server::create(ServerOptions options) {
    if (options.tokens.empty() && !isLoopback(options.host)) {
        return core::Error{"--listen " + options.host +
                           ": refusing to serve a non-loopback address without --token-file"};
    }
    if (std::error_code ec;
        !options.web_dir.empty() && !std::filesystem::is_directory(options.web_dir, ec)) {
        return core::Error{"--web-dir " + options.web_dir + ": not a directory"};
    }
    return std::unique_ptr<Server>(new Server(std::move(options)));
}

Server::Server(ServerOptions options)
    : options_(std::move(options)), http_(std::make_unique<httplib::Server>()) {
    if (!options_.inputs_cache) {
        options_.inputs_cache = std::make_shared<InputsCache>(
            options_.db, std::chrono::seconds(1), std::chrono::seconds(30));
    }
    http_->set_payload_max_length(options_.max_body);
    // httplib writes the headers and the body separately: with Nagle's algorithm each keep-alive
    // response waited for the client's delayed ACK (~30 ms, 300 requests/s on loopback).
    http_->set_tcp_nodelay(true);
    http_->set_error_handler(httplib::Server::HandlerWithResponse(errorBody));
    routes();
}

Server::~Server() = default;

void Server::routes() {
    const std::string np = "/v1/networkpolicies/";
    const std::string cluster = kCluster;
    http_->Get("/v1/healthz", [](const httplib::Request&, httplib::Response& res) {
        send(res, {200, {{"status", "ok"}}});
    });
    http_->Get(np + "generate/" + cluster, handler(options_, Role::kRead, generateEndpoint));
    http_->Post(np + "simulate/" + cluster, handler(options_, Role::kRead, simulateEndpoint));
    http_->Post(np + "apply/" + cluster, handler(options_, Role::kAdmin, applyEndpoint));
    http_->Get(np + "undo/" + cluster, handler(options_, Role::kRead, undoEndpoint));
    http_->Post(np + "revert/" + cluster, handler(options_, Role::kAdmin, revertEndpoint));
    http_->Get(np + "history/" + cluster, handler(options_, Role::kRead, historyEndpoint));
    http_->Get("/v1/networkpolicies", handler(options_, Role::kRead, listPoliciesEndpoint));
    http_->Get("/v1/namespaces/" + cluster, handler(options_, Role::kRead, namespacesEndpoint));
    http_->Get("/v1/graph/" + cluster, handler(options_, Role::kRead, graphEndpoint));
    // Sending YAML out of the cluster is StackRox's "modify Integration": admin.
    http_->Post(np + "simulate/" + cluster + "/notify",
                handler(options_, Role::kAdmin, notifyEndpoint));
    // Notifier configuration is StackRox's "modify Integration" too: admin for every write.
    const std::string id = "/v1/notifiers/" + cluster;
    http_->Get("/v1/notifiers", handler(options_, Role::kRead, notifiersEndpoint));
    http_->Post("/v1/notifiers", handler(options_, Role::kAdmin, createNotifierEndpoint));
    http_->Post("/v1/notifiers/test", handler(options_, Role::kAdmin, testNotifierEndpoint));
    http_->Get(id, handler(options_, Role::kRead, notifierEndpoint, PathGroup::kNotifierId));
    http_->Put(id, handler(options_, Role::kAdmin, updateNotifierEndpoint, PathGroup::kNotifierId));
    http_->Delete(id,
                  handler(options_, Role::kAdmin, deleteNotifierEndpoint, PathGroup::kNotifierId));
    if (!options_.web_dir.empty()) {
        // Last, so that it only sees what no endpoint took. Under /v1/ nothing is a file: an
        // unknown endpoint stays the JSON 404 of errorBody.
        http_->Get("/(?!v1/).*", [this](const httplib::Request& req, httplib::Response& res) {
            const StaticFile file = staticFile(options_.web_dir, req.path);
            res.status = file.status;
            if (file.status == 200) {
                res.set_header("X-Content-Type-Options", "nosniff");
                res.set_header("Cache-Control", "no-cache");
                // Everything the page needs is bundled: it may load and call only this server.
                res.set_header("Content-Security-Policy",
                               "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src "
                               "'self' data: blob:; object-src 'none'; base-uri 'none'");
                res.set_content(file.body, file.content_type);
            }
        });
    }
}

core::Status Server::bind() {
    const int port = options_.port == 0
                         ? http_->bind_to_any_port(options_.host)
                         : (http_->bind_to_port(options_.host, options_.port) ? options_.port : -1);
    if (port < 0) {
        return core::Error{"cannot listen on " + options_.host + ":" +
                           std::to_string(options_.port) + " (address in use or not local)"};
    }
    port_ = static_cast<uint16_t>(port);
    return {};
}

core::Result<std::string> Server::preload() {
    // The graph's first request: the open window, counts of the window (the same when open).
    ClusterInputs in = loadClusterInputs(options_, options_.cluster_name, {}, true);
    if (!in.inputs) {
        return core::Error{in.error.body.value("error", std::string("cannot load"))};
    }
    return std::to_string(in.inputs->cluster.workloads.size()) + " workloads, " +
           std::to_string(in.inputs->graph.size()) + " edges";
}

void Server::run() {
    if (!stopped_) {
        http_->listen_after_bind();
    }
}

void Server::stop() {
    stopped_ = true;
    http_->stop();
}

}  // namespace netpolgen::server
