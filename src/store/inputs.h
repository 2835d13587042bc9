// Loading what every command and the HTTP server read: the cluster snapshot (manifests) and the
// observed flows, aggregated into a graph. Errors name the file and line; warnings and counts go to
// the report.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/cluster_index.h"
#include "core/flow_aggregator.h"
#include "core/flow_graph.h"
#include "core/result.h"
#include "io/flow_reader.h"
#include "io/manifest_decoder.h"
#include "store/stored_inputs.h"

namespace netpolgen::store {

class ClusterMemo;

// A manifest text that is not a file: a page a live cluster's API server answered.
struct NamedManifest {
    std::string name;  // names it in messages and origins, e.g. the URL it came from
    std::string text;
};

struct InputOptions {
    std::vector<std::string> cluster_paths;
    // The cluster read from the API server (--kubeconfig, --in-cluster), decoded like files.
    std::vector<NamedManifest> cluster_texts;
    std::vector<std::string> flow_paths;  // "-" = stdin
    io::FlowFormat flow_format = io::FlowFormat::kAuto;
    core::TimeWindow window;
    bool skip_invalid = false;
    // Flows with an end the snapshot does not have are errors (--strict) instead of counted and
    // left out.
    bool strict = false;
    // Manifests added to the cluster wherever it comes from (simulate's --policies).
    std::vector<std::string> extra_manifest_paths;
    // A store (--db): the cluster is its latest snapshot of `cluster_name` unless cluster_paths
    // are given, and the flows are its edges within `window` when `flows_from_db`. Combining
    // --db with --flows is an error (docs/decisions.md). Empty: no store.
    std::string db;
    std::string cluster_name{kDefaultClusterName};
    bool flows_from_db = true;
    // Counts of stored edges over the window only (simulate's replay prints them); generate needs
    // only which edges exist, which the store answers faster (store::EdgeQuery).
    bool windowed_counts = false;
    // Where a long-running reader (serve) keeps the cluster it built from the store, reused while
    // the latest snapshot and the recorded applies stay the same. Null: build it every time.
    ClusterMemo* cluster_memo = nullptr;
};

// Where the cluster and the flows came from when a store was used.
struct StoreSource {
    std::string db;
    std::string cluster_name;
    std::optional<SnapshotInfo> snapshot;  // the cluster came from this snapshot
    std::optional<StoredFlows> flows;      // the flows came from the store (graph moved out)
};

struct LoadedInputs {
    core::Cluster cluster;
    core::FlowGraph graph;
    io::ManifestStats manifest_stats;
    io::FlowReadStats flow_stats;
    core::AggregationStats aggregation;
    std::vector<std::string> warnings;
    std::optional<StoreSource> store;
};

core::Result<std::unique_ptr<LoadedInputs>> loadInputs(const InputOptions& options);

// Why flows that were given (files or the store) became no edge into a workload of the cluster:
// policies from them would deny everything. `observed`: flows were read or stored but none
// resolved (rather than none in the input or the window).
struct NoResolvedTraffic {
    std::string reason;
    bool observed = false;
};
// Nothing when some flow resolved, or when no flows were given.
std::optional<NoResolvedTraffic> noResolvedTraffic(const InputOptions& options,
                                                   const LoadedInputs& loaded);

// The cluster built from a store's latest snapshot and the applies recorded since, kept for the
// next load. Decoding the snapshot's YAML is the slowest part of loading a large cluster (0.8 s
// at 10,000 workloads) and its result only changes with a new snapshot or a recorded apply or
// revert, which the key (snapshot id, number and last id of the records) tells. One entry: a
// server serves one cluster at a time. Thread-safe.
class ClusterMemo {
public:
    struct Built {
        core::Cluster cluster;
        io::ManifestStats manifest_stats;
        std::vector<std::string> warnings;
        SnapshotInfo snapshot;
    };

    std::shared_ptr<const Built> find(const std::string& key) const;
    void keep(std::string key, std::shared_ptr<const Built> built);

private:
    mutable std::mutex mutex_;
    std::string key_;
    std::shared_ptr<const Built> built_;
};

}  // namespace netpolgen::store
