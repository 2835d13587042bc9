// Exposure analysis (netpol-analyzer `list --exposure`, `connectivity --exposure`).
//
// Which peers that are *not* in the manifests a workload may reach or be reached from, inferred
// from the selectors of the rules that apply to it:
// - a direction no policy selects the workload for is "not protected": exposed to the entire
//   cluster with all connections;
// - a protected direction is exposed to the entire cluster with the union of its rules whose peer
//   list is empty or has a peer `namespaceSelector: {}` (pod selector absent or empty);
// - every other selector peer of a rule (namespaceSelector and/or podSelector; no namespaceSelector
//   means the policy's namespace) is a "representative peer": a pod that might exist. The workload
//   is exposed to it with the union of the rules that select it fully (same requirements, or an
//   empty selector), unless that adds nothing to the entire-cluster exposure. A representative
//   peer with matchLabels only (no matchExpressions), a non-empty namespace and a non-empty pod
//   selector is dropped when an existing workload matches it: it is that workload.
// Named ports towards a representative peer (egress) cannot be resolved and stay names.
// Connections with External ranges are part of the connectivity map (core/connectivity.h), not
// of this result.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/cluster.h"
#include "core/connection_set.h"
#include "core/label_selector.h"
#include "core/network_policy.h"

namespace netpolgen::core {

// A connection set plus port names that could not be resolved (egress to a peer that is not in
// the manifests): "TCP 80,http".
struct ExposureConnections {
    ConnectionSet conns;
    std::vector<std::pair<Protocol, std::string>> named_ports;  // sorted, unique

    bool empty() const { return conns.empty() && named_ports.empty(); }
    void unite(const ExposureConnections& other);
    // True when every port and name of this set is in `other`.
    bool containedIn(const ExposureConnections& other) const;
    // netpol-analyzer's form: "All Connections", or per protocol (SCTP, TCP, UDP) the ranges then
    // the names: "TCP 8080,http,UDP 53".
    std::string toString() const;
};

struct RepresentativePeer {
    bool entire_cluster = false;
    // A rule peer without namespaceSelector: {kubernetes.io/metadata.name: <policy namespace>}.
    LabelSelector namespace_selector;
    LabelSelector pod_selector;  // empty: all pods

    // "entire-cluster", "<ns>/[all pods]", "<ns>/[pod with {app=x}]",
    // "[namespace with {{Key:env,Operator:NotIn,Values:[a b],}}]/[all pods]", "[all namespaces]/…".
    std::string toString() const;
    auto operator<=>(const RepresentativePeer&) const = default;
};

struct ExposureEntry {
    RepresentativePeer peer;
    ExposureConnections conns;
};

struct WorkloadExposure {
    size_t workload = 0;
    bool ingress_protected = true;
    bool egress_protected = true;
    std::vector<ExposureEntry> ingress;  // entire-cluster first, then by peer
    std::vector<ExposureEntry> egress;
};

// One entry per workload that is exposed (unprotected in a direction or with an entry), in
// Cluster::workloads order.
std::vector<WorkloadExposure> computeExposure(const Cluster& cluster,
                                              const std::vector<const NetworkPolicy*>& policies);

}  // namespace netpolgen::core
