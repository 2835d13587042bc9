// `netpolgen agent`: records the node's new connections (eBPF, or conntrack events where BPF
// cannot run) and writes them as flows — the way netpolgen learns on a cluster without Cilium.
//
//   sudo netpolgen agent --output flows.jsonl [--duration 60s] [--interval 1s]
//     One machine, no cluster: canonical flow lines (DESIGN.md), addresses as seen, one line per
//     (edge, interval) with the number of new connections.
//
//   netpolgen agent --db DB [--kubeconfig F | --in-cluster] [--node-name N] [--commit-interval 5s]
//     What each pod of deploy/agent/ runs: the connections resolved against the newest snapshot
//     (kept current from the API server with --kubeconfig/--in-cluster) and committed with the
//     same aggregation as `collect` (cli/collect_pending.h), one ingest record per node.
//
// Capture (--capture auto|bpf|conntrack, default auto: bpf, else conntrack with the reason
// printed): see agent/bpf_capture.h and agent/conntrack_capture.h. Connections already open
// when the agent starts are read from every network namespace's sockets (agent/socket_scan.h).
// Connections seen at several places of the node are counted once (agent/edge_merger.h);
// loopback connections never leave their namespace and are not written.
//
// SIGINT/SIGTERM (or --duration) read the counters a last time, write or commit, and exit 0.
// Exit 2: bad options, a store without snapshot; 1: no capture could start, the store failed.
#pragma once

#include <ostream>
#include <string>

#include "cli/live_cluster.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netpolgen::cli {

struct AgentCommandOptions {
    std::string output;  // a file, "-" for stdout
    std::string db;
    std::string cluster_name;
    LiveClusterOptions live;
    std::string node_name;  // the ingest record's name; default $NODE_NAME, else the host name
    std::string capture = "auto";
    std::string duration;  // empty: until stopped
    // Counters are read every second: a connection reaches the output within about a second,
    // at one map read per interval whatever the connection rate.
    std::string interval = "1s";
    std::string commit_interval = "5s";  // --db: as `collect`'s
    std::string metrics_listen;
    bool no_scan = false;  // skip reading the connections open at start
    bool quiet = false;
};

CLI::App* addAgentCommand(CLI::App& app, AgentCommandOptions& options);
int runAgent(const AgentCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace netpolgen::cli
