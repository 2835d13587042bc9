// Property: on random clusters and traffic, the generated policies, evaluated with the Kubernetes
// rules (docs/networkpolicy-semantics.md), admit every observed flow into the workloads they
// select, and generation is deterministic.
#include <gtest/gtest.h>

#include <random>

#include "core/cluster_builder.h"
#include "core/generator.h"
#include "core/policy_evaluator.h"

namespace netpolgen::core {
namespace {

struct RandomCase {
    Cluster cluster;
    FlowGraph graph;
    GenerateOptions options;
};

RandomCase makeCase(uint32_t seed) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
    const std::vector<std::string> keys = {"app", "tier", "team"};
    const std::vector<std::string> values = {"a", "b", "c"};
    ClusterObjects objects;
    const int namespaces = 1 + pick(3);
    const int workloads = 1 + pick(10);
    for (int i = 0; i < workloads; ++i) {
        Labels labels;
        for (const auto& k : keys) {
            if (pick(2) == 0) {
                labels[k] = values[static_cast<size_t>(pick(3))];
            }
        }
        const std::string ns = "ns" + std::to_string(pick(namespaces));
        if (pick(5) == 0) {
            Pod pod;
            pod.ns = ns;
            pod.name = "pod" + std::to_string(i);
            pod.labels = labels;
            objects.pods.push_back(pod);
            continue;
        }
        Workload w;
        w.ns = ns;
        w.name = "w" + std::to_string(i);
        w.pod_labels = labels;
        w.pod_labels["id"] = std::to_string(i);
        w.selector = LabelSelector{{{"id", std::to_string(i)}}, {}};
        if (pick(3) == 0) {
            w.selector->match_expressions.push_back({"team", SelectorOperator::kNotIn, {"zzz"}});
        }
        w.ports = {{"http", 8080, Protocol::kTcp}};
        objects.workloads.push_back(w);
        if (pick(6) == 0) {
            Service s;
            s.ns = ns;
            s.name = "svc" + std::to_string(i);
            s.type = pick(2) ? "LoadBalancer" : "NodePort";
            s.selector = Labels{{"id", std::to_string(i)}};
            s.ports = {{"", 80, PortValue{0, "http"}, Protocol::kTcp, 0}};
            objects.services.push_back(s);
        }
    }
    RandomCase c;
    std::vector<std::string> warnings;
    c.cluster = buildCluster(objects, warnings);
    const auto n = static_cast<int>(c.cluster.workloads.size());
    const Protocol protocols[] = {Protocol::kTcp, Protocol::kUdp, Protocol::kSctp, Protocol::kIcmp};
    const int edges = pick(30);
    for (int e = 0; e < edges; ++e) {
        const int src = pick(n + 2);
        const EntityId src_id =
            src < 2 ? static_cast<EntityId>(src) : workloadEntity(static_cast<size_t>(src - 2));
        const uint32_t port = pick(4) == 0 ? 0 : static_cast<uint32_t>(1 + pick(3) * 1000);
        c.graph.add(
            {src_id, workloadEntity(static_cast<size_t>(pick(n))), port, protocols[pick(4)]},
            1,
            kUndated);
    }
    c.options.include_ports = pick(2) == 0;
    return c;
}

ConnectionEnd endFor(EntityId id) {
    if (id == kInternetEntity) {
        return {std::nullopt, *IpAddress::parse("8.8.8.8")};
    }
    if (id == kInternalEntity) {
        return {std::nullopt, *IpAddress::parse("10.99.0.1")};
    }
    return {workloadIndex(id), std::nullopt};
}

TEST(GeneratorProperty, GeneratedPoliciesAdmitEveryObservedFlow) {
    for (uint32_t seed = 1; seed <= 500; ++seed) {
        RandomCase c = makeCase(seed);
        auto gen = generatePolicies(c.cluster, c.graph, c.options);
        ASSERT_TRUE(gen.ok()) << gen.error();
        std::vector<const NetworkPolicy*> policies;
        for (const auto& p : gen->modification.apply) {
            policies.push_back(&p);
        }
        PolicyEvaluator eval(c.cluster, policies);
        for (const auto& [key, stats] : c.graph.edges()) {
            if (key.src == kInternalEntity) {
                // In-cluster addresses of no workload (nodes, host network) are ignored as peers
                // (docs/stackrox-generator.md §2.4): node traffic is always allowed by Kubernetes
                // (docs/networkpolicy-semantics.md rule 32), so there is nothing to admit.
                continue;
            }
            Connection conn{endFor(key.src), endFor(key.dst), key.protocol, key.port};
            EXPECT_TRUE(eval.ingressAllowed(conn))
                << "seed " << seed << ": flow " << key.src << " -> " << key.dst << " "
                << protocolName(key.protocol) << "/" << key.port << " is blocked";
        }
        // Every workload in scope is isolated by its generated policy (one per workload).
        for (size_t w = 0; w < c.cluster.workloads.size(); ++w) {
            EXPECT_FALSE(eval.selecting(w, PolicyType::kIngress).empty()) << "seed " << seed;
        }
    }
}

TEST(GeneratorProperty, GenerationIsDeterministic) {
    for (uint32_t seed = 1; seed <= 100; ++seed) {
        RandomCase a = makeCase(seed);
        RandomCase b = makeCase(seed);
        auto ga = generatePolicies(a.cluster, a.graph, a.options);
        auto gb = generatePolicies(b.cluster, b.graph, b.options);
        ASSERT_TRUE(ga.ok() && gb.ok());
        EXPECT_EQ(ga->modification.apply, gb->modification.apply) << "seed " << seed;
    }
}

}  // namespace
}  // namespace netpolgen::core
