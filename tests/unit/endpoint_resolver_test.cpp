#include "core/endpoint_resolver.h"

#include <gtest/gtest.h>

#include "../support/test_workloads.h"
#include "core/cluster_builder.h"
#include "core/flow_aggregator.h"
#include "core/pod_names.h"

namespace netpolgen::core {
namespace {

using Outcome = EndpointResolution::Outcome;

using testing_support::shopWorkload;

// A Hubble pod endpoint without `workloads`, as older Hubble and field masks export it.
FlowEndpoint podEndpoint(std::string_view pod, std::string_view labels = {}) {
    FlowEndpoint ep;
    ep.kind = FlowEndpoint::Kind::kWorkload;
    ep.ns = "shop";
    ep.pod = pod;
    ep.labels = labels;
    return ep;
}

// Deployments cart (with a ReplicaSet cart-5b6c9d7f4) and web, a StatefulSet db, a DaemonSet
// agent, a CronJob backup and a standalone Pod debug.
ClusterObjects shopObjects(bool with_replica_set) {
    ClusterObjects o;
    o.workloads.push_back(shopWorkload(WorkloadKind::kDeployment, "cart", {{"app", "cart"}}));
    if (with_replica_set) {
        o.workloads.push_back(shopWorkload(WorkloadKind::kReplicaSet,
                                           "cart-5b6c9d7f4",
                                           {{"app", "cart"}, {"pod-template-hash", "5b6c9d7f4"}},
                                           {{"Deployment", "cart", true}}));
    }
    o.workloads.push_back(shopWorkload(WorkloadKind::kDeployment, "web", {{"app", "web"}}));
    o.workloads.push_back(shopWorkload(WorkloadKind::kStatefulSet, "db", {{"app", "db"}}));
    o.workloads.push_back(shopWorkload(WorkloadKind::kDaemonSet, "agent", {{"app", "agent"}}));
    o.workloads.push_back(shopWorkload(WorkloadKind::kCronJob, "backup", {{"job", "backup"}}));
    Pod debug;
    debug.ns = "shop";
    debug.name = "debug";
    debug.labels = {{"run", "debug"}};
    o.pods.push_back(debug);
    return o;
}

class Resolver : public ::testing::Test {
protected:
    void build(ClusterObjects objects) {
        std::vector<std::string> warnings;
        cluster_ = buildCluster(std::move(objects), warnings);
        index_ = std::make_unique<ClusterIndex>(cluster_);
        resolver_ = std::make_unique<EndpointResolver>(*index_);
    }

    // "Kind/name" of the workload the endpoint resolves to, or the outcome and its name.
    std::string resolve(const FlowEndpoint& ep) {
        const EndpointResolution r = resolver_->resolve(ep);
        if (r.outcome == Outcome::kWorkload) {
            const Workload& w = cluster_.workloads[r.workload];
            return std::string(workloadKindName(w.kind)) + "/" + w.name;
        }
        const char* what = r.outcome == Outcome::kAmbiguous ? "ambiguous " : "unresolved ";
        return what + resolver_->unresolvedName(r.id);
    }

    Cluster cluster_;
    std::unique_ptr<ClusterIndex> index_;
    std::unique_ptr<EndpointResolver> resolver_;
};

TEST(PodNames, GuessesEveryControllerThatCanMakeTheName) {
    auto guesses = controllerGuesses("cart-5b6c9d7f4-9wq8m");
    ASSERT_FALSE(guesses.empty());
    EXPECT_EQ(guesses[0].kind, WorkloadKind::kDeployment);
    EXPECT_EQ(guesses[0].name, "cart");
    EXPECT_EQ(guesses[0].hash, "5b6c9d7f4");
    EXPECT_EQ(controllerGuesses("db-0").at(0).kind, WorkloadKind::kStatefulSet);
    EXPECT_EQ(controllerGuesses("db-0").at(0).name, "db");
    auto cron = controllerGuesses("backup-29431800-x7kq2");
    EXPECT_TRUE(std::any_of(cron.begin(), cron.end(), [](const ControllerGuess& g) {
        return g.kind == WorkloadKind::kCronJob && g.name == "backup";
    }));
    // Vowels and 0/1/3 never appear in generated suffixes: "debug" is no suffix.
    EXPECT_TRUE(controllerGuesses("debug").empty());
    EXPECT_TRUE(controllerGuesses("web-aeiou").empty());
}

TEST(PodLabels, KeepsPodLabelsUnescapedAndTheNamespaceApart) {
    std::string ns;
    const Labels labels = podLabelsOf(
        R"("k8s:app=a\/b", "k8s:io.cilium.k8s.policy.cluster=c1","k8s:io.kubernetes.pod.namespace=shop",
        "reserved:init","k8s:tier=\u0062ack\"end")",
        &ns);
    EXPECT_EQ(ns, "shop");
    EXPECT_EQ(labels, (Labels{{"app", "a/b"}, {"tier", "back\"end"}}));
}

TEST_F(Resolver, PodNameFindsPodsOfTheSnapshot) {
    ClusterObjects o = shopObjects(false);
    Pod p;
    p.ns = "shop";
    p.name = "web-odd-name";  // no controller pattern: only the Pod object tells
    p.labels = {{"app", "web"}};
    p.owners = {{"Deployment", "web", true}};
    o.pods.push_back(p);
    build(o);
    EXPECT_EQ(resolve(podEndpoint("web-odd-name")), "Deployment/web");
    EXPECT_EQ(resolve(podEndpoint("debug")), "Pod/debug");
}

TEST_F(Resolver, PodNameFollowsTheControllerPatternsWithoutPods) {
    build(shopObjects(false));
    EXPECT_EQ(resolve(podEndpoint("cart-5b6c9d7f4-9wq8m")), "Deployment/cart");
    EXPECT_EQ(resolve(podEndpoint("web-7d9f8c6b5-x2lqz")), "Deployment/web");
    EXPECT_EQ(resolve(podEndpoint("db-2")), "StatefulSet/db");
    EXPECT_EQ(resolve(podEndpoint("agent-kq7xz")), "DaemonSet/agent");
    EXPECT_EQ(resolve(podEndpoint("backup-29431800-x7kq2")), "CronJob/backup");
    EXPECT_EQ(resolve(podEndpoint("gone-7d9f8c6b5-x2lqz")), "unresolved shop/gone");
}

TEST_F(Resolver, DeploymentPodsMustCarryAHashOfItsReplicaSets) {
    build(shopObjects(true));
    EXPECT_EQ(resolve(podEndpoint("cart-5b6c9d7f4-9wq8m")), "Deployment/cart");
    // Another hash: a pod of a rollout the snapshot does not have.
    EXPECT_EQ(resolve(podEndpoint("cart-6c7d8f9b5-9wq8m")), "unresolved shop/cart");
    // Without ReplicaSets of its own, any hash will do.
    EXPECT_EQ(resolve(podEndpoint("web-6c7d8f9b5-9wq8m")), "Deployment/web");
}

TEST_F(Resolver, AReplicaSetOrJobNamedByOlderHubbleFindsItsOwner) {
    build(shopObjects(true));
    FlowEndpoint ep = podEndpoint("cart-5b6c9d7f4-9wq8m");
    ep.name = "cart-5b6c9d7f4";
    ep.workload_kind = "ReplicaSet";
    EXPECT_EQ(resolve(ep), "Deployment/cart");
    FlowEndpoint job = podEndpoint({});
    job.name = "backup-29431800";
    job.workload_kind = "Job";
    EXPECT_EQ(resolve(job), "CronJob/backup");
}

TEST_F(Resolver, LabelsSelectExactlyOneWorkload) {
    build(shopObjects(false));
    const FlowEndpoint ep = podEndpoint(
        {},
        R"("k8s:app=web","k8s:io.cilium.k8s.policy.serviceaccount=web","k8s:io.kubernetes.pod.namespace=shop")");
    EXPECT_EQ(resolve(ep), "Deployment/web");
    // The namespace from the labels when the endpoint has none.
    FlowEndpoint no_ns = ep;
    no_ns.ns = {};
    EXPECT_EQ(resolve(no_ns), "Deployment/web");
    EXPECT_EQ(resolve(podEndpoint({}, R"("k8s:app=nothing")")), "unresolved shop/{app=nothing}");
}

TEST_F(Resolver, LabelsMatchingSeveralWorkloadsAreAmbiguous) {
    ClusterObjects o = shopObjects(false);
    o.workloads.push_back(shopWorkload(WorkloadKind::kDeployment, "web-v2", {{"app", "web"}}));
    // Narrower: its pods also match web's selector, but only it has every template label.
    Workload canary = shopWorkload(WorkloadKind::kDeployment, "cart-canary", {{"app", "cart"}});
    canary.pod_labels = {{"app", "cart"}, {"track", "canary"}};
    o.workloads.push_back(canary);
    build(o);
    EXPECT_EQ(resolve(podEndpoint({}, R"("k8s:app=web")")),
              "ambiguous shop/{app=web} (labels match Deployment/web, Deployment/web-v2)");
    EXPECT_EQ(resolve(podEndpoint({}, R"("k8s:app=cart","k8s:track=canary")")),
              "Deployment/cart-canary");
}

TEST_F(Resolver, TheAddressIsTheLastResort) {
    ClusterObjects o = shopObjects(false);
    Pod p;
    p.ns = "shop";
    p.name = "strange";
    p.labels = {{"app", "web"}};
    p.owners = {{"Deployment", "web", true}};
    p.ips.push_back(*IpAddress::parse("10.0.0.7"));
    o.pods.push_back(p);
    build(o);
    FlowEndpoint ep = podEndpoint("renamed-since");
    ep.ip = "10.0.0.7";
    EXPECT_EQ(resolve(ep), "Deployment/web");
}

TEST_F(Resolver, ACanonicalNameSeveralKindsShareIsInvalid) {
    ClusterObjects o = shopObjects(false);
    o.workloads.push_back(shopWorkload(WorkloadKind::kStatefulSet, "web", {{"app", "web-sts"}}));
    build(o);
    FlowEndpoint ep;
    ep.kind = FlowEndpoint::Kind::kWorkload;
    ep.ns = "shop";
    ep.name = "web";
    const EndpointResolution r = resolver_->resolve(ep);
    EXPECT_EQ(r.outcome, Outcome::kInvalid);
    EXPECT_NE(resolver_->unresolvedName(r.id).find("ambiguous workload"), std::string::npos);
}

TEST_F(Resolver, AggregatorCountsUnresolvedEndsUnderTheirNames) {
    build(shopObjects(false));
    FlowAggregator agg(*index_, {});
    FlowObservation f;
    f.src = podEndpoint("web-7d9f8c6b5-x2lqz");
    f.dst = podEndpoint("cart-5b6c9d7f4-9wq8m");
    f.port = 8080;
    ASSERT_TRUE(agg.add(f).ok());
    f.dst = podEndpoint("gone-7d9f8c6b5-x2lqz");
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(agg.add(f).ok());
    }
    f.dst.ns = "other";
    ASSERT_TRUE(agg.add(f).ok());
    const AggregationStats s = agg.stats();
    EXPECT_EQ(s.aggregated, 1u);
    EXPECT_EQ(s.unresolved, 4u);
    ASSERT_EQ(s.top_unresolved.size(), 2u);
    EXPECT_EQ(s.top_unresolved[0], (std::pair<std::string, uint64_t>{"shop/gone", 3}));
    EXPECT_EQ(s.top_unresolved[1], (std::pair<std::string, uint64_t>{"other/gone", 1}));
    EXPECT_EQ(agg.graph().size(), 1u);

    FlowAggregator strict(*index_, {});
    strict.rejectUnresolved(true);
    const Status st = strict.add(f);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(
        st.error(),
        "destination: unknown workload \"other/gone\": not in the cluster snapshot (--strict)");
}

}  // namespace
}  // namespace netpolgen::core
