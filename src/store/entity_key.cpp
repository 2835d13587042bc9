#include "store/entity_key.h"

namespace netpolgen::store {
namespace {

std::string workloadName(const core::Workload& w) {
    std::string name;
    const std::string_view kind = core::workloadKindName(w.kind);
    name.reserve(w.ns.size() + kind.size() + w.name.size() + 2);
    name.append(w.ns).append("/").append(kind).append("/").append(w.name);
    return name;
}

}  // namespace

std::string entityName(const core::Cluster& cluster, core::EntityId id) {
    if (id == core::kInternetEntity) {
        return std::string(kInternetName);
    }
    if (id == core::kInternalEntity) {
        return std::string(kInternalName);
    }
    return workloadName(cluster.workloads.at(core::workloadIndex(id)));
}

EntityNames::EntityNames(const core::Cluster& cluster) {
    workloads_.reserve(cluster.workloads.size());
    for (size_t i = 0; i < cluster.workloads.size(); ++i) {
        workloads_.emplace(workloadName(cluster.workloads[i]), core::workloadEntity(i));
    }
}

std::optional<core::EntityId> EntityNames::find(std::string_view name) const {
    if (name == kInternetName) {
        return core::kInternetEntity;
    }
    if (name == kInternalName) {
        return core::kInternalEntity;
    }
    if (auto it = workloads_.find(name); it != workloads_.end()) {
        return it->second;
    }
    return std::nullopt;
}

}  // namespace netpolgen::store
