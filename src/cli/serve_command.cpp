#include "cli/serve_command.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <chrono>
#include <iomanip>
#include <thread>

#include "cli/app.h"
#include "cli/bundled_files.h"
#include "cli/demo_store.h"
#include "cli/live_snapshots.h"
#include "cli/serve_live_changes.h"
#include "cli/serve_relay.h"
#include "cli/stop_signals.h"
#include "cli/store_commands.h"
#include "cli/store_inputs.h"
#include "io/time_text.h"
#include "server/listen_address.h"
#include "server/notifier_registry.h"
#include "server/server.h"

namespace netpolgen::cli {
namespace {

// "16MiB", "512KiB", "1GiB" or bytes. Errors name the option.
core::Result<size_t> parseSize(const std::string& text) {
    size_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    const std::string unit(end, text.data() + text.size());
    const int shift = unit.empty() || unit == "B" ? 0
                      : unit == "KiB"             ? 10
                      : unit == "MiB"             ? 20
                      : unit == "GiB"             ? 30
                                                  : -1;
    if (ec != std::errc{} || end == text.data() || shift < 0 || n == 0 || n > (SIZE_MAX >> shift)) {
        return core::Error{"--max-body " + text + ": expected a size such as 16MiB, 512KiB, 1000"};
    }
    return n << shift;
}

core::Result<server::ServerOptions> serverOptions(const ServeCommandOptions& o) {
    server::ServerOptions out;
    out.db = o.db;
    out.cluster_paths = o.cluster_paths;
    out.cluster_name = o.cluster_name;
    auto address = server::parseListenAddress(o.listen);
    if (!address) {
        return core::Error{address.error()};
    }
    out.host = address->host;
    out.port = address->port;
    auto size = parseSize(o.max_body);
    if (!size) {
        return core::Error{size.error()};
    }
    out.max_body = *size;
    out.web_dir = o.web_dir.empty() ? findWebDir() : o.web_dir;
    out.allowed_hosts = o.allowed_hosts;
    if (!o.notifiers.empty()) {
        auto notifiers = notify::loadNotifierConfigs(o.notifiers);
        if (!notifiers) {
            return core::Error{notifiers.error()};
        }
        out.notifiers = std::move(*notifiers);
        out.notifiers_file = o.notifiers;
    }
    if (!o.token_file.empty()) {
        auto tokens = server::loadAccessTokens(o.token_file);
        if (!tokens) {
            return core::Error{tokens.error()};
        }
        out.tokens = std::move(*tokens);
    }
    return out;
}

// A store that is not there (a typo) or not readable, or a notifier id both in the file and in the
// store, stops the server now rather than failing every request.
core::Status checkStore(const server::ServerOptions& options) {
    auto store = openExistingStoreAt(options.db);
    if (!store) {
        return core::Error{store.error()};
    }
    return server::checkNotifierIds(options, **store);
}

// Each connection is a file descriptor: the default soft limit (often 1,024) would refuse
// connections long before ServerOptions::max_connections. The hard limit is ours to take.
void raiseFileLimit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// Warnings about how tokens are kept and sent; the server starts anyway.
void warnAboutTokens(const ServeCommandOptions& o,
                     const server::ServerOptions& options,
                     std::ostream& err) {
    struct stat st {};
    if (!o.token_file.empty() && ::stat(o.token_file.c_str(), &st) == 0 &&
        (st.st_mode & 077) != 0) {
        err << "netpolgen serve: warning: " << o.token_file
            << " can be read by other users (chmod 600 it)\n";
    }
    if (!options.tokens.empty() && !server::isLoopback(options.host)) {
        err << "netpolgen serve: warning: tokens are sent in clear text over plain HTTP on "
            << options.host << "; put a TLS-terminating proxy in front (README: HTTP API)\n";
    }
}

// Serves until SIGINT or SIGTERM. The signals are blocked in every thread (the server's workers,
// created by run(), inherit the mask) and taken by one thread with sigwait, which stops the server:
// no work in a signal handler.
void serveUntilSignal(server::Server& server) {
    const sigset_t signals = stopSignals();
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &signals, &previous);
    std::thread waiter([&server, &signals] {
        int signal_number = 0;
        sigwait(&signals, &signal_number);
        server.stop();
    });
    server.run();
    waiter.join();
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

}  // namespace

CLI::App* addServeCommand(CLI::App& app, ServeCommandOptions& o) {
    CLI::App* cmd =
        app.add_subcommand("serve", "The HTTP JSON API (generate, simulate, apply, …) and portal");
    CLI::Option* db = addDbOption(*cmd, o.db);
    CLI::Option* cluster = cmd->add_option("--cluster,-c",
                                           o.cluster_paths,
                                           "Manifests: YAML/JSON file or directory (repeatable); "
                                           "default: the latest stored snapshot");
    cmd->add_flag("--demo",
                  o.demo,
                  "Serve the bundled Online Boutique demo from a temporary store (removed on exit)")
        ->excludes(db)
        ->excludes(cluster);
    addLiveClusterOptions(*cmd, o.live);
    cmd->add_option("--snapshot-interval",
                    o.snapshot_interval,
                    "With a live cluster: at most one snapshot of its changes per this duration")
        ->default_str(o.snapshot_interval);
    cmd->add_option(
           "--keep-snapshots",
           o.keep_snapshots,
           "With a live cluster: how many of its newest snapshots the store keeps (0: all)")
        ->default_str("10");
    cmd->add_flag("--record-only",
                  o.record_only,
                  "With a live cluster: the apply and revert endpoints only record, as without "
                  "one (by default they change the cluster through its API server first)");
    addClusterNameOption(*cmd, o.cluster_name);
    cmd->add_option("--listen", o.listen, "HOST:PORT to listen on (port 0: a free port)")
        ->default_str(o.listen);
    cmd->add_option(
        "--token-file",
        o.token_file,
        "Bearer tokens, one `TOKEN read|admin [NAME]` per line (required off loopback)");
    cmd->add_option("--allowed-host",
                    o.allowed_hosts,
                    "HOST or HOST:PORT requests may name besides the listen address (repeatable; "
                    "e.g. the name of a proxy in front)");
    cmd->add_option("--max-body", o.max_body, "Largest request body (413 above)")
        ->default_str(o.max_body);
    cmd->add_option("--notifiers",
                    o.notifiers,
                    "Notifier definitions (YAML/JSON) the notify endpoint may send policies to");
    cmd->add_option("--web-dir",
                    o.web_dir,
                    "The portal's files, served at / (default: the bundled portal, if built)");
    addRelayOptions(*cmd, o.relay);
    return cmd;
}

int runServe(const ServeCommandOptions& o, std::ostream& out, std::ostream& err) {
    auto options = serverOptions(o);
    if (!options) {
        err << "netpolgen: " << options.error() << "\n";
        return kExitBadInput;
    }
    if (auto warning = notify::notifierFileWarning(options->notifiers_file)) {
        err << "netpolgen serve: " << *warning << "\n";
    }
    // Declared before the server, so that the store is removed only once the server has stopped.
    std::unique_ptr<DemoStore> demo;
    if (o.demo) {
        auto created = DemoStore::create(options->cluster_name, err);
        if (!created) {
            err << "netpolgen: " << created.error() << "\n";
            return kExitFailure;
        }
        demo = std::move(*created);
        options->db = demo->db();
        err << "netpolgen serve: demo: Online Boutique (" << demo->demoDir()
            << ") in a temporary store, removed on exit\n";
    }
    if (o.record_only && !o.live.wanted()) {
        err << "netpolgen: --record-only needs a live cluster (--kubeconfig, --context or "
               "--in-cluster): without one the endpoints only record anyway\n";
        return kExitBadInput;
    }
    // Declared before the server: the watch stops only once the server has stopped.
    std::unique_ptr<LiveSnapshots> live;
    if (o.live.wanted()) {
        if (o.demo || !o.cluster_paths.empty()) {
            err << "netpolgen: --kubeconfig/--context/--in-cluster cannot be combined with "
                   "--demo or --cluster\n";
            return kExitBadInput;
        }
        auto interval = io::parseDuration(o.snapshot_interval);
        if (!interval || *interval < 1) {
            err << "netpolgen: --snapshot-interval \"" << o.snapshot_interval
                << "\": a duration such as 60s or 5m\n";
            return kExitBadInput;
        }
        // The watch's threads must not take SIGINT/SIGTERM either (serveUntilSignal): they
        // inherit this thread's mask, set before they start.
        blockStopSignals();
        auto started = LiveSnapshots::start(o.live,
                                            {options->db,
                                             options->cluster_name,
                                             std::chrono::seconds(*interval),
                                             std::chrono::seconds(120),
                                             o.keep_snapshots},
                                            err);
        if (!started) {
            err << "netpolgen: " << started.error() << "\n";
            return kExitFailure;
        }
        live = std::move(*started);
    }
    if (o.live.wanted() && !o.record_only) {
        // The apply and revert endpoints change this cluster through its API server, then record.
        auto client = connectLive(o.live);
        if (!client) {
            err << "netpolgen: " << client.error() << "\n";
            return kExitBadInput;
        }
        options->live_changes = std::make_shared<KubeLiveChanges>(std::move(*client), err);
        err << "netpolgen serve: the apply and revert endpoints change the live cluster through "
               "its API server (dry run first, all or nothing), then record\n";
    }
    // Declared before the server: the collector stops (and commits) once the server has stopped.
    std::unique_ptr<ServeRelay> relay;
    if (!o.relay.hubble_relay.empty()) {
        if (!o.cluster_paths.empty()) {
            err << "netpolgen: --hubble-relay resolves flows against the stored snapshot: it "
                   "cannot be combined with --cluster\n";
            return kExitBadInput;
        }
        blockStopSignals();  // the collector's threads leave SIGINT/SIGTERM to serveUntilSignal
        CollectCommandOptions relay_options = o.relay;
        relay_options.db = options->db;
        relay_options.cluster_name = options->cluster_name;
        auto metrics =
            std::make_shared<collect::CollectMetrics>("relay:" + relay_options.hubble_relay);
        auto started = ServeRelay::start(std::move(relay_options), metrics, err);
        if (!started) {
            err << "netpolgen: " << started.error() << "\n";
            return kExitBadInput;
        }
        relay = std::move(*started);
        options->collect_metrics = metrics;
        err << "netpolgen serve: collecting flows from Hubble Relay " << o.relay.hubble_relay
            << " into the store\n";
    }
    if (options->web_dir.empty()) {
        err << "netpolgen serve: no portal (web/dist not built: bash scripts/build-web.sh); "
               "serving the API only\n";
    }
    if (auto st = checkStore(*options); !st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitBadInput;
    }
    warnAboutTokens(o, *options, err);
    raiseFileLimit();
    const std::string host = options->host;
    auto server = server::Server::create(std::move(*options));
    if (!server) {
        err << "netpolgen: " << server.error() << "\n";
        return kExitBadInput;
    }
    if (auto st = (*server)->bind(); !st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitFailure;
    }
    const auto started = std::chrono::steady_clock::now();
    if (auto loaded = (*server)->preload(); loaded) {
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
        err << "netpolgen serve: loaded " << *loaded << " in " << std::fixed << std::setprecision(1)
            << took.count() << " s\n";
    } else {
        err << "netpolgen serve: " << loaded.error() << "\n";
    }
    const bool v6 = host.find(':') != std::string::npos;
    out << "netpolgen serve: listening on http://" << (v6 ? "[" + host + "]" : host) << ":"
        << (*server)->port() << "/" << std::endl;  // flushed: scripts wait for this line
    serveUntilSignal(**server);
    err << "netpolgen serve: stopped\n";
    return kExitOk;
}

}  // namespace netpolgen::cli
