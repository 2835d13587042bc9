// `netpolgen serve`: the HTTP JSON API (src/server) on a store.
//
//   netpolgen serve --db DB [--cluster FILE|DIR …] [--cluster-name NAME]
//                   [--listen 127.0.0.1:8080] [--token-file FILE] [--max-body 16MiB]
//                   [--notifiers FILE] [--web-dir DIR] [--allowed-host HOST[:PORT] …]
//   netpolgen serve --db DB (--kubeconfig F | --context C | --in-cluster) [--record-only] …
//   netpolgen serve --demo [--listen …] [--notifiers FILE] [--web-dir DIR] [--token-file FILE]
//
// Prints `netpolgen serve: listening on http://HOST:PORT/` on stdout once bound (port 0: the free
// port chosen), serves until SIGINT or SIGTERM, then exits 0. The portal (web/) is served at /
// from --web-dir, by default the bundled one (cli/bundled_files.h); without one, the API only.
// --demo serves the bundled Online Boutique from a temporary store (cli/demo_store.h) that is
// removed on exit. Without --token-file it listens only
// on a loopback address. Exit status 2 for bad options, token or notifier file, or a store that
// does not exist; 1 when it cannot listen.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "cli/collect_command.h"
#include "cli/live_cluster.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netpolgen::cli {

struct ServeCommandOptions {
    std::string db;
    std::vector<std::string> cluster_paths;
    std::string cluster_name;
    std::string listen = "127.0.0.1:8080";
    std::string token_file;
    std::vector<std::string> allowed_hosts;  // HOST[:PORT] besides the listen address
    std::string max_body = "16MiB";
    std::string notifiers;  // notify/notifier_config.h; empty: none
    std::string web_dir;    // the portal's files; empty: the bundled portal, when there is one
    bool demo = false;      // a temporary store with the bundled demo instead of --db
    // --kubeconfig / --context / --in-cluster: the live cluster is watched (cli/live_snapshots.h):
    // a snapshot is stored in --db at start (the store is created when missing) and whenever it
    // changed, at most once per snapshot_interval.
    LiveClusterOptions live;
    std::string snapshot_interval = "60s";
    size_t keep_snapshots = 10;  // of the watched cluster, the newest kept
    // The apply and revert endpoints change the cluster through its API server before recording
    // (cli/serve_live_changes.h).
    // --record-only: with a live cluster, the apply and revert endpoints still only record (and
    // revert only computes), as without one (a GitOps pipeline applies).
    bool record_only = false;
    // --hubble-relay …: flows collected into --db while serving (cli/serve_relay.h).
    CollectCommandOptions relay;
};

// Registers `serve` on `app`; `options` must outlive the parse.
CLI::App* addServeCommand(CLI::App& app, ServeCommandOptions& options);
int runServe(const ServeCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace netpolgen::cli
