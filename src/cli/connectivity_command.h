// `netpolgen connectivity`: every allowed connection between the workloads of a cluster and the
// outside world under its NetworkPolicies, as `netpol-analyzer list` prints it.
//
//   netpolgen connectivity --cluster FILE|DIR [--cluster …] [--policies FILE|DIR …]
//                          [--format txt|json|csv|md|dot|svg] [--focus NS/NAME] [--exposure]
//                          [--ipblock-matches-pods=true|false] [-o FILE] [--skip-invalid] [-q]
//
// --policies reads more manifests and takes their NetworkPolicies only: a policy with the
// namespace and name of an existing one replaces it, others are added (what-if analysis).
// --focus keeps the connections a workload is part of (NAME, NS/NAME or NS/NAME[Kind]).
// --exposure appends netpol-analyzer's exposure analysis (core::computeExposure).
// --ipblock-matches-pods: true (default) = upstream Kubernetes, false = netpol-analyzer.
//
// Formats (netpol-analyzer's):
//   txt   `src => dst : conns` lines, sorted by src then dst
//   json  [{"src": …, "dst": …, "conn": …}, …]; with --exposure
//         {"connlist_results": […], "exposure_results": {"egress_exposure": …, "ingress_exposure":
//         …}}
//   csv   header `src,dst,conn`, RFC 4180 quoting
//   md    `| src | dst | conn |` table
//   dot   Graphviz digraph: workloads grouped per namespace (subgraph cluster_<ns>), External
//         ranges apart, edges labelled with the connections
//   svg   the dot output rendered by Graphviz `dot -Tsvg` (must be on PATH)
// Exit status: 0, 2 on bad input (file:line message) or an unknown --focus workload, 1 when the
// output cannot be written or `dot` fails.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/live_cluster.h"
#include "core/cluster.h"
#include "core/connectivity.h"
#include "core/exposure.h"
#include "core/result.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netpolgen::cli {

struct ConnectivityCommandOptions {
    std::vector<std::string> cluster_paths;  // manifests, or:
    LiveClusterOptions live;                 // the cluster from its API server
    std::vector<std::string> policy_paths;   // extra NetworkPolicies: add or replace by ns/name
    std::string format = "txt";              // txt | json | csv | md | dot | svg
    std::string focus;                       // empty: every workload
    bool exposure = false;
    bool ipblock_matches_pods = true;
    bool host_network_exempt = true;  // docs/egress-and-flavours.md §1.8
    std::string output;               // file; empty or "-" = stdout
    bool skip_invalid = false;        // count and skip invalid objects instead of failing
    bool quiet = false;               // no summary or warnings on stderr
};

struct ConnectivityRenderOptions {
    std::string format = "txt";  // txt | json | csv | md | dot (svg is dot, rendered outside)
    // Only connections with this workload as source or destination; none: all.
    std::optional<size_t> focus;
    // When set, the exposure analysis (core::computeExposure) is appended.
    const std::vector<core::WorkloadExposure>* exposure = nullptr;
};

// Renders a computed map in one of the formats above.
core::Result<std::string> renderConnectivity(const core::Cluster& cluster,
                                             const core::ConnectivityMap& map,
                                             const ConnectivityRenderOptions& options);

// The workload a --focus value names: NAME (unique across namespaces), NS/NAME or NS/NAME[Kind].
core::Result<size_t> findFocusWorkload(const core::Cluster& cluster, const std::string& focus);

// Graphviz: `dot -Tsvg` of a dot text. An error when `dot` is not on PATH or fails.
core::Result<std::string> renderSvg(const std::string& dot_text);

// Adds the `connectivity` subcommand and its options to `app`; parsing fills `options`.
CLI::App* addConnectivityCommand(CLI::App& app, ConnectivityCommandOptions& options);

int runConnectivity(const ConnectivityCommandOptions& options,
                    std::ostream& out,
                    std::ostream& err);

}  // namespace netpolgen::cli
