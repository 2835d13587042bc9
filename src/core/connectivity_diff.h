// Connectivity diff: how the allowed connections of one manifest set (ref1) differ from those of
// another (ref2), in the conventions of `netpol-analyzer diff` (see
// ../shared/conformance/netpol-analyzer/README.md, "_diff/").
//
// Peers are matched across the two sides by their printed names ("ns/name[Kind]"), so a workload
// present on one side only is new (added) or lost (removed). External ranges are compared on the
// common refinement of both sides' ranges, then merged back: for every workload and direction the
// output holds the maximal contiguous IPv4 ranges on which the pair (ref1 connections, ref2
// connections) is constant and at least one side allows something. The result is therefore
// independent of how either side happened to cut its ranges.
//
//   auto conns1 = computeConnectivity(cluster1, policies1, options);
//   auto conns2 = computeConnectivity(cluster2, policies2, options);
//   for (const auto& e : computeConnectivityDiff(cluster1, conns1, cluster2, conns2, {})) {
//       print(diffTypeName(e.type), e.src.name, e.dst.name, e.ref1.toString(), e.ref2.toString());
//   }
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster.h"
#include "core/connection_set.h"
#include "core/connectivity.h"

namespace netpolgen::core {

// Declared in output order: changed lines first, then added, then removed.
enum class DiffType : uint8_t { kChanged, kAdded, kRemoved, kUnchanged };

// "changed", "added", "removed", "unchanged".
std::string_view diffTypeName(DiffType type);

struct DiffPeer {
    ConnectivityPeer::Kind kind = ConnectivityPeer::Kind::kWorkload;
    std::string name;       // as printed: "ns/name[Kind]" or "a.b.c.d-e.f.g.h[External]"
    std::string ns;         // workloads only
    uint32_t first_ip = 0;  // external only: the range [first_ip, last_ip]
    uint32_t last_ip = 0;
    // A workload that exists on one side only: new (in an added entry) or lost (in a removed one).
    bool new_or_removed = false;

    bool operator==(const DiffPeer&) const = default;
};

struct ConnectivityDiffEntry {
    DiffType type = DiffType::kChanged;
    DiffPeer src;
    DiffPeer dst;
    ConnectionSet ref1;  // empty: no connection in ref1 ("No Connections")
    ConnectionSet ref2;

    bool operator==(const ConnectivityDiffEntry&) const = default;
};

struct ConnectivityDiffOptions {
    // Also return the pairs whose connections are equal on both sides (DiffType::kUnchanged),
    // for renderings that draw the whole graph.
    bool include_unchanged = false;
};

// The diff of `conns1` (the connectivity of `cluster1`, ref1) against `conns2` (of `cluster2`,
// ref2). Sorted by type (changed, added, removed, unchanged), then by source name, then by
// destination name (plain byte order). No two entries share (src name, dst name).
// REQUIRES: connsN was computed by computeConnectivity() on clusterN.
std::vector<ConnectivityDiffEntry> computeConnectivityDiff(
    const Cluster& cluster1,
    const std::vector<AllowedConnection>& conns1,
    const Cluster& cluster2,
    const std::vector<AllowedConnection>& conns2,
    const ConnectivityDiffOptions& options);

// "workload A added", "workload A and B removed", or "" when neither peer is new or lost.
std::string workloadsDiffInfo(const ConnectivityDiffEntry& entry);

}  // namespace netpolgen::core
