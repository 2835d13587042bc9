// What every reader of a store shares (the commands and the HTTP server): opening the store, the
// latest cluster snapshot as a core::Cluster, and stored flows as a FlowGraph.
//
//   auto store = openStoreAt(options.db);                       // "DB: …" errors
//   auto snap = loadLatestSnapshot(**store, "prod");             // decoded like --cluster files
//   auto flows = loadStoredFlows(**store, "prod", window, snap->cluster);
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster.h"
#include "core/flow_aggregator.h"
#include "core/flow_graph.h"
#include "core/result.h"
#include "io/manifest_decoder.h"
#include "store/store.h"

namespace netpolgen::store {

// The cluster name when --cluster-name is not given.
inline constexpr std::string_view kDefaultClusterName = "default";

// $NETPOLGEN_DB when set and not empty, else "netpolgen.db" (in the current directory).
std::string defaultDbLocation();

// openStore with the location in every message ("DB: …"). Creates a missing SQLite file.
core::Result<std::unique_ptr<Store>> openStoreAt(const std::string& location);
// The same for commands that only read a store: a missing SQLite file is an error ("DB: no such
// store: …"), not a new empty store left behind by a typo.
core::Result<std::unique_ptr<Store>> openExistingStoreAt(const std::string& location);

struct SnapshotInfo {
    int64_t id = 0;
    core::Timestamp taken_at = 0;
    size_t files = 0;
};

// The latest snapshot of `cluster_name`; an error when there is none (message below).
core::Result<Snapshot> latestSnapshotOf(Store& store, const std::string& cluster_name);

// Decodes the files of `snapshot` into `objects` (messages as below).
core::Result<SnapshotInfo> decodeSnapshot(const Snapshot& snapshot,
                                          const io::ManifestOptions& options,
                                          core::ClusterObjects& objects,
                                          io::ManifestStats& stats);

// Decodes the files of the latest snapshot of `cluster_name` into `objects`, each under its
// stored path (messages read "stored/path.yaml:12: …"). Error when there is none: "no cluster
// snapshot stored for cluster "NAME": run netpolgen snapshot --db … --cluster … or pass --cluster".
core::Result<SnapshotInfo> decodeLatestSnapshot(Store& store,
                                                const std::string& cluster_name,
                                                const io::ManifestOptions& options,
                                                core::ClusterObjects& objects,
                                                io::ManifestStats& stats);

struct LoadedSnapshot {
    core::Cluster cluster;
    SnapshotInfo info;
    io::ManifestStats stats;
    std::vector<std::string> warnings;  // buildCluster's
};

// The latest snapshot of `cluster_name`, decoded and built as `--cluster` files would be.
core::Result<LoadedSnapshot> loadLatestSnapshot(Store& store, const std::string& cluster_name);

struct StoredFlows {
    core::FlowGraph graph;
    uint64_t edges = 0;  // edges in the window, all of them
    uint64_t flows = 0;
    // Edges with an end that is no workload of the cluster (deleted since the flows were seen):
    // left out, as StackRox ignores deleted deployments.
    uint64_t gone_edges = 0;
    uint64_t gone_flows = 0;
    std::vector<std::string> gone_examples;  // the first few names
    bool windowed_counts = false;  // counts cover the window's days only (store::EdgeQuery)
};

// The edges of `window` stored for `cluster_name`, mapped onto `cluster` by entity name.
// `windowed_counts`: counts and first/last seen of the window's days (simulate's replay shows
// them) rather than over everything stored (faster for --since alone; generate only needs which
// edges exist). See store::EdgeQuery.
core::Result<StoredFlows> loadStoredFlows(Store& store,
                                          const std::string& cluster_name,
                                          const core::TimeWindow& window,
                                          bool windowed_counts,
                                          const core::Cluster& cluster);

}  // namespace netpolgen::store
