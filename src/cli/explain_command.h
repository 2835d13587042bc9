// `netpolgen explain`: is one connection allowed by the NetworkPolicies of a cluster snapshot, and
// why (core::PolicyEvaluator::explain)?
//
//   netpolgen explain --cluster snapshot.yaml --src shop/frontend --dst shop/cart --port 8080
//   netpolgen explain -c snapshot.yaml --policies new.yaml --src 8.8.8.8 --dst 10.244.1.7
//       --port 53 --protocol UDP --format json         (one command line)
//
// An endpoint is NAMESPACE/NAME (a workload, a standalone pod, or a pod by its own name),
// NAMESPACE/KIND/NAME when a name is ambiguous, or an IP address: a pod's IP stands for that pod's
// workload (and matches ipBlocks as that IP), any other address is outside the cluster. A Service
// IP is refused: policies see the backend pod and its container port.
//
// --policies FILE (repeatable) adds NetworkPolicies, replacing those of the cluster with the same
// namespace/name. Output: text (default) or JSON {"allowed", "egress", "ingress", …}.
// Exit status 0 whatever the verdict; 2 for bad input (unknown endpoint, bad port, unreadable
// file), with a message naming the argument.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "cli/inputs.h"
#include "cli/live_cluster.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netpolgen::cli {

struct ExplainCommandOptions {
    InputOptions inputs;                    // cluster_paths only
    LiveClusterOptions live;                // or the cluster from its API server
    std::vector<std::string> policy_paths;  // --policies: added or replacing by namespace/name
    std::string src;                        // NS/NAME, NS/KIND/NAME or an IP address
    std::string dst;
    int64_t port = 0;                  // 1–65535, the destination (container) port
    std::string protocol = "TCP";      // TCP, UDP or SCTP (any case)
    std::string format = "txt";        // txt | json
    std::string output;                // file; empty or "-" = stdout
    bool ipblock_matches_pods = true;  // docs/networkpolicy-semantics.md rule 22
    bool host_network_exempt = true;   // docs/egress-and-flavours.md §1.8
};

// Adds the `explain` subcommand, filling `options` when parsed.
CLI::App* addExplainCommand(CLI::App& app, ExplainCommandOptions& options);

int runExplain(const ExplainCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace netpolgen::cli
