// The HTTP API of `netpolgen serve` (cpp-httplib): routing, bearer-token authentication, request
// limits and JSON errors around the endpoints of server/endpoints.h.
//
//   auto server = Server::create(options);   // refuses no tokens on a non-loopback address
//   if (auto st = (*server)->bind(); !st) …  // port() is known from here (port 0: a free one)
//   std::thread t([&] { (*server)->run(); });
//   (*server)->stop();                        // from any thread; run() returns
//
// Authentication: with tokens, every endpoint but /v1/healthz needs `Authorization: Bearer
// TOKEN`: 401 without or with an unknown token, 403 for a read token on apply, revert, notify and
// notifier configuration.
// Bodies above max_body get 413; unknown paths 404; every error is {"error","code"}.
// Thread-safety: requests run on httplib's thread pool; each opens its own store connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/result.h"
#include "server/server_options.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace netpolgen::server {

class Server {
public:
    // Errors: no tokens while listening on a non-loopback address.
    static core::Result<std::unique_ptr<Server>> create(ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds host:port. Errors: "cannot listen on HOST:PORT".
    core::Status bind();
    // The port bound (the free one chosen for port 0). REQUIRES: bind() succeeded.
    uint16_t port() const { return port_; }
    // Loads the served cluster and all its stored traffic into the cache before the first request
    // (at 10,000 workloads that takes seconds). Returns what was loaded ("12 workloads, 17 edges")
    // or why not (no snapshot yet: the requests will say so too).
    core::Result<std::string> preload();
    // Serves until stop(). REQUIRES: bind() succeeded.
    void run();
    // Stops run(); safe from any thread. Called before run(), run() returns at once.
    void stop();

private:
    explicit Server(ServerOptions options);
    void routes();

    ServerOptions options_;
    std::unique_ptr<httplib::Server> http_;
    uint16_t port_ = 0;
    std::atomic<bool> stopped_{false};
};

}  // namespace netpolgen::server
