// The HTTP API of `netpolgen serve` (Boost.Beast): routing, bearer-token authentication, request
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
// A request's header is read first (at most 16 KiB, 100 fields, within header_timeout), then
// checked (server/routes.h, admit: framing, Host, route, token, cross-site, size), and only then
// its body is read (at most max_body, chunked too: 413). Range is ignored (always the whole body).
// Every error is {"error","code"}.
// Threads: two network threads (run() and one it starts) do every accept, read and write
// asynchronously, so a slow connection costs a few KB and no thread; endpoints run on a pool of
// workers (a generate at 10,000 workloads takes seconds), each opening its own store connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "core/result.h"
#include "server/server_options.h"

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
    struct Impl;

    ServerOptions options_;
    std::unique_ptr<Impl> impl_;
    uint16_t port_ = 0;
    std::atomic<bool> stopped_{false};
};

}  // namespace netpolgen::server
