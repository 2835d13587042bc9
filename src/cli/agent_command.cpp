#include "cli/agent_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <vector>

#include "agent/bpf_capture.h"
#include "agent/conntrack_capture.h"
#include "agent/edge_merger.h"
#include "agent/edge_owner.h"
#include "agent/socket_scan.h"
#include "cli/app.h"
#include "cli/collect_command.h"
#include "cli/collect_pending.h"
#include "cli/live_snapshots.h"
#include "cli/metrics_listener.h"
#include "cli/stop_signals.h"
#include "cli/store_inputs.h"
#include "collect/collect_metrics.h"

namespace netpolgen::cli {
namespace {

using Millis = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Where the merged counts of each interval go.
class ConnectionSink {
public:
    virtual ~ConnectionSink() = default;
    virtual core::Status write(const std::vector<agent::EdgeCount>& counts,
                               core::Timestamp now) = 0;
    // Every interval, and once more (`last`) before exiting.
    virtual core::Status flush(bool last) = 0;
    // For the summary line: what was not written, and why.
    virtual std::string note() const { return {}; }
};

// Canonical flow lines (DESIGN.md "Flows, canonical"): addresses only, which `generate`,
// `ingest` and `collect` resolve against a cluster later.
class LineSink final : public ConnectionSink {
public:
    explicit LineSink(std::ostream& out) : out_(out) {}

    core::Status write(const std::vector<agent::EdgeCount>& counts, core::Timestamp now) override {
        for (const agent::EdgeCount& c : counts) {
            out_ << R"({"src":")" << c.edge.client.text() << R"(","dst":")" << c.edge.server.text()
                 << R"(","port":)" << c.edge.server_port << R"(,"protocol":")"
                 << core::protocolName(c.edge.protocol) << R"(","time":)" << now << R"(,"count":)"
                 << c.connections << "}\n";
        }
        return {};
    }
    core::Status flush(bool) override {
        out_.flush();
        if (!out_)
            return core::Error{"cannot write the output"};
        return {};
    }

private:
    std::ostream& out_;
};

agent::Address agentAddress(const core::IpAddress& ip) {
    agent::Address a;
    if (ip.isV4()) {
        const uint32_t v4 = ip.v4();
        a.family = 4;
        for (int i = 0; i < 4; ++i)
            a.bytes[i] = static_cast<uint8_t>(v4 >> (24 - 8 * i));
        return a;
    }
    a.family = 6;
    for (int i = 0; i < 8; ++i) {
        a.bytes[i] = static_cast<uint8_t>(ip.hi() >> (56 - 8 * i));
        a.bytes[8 + i] = static_cast<uint8_t>(ip.lo() >> (56 - 8 * i));
    }
    return a;
}

agent::ClusterAddresses clusterAddresses(const core::Cluster& cluster) {
    agent::ClusterAddresses addresses;
    for (const core::Workload& w : cluster.workloads) {
        for (const core::IpAddress& ip : w.pod_ips)
            addresses.pods.insert(agentAddress(ip));
    }
    for (const core::Service& s : cluster.services) {
        for (const core::IpAddress& ip : s.cluster_ips)
            addresses.services.insert(agentAddress(ip));
    }
    return addresses;
}

// The store, as `collect` commits: resolved against the newest snapshot, aggregated per
// (day, edge), one ingest record per node. Only the connections this node owns
// (agent/edge_owner.h): with an agent on every node, each connection is stored once.
class StoreSink final : public ConnectionSink {
public:
    StoreSink(store::Store& store, const AgentCommandOptions& o, Millis commit_every)
        : pending_(store, o.db, o.cluster_name),
          digest_("agent:" + o.node_name),
          source_("netpolgen agent on " + o.node_name),
          commit_every_(commit_every) {}

    core::Status start(collect::CollectMetrics* metrics) {
        pending_.reportTo(metrics);
        return pending_.start();
    }

    core::Status write(const std::vector<agent::EdgeCount>& counts, core::Timestamp now) override {
        refreshAddresses(counts);
        for (const agent::EdgeCount& c : counts) {
            const agent::EdgeOwner owner = agent::edgeOwner(c.edge, node_, cluster_);
            if (owner != agent::EdgeOwner::kThisNode) {
                (owner == agent::EdgeOwner::kBackend ? to_services_ : to_other_nodes_) +=
                    c.connections;
                continue;
            }
            if (auto added = add(c, now); !added)
                return added;
        }
        return {};
    }

    core::Status flush(bool last) override {
        if (!last && Clock::now() - last_commit_ < commit_every_)
            return {};
        last_commit_ = Clock::now();
        if (pending_.stats().records == 0)
            return pending_.refreshCluster();
        store::FollowCommit shape{{}, std::nullopt, std::nullopt, {}, {}, {}};
        auto stored = pending_.commit(digest_, source_, std::move(shape));
        if (!stored)
            return core::Error{stored.error()};
        return {};
    }

    // "; N connections left to their server's node, M to Services (stored as their backends')"
    std::string note() const override {
        return "; " + std::to_string(to_other_nodes_) +
               " connections left to their server's node, " + std::to_string(to_services_) +
               " to Service addresses (stored as their backends')";
    }

private:
    core::Status add(const agent::EdgeCount& c, core::Timestamp now) {
        const std::string client = c.edge.client.text();
        const std::string server = c.edge.server.text();
        core::FlowObservation f;
        f.src.kind = core::FlowEndpoint::Kind::kIp;
        f.src.ip = client;
        f.dst.kind = core::FlowEndpoint::Kind::kIp;
        f.dst.ip = server;
        f.port = c.edge.server_port;
        f.protocol = c.edge.protocol;
        f.time = now;
        f.count = c.connections;
        io::FlowReadStats& stats = pending_.stats();
        ++stats.lines;
        ++stats.records;
        ++stats.flows;
        return pending_.add(f);
    }

    // The cluster's addresses when the snapshot changed; the node's every 30 s, or after 5 s
    // when a connection names a pod address the node did not have (a pod started since).
    void refreshAddresses(const std::vector<agent::EdgeCount>& counts) {
        if (pending_.snapshotId() != cluster_snapshot_) {
            cluster_ = clusterAddresses(pending_.cluster());
            cluster_snapshot_ = pending_.snapshotId();
        }
        const auto since = Clock::now() - node_scanned_;
        bool stale = since > std::chrono::seconds(30);
        for (size_t i = 0; i < counts.size() && !stale; ++i) {
            const agent::Address& server = counts[i].edge.server;
            stale = since > std::chrono::seconds(5) && cluster_.pods.count(server) > 0 &&
                    node_.count(server) == 0;
        }
        if (!stale && node_scanned_ != Clock::time_point{})
            return;
        node_ = agent::scanNodeAddresses().addresses;
        node_scanned_ = Clock::now();
    }

    CollectPending pending_;
    std::string digest_;
    std::string source_;
    Millis commit_every_;
    Clock::time_point last_commit_ = Clock::now();
    agent::ClusterAddresses cluster_;
    std::optional<int64_t> cluster_snapshot_ = -1;
    std::set<agent::Address> node_;
    Clock::time_point node_scanned_{};
    uint64_t to_other_nodes_ = 0;
    uint64_t to_services_ = 0;
};

// `kind` bpf or conntrack: that one; auto: eBPF, else conntrack with eBPF's reason printed.
core::Result<std::unique_ptr<agent::ConnectionSource>> openCapture(const std::string& kind,
                                                                   std::ostream& err,
                                                                   bool quiet) {
    std::string bpf_problem;
    if (kind != "conntrack") {
        auto bpf = agent::BpfCapture::open();
        if (bpf)
            return std::unique_ptr<agent::ConnectionSource>(std::move(*bpf));
        if (kind == "bpf")
            return core::Error{bpf.error()};
        bpf_problem = bpf.error();
        if (!quiet)
            err << "netpolgen agent: " << bpf_problem << "; trying conntrack\n";
    }
    auto conntrack = agent::ConntrackCapture::open();
    if (conntrack)
        return std::unique_ptr<agent::ConnectionSource>(std::move(*conntrack));
    if (bpf_problem.empty())
        return core::Error{conntrack.error()};
    return core::Error{bpf_problem + "; " + conntrack.error()};
}

std::string defaultNodeName() {
    if (const char* env = std::getenv("NODE_NAME"); env != nullptr && *env != '\0')
        return env;
    char host[256] = {};
    if (::gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0')
        return host;
    return "node";
}

struct AgentTotals {
    uint64_t connections = 0;
    uint64_t edges = 0;
    uint64_t loopback = 0;
};

// Drops what never crosses a namespace boundary (loopback) or names no address.
std::vector<agent::Observation> withoutLoopback(std::vector<agent::Observation> observations,
                                                AgentTotals& totals) {
    std::erase_if(observations, [&totals](const agent::Observation& o) {
        const bool local = o.edge.client.isLoopback() || o.edge.server.isLoopback() ||
                           o.edge.client.isUnspecified() || o.edge.server.isUnspecified();
        if (local)
            totals.loopback += o.count;
        return local;
    });
    return observations;
}

class AgentRun {
public:
    AgentRun(agent::ConnectionSource& capture,
             ConnectionSink& sink,
             collect::CollectMetrics& metrics,
             std::ostream& err)
        : capture_(capture), sink_(sink), metrics_(metrics), err_(err) {}

    // Until a stop signal or the deadline: a last read, write and commit, exit 0.
    int run(std::vector<agent::Observation> at_start,
            Millis interval,
            std::optional<Clock::time_point> deadline,
            const sigset_t& signals) {
        std::vector<agent::Observation> carried = std::move(at_start);
        // Conntrack's events queue in a socket buffer that a burst fills within a second: it is
        // read ten times a second, its counts written every interval like eBPF's.
        const Millis slice =
            capture_.name() == "conntrack" ? std::min(interval, Millis(100)) : interval;
        auto next_write = Clock::now() + interval;
        for (;;) {
            Millis wait = slice;
            if (deadline) {
                const auto left = std::chrono::duration_cast<Millis>(*deadline - Clock::now());
                wait = std::max(Millis(0), std::min(wait, left));
            }
            const bool stopping =
                stopSignalWithin(signals, wait) || (deadline && Clock::now() >= *deadline);
            auto polled = capture_.poll();
            if (!polled) {
                err_ << "netpolgen agent: " << polled.error() << "\n";
                return kExitFailure;
            }
            carried.insert(carried.end(), polled->begin(), polled->end());
            if (!stopping && Clock::now() < next_write)
                continue;
            next_write = Clock::now() + interval;
            if (auto step = write(std::move(carried), stopping); !step) {
                err_ << "netpolgen agent: " << step.error() << "\n";
                return kExitFailure;
            }
            carried.clear();
            if (stopping)
                return kExitOk;
        }
    }

    const AgentTotals& totals() const { return totals_; }

private:
    // One interval's observations merged, written, and committed when due.
    core::Status write(std::vector<agent::Observation> observations, bool last) {
        const uint64_t lost = capture_.lost();
        if (lost > reported_lost_) {
            metrics_.lost(lost - reported_lost_);
            reported_lost_ = lost;
        }
        auto counts = merger_.add(withoutLoopback(std::move(observations), totals_));
        uint64_t connections = 0;
        for (const auto& c : counts)
            connections += c.connections;
        totals_.connections += connections;
        totals_.edges += counts.size();
        metrics_.received(connections);
        if (auto written = sink_.write(counts, wallNow()); !written)
            return written;
        return sink_.flush(last);
    }

    agent::ConnectionSource& capture_;
    ConnectionSink& sink_;
    collect::CollectMetrics& metrics_;
    std::ostream& err_;
    agent::EdgeMerger merger_;
    AgentTotals totals_;
    uint64_t reported_lost_ = 0;
};

std::optional<std::string> optionsError(const AgentCommandOptions& o) {
    if (o.live.wanted() && !o.output.empty()) {
        return "agent: --kubeconfig, --context and --in-cluster go with --db";
    }
    if (o.capture != "auto" && o.capture != "bpf" && o.capture != "conntrack") {
        return "agent --capture: auto, bpf or conntrack";
    }
    return std::nullopt;
}

// The connections open now, in every namespace; problems printed.
std::vector<agent::Observation> connectionsAtStart(std::ostream& err, bool quiet) {
    agent::SocketScanResult scan = agent::scanEstablishedConnections();
    if (!quiet) {
        err << "netpolgen agent: " << scan.observations.size()
            << " ends of TCP connections open at start, in " << scan.namespaces
            << " network namespaces\n";
        for (size_t i = 0; i < scan.problems.size() && i < 5; ++i) {
            err << "netpolgen agent: not read: " << scan.problems[i] << "\n";
        }
    }
    return std::move(scan.observations);
}

}  // namespace

CLI::App* addAgentCommand(CLI::App& app, AgentCommandOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "agent",
        "Record this node's new connections (eBPF, or conntrack events) as flows: on any CNI, "
        "without Cilium (deploy/agent/ runs it on every node)");
    CLI::Option* output =
        cmd->add_option("--output,-o",
                        o.output,
                        "Write canonical flow lines to FILE (- for stdout) instead of --db");
    addDbOption(*cmd, o.db)->excludes(output);
    addClusterNameOption(*cmd, o.cluster_name);
    addLiveClusterOptions(*cmd, o.live);
    cmd->add_option("--node-name",
                    o.node_name,
                    "This node's name, for the store's ingest record (default $NODE_NAME, else "
                    "the host name)");
    cmd->add_option("--capture", o.capture, "auto (eBPF, else conntrack events), bpf, or conntrack")
        ->default_str(o.capture);
    cmd->add_option(
        "--duration", o.duration, "Stop after this long (30s, 10m); default: on SIGTERM");
    cmd->add_option("--interval", o.interval, "Read the kernel's counters this often")
        ->default_str(o.interval);
    cmd->add_option("--commit-interval", o.commit_interval, "--db: commit at least this often")
        ->default_str(o.commit_interval);
    cmd->add_option("--metrics-listen",
                    o.metrics_listen,
                    "Serve Prometheus metrics at http://HOST:PORT/metrics");
    cmd->add_flag("--no-scan",
                  o.no_scan,
                  "Do not report the TCP connections already open when the agent starts");
    cmd->add_flag("--quiet,-q", o.quiet, "No notes on stderr (the summary line stays)");
    return cmd;
}

int runAgent(const AgentCommandOptions& given, std::ostream& out, std::ostream& err) {
    AgentCommandOptions o = given;
    if (auto bad = optionsError(o)) {
        err << "netpolgen: " << *bad << "\n";
        return kExitBadInput;
    }
    if (o.node_name.empty())
        o.node_name = defaultNodeName();
    const auto interval = parseMillis(o.interval);
    const auto commit_every = parseMillis(o.commit_interval);
    const auto duration =
        o.duration.empty() ? std::optional<Millis>(Millis(0)) : parseMillis(o.duration);
    if (!interval || !commit_every || !duration) {
        err << "netpolgen: agent: --interval, --commit-interval and --duration are durations "
               "such as 500ms, 5s or 1m\n";
        return kExitBadInput;
    }
    // Before any thread starts (the watch's, the metrics listener's).
    const sigset_t signals = blockStopSignals();

    std::unique_ptr<LiveSnapshots> live;
    if (o.live.wanted()) {
        auto started =
            LiveSnapshots::start(o.live, {o.db, o.cluster_name, std::chrono::seconds(60)}, err);
        if (!started) {
            err << "netpolgen: " << started.error() << "\n";
            return kExitFailure;
        }
        live = std::move(*started);
    }
    // Before the output file: a capture that cannot start leaves nothing written.
    auto capture = openCapture(o.capture, err, o.quiet);
    if (!capture) {
        err << "netpolgen agent: no capture could start: " << capture.error() << "\n";
        return kExitFailure;
    }
    std::unique_ptr<store::Store> store;
    std::ofstream file;
    std::unique_ptr<ConnectionSink> sink;
    auto metrics = std::make_shared<collect::CollectMetrics>("agent:" + o.node_name);
    if (o.output.empty()) {
        auto opened = openExistingStoreAt(o.db);
        if (!opened) {
            err << "netpolgen: " << opened.error() << "\n";
            return kExitBadInput;
        }
        store = std::move(*opened);
        auto store_sink = std::make_unique<StoreSink>(*store, o, *commit_every);
        if (auto started = store_sink->start(metrics.get()); !started) {
            err << "netpolgen: " << started.error() << "\n";
            return kExitBadInput;
        }
        sink = std::move(store_sink);
    } else if (o.output == "-") {
        sink = std::make_unique<LineSink>(out);
    } else {
        file.open(o.output, std::ios::out | std::ios::trunc);
        if (!file) {
            err << "netpolgen: agent: cannot write " << o.output << "\n";
            return kExitBadInput;
        }
        sink = std::make_unique<LineSink>(file);
    }
    std::unique_ptr<MetricsListener> listener;
    if (!o.metrics_listen.empty()) {
        auto started = MetricsListener::start(o.metrics_listen, metrics);
        if (!started) {
            err << "netpolgen: " << started.error() << "\n";
            return kExitBadInput;
        }
        listener = std::move(*started);
    }

    std::vector<agent::Observation> at_start;
    if (!o.no_scan)
        at_start = connectionsAtStart(err, o.quiet);
    metrics->setState("capturing");
    std::optional<Clock::time_point> deadline;
    if (duration->count() > 0)
        deadline = Clock::now() + *duration;

    AgentRun run(**capture, *sink, *metrics, err);
    const int status = run.run(std::move(at_start), *interval, deadline, signals);
    metrics->setState("stopped");
    const AgentTotals& t = run.totals();
    err << "netpolgen agent: " << t.connections << " connections in " << t.edges
        << " edges (capture " << (*capture)->name() << "); " << (*capture)->lost()
        << " events lost; " << t.loopback << " loopback connections not written" << sink->note()
        << "\n";
    return status;
}

}  // namespace netpolgen::cli
