// Entity names: how the store names the ends of a flow-graph edge.
//
// A core::EntityId is a dense index into one cluster snapshot, so it means nothing once the
// cluster changes. The store keeps names instead: "internet", "internal", or "ns/Kind/name" for a
// workload (the Kind as core::workloadKindName spells it, e.g. "shop/Deployment/frontend"), which
// stay valid across snapshots.
//
//   std::string name = entityName(cluster, edge.src);      // store an edge
//   EntityNames names(cluster);                             // load edges onto a cluster
//   if (auto id = names.find("shop/Deployment/frontend")) { … }
//
// A workload that no longer exists in the cluster is not found: its edges are counted and left
// out by the caller (StackRox ignores the flows of deleted deployments the same way).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/cluster.h"
#include "core/flow_graph.h"

namespace netpolgen::store {

inline constexpr std::string_view kInternetName = "internet";
inline constexpr std::string_view kInternalName = "internal";

// REQUIRES: `id` is kInternetEntity, kInternalEntity or a workload entity of `cluster`.
std::string entityName(const core::Cluster& cluster, core::EntityId id);

// The reverse lookup, name → EntityId, for one cluster. Holds no reference to the cluster.
class EntityNames {
public:
    explicit EntityNames(const core::Cluster& cluster);

    // nullopt for a name of no workload of the cluster (deleted since, or another cluster's).
    std::optional<core::EntityId> find(std::string_view name) const;

private:
    // Transparent hashing: find() takes a string_view without building a std::string.
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, core::EntityId, Hash, std::equal_to<>> workloads_;
};

}  // namespace netpolgen::store
