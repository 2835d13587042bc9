// What `netpolgen serve` is configured with: where the data is, where to listen, who may call.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collect/collect_metrics.h"
#include "notify/notifier_config.h"
#include "notify/sender.h"
#include "server/access_tokens.h"
#include "server/inputs_cache.h"
#include "server/live_changes.h"
#include "store/stored_inputs.h"

namespace netpolgen::server {

struct ServerOptions {
    // The store: SQLite file or postgresql:// URI. Requests share what they load through
    // `inputs_cache`, which notices ingests and snapshots into a SQLite file at once and within a
    // second on PostgreSQL.
    std::string db;
    // Manifests read instead of the latest stored snapshot (as `generate --cluster`); empty: the
    // snapshot. With files, only `cluster_name` is served.
    std::vector<std::string> cluster_paths;
    // The cluster served when files are given, and the default of ?clusterId=.
    std::string cluster_name{store::kDefaultClusterName};
    std::string host = "127.0.0.1";
    uint16_t port = 8080;  // 0: a free port (Server::port() tells which)
    // Bearer tokens; empty: no authentication, allowed only on a loopback address.
    AccessTokens tokens;
    size_t max_body = size_t{16} << 20;  // bytes of a request body, chunked too; larger: 413
    // Host names requests may use besides the listen address (server/http_request.h,
    // AllowedHosts): HOST or HOST:PORT, as `--allowed-host` gives them.
    std::vector<std::string> allowed_hosts;
    // Connections beyond this are closed at once. Each costs a file descriptor and a few KB
    // (asynchronous: no thread), so thousands of idle or slow ones cost little.
    size_t max_connections = 10000;
    // A connection has this long, from its accept or its last answer, to send a whole request
    // header: a slow loris (a byte every few seconds) is closed then; so is an idle keep-alive.
    std::chrono::milliseconds header_timeout = std::chrono::seconds(10);
    // Where the notify endpoint may send a modification's YAML (notify/notifier_config.h): loaded
    // once at start-up, so a bad file stops the server rather than failing later requests.
    // Notifiers created through the API live in the store (server/notifier_registry.h); these
    // are read-only through the API.
    std::vector<notify::NotifierConfig> notifiers;
    std::string notifiers_file;  // where `notifiers` came from, for messages
    notify::SendOptions send_options;
    // The portal's files (server/static_files.h), served at / without a token; empty: none (the
    // API only). Must be a directory.
    std::string web_dir;
    // Loaded inputs shared between requests (server/inputs_cache.h); Server sets one up when
    // null and clears it after its own writes.
    std::shared_ptr<InputsCache> inputs_cache;
    // The live cluster the apply and revert endpoints change before recording
    // (server/live_changes.h); null: they only record (a GitOps or kubectl user applies).
    std::shared_ptr<LiveChanges> live_changes;
    // The flow source `serve --hubble-relay` collects from (cli/collect_relay.h), for /metrics
    // and /v1/collect; null: none.
    std::shared_ptr<const collect::CollectMetrics> collect_metrics;
};

}  // namespace netpolgen::server
