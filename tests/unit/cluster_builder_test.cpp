#include "core/cluster_builder.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "../support/test_workloads.h"

namespace netpolgen::core {
namespace {

using testing_support::shopWorkload;

Pod pod(std::string name, Labels labels, std::vector<OwnerRef> owners, std::string ip) {
    Pod p;
    p.ns = "shop";
    p.name = std::move(name);
    p.labels = std::move(labels);
    p.owners = std::move(owners);
    p.ips.push_back(*IpAddress::parse(ip));
    return p;
}

const Workload* find(const Cluster& c, std::string_view name) {
    for (const auto& w : c.workloads) {
        if (w.name == name) {
            return &w;
        }
    }
    return nullptr;
}

TEST(ClusterBuilder, PodsBelongToTheTopOfTheirOwnerChain) {
    ClusterObjects o;
    o.workloads.push_back(shopWorkload(WorkloadKind::kDeployment, "web", {{"app", "web"}}));
    o.workloads.push_back(shopWorkload(
        WorkloadKind::kReplicaSet, "web-5d9", {{"app", "web"}}, {{"Deployment", "web", true}}));
    o.workloads.push_back(shopWorkload(WorkloadKind::kCronJob, "backup", {{"job", "backup"}}));
    o.workloads.push_back(shopWorkload(
        WorkloadKind::kJob, "backup-1", {{"job", "backup"}}, {{"CronJob", "backup", true}}));
    o.pods.push_back(
        pod("web-5d9-a", {{"app", "web"}}, {{"ReplicaSet", "web-5d9", true}}, "10.0.0.1"));
    o.pods.push_back(
        pod("backup-1-x", {{"job", "backup"}}, {{"Job", "backup-1", true}}, "10.0.0.2"));
    std::vector<std::string> warnings;
    Cluster c = buildCluster(o, warnings);
    ASSERT_EQ(c.workloads.size(), 2u);  // the ReplicaSet and the Job are owned
    EXPECT_EQ(find(c, "web")->pod_names, std::vector<std::string>{"web-5d9-a"});
    EXPECT_EQ(find(c, "backup")->pod_ips.size(), 1u);
    EXPECT_TRUE(warnings.empty());
}

TEST(ClusterBuilder, MissingOwnerFallsBackToSelectorMatch) {
    ClusterObjects o;
    o.workloads.push_back(shopWorkload(WorkloadKind::kDeployment, "web", {{"app", "web"}}));
    o.pods.push_back(pod("web-5d9-a",
                         {{"app", "web"}, {"pod-template-hash", "5d9"}},
                         {{"ReplicaSet", "web-5d9", true}},
                         "10.0.0.1"));
    std::vector<std::string> warnings;
    Cluster c = buildCluster(o, warnings);
    ASSERT_EQ(c.workloads.size(), 1u);
    EXPECT_EQ(c.workloads[0].pod_ips.size(), 1u);
}

TEST(ClusterBuilder, UnmatchedMissingOwnerGroupsPodsUnderItsName) {
    ClusterObjects o;
    o.pods.push_back(
        pod("api-77d-a", {{"app", "api"}}, {{"ReplicaSet", "api-77d", true}}, "10.0.0.1"));
    o.pods.push_back(
        pod("api-77d-b", {{"app", "api"}}, {{"ReplicaSet", "api-77d", true}}, "10.0.0.2"));
    std::vector<std::string> warnings;
    Cluster c = buildCluster(o, warnings);
    ASSERT_EQ(c.workloads.size(), 1u);
    EXPECT_EQ(c.workloads[0].kind, WorkloadKind::kReplicaSet);
    EXPECT_EQ(c.workloads[0].name, "api-77d");
    EXPECT_EQ(c.workloads[0].pod_ips.size(), 2u);
    EXPECT_EQ(warnings.size(), 1u);
}

TEST(ClusterBuilder, PodWithoutOwnersIsStandaloneAndNamespacesAreLabelled) {
    ClusterObjects o;
    o.pods.push_back(pod("debug", {}, {}, "10.0.0.9"));
    std::vector<std::string> warnings;
    Cluster c = buildCluster(o, warnings);
    ASSERT_EQ(c.workloads.size(), 1u);
    EXPECT_EQ(c.workloads[0].kind, WorkloadKind::kPod);
    ASSERT_NE(c.findNamespace("shop"), nullptr);
    EXPECT_EQ(c.findNamespace("shop")->labels.at("kubernetes.io/metadata.name"), "shop");
    EXPECT_FALSE(c.findNamespace("shop")->declared);
}

TEST(ClusterBuilder, ProtectedNamespaces) {
    for (const char* ns : {"kube-system",
                           "kube-public",
                           "kubeflow",
                           "openshift",
                           "openshift-dns",
                           "redhat-ods",
                           "istio-system",
                           "stackrox"}) {
        EXPECT_TRUE(isProtectedNamespace(ns)) << ns;
    }
    for (const char* ns :
         {"kube", "openshift-operators", "istio", "default", "my-kube-system", "stackrox-x"}) {
        EXPECT_FALSE(isProtectedNamespace(ns)) << ns;
    }
}

TEST(ClusterBuilder, TheSameObjectTwiceIsOneObjectAndTheLaterOneWins) {
    ClusterObjects o;
    Workload first = shopWorkload(WorkloadKind::kDeployment, "web", {{"app", "web"}});
    first.origin = "a.yaml:1";
    Workload second = shopWorkload(WorkloadKind::kDeployment, "web", {{"app", "web2"}});
    second.origin = "b.yaml:7";
    Workload other = shopWorkload(WorkloadKind::kStatefulSet, "web", {{"app", "db"}});
    other.origin = "b.yaml:20";
    o.workloads = {first, other, second};
    PolicyObject p1;
    p1.policy.ns = "shop";
    p1.policy.name = "deny";
    p1.origin = "a.yaml:30";
    PolicyObject p2 = p1;
    p2.policy.pod_selector = selectorFromLabels({{"app", "web"}});
    p2.origin = "c.yaml:3";
    o.policies = {p1, p2};
    Service s;
    s.ns = "shop";
    s.name = "web";
    s.origin = "a.yaml:40";
    o.services = {s, s};
    o.services[1].origin = "a.yaml:50";

    std::vector<std::string> warnings;
    const Cluster c = buildCluster(o, warnings);
    ASSERT_EQ(c.workloads.size(), 2u);  // a Deployment and a StatefulSet of one name are two
    const Workload* web = find(c, "web");
    ASSERT_NE(web, nullptr);
    EXPECT_EQ(web->kind, WorkloadKind::kDeployment);
    EXPECT_EQ(web->pod_labels, (Labels{{"app", "web2"}}));
    EXPECT_EQ(web->origin, "b.yaml:7");
    ASSERT_EQ(c.policies.size(), 1u);
    EXPECT_EQ(c.policies[0].origin, "c.yaml:3");
    EXPECT_EQ(c.services.size(), 1u);
    EXPECT_EQ(c.services[0].origin, "a.yaml:50");
    const std::vector<std::string> expected{
        "a.yaml:50: Service shop/web is also defined at a.yaml:40; the later one is used",
        "b.yaml:7: workload Deployment shop/web is also defined at a.yaml:1; the later one is used",
        "c.yaml:3: NetworkPolicy shop/deny is also defined at a.yaml:30; the later one is used",
    };
    std::vector<std::string> sorted = warnings;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(sorted, expected);
}

}  // namespace
}  // namespace netpolgen::core
