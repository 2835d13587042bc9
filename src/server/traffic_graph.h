// The network graph of observed traffic, aggregated on the server for the portal:
// GET /v1/graph/{cluster}?since=&until=&namespaces=a,b&collapse=auto|none|namespaces.
//
//   {"collapse":"none"|"namespaces", "workloads":N, ["notice":"…",]
//    "nodes":[{"id","type":"workload"|"namespace"|"external"|"internal", "namespace","name",
//              "kind","labels","hasIngressPolicy","exposed"}…],
//    "edges":[{"source","target","ports":[{"port","protocol"}…],"count","lastSeen"}…]}
//
// Workload ids are "ns/name[Kind]"; every address outside the cluster is the one node "External",
// in-cluster addresses without a workload the one node "Internal" (only when traffic involves
// them). With collapse=namespaces a node per namespace (id = its name; hasIngressPolicy and
// exposed when any of its workloads is) and the edges between namespaces. `namespaces` keeps the
// edges with an end in one of them and the workloads of them. Nodes and edges sorted by id.
//
// Size: StackRox refuses graphs above 2,000 deployments. Here collapse=auto (the default) shows
// workloads up to kMaxGraphWorkloads in view (the `namespaces` filter narrows the view) and
// namespaces above, with a notice saying so; collapse=none above the limit is refused (400) with
// the same advice. A million observed edges between 10,000 workloads is no picture anyone reads;
// nor are 100,000 between 2,000: collapse=auto also collapses above kMaxGraphEdges edges between
// the workloads in view (collapse=none draws them).
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/cluster.h"
#include "core/flow_graph.h"
#include "core/result.h"

namespace netpolgen::server {

inline constexpr size_t kMaxGraphWorkloads = 2000;
inline constexpr size_t kMaxGraphEdges = 20000;

enum class GraphCollapse : uint8_t { kAuto, kNone, kNamespaces };

struct GraphOptions {
    std::set<std::string> namespaces;  // empty: all
    GraphCollapse collapse = GraphCollapse::kAuto;
    size_t max_workloads = kMaxGraphWorkloads;
    size_t max_edges = kMaxGraphEdges;  // collapse=auto: more edges between workloads collapse too
};

// Errors: collapse=none with more than max_workloads workloads in view.
core::Result<nlohmann::json> trafficGraph(const core::Cluster& cluster,
                                          const core::FlowGraph& graph,
                                          const GraphOptions& options);

}  // namespace netpolgen::server
