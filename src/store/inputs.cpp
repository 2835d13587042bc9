#include "store/inputs.h"

#include "core/cluster_builder.h"
#include "store/cluster_history.h"

namespace netpolgen::store {
namespace {

// Decodes manifest files and directories into `objects`, refusing empty inputs.
core::Status loadManifestPaths(const std::vector<std::string>& paths,
                               bool skip_invalid,
                               core::ClusterObjects& objects,
                               LoadedInputs& loaded) {
    io::ManifestOptions manifest_options;
    manifest_options.skip_invalid = skip_invalid;
    for (const auto& path : paths) {
        const size_t documents_before = loaded.manifest_stats.documents;
        core::Status st = io::loadManifests(path, manifest_options, objects, loaded.manifest_stats);
        if (!st) {
            return st;
        }
        // An empty input is almost always a mistake (a failed `kubectl get > file`).
        if (loaded.manifest_stats.documents == documents_before) {
            if (!skip_invalid) {
                return core::Error{path + ": no Kubernetes objects (empty input)"};
            }
            loaded.warnings.push_back(path + ": no Kubernetes objects (empty input)");
        }
    }
    return {};
}

// The cluster of the store's latest snapshot with the applies and reverts recorded since.
core::Status decodeStoredCluster(const InputOptions& options,
                                 Store& store,
                                 const Snapshot& snapshot,
                                 core::ClusterObjects& objects,
                                 LoadedInputs& loaded) {
    io::ManifestOptions manifest_options;
    manifest_options.skip_invalid = options.skip_invalid;
    auto info = decodeSnapshot(snapshot, manifest_options, objects, loaded.manifest_stats);
    if (!info) {
        return core::Error{options.db + ": " + info.error()};
    }
    loaded.store->snapshot = *info;
    if (auto st = replayRecordedChanges(
            store, options.cluster_name, info->id, info->taken_at, objects, loaded.warnings);
        !st) {
        return core::Error{options.db + ": " + st.error()};
    }
    return {};
}

// What the cluster built from the store depends on: the snapshot and the records since.
core::Result<std::string> storedClusterKey(const InputOptions& options,
                                           Store& store,
                                           const Snapshot& snapshot) {
    auto records = store.history(options.cluster_name);
    if (!records) {
        return core::Error{options.db + ": " + records.error()};
    }
    return options.cluster_name + "\n" + std::to_string(snapshot.id) + "\n" +
           std::to_string(records->size()) + "\n" +
           std::to_string(records->empty() ? 0 : records->back().id) + "\n" +
           (options.skip_invalid ? "skip" : "strict");
}

// The cluster from the store, through options.cluster_memo when set.
core::Status loadStoredCluster(const InputOptions& options, Store& store, LoadedInputs& loaded) {
    auto snapshot = latestSnapshotOf(store, options.cluster_name);
    if (!snapshot) {
        return core::Error{options.db + ": " + snapshot.error()};
    }
    ClusterMemo* memo = options.extra_manifest_paths.empty() ? options.cluster_memo : nullptr;
    std::string key;
    if (memo != nullptr) {
        auto k = storedClusterKey(options, store, *snapshot);
        if (!k) {
            return core::Error{k.error()};
        }
        key = std::move(*k);
        if (auto built = memo->find(key)) {
            loaded.cluster = built->cluster;
            loaded.manifest_stats = built->manifest_stats;
            loaded.warnings = built->warnings;
            loaded.store->snapshot = built->snapshot;
            return {};
        }
    }
    core::ClusterObjects objects;
    if (auto st = decodeStoredCluster(options, store, *snapshot, objects, loaded); !st) {
        return st;
    }
    if (auto st =
            loadManifestPaths(options.extra_manifest_paths, options.skip_invalid, objects, loaded);
        !st) {
        return st;
    }
    loaded.cluster = core::buildCluster(std::move(objects), loaded.warnings);
    if (memo != nullptr) {
        memo->keep(
            std::move(key),
            std::make_shared<const ClusterMemo::Built>(ClusterMemo::Built{
                loaded.cluster, loaded.manifest_stats, loaded.warnings, *loaded.store->snapshot}));
    }
    return {};
}

// The cluster: --cluster files, else the store's latest snapshot; plus extra manifests.
core::Status loadCluster(const InputOptions& options, Store* store, LoadedInputs& loaded) {
    const bool given = !options.cluster_paths.empty() || !options.cluster_texts.empty();
    if (!given && store != nullptr) {
        return loadStoredCluster(options, *store, loaded);
    }
    if (!given) {
        return core::Error{
            "no cluster given: pass --cluster FILE|DIR (manifests or kubectl get -o yaml|json), "
            "--kubeconfig FILE or --context NAME (a live cluster), or --db DB holding a snapshot "
            "(netpolgen snapshot)"};
    }
    core::ClusterObjects objects;
    io::ManifestOptions manifest_options;
    manifest_options.skip_invalid = options.skip_invalid;
    for (const NamedManifest& m : options.cluster_texts) {
        if (auto st = io::decodeManifests(
                m.text, m.name, manifest_options, objects, loaded.manifest_stats);
            !st) {
            return st;
        }
    }
    for (const auto& paths : {options.cluster_paths, options.extra_manifest_paths}) {
        if (auto st = loadManifestPaths(paths, options.skip_invalid, objects, loaded); !st) {
            return st;
        }
    }
    loaded.cluster = core::buildCluster(std::move(objects), loaded.warnings);
    return {};
}

core::Status readFlowFiles(const InputOptions& options, LoadedInputs& loaded) {
    if (options.flow_paths.empty()) {
        return {};  // no index to build: it costs a pass over every pod and Service
    }
    const core::ClusterIndex index(loaded.cluster);
    core::FlowAggregator aggregator(index, options.window);
    aggregator.rejectUnresolved(options.strict);
    io::FlowReadOptions flow_options;
    flow_options.format = options.flow_format;
    flow_options.skip_invalid = options.skip_invalid;
    for (const auto& path : options.flow_paths) {
        const uint64_t records_before = loaded.flow_stats.records;
        core::Status st = io::readFlowFile(
            path, flow_options, loaded.flow_stats, [&](const core::FlowObservation& f) {
                return aggregator.add(f);
            });
        if (!st) {
            return core::Error{st.error() + " (--skip-invalid counts and skips such lines)"};
        }
        // No traffic at all would make every policy deny everything: refuse an empty file.
        if (loaded.flow_stats.records == records_before) {
            if (!options.skip_invalid) {
                return core::Error{path + ": no flow lines (empty input)"};
            }
            loaded.warnings.push_back(path + ": no flow lines (empty input)");
        }
    }
    loaded.aggregation = aggregator.stats();
    loaded.graph = aggregator.takeGraph();
    return {};
}

core::Status readStoredFlows(const InputOptions& options, Store& store, LoadedInputs& loaded) {
    auto flows = loadStoredFlows(
        store, options.cluster_name, options.window, options.windowed_counts, loaded.cluster);
    if (!flows) {
        return core::Error{options.db + ": " + flows.error()};
    }
    loaded.graph = std::move(flows->graph);
    flows->graph = {};
    loaded.store->flows = std::move(*flows);
    return {};
}

}  // namespace

core::Result<std::unique_ptr<LoadedInputs>> loadInputs(const InputOptions& options) {
    auto loaded = std::make_unique<LoadedInputs>();
    const bool use_store = !options.db.empty();
    if (use_store && options.flows_from_db && !options.flow_paths.empty()) {
        return core::Error{
            "--flows and --db cannot be combined: read flows from files (--flows) or from the "
            "store (--db), or ingest the files first (netpolgen ingest --db DB --flows FILE)"};
    }
    std::unique_ptr<Store> store;
    if (use_store && ((options.cluster_paths.empty() && options.cluster_texts.empty()) ||
                      options.flows_from_db)) {
        auto opened = openExistingStoreAt(options.db);
        if (!opened) {
            return core::Error{opened.error()};
        }
        store = std::move(*opened);
        loaded->store = StoreSource{options.db, options.cluster_name, std::nullopt, std::nullopt};
    }
    if (core::Status st = loadCluster(options, store.get(), *loaded); !st) {
        return core::Error{st.error()};
    }
    core::Status st = store != nullptr && options.flows_from_db
                          ? readStoredFlows(options, *store, *loaded)
                          : readFlowFiles(options, *loaded);
    if (!st) {
        return core::Error{st.error()};
    }
    return loaded;
}

namespace {

std::string topNames(const std::vector<std::pair<std::string, uint64_t>>& top) {
    std::string out;
    for (const auto& [name, count] : top) {
        out += (out.empty() ? "" : ", ") + name + " (" + std::to_string(count) + ")";
    }
    return out;
}

NoResolvedTraffic noResolvedFileFlows(const LoadedInputs& in) {
    const auto& a = in.aggregation;
    std::string reason =
        "no flow resolved to a workload of the cluster: " + std::to_string(in.flow_stats.flows) +
        " flows read";
    if (a.unresolved > 0) {
        reason += ", " + std::to_string(a.unresolved) +
                  " with an end not in the cluster snapshot (most frequent: " +
                  topNames(a.top_unresolved) + ")";
    }
    if (a.dst_not_workload > 0) {
        reason +=
            ", " + std::to_string(a.dst_not_workload) + " to destinations that are no workload";
    }
    if (a.outside_window > 0) {
        reason += ", " + std::to_string(a.outside_window) + " outside the time window";
    }
    return {reason, in.flow_stats.flows > 0};
}

NoResolvedTraffic noResolvedStoredFlows(const StoreSource& source) {
    const StoredFlows& f = *source.flows;
    if (f.edges == 0) {
        return {source.db + " holds no flows of cluster \"" + source.cluster_name +
                    "\" in the time window",
                false};
    }
    std::string names;
    for (const auto& name : f.gone_examples) {
        names += (names.empty() ? "" : ", ") + name;
    }
    return {"none of the " + std::to_string(f.edges) + " edges stored in the time window in " +
                source.db +
                " is between workloads of the cluster: " + std::to_string(f.gone_edges) +
                " edges of workloads no longer in the cluster (e.g. " + names + ")",
            true};
}

}  // namespace

std::optional<NoResolvedTraffic> noResolvedTraffic(const InputOptions& options,
                                                   const LoadedInputs& loaded) {
    if (loaded.store && loaded.store->flows) {
        if (loaded.graph.size() > 0) {
            return std::nullopt;
        }
        return noResolvedStoredFlows(*loaded.store);
    }
    if (options.flow_paths.empty() || loaded.aggregation.aggregated > 0) {
        return std::nullopt;
    }
    return noResolvedFileFlows(loaded);
}

std::shared_ptr<const ClusterMemo::Built> ClusterMemo::find(const std::string& key) const {
    std::lock_guard lock(mutex_);
    return key == key_ ? built_ : nullptr;
}

void ClusterMemo::keep(std::string key, std::shared_ptr<const Built> built) {
    std::lock_guard lock(mutex_);
    key_ = std::move(key);
    built_ = std::move(built);
}

}  // namespace netpolgen::store
