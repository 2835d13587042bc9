// The network graph of observed traffic, aggregated on the server for the portal:
// GET /v1/graph/{cluster}?since=&until=&namespaces=a,b&collapse=none|namespaces.
//
//   {"nodes":[{"id","type":"workload"|"namespace"|"external"|"internal", "namespace","name",
//              "kind","labels","hasIngressPolicy","exposed"}…],
//    "edges":[{"source","target","ports":[{"port","protocol"}…],"count","lastSeen"}…]}
//
// Workload ids are "ns/name[Kind]"; every address outside the cluster is the one node "External",
// in-cluster addresses without a workload the one node "Internal" (only when traffic involves
// them). With collapse=namespaces a node per namespace (id = its name; hasIngressPolicy and
// exposed when any of its workloads is) and the edges between namespaces. `namespaces` keeps the
// edges with an end in one of them and the workloads of them. Nodes and edges sorted by id.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "core/cluster.h"
#include "core/flow_graph.h"

namespace netpolgen::server {

struct GraphOptions {
    std::set<std::string> namespaces;  // empty: all
    bool collapse_namespaces = false;
};

nlohmann::json trafficGraph(const core::Cluster& cluster,
                            const core::FlowGraph& graph,
                            const GraphOptions& options);

}  // namespace netpolgen::server
