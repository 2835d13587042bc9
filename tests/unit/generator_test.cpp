// One test per rule of docs/stackrox-generator.md §2 (with DESIGN.md's decisions), asserting the
// policy the generator produces.
#include "core/generator.h"

#include <gtest/gtest.h>

#include "core/cluster_builder.h"

namespace netpolgen::core {
namespace {

Workload deployment(std::string ns, std::string name, Labels labels) {
    Workload w;
    w.kind = WorkloadKind::kDeployment;
    w.ns = std::move(ns);
    w.name = std::move(name);
    w.selector = selectorFromLabels(labels);
    w.pod_labels = std::move(labels);
    return w;
}

class GeneratorTest : public ::testing::Test {
protected:
    size_t add(Workload w) {
        objects_.workloads.push_back(std::move(w));
        return objects_.workloads.size() - 1;
    }
    size_t add(const std::string& ns, const std::string& name) {
        return add(deployment(ns, name, {{"app", name}}));
    }
    void addPolicy(NetworkPolicy p) { objects_.policies.push_back({std::move(p), "test"}); }
    void addService(Service s) { objects_.services.push_back(std::move(s)); }

    // Flows are given by "ns/name" (or "internet" / "internal") and resolved after the build.
    void flow(std::string src, std::string dst, uint32_t port, Protocol proto = Protocol::kTcp) {
        flows_.push_back({std::move(src), std::move(dst), port, proto});
    }

    Generation run(GenerateOptions options = {}) {
        std::vector<std::string> warnings;
        cluster_ = buildCluster(objects_, warnings);
        FlowGraph graph;
        for (const auto& f : flows_) {
            graph.add({entity(f.src), entity(f.dst), f.port, f.proto}, 1, kUndated);
        }
        auto gen = generatePolicies(cluster_, graph, options);
        EXPECT_TRUE(gen.ok()) << (gen.ok() ? "" : gen.error());
        return gen.ok() ? *gen : Generation{};
    }

    EntityId entity(const std::string& ref) const {
        if (ref == "internet") {
            return kInternetEntity;
        }
        if (ref == "internal") {
            return kInternalEntity;
        }
        for (size_t i = 0; i < cluster_.workloads.size(); ++i) {
            if (cluster_.workloads[i].ns + "/" + cluster_.workloads[i].name == ref) {
                return workloadEntity(i);
            }
        }
        ADD_FAILURE() << "no workload " << ref;
        return kInternalEntity;
    }

    static const NetworkPolicy* find(const Generation& g,
                                     const std::string& ns,
                                     const std::string& name) {
        for (const auto& p : g.modification.apply) {
            if (p.ns == ns && p.name == "stackrox-generated-" + name) {
                return &p;
            }
        }
        return nullptr;
    }

    static PolicyPort tcp(uint32_t port) {
        return PolicyPort{Protocol::kTcp, true, PortValue{port, {}}, {}};
    }
    static PolicyPeer podPeer(Labels labels) {
        return PolicyPeer{selectorFromLabels(labels), std::nullopt, std::nullopt};
    }
    static PolicyPeer nsPeer(const std::string& ns, Labels labels) {
        return PolicyPeer{selectorFromLabels(labels),
                          LabelSelector{{{"kubernetes.io/metadata.name", ns}}, {}},
                          std::nullopt};
    }

    struct TestFlow {
        std::string src;
        std::string dst;
        uint32_t port;
        Protocol proto;
    };
    ClusterObjects objects_;
    Cluster cluster_;
    std::vector<TestFlow> flows_;
};

TEST_F(GeneratorTest, PolicyHasStackRoxNameLabelSelectorAndIngressType) {
    Workload w = deployment("shop", "web", {{"app", "web"}, {"pod-template-hash", "abc"}});
    w.selector = LabelSelector{{{"app", "web"}}, {{"tier", SelectorOperator::kIn, {"front"}}}};
    add(w);
    auto g = run();
    ASSERT_EQ(g.modification.apply.size(), 1u);
    const NetworkPolicy& p = g.modification.apply[0];
    EXPECT_EQ(p.name, "stackrox-generated-web");
    EXPECT_EQ(p.ns, "shop");
    EXPECT_EQ(p.labels, (Labels{{"network-policy-generator.stackrox.io/generated", "true"}}));
    EXPECT_EQ(p.pod_selector, *w.selector);  // the workload's own selector, expressions included
    EXPECT_EQ(p.policy_types, std::vector<PolicyType>{PolicyType::kIngress});
    EXPECT_TRUE(p.egress.empty());
}

TEST_F(GeneratorTest, NoIncomingFlowsGivesDenyAllIngress) {
    add("shop", "db");
    auto g = run();
    ASSERT_NE(find(g, "shop", "db"), nullptr);
    EXPECT_TRUE(find(g, "shop", "db")->ingress.empty());
    EXPECT_EQ(g.report.deny_all, 1u);
}

TEST_F(GeneratorTest, ProtectedNamespacesAreSkipped) {
    for (const char* ns : {"kube-system",
                           "kubeflow",
                           "openshift-monitoring",
                           "openshift",
                           "redhat-x",
                           "istio-system",
                           "stackrox"}) {
        add(ns, "a");
    }
    for (const char* ns : {"kube", "openshift-operators", "istio", "stackrox2"}) {
        add(ns, "a");
    }
    auto g = run();
    EXPECT_EQ(g.report.skipped.size(), 7u);
    for (const char* ns : {"kube", "openshift-operators", "istio", "stackrox2"}) {
        EXPECT_NE(find(g, ns, "a"), nullptr) << ns;
    }
    EXPECT_EQ(find(g, "kube-system", "a"), nullptr);
    EXPECT_EQ(find(g, "kubeflow", "a"), nullptr);
}

TEST_F(GeneratorTest, WorkloadWithIngressPolicySelectingItsPodLabelsIsSkipped) {
    add("shop", "web");
    add("shop", "db");
    NetworkPolicy p;
    p.ns = "shop";
    p.name = "web-policy";
    p.pod_selector = LabelSelector{{}, {{"app", SelectorOperator::kIn, {"web"}}}};
    addPolicy(p);
    auto g = run();
    EXPECT_EQ(find(g, "shop", "web"), nullptr);
    EXPECT_NE(find(g, "shop", "db"), nullptr);
    ASSERT_EQ(g.report.skipped.size(), 1u);
    EXPECT_NE(g.report.skipped[0].reason.find("shop/web-policy"), std::string::npos);
}

TEST_F(GeneratorTest, EmptyPodSelectorPolicySuppressesTheWholeNamespace) {
    add("shop", "web");
    add("shop", "db");
    add("other", "api");
    NetworkPolicy deny;
    deny.ns = "shop";
    deny.name = "default-deny";
    deny.policy_types = {PolicyType::kIngress};
    addPolicy(deny);
    auto g = run();
    EXPECT_EQ(g.modification.apply.size(), 1u);
    EXPECT_NE(find(g, "other", "api"), nullptr);
}

TEST_F(GeneratorTest, EgressOnlyPoliciesNeverBlockGeneration) {
    add("shop", "web");
    NetworkPolicy egress;
    egress.ns = "shop";
    egress.name = "egress-only";
    egress.policy_types = {PolicyType::kEgress};
    addPolicy(egress);
    auto g = run();
    EXPECT_NE(find(g, "shop", "web"), nullptr);
}

TEST_F(GeneratorTest, PolicyWithoutPolicyTypesCountsAsIngress) {
    add("shop", "web");
    NetworkPolicy p;
    p.ns = "shop";
    p.name = "legacy";
    p.egress.push_back({});  // defaulted to [Ingress, Egress]
    addPolicy(p);
    auto g = run();
    EXPECT_EQ(find(g, "shop", "web"), nullptr);
}

TEST_F(GeneratorTest, DeploymentMetadataLabelsAreNotUsedForMatching) {
    Workload w = deployment("shop", "web", {{"app", "web"}});
    add(w);
    NetworkPolicy p;
    p.ns = "shop";
    p.name = "other-labels";
    p.pod_selector = selectorFromLabels({{"team", "x"}});  // would match only metadata labels
    addPolicy(p);
    auto g = run();
    EXPECT_NE(find(g, "shop", "web"), nullptr);
}

TEST_F(GeneratorTest, DeleteGeneratedReplacesOldGeneratedPolicies) {
    add("shop", "web");
    NetworkPolicy old;
    old.ns = "shop";
    old.name = "stackrox-generated-web";
    old.labels = {{"network-policy-generator.stackrox.io/generated", "whatever"}};
    addPolicy(old);
    NetworkPolicy user;
    user.ns = "shop";
    user.name = "user-egress";
    user.policy_types = {PolicyType::kEgress};
    addPolicy(user);
    NetworkPolicy sys = old;
    sys.ns = "kube-system";
    addPolicy(sys);

    auto none = run();
    EXPECT_EQ(find(none, "shop", "web"), nullptr);  // NONE: the old generated one counts
    EXPECT_TRUE(none.modification.to_delete.empty());

    GenerateOptions opts;
    opts.delete_existing = DeleteExisting::kGenerated;
    auto g = run(opts);
    EXPECT_NE(find(g, "shop", "web"), nullptr);
    EXPECT_EQ(g.modification.to_delete,
              (std::vector<ObjectRef>{{"shop", "stackrox-generated-web"}}));
}

TEST_F(GeneratorTest, DeleteAllDeletesEveryPolicyOutsideProtectedNamespaces) {
    add("shop", "web");
    NetworkPolicy a;
    a.ns = "shop";
    a.name = "deny";
    addPolicy(a);
    NetworkPolicy b;
    b.ns = "elsewhere";
    b.name = "x";
    addPolicy(b);
    NetworkPolicy c;
    c.ns = "kube-system";
    c.name = "y";
    addPolicy(c);
    GenerateOptions opts;
    opts.delete_existing = DeleteExisting::kAll;
    opts.namespaces = {"shop"};
    auto g = run(opts);
    EXPECT_NE(find(g, "shop", "web"), nullptr);
    EXPECT_EQ(g.modification.to_delete,
              (std::vector<ObjectRef>{{"elsewhere", "x"}, {"shop", "deny"}}));
}

TEST_F(GeneratorTest, InternetSourceOpensThatPortToEveryone) {
    add("shop", "web");
    add("shop", "api");
    flow("internet", "shop/web", 8080);
    flow("shop/api", "shop/web", 9090);
    auto g = run();
    const NetworkPolicy* p = find(g, "shop", "web");
    ASSERT_NE(p, nullptr);
    ASSERT_EQ(p->ingress.size(), 2u);
    EXPECT_EQ(p->ingress[0], (PolicyRule{{}, {tcp(8080)}}));
    EXPECT_EQ(p->ingress[1], (PolicyRule{{podPeer({{"app", "api"}})}, {tcp(9090)}}));
    ASSERT_EQ(g.report.open_rules.size(), 1u);
    EXPECT_NE(g.report.open_rules[0].reason.find("outside the cluster"), std::string::npos);
}

TEST_F(GeneratorTest, InternetPeerWinsOverWorkloadPeersOnTheSamePort) {
    add("shop", "web");
    add("shop", "api");
    flow("internet", "shop/web", 8080);
    flow("shop/api", "shop/web", 8080);
    auto g = run();
    EXPECT_EQ(find(g, "shop", "web")->ingress, (std::vector<PolicyRule>{{{}, {tcp(8080)}}}));
}

TEST_F(GeneratorTest, LoadBalancerExposesTargetPortEvenWithoutFlows) {
    Workload w = deployment("shop", "web", {{"app", "web"}});
    w.ports = {{"http", 8080, Protocol::kTcp}};
    add(w);
    add("shop", "api");
    flow("shop/api", "shop/web", 9090);
    Service lb;
    lb.ns = "shop";
    lb.name = "web-lb";
    lb.type = "LoadBalancer";
    lb.selector = Labels{{"app", "web"}};
    lb.ports = {{"", 80, PortValue{0, "http"}, Protocol::kTcp, 0}};
    addService(lb);
    auto g = run();
    const NetworkPolicy* p = find(g, "shop", "web");
    ASSERT_EQ(p->ingress.size(), 2u);
    EXPECT_EQ(p->ingress[0], (PolicyRule{{}, {tcp(8080)}}));  // named targetPort resolved
    EXPECT_EQ(p->ingress[1].ports, std::vector<PolicyPort>{tcp(9090)});
    ASSERT_EQ(g.report.open_rules.size(), 1u);
    EXPECT_NE(g.report.open_rules[0].reason.find("Service shop/web-lb (LoadBalancer)"),
              std::string::npos);
}

TEST_F(GeneratorTest, NodePortWithExcludedPortsAllowsEverything) {
    add("shop", "web");
    Service np;
    np.ns = "shop";
    np.name = "web";
    np.type = "NodePort";
    np.selector = Labels{{"app", "web"}};
    np.ports = {{"", 80, PortValue{8080, {}}, Protocol::kTcp, 30080}};
    addService(np);
    GenerateOptions opts;
    opts.include_ports = false;
    auto g = run(opts);
    EXPECT_EQ(find(g, "shop", "web")->ingress, std::vector<PolicyRule>{PolicyRule{}});
}

TEST_F(GeneratorTest, ClusterIpServiceExposesNothing) {
    add("shop", "web");
    Service svc;
    svc.ns = "shop";
    svc.name = "web";
    svc.selector = Labels{{"app", "web"}};
    svc.ports = {{"", 80, PortValue{8080, {}}, Protocol::kTcp, 0}};
    addService(svc);
    EXPECT_TRUE(find(run(), "shop", "web")->ingress.empty());
}

TEST_F(GeneratorTest, RouteExposesItsServiceTargets) {
    add("shop", "web");
    Service svc;
    svc.ns = "shop";
    svc.name = "web";
    svc.selector = Labels{{"app", "web"}};
    svc.ports = {{"http", 80, PortValue{8080, {}}, Protocol::kTcp, 0}};
    addService(svc);
    objects_.routes.push_back({"shop", "web-route", {"web"}, std::nullopt, "test"});
    auto g = run();
    EXPECT_EQ(find(g, "shop", "web")->ingress, (std::vector<PolicyRule>{{{}, {tcp(8080)}}}));
}

TEST_F(GeneratorTest, SameNamespacePeerUsesPodSelectorOnly) {
    add("shop", "web");
    add("shop", "api");
    flow("shop/web", "shop/api", 8080);
    auto g = run();
    EXPECT_EQ(find(g, "shop", "api")->ingress[0].peers,
              std::vector<PolicyPeer>{podPeer({{"app", "web"}})});
}

TEST_F(GeneratorTest, OtherNamespacePeerUsesNamespaceAndPodSelectorInOnePeer) {
    add("front", "web");
    add("back", "api");
    flow("front/web", "back/api", 8080);
    auto g = run();
    EXPECT_EQ(find(g, "back", "api")->ingress[0].peers,
              std::vector<PolicyPeer>{nsPeer("front", {{"app", "web"}})});
    EXPECT_TRUE(g.modification.namespace_labels.empty());
}

TEST_F(GeneratorTest, PeersInProtectedNamespacesAreKept) {
    add("kube-system", "coredns");
    add("shop", "api");
    flow("kube-system/coredns", "shop/api", 8080);
    auto g = run();
    EXPECT_EQ(find(g, "shop", "api")->ingress[0].peers,
              std::vector<PolicyPeer>{nsPeer("kube-system", {{"app", "coredns"}})});
}

TEST_F(GeneratorTest, CustomNamespaceLabelKeyListsNamespacesToLabel) {
    add("front", "web");
    add("back", "api");
    flow("front/web", "back/api", 8080);
    GenerateOptions opts;
    opts.namespace_label_key = "name";
    auto g = run(opts);
    EXPECT_EQ(find(g, "back", "api")->ingress[0].peers[0].namespace_selector,
              (LabelSelector{{{"name", "front"}}, {}}));
    EXPECT_EQ(g.modification.namespace_labels,
              (std::vector<NamespaceLabel>{{"front", "name", "front"}}));
}

TEST_F(GeneratorTest, LabelLessStandalonePodSelectsItsWholeNamespace) {
    Pod pod;
    pod.ns = "shop";
    pod.name = "debug";
    objects_.pods.push_back(pod);
    add("shop", "api");
    flow("shop/debug", "shop/api", 8080);
    auto g = run();
    const NetworkPolicy* own = find(g, "shop", "debug");
    ASSERT_NE(own, nullptr);
    EXPECT_TRUE(own->pod_selector.empty());
    EXPECT_EQ(find(g, "shop", "api")->ingress[0].peers, std::vector<PolicyPeer>{podPeer({})});
    EXPECT_FALSE(g.report.warnings.empty());
}

TEST_F(GeneratorTest, StandalonePodUsesItsLabelsAsSelector) {
    Pod pod;
    pod.ns = "shop";
    pod.name = "tool";
    pod.labels = {{"run", "tool"}};
    objects_.pods.push_back(pod);
    auto g = run();
    EXPECT_EQ(find(g, "shop", "tool")->pod_selector, selectorFromLabels({{"run", "tool"}}));
}

TEST_F(GeneratorTest, InternalSourcesAreIgnoredBesideWorkloads) {
    add("shop", "web");
    add("shop", "api");
    flow("internal", "shop/api", 8080);
    flow("shop/web", "shop/api", 8080);
    auto g = run();
    EXPECT_EQ(find(g, "shop", "api")->ingress[0].peers,
              std::vector<PolicyPeer>{podPeer({{"app", "web"}})});
    EXPECT_TRUE(g.report.open_rules.empty());
}

TEST_F(GeneratorTest, OnlyInternalSourcesLeaveARuleWithoutPeersAndReportIt) {
    add("shop", "api");
    flow("internal", "shop/api", 8080);
    auto g = run();
    EXPECT_EQ(find(g, "shop", "api")->ingress, (std::vector<PolicyRule>{{{}, {tcp(8080)}}}));
    ASSERT_EQ(g.report.open_rules.size(), 1u);
    EXPECT_NE(g.report.open_rules[0].reason.find("map to no workload"), std::string::npos);
}

TEST_F(GeneratorTest, OneRulePerPortAndProtocolSortedWithSortedUniquePeers) {
    add("shop", "api");
    add("shop", "b");
    add("shop", "a");
    add(deployment("shop", "a2", {{"app", "a"}}));  // same labels as a: one peer
    flow("shop/b", "shop/api", 8080);
    flow("shop/a", "shop/api", 8080);
    flow("shop/a2", "shop/api", 8080);
    flow("shop/a", "shop/api", 53, Protocol::kUdp);
    flow("shop/a", "shop/api", 80);
    auto g = run();
    const auto& rules = find(g, "shop", "api")->ingress;
    ASSERT_EQ(rules.size(), 3u);
    EXPECT_EQ(rules[0].ports, std::vector<PolicyPort>{tcp(80)});
    EXPECT_EQ(rules[1].ports, std::vector<PolicyPort>{tcp(8080)});
    EXPECT_EQ(rules[1].peers,
              (std::vector<PolicyPeer>{podPeer({{"app", "a"}}), podPeer({{"app", "b"}})}));
    EXPECT_EQ(rules[2].ports,
              (std::vector<PolicyPort>{PolicyPort{Protocol::kUdp, true, PortValue{53, {}}, {}}}));
}

TEST_F(GeneratorTest, ExcludePortsGivesOneRuleWithAllPeers) {
    add("shop", "api");
    add("shop", "a");
    add("other", "b");
    flow("shop/a", "shop/api", 8080);
    flow("other/b", "shop/api", 53, Protocol::kUdp);
    GenerateOptions opts;
    opts.include_ports = false;
    auto g = run(opts);
    const auto& rules = find(g, "shop", "api")->ingress;
    ASSERT_EQ(rules.size(), 1u);
    EXPECT_TRUE(rules[0].ports.empty());
    EXPECT_EQ(rules[0].peers.size(), 2u);
}

TEST_F(GeneratorTest, PortZeroMeansEveryPortOfTheProtocolAndIcmpEveryPort) {
    add("shop", "api");
    add("shop", "a");
    flow("shop/a", "shop/api", 0);
    flow("shop/a", "shop/api", 0, Protocol::kIcmp);
    auto g = run();
    const auto& rules = find(g, "shop", "api")->ingress;
    ASSERT_EQ(rules.size(), 2u);
    EXPECT_EQ(rules[0].ports,
              (std::vector<PolicyPort>{PolicyPort{Protocol::kTcp, true, std::nullopt, {}}}));
    EXPECT_TRUE(rules[1].ports.empty());
}

TEST_F(GeneratorTest, SelfTrafficGivesItsOwnSelectorAsPeer) {
    add("shop", "peer");
    flow("shop/peer", "shop/peer", 7000);
    EXPECT_EQ(find(run(), "shop", "peer")->ingress[0].peers,
              std::vector<PolicyPeer>{podPeer({{"app", "peer"}})});
}

TEST_F(GeneratorTest, ScopeByNamespaceAndWorkload) {
    add("shop", "web");
    add("shop", "api");
    add("other", "web");
    GenerateOptions by_ns;
    by_ns.namespaces = {"shop"};
    EXPECT_EQ(run(by_ns).modification.apply.size(), 2u);
    GenerateOptions by_name;
    by_name.workloads = {"web"};
    EXPECT_EQ(run(by_name).modification.apply.size(), 2u);
    GenerateOptions by_ref;
    by_ref.workloads = {"other/web"};
    auto g = run(by_ref);
    ASSERT_EQ(g.modification.apply.size(), 1u);
    EXPECT_EQ(g.modification.apply[0].ns, "other");
    GenerateOptions both;
    both.namespaces = {"shop"};
    both.workloads = {"web"};
    EXPECT_EQ(run(both).modification.apply.size(), 1u);
}

TEST_F(GeneratorTest, ScopeNamingNothingIsAnError) {
    add("shop", "web");
    std::vector<std::string> warnings;
    cluster_ = buildCluster(objects_, warnings);
    GenerateOptions opts;
    opts.workloads = {"nope"};
    auto g = generatePolicies(cluster_, FlowGraph{}, opts);
    ASSERT_FALSE(g.ok());
    EXPECT_NE(g.error().find("nope"), std::string::npos);
    opts.workloads.clear();
    opts.namespaces = {"missing"};
    EXPECT_FALSE(generatePolicies(cluster_, FlowGraph{}, opts).ok());
}

TEST_F(GeneratorTest, OutputIsSortedByNamespaceAndName) {
    add("b", "x");
    add("a", "z");
    add("a", "y");
    auto g = run();
    ASSERT_EQ(g.modification.apply.size(), 3u);
    EXPECT_EQ(g.modification.apply[0].name, "stackrox-generated-y");
    EXPECT_EQ(g.modification.apply[1].name, "stackrox-generated-z");
    EXPECT_EQ(g.modification.apply[2].ns, "b");
}

}  // namespace
}  // namespace netpolgen::core
