// `netpolgen collect` (collect_command.h): its options, and a FileFollower as a polled source of
// collect's loop (collect_loop.h) — decode, resolve and aggregate each line as `ingest` does,
// commit with the cursor, report.
#include "cli/collect_command.h"

#include <fmt/format.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "cli/app.h"
#include "cli/collect_loop.h"
#include "cli/collect_pending.h"
#include "cli/collect_relay.h"
#include "cli/flow_format_option.h"
#include "cli/ingest_batch.h"
#include "cli/kafka_collect.h"
#include "cli/metrics_listener.h"
#include "cli/progress.h"
#include "cli/stop_signals.h"
#include "cli/store_inputs.h"
#include "collect/file_follower.h"
#include "core/cluster_index.h"
#include "io/flow_line_decoder.h"
#include "io/time_text.h"

namespace netpolgen::cli {
namespace {

using Millis = std::chrono::milliseconds;

class Collector : public PolledSource {
public:
    Collector(const CollectCommandOptions& o,
              store::Store& store,
              std::ostream& err,
              collect::CollectMetrics* metrics)
        : o_(o),
          err_(err),
          store_(store),
          digest_("follow:" + std::filesystem::absolute(o.follow).lexically_normal().string()),
          decoder_(o.flow_format),
          status_(!o.quiet && progressWanted(o.status ? "always" : "auto", err)),
          pending_(store, o.db, o.cluster_name),
          metrics_(metrics) {
        pending_.reportTo(metrics);
    }

    int run(Millis commit_every, Millis poll_every, const sigset_t& signals);

    core::Result<size_t> poll() override {
        return follower_->poll(
            [this](std::string_view line, uint64_t offset) { onLine(line, offset); });
    }
    core::Status commit() override;
    void report() override;

private:
    core::Status start();
    void onLine(std::string_view line, uint64_t offset);
    bool anythingToCommit() const;

    const CollectCommandOptions& o_;
    std::ostream& err_;
    store::Store& store_;
    std::string digest_;
    io::FlowLineDecoder decoder_;
    bool status_;
    CollectPending pending_;  // read since the last commit: aggregated, never kept as lines
    std::unique_ptr<collect::FileFollower> follower_;
    std::optional<store::FileCursor> expected_;  // the cursor the store holds
    collect::CollectMetrics* metrics_;
};

core::Status Collector::start() {
    core::Status started = pending_.start();
    auto state = started ? store_.followState(o_.cluster_name, digest_)
                         : core::Result<store::FollowState>(core::Error{started.error()});
    if (!state) {
        return core::Error{state.error()};
    }
    expected_ = state->cursor;
    follower_ = std::make_unique<collect::FileFollower>(o_.follow, std::move(*state));
    follower_->replayOnResume([this](std::string_view line, uint64_t offset) {
        io::FlowReadStats ignored;
        decoder_.decode(line, {o_.follow, offset}, ignored, [](const core::FlowObservation&) {
            return core::Status{};
        });
    });
    return {};
}

void Collector::onLine(std::string_view line, uint64_t offset) {
    metrics_->received(1);
    decoder_.decode(line, {o_.follow, offset}, pending_.stats(), pending_.consumer());
}

bool Collector::anythingToCommit() const {
    return pending_.stats().lines > 0 || !expected_ || *expected_ != follower_->cursor();
}

// The flows read since the last commit, the source's counts and the cursor: one transaction.
core::Status Collector::commit() {
    std::vector<std::string> done = follower_->takeDone();
    std::vector<std::string> forget = follower_->takeForget();
    if (!anythingToCommit() && done.empty() && forget.empty()) {
        return pending_.refreshCluster();  // idle: a new snapshot is still picked up
    }
    store::FollowCommit shape{
        {}, expected_, follower_->cursor(), std::move(done), std::move(forget), {}};
    auto stored = pending_.commit(digest_, o_.follow, shape);
    if (!stored) {
        return core::Error{stored.error()};
    }
    if (!*stored) {
        return core::Error{o_.follow +
                           ": another collector moved this file's cursor in the store: stopping"};
    }
    expected_ = shape.cursor;
    for (const std::string& example : pending_.invalidExamples()) {
        if (!o_.quiet) {
            err_ << "netpolgen collect: skipped " << example << "\n";
        }
    }
    return {};
}

void Collector::report() {
    for (const std::string& note : follower_->takeNotes()) {
        if (!o_.quiet) {
            err_ << "netpolgen collect: " << note << "\n";
        }
    }
}

// SIGINT and SIGTERM (blocked) are taken by sigtimedwait in the loop (its idle wait).
int Collector::run(Millis commit_every, Millis poll_every, const sigset_t& signals) {
    if (core::Status st = start(); !st) {
        err_ << "netpolgen: " << st.error() << "\n";
        return kExitBadInput;
    }
    metrics_->setState("following");
    const StopWait stop = [&signals](Millis wait) { return stopSignalWithin(signals, wait); };
    return runPolledLoop(*this,
                         pending_,
                         {commit_every, poll_every, o_.commit_flows},
                         {status_, o_.quiet},
                         stop,
                         err_);
}

// Sources that do not go together, or a source without what it needs: the message (exit 2).
std::optional<std::string> sourceOptionsError(const CollectCommandOptions& o) {
    const int sources = !o.follow.empty() + !o.hubble_relay.empty() + !o.kafka.empty();
    if (sources != 1) {
        return sources == 0 ? "collect needs one source: --hubble-relay HOST:PORT, --follow FILE "
                              "or --kafka BROKERS"
                            : "collect: --follow, --hubble-relay and --kafka cannot be used "
                              "together";
    }
    if (!o.kafka.empty() && (o.topic.empty() || o.group.empty())) {
        return "collect --kafka: --topic and --group are required";
    }
    if (o.kafka.empty() && (!o.topic.empty() || !o.group.empty() || !o.kafka_properties.empty())) {
        return "collect: --topic, --group and --kafka-property go with --kafka";
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::chrono::milliseconds> parseMillis(const std::string& text) {
    using Millis = std::chrono::milliseconds;
    if (text.ends_with("ms")) {
        try {
            size_t used = 0;
            const long long ms = std::stoll(text.substr(0, text.size() - 2), &used);
            return used == text.size() - 2 && ms > 0 ? std::optional<Millis>(ms) : std::nullopt;
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    auto seconds = io::parseDuration(text);
    return seconds && *seconds > 0 ? std::optional<Millis>(*seconds * 1000) : std::nullopt;
}

CLI::Option* addRelayOptions(CLI::App& cmd, CollectCommandOptions& o) {
    CLI::Option* relay =
        cmd.add_option("--hubble-relay",
                       o.hubble_relay,
                       "Hubble Relay to stream flows from, HOST:PORT (e.g. "
                       "hubble-relay.kube-system:80, or localhost:4245 port-forwarded)");
    cmd.add_flag("--tls", o.tls, "Hubble Relay: connect with TLS (implied by the --tls-… options)");
    cmd.add_option("--tls-ca", o.tls_ca, "Hubble Relay: PEM CA certificate(s) to verify it with")
        ->check(CLI::ExistingFile);
    cmd.add_option("--tls-cert", o.tls_cert, "Hubble Relay: PEM client certificate (mTLS)")
        ->check(CLI::ExistingFile);
    cmd.add_option("--tls-key", o.tls_key, "Hubble Relay: PEM client key (mTLS)")
        ->check(CLI::ExistingFile);
    cmd.add_option("--tls-server-name",
                   o.tls_server_name,
                   "Hubble Relay: the name its certificate is verified for (Cilium's Helm "
                   "certificates: e.g. ui.hubble-relay.cilium.io)");
    cmd.add_flag("--no-follow",
                 o.no_follow,
                 "Hubble Relay: store what its nodes' buffers hold now, then exit (as `hubble "
                 "observe --all`)");
    cmd.add_flag("--no-field-mask",
                 o.no_field_mask,
                 "Hubble Relay: ask for whole flows (for servers that refuse a field of the mask)");
    return relay;
}

CLI::App* addCollectCommand(CLI::App& app, CollectCommandOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "collect",
        "Collect flows continuously into the store (Hubble Relay, a followed exporter file, or "
        "a Kafka topic)");
    addDbOption(*cmd, o.db);
    auto* follow =
        cmd->add_option("--follow",
                        o.follow,
                        "Hubble exporter file to follow across rotations (Hubble JSON lines)");
    CLI::Option* relay = addRelayOptions(*cmd, o);
    auto* kafka = cmd->add_option("--kafka",
                                  o.kafka,
                                  "Kafka bootstrap servers (host:port,…) to consume flows from: "
                                  "each message one or more JSON lines (see --topic, --group)");
    follow->excludes(relay);
    relay->excludes(follow);
    kafka->excludes(follow)->excludes(relay);
    cmd->add_option("--topic", o.topic, "Kafka: the topic");
    cmd->add_option("--group",
                    o.group,
                    "Kafka: the consumer group (members share the partitions; their positions "
                    "are kept in the store)");
    cmd->add_option("--kafka-property",
                    o.kafka_properties,
                    "Kafka: a librdkafka property KEY=VALUE (SASL, TLS, …), repeatable");
    addClusterNameOption(*cmd, o.cluster_name);
    addFlowFormatOption(*cmd, o.flow_format);
    cmd->add_option("--commit-interval",
                    o.commit_interval,
                    "Commit what was read at least this often (200ms, 5s, 1m)")
        ->default_str(o.commit_interval);
    cmd->add_option("--commit-flows", o.commit_flows, "Commit at the latest after this many flows")
        ->default_str(std::to_string(o.commit_flows))
        ->check(CLI::PositiveNumber);
    cmd->add_option("--poll-interval",
                    o.poll_interval,
                    "How often the idle file (or Kafka topic) is checked for lines, truncation "
                    "and rotation")
        ->default_str(o.poll_interval);
    cmd->add_option("--metrics-listen",
                    o.metrics_listen,
                    "Serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 0.0.0.0:9464)");
    cmd->add_flag(
        "--status", o.status, "A status line per commit interval even when stderr is no terminal");
    cmd->add_flag("--quiet,-q", o.quiet, "No status lines or notes on stderr");
    return cmd;
}

int runCollect(const CollectCommandOptions& o, std::ostream& err) {
    if (auto bad = sourceOptionsError(o)) {
        err << "netpolgen: " << *bad << "\n";
        return kExitBadInput;
    }
    // Before any thread starts (gRPC's, the stream reader): the stop signals are taken by the
    // loop only.
    const sigset_t signals = blockStopSignals();
    const auto commit_every = parseMillis(o.commit_interval);
    const auto poll_every = parseMillis(o.poll_interval);
    if (!commit_every || !poll_every) {
        err << "netpolgen: "
            << (!commit_every ? "--commit-interval \"" + o.commit_interval
                              : "--poll-interval \"" + o.poll_interval)
            << "\": a duration such as 200ms, 5s or 1m\n";
        return kExitBadInput;
    }
    // The flows resolve against a stored snapshot: do not create an empty store.
    auto store = openExistingStoreAt(o.db);
    if (!store) {
        err << "netpolgen: " << store.error() << "\n";
        return kExitBadInput;
    }
    auto metrics = std::make_shared<collect::CollectMetrics>(
        !o.hubble_relay.empty() ? "relay:" + o.hubble_relay
        : !o.kafka.empty()      ? "kafka:" + o.kafka + "/" + o.topic + "/" + o.group
                                : "follow:" + o.follow);
    std::unique_ptr<MetricsListener> listener;
    if (!o.metrics_listen.empty()) {
        auto started = MetricsListener::start(o.metrics_listen, metrics);
        if (!started) {
            err << "netpolgen: " << started.error() << "\n";
            return kExitBadInput;
        }
        listener = std::move(*started);
    }
    const StopWait stop = [&signals](Millis wait) { return stopSignalWithin(signals, wait); };
    if (!o.hubble_relay.empty()) {
        return runRelayCollect(o, **store, err, *commit_every, stop, metrics.get());
    }
    if (!o.kafka.empty()) {
        return collectFromKafka(
            o, {*commit_every, *poll_every, o.commit_flows}, **store, err, stop, 0, metrics.get());
    }
    Collector collector(o, **store, err, metrics.get());
    return collector.run(*commit_every, *poll_every, signals);
}

}  // namespace netpolgen::cli
