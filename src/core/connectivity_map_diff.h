// The connectivity diff of one cluster under two policy sets (simulate, compare), computed from
// two ConnectivityMaps without materialising every allowed workload pair.
//
// computeConnectivityDiff (connectivity_diff.h) compares two lists of allowed connections; at
// 10,000 workloads with open traffic that is 100 million pairs held as sets. Here the workload
// pairs are walked once, comparing interned connection-set ids of the two maps (each distinct id
// pair is compared as sets once), and only the first `limit` entries are kept; the counts and the
// per-workload gained/lost flags cover every pair. External ranges go through
// computeConnectivityDiff (they are few: workloads × atoms), so both give the same entries.
//
//   ConnectivityMap before(cluster, old_policies, opts), after(cluster, new_policies, opts);
//   auto diff = diffConnectivityMaps(cluster, before, cluster, after, 1000);
//   print(diff.entries); if (diff.truncated()) print(diff.total() - diff.entries.size(), "more");
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/cluster.h"
#include "core/connectivity.h"
#include "core/connectivity_diff.h"

namespace netpolgen::core {

struct BoundedConnectivityDiff {
    // The first `limit` entries in computeConnectivityDiff's order (changed, added, removed; then
    // source name, destination name). All of them when the limit is 0.
    std::vector<ConnectivityDiffEntry> entries;
    size_t changed = 0;
    size_t added = 0;
    size_t removed = 0;
    // Per workload (index into Cluster::workloads): whether some connection into or out of it is
    // allowed after but not before (gained), or before but not after (lost).
    std::vector<bool> gained;
    std::vector<bool> lost;

    size_t total() const { return changed + added + removed; }
    bool truncated() const { return entries.size() < total(); }
};

// REQUIRES: cluster1 and cluster2 hold the same workloads in the same order (they may differ in
// namespace labels); mapN was built on clusterN.
BoundedConnectivityDiff diffConnectivityMaps(const Cluster& cluster1,
                                             const ConnectivityMap& map1,
                                             const Cluster& cluster2,
                                             const ConnectivityMap& map2,
                                             size_t limit);

}  // namespace netpolgen::core
