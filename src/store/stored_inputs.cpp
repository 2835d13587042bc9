#include "store/stored_inputs.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "core/cluster_builder.h"
#include "store/entity_key.h"

namespace netpolgen::store {
namespace {

constexpr size_t kMaxGoneExamples = 5;

// The name → EntityId of every entity of an EdgeSet, looked up once.
std::vector<std::optional<core::EntityId>> resolveEntities(const std::vector<std::string>& entities,
                                                           const core::Cluster& cluster) {
    const EntityNames names(cluster);
    std::vector<std::optional<core::EntityId>> ids;
    ids.reserve(entities.size());
    for (const auto& name : entities) {
        ids.push_back(names.find(name));
    }
    return ids;
}

void noteGone(StoredFlows& out, const EdgeRow& row, const std::string& name) {
    ++out.gone_edges;
    out.gone_flows += row.count;
    if (out.gone_examples.size() < kMaxGoneExamples &&
        std::find(out.gone_examples.begin(), out.gone_examples.end(), name) ==
            out.gone_examples.end()) {
        out.gone_examples.push_back(name);
    }
}

}  // namespace

std::string defaultDbLocation() {
    if (const char* env = std::getenv("NETPOLGEN_DB"); env != nullptr && *env != '\0') {
        return env;
    }
    return "netpolgen.db";
}

core::Result<std::unique_ptr<Store>> openStoreAt(const std::string& location) {
    auto store = openStore(location);
    if (!store) {
        const std::string& message = store.error();
        // The store names the location in its errors already; add it only where it does not.
        if (message.find(location) != std::string::npos) {
            return core::Error{message};
        }
        return core::Error{location + ": " + message};
    }
    return std::move(*store);
}

core::Result<std::unique_ptr<Store>> openExistingStoreAt(const std::string& location) {
    const bool uri =
        location.rfind("postgresql://", 0) == 0 || location.rfind("postgres://", 0) == 0;
    std::error_code ec;
    if (!uri && !std::filesystem::exists(location, ec)) {
        return core::Error{location +
                           ": no such store: create it with netpolgen snapshot or netpolgen ingest "
                           "(--db " +
                           location + ")"};
    }
    return openStoreAt(location);
}

core::Result<SnapshotInfo> decodeSnapshot(const Snapshot& snapshot,
                                          const io::ManifestOptions& options,
                                          core::ClusterObjects& objects,
                                          io::ManifestStats& stats) {
    for (const auto& file : snapshot.files) {
        if (core::Status st = io::decodeManifests(file.content, file.path, options, objects, stats);
            !st) {
            return core::Error{"stored snapshot " + std::to_string(snapshot.id) + ": " +
                               st.error()};
        }
    }
    return SnapshotInfo{snapshot.id, snapshot.taken_at, snapshot.files.size()};
}

core::Result<Snapshot> latestSnapshotOf(Store& store, const std::string& cluster_name) {
    auto snapshot = store.latestSnapshot(cluster_name);
    if (!snapshot) {
        return core::Error{snapshot.error()};
    }
    if (!*snapshot) {
        return core::Error{"no cluster snapshot stored for cluster \"" + cluster_name +
                           "\": run netpolgen snapshot --db … --cluster … or pass --cluster"};
    }
    return std::move(**snapshot);
}

core::Result<SnapshotInfo> decodeLatestSnapshot(Store& store,
                                                const std::string& cluster_name,
                                                const io::ManifestOptions& options,
                                                core::ClusterObjects& objects,
                                                io::ManifestStats& stats) {
    auto snapshot = latestSnapshotOf(store, cluster_name);
    if (!snapshot) {
        return core::Error{snapshot.error()};
    }
    return decodeSnapshot(*snapshot, options, objects, stats);
}

core::Result<LoadedSnapshot> loadLatestSnapshot(Store& store, const std::string& cluster_name) {
    LoadedSnapshot out;
    core::ClusterObjects objects;
    auto info = decodeLatestSnapshot(store, cluster_name, {}, objects, out.stats);
    if (!info) {
        return core::Error{info.error()};
    }
    out.info = *info;
    out.cluster = core::buildCluster(std::move(objects), out.warnings);
    return out;
}

core::Result<StoredFlows> loadStoredFlows(Store& store,
                                          const std::string& cluster_name,
                                          const core::TimeWindow& window,
                                          bool windowed_counts,
                                          const core::Cluster& cluster) {
    auto set = store.loadEdges({cluster_name, window, windowed_counts});
    if (!set) {
        return core::Error{set.error()};
    }
    const auto ids = resolveEntities(set->entities, cluster);
    StoredFlows out;
    out.graph.reserve(set->edges.size());  // one table allocation instead of one per doubling
    // The store counts over the window's days whenever the window has an end (store.h).
    out.windowed_counts = windowed_counts || window.until.has_value();
    for (const EdgeRow& row : set->edges) {
        ++out.edges;
        out.flows += row.count;
        const auto& src = ids.at(row.src);
        const auto& dst = ids.at(row.dst);
        if (!src || !dst || !core::isWorkloadEntity(*dst)) {
            noteGone(out, row, set->entities[!src ? row.src : row.dst]);
            continue;
        }
        out.graph.merge({*src, *dst, row.port, row.protocol},
                        {row.count, row.first_seen, row.last_seen});
    }
    return out;
}

}  // namespace netpolgen::store
