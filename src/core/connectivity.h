// Connectivity: every allowed connection between the workloads of a cluster and the outside world
// under a set of NetworkPolicies (docs/networkpolicy-semantics.md), in the conventions of
// netpol-analyzer / `roxctl netpol connectivity map` (see
// ../shared/conformance/netpol-analyzer/README.md).
//
// External addresses are IPv4 ranges ("atoms") cut at every ipBlock and except boundary: ranges
// used as sources come from ingress rules, ranges used as destinations from egress rules (of every
// policy given, whatever its policyTypes, as netpol-analyzer does). Without any IPv4 ipBlock on a
// side, that side has the single atom 0.0.0.0-255.255.255.255. IPv6 ipBlocks make no atoms.
// A workload is never listed with itself. Cost grows with distinct label sets and policies, not
// with pods squared: workloads with identical (namespace, labels, ports) are evaluated once.
//
//   auto conns = computeConnectivity(cluster, policies, {});
//   for (const auto& c : conns) print(c.src, c.dst, c.conns.toString());
//
// For big clusters, ConnectivityMap keeps the result per class pair and enumerates it without
// materialising one ConnectionSet per workload pair:
//
//   ConnectivityMap map(cluster, policies, {});
//   map.forEachAllowed([](const auto& src, const auto& dst, const ConnectionSet& conns) { … });
//
// Workload granularity (netpol-analyzer's): all pods of a workload share its pod-template labels
// and container ports. With ipblock_matches_pods, a workload matches an ipBlock when every one of
// its known pod IPs (at least one) lies in the block: a reported connection then holds for every
// pod. Workloads without known pod IPs (manifests rather than live pods) never match an ipBlock.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/cluster.h"
#include "core/connection_set.h"
#include "core/network_policy.h"

namespace netpolgen::core {

struct ConnectivityPeer {
    enum class Kind : uint8_t { kWorkload, kExternal };
    Kind kind = Kind::kWorkload;
    size_t workload = 0;    // kWorkload: index into Cluster::workloads
    uint32_t first_ip = 0;  // kExternal: IPv4 range [first_ip, last_ip]
    uint32_t last_ip = 0;

    auto operator<=>(const ConnectivityPeer&) const = default;
};

struct AllowedConnection {
    ConnectivityPeer src;
    ConnectivityPeer dst;
    ConnectionSet conns;  // never empty
};

struct ConnectivityOptions {
    // Upstream Kubernetes: an ipBlock matches pod IPs too. netpol-analyzer: false.
    bool ipblock_matches_pods = true;
    // Common implementations: hostNetwork pods are in the node's network, neither isolated nor
    // matched by selectors (docs/egress-and-flavours.md §1.8). netpol-analyzer: false (like any
    // pod).
    bool host_network_exempt = true;
};

// The computed connectivity of one cluster under one set of policies. Holds references to neither
// the cluster nor the policies: both may go away after construction.
//
// Memory: O(C² + P·(C + A)) 32-bit ids, C = workload classes (distinct namespace, pod labels,
// container ports, ipBlock matches), P = distinct rule sets selecting a class, A = External atoms;
// forEachAllowed adds C × (W + A) bits (at most 256 MiB, else it scans pairs directly).
// Time: building is about C² plus the postings of every selector; forEachAllowed is
// C × (W + A) + W × (W + A) / 64 + the allowed pairs; countAllowed is C × (C + A).
class ConnectivityMap {
public:
    ConnectivityMap(const Cluster& cluster,
                    const std::vector<const NetworkPolicy*>& policies,
                    const ConnectivityOptions& options);
    ~ConnectivityMap();
    ConnectivityMap(ConnectivityMap&&) noexcept;
    ConnectivityMap& operator=(ConnectivityMap&&) noexcept;

    // Every peer that can be a source: all workloads and the ingress atoms; likewise destinations
    // (all workloads and the egress atoms). Both sorted by printed name (byte order).
    const std::vector<ConnectivityPeer>& sources() const;
    const std::vector<ConnectivityPeer>& destinations() const;
    // peerName() of a source or destination, computed once.
    const std::string& name(const ConnectivityPeer& peer) const;

    // What src may open to dst: egress of src AND ingress of dst. Empty for a workload with
    // itself, for two External peers, and for an External peer that is not an atom of its side.
    const ConnectionSet& allowed(const ConnectivityPeer& src, const ConnectivityPeer& dst) const;

    using Visitor = std::function<void(
        const ConnectivityPeer& src, const ConnectivityPeer& dst, const ConnectionSet& conns)>;
    // Calls `visit` for every non-empty allowed connection, sorted by (src name, dst name).
    void forEachAllowed(const Visitor& visit) const;
    // The number of connections forEachAllowed would visit, counted per class pair (O(C²), not
    // per workload pair).
    size_t countAllowed() const;

    // Whether a policy selects the workload for that direction (else it is not isolated).
    bool isolated(size_t workload, PolicyType direction) const;

    // Sizes, for reports and benchmarks.
    size_t classCount() const;
    size_t workloadClass(size_t workload) const;
    // The connections between two workload classes (a workload with itself is not excluded here)
    // as an id into this map's table of distinct sets; 0 is the empty set. Ids of two maps are
    // unrelated: compare the sets, not the ids.
    uint32_t classPairId(size_t src_class, size_t dst_class) const;
    // classPairId(src_class, c) for every class c: what walks over many pairs read.
    std::span<const uint32_t> classRow(size_t src_class) const;
    const ConnectionSet& connectionSet(uint32_t id) const;
    size_t ingressAtomCount() const;
    size_t egressAtomCount() const;
    size_t distinctConnectionSets() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Allowed connections, sorted by (src, dst) in the order of their printed names.
std::vector<AllowedConnection> computeConnectivity(
    const Cluster& cluster,
    const std::vector<const NetworkPolicy*>& policies,
    const ConnectivityOptions& options);

// "ns/name[Kind]" or "a.b.c.d-e.f.g.h[External]".
std::string peerName(const Cluster& cluster, const ConnectivityPeer& peer);

}  // namespace netpolgen::core
