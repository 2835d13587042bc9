#include "core/cluster.h"

#include <algorithm>
#include <array>
#include <utility>

namespace netpolgen::core {
namespace {

constexpr std::array<std::pair<WorkloadKind, std::string_view>, 9> kKindNames{{
    {WorkloadKind::kDeployment, "Deployment"},
    {WorkloadKind::kStatefulSet, "StatefulSet"},
    {WorkloadKind::kDaemonSet, "DaemonSet"},
    {WorkloadKind::kReplicaSet, "ReplicaSet"},
    {WorkloadKind::kJob, "Job"},
    {WorkloadKind::kCronJob, "CronJob"},
    {WorkloadKind::kReplicationController, "ReplicationController"},
    {WorkloadKind::kDeploymentConfig, "DeploymentConfig"},
    {WorkloadKind::kPod, "Pod"},
}};

}  // namespace

std::string_view workloadKindName(WorkloadKind kind) {
    for (const auto& [k, name] : kKindNames) {
        if (k == kind) {
            return name;
        }
    }
    return "Workload";
}

std::optional<WorkloadKind> parseWorkloadKind(std::string_view kind) {
    for (const auto& [k, name] : kKindNames) {
        if (name == kind) {
            return k;
        }
    }
    return std::nullopt;
}

const Namespace* Cluster::findNamespace(std::string_view name) const {
    auto it = std::lower_bound(
        namespaces.begin(), namespaces.end(), name, [](const Namespace& ns, std::string_view n) {
            return ns.name < n;
        });
    return it != namespaces.end() && it->name == name ? &*it : nullptr;
}

}  // namespace netpolgen::core
