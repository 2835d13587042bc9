// Store entity names: what ingest writes and how generate --db maps them back onto a cluster.
#include "store/entity_key.h"

#include <gtest/gtest.h>

#include "core/cluster_builder.h"

namespace netpolgen::store {
namespace {

core::Cluster clusterOf(
    const std::vector<std::tuple<std::string, core::WorkloadKind, std::string>>& workloads) {
    core::ClusterObjects objects;
    for (const auto& [ns, kind, name] : workloads) {
        core::Workload w;
        w.kind = kind;
        w.ns = ns;
        w.name = name;
        w.pod_labels = {{"app", name}};
        w.selector = core::selectorFromLabels(w.pod_labels);
        objects.workloads.push_back(std::move(w));
    }
    std::vector<std::string> warnings;
    return core::buildCluster(std::move(objects), warnings);
}

TEST(EntityKey, NamesAreInternetInternalAndNamespaceKindName) {
    const auto cluster = clusterOf({{"shop", core::WorkloadKind::kStatefulSet, "db"},
                                    {"shop", core::WorkloadKind::kDeployment, "web"}});
    EXPECT_EQ(entityName(cluster, core::kInternetEntity), "internet");
    EXPECT_EQ(entityName(cluster, core::kInternalEntity), "internal");
    std::vector<std::string> names;
    for (size_t i = 0; i < cluster.workloads.size(); ++i) {
        names.push_back(entityName(cluster, core::workloadEntity(i)));
    }
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"shop/Deployment/web", "shop/StatefulSet/db"}));
}

TEST(EntityKey, EveryNameMapsBackToItsEntity) {
    const auto cluster = clusterOf({{"a", core::WorkloadKind::kDeployment, "x"},
                                    {"a", core::WorkloadKind::kStatefulSet, "x"},
                                    {"b", core::WorkloadKind::kPod, "x"}});
    const EntityNames names(cluster);
    for (core::EntityId id = 0; id < core::workloadEntity(cluster.workloads.size()); ++id) {
        EXPECT_EQ(names.find(entityName(cluster, id)), id) << entityName(cluster, id);
    }
}

TEST(EntityKey, WorkloadsNoLongerInTheClusterAreNotFound) {
    const auto before = clusterOf({{"shop", core::WorkloadKind::kDeployment, "web"},
                                   {"shop", core::WorkloadKind::kDeployment, "old"}});
    const auto after = clusterOf({{"shop", core::WorkloadKind::kDeployment, "web"}});
    const EntityNames names(after);
    EXPECT_FALSE(names.find("shop/Deployment/old"));
    // Same name, other kind: a different workload.
    EXPECT_FALSE(names.find("shop/StatefulSet/web"));
    EXPECT_FALSE(names.find("shop/web"));
    ASSERT_TRUE(names.find("shop/Deployment/web"));
    EXPECT_EQ(entityName(after, *names.find("shop/Deployment/web")), "shop/Deployment/web");
}

}  // namespace
}  // namespace netpolgen::store
