// Property: on random clusters and traffic, the generated policies, evaluated with the Kubernetes
// rules (docs/networkpolicy-semantics.md), admit every observed flow into the workloads they
// select, and generation is deterministic.
#include <gtest/gtest.h>

#include "core/generator.h"
#include "core/policy_evaluator.h"
#include "random_case.h"

namespace netpolgen::core {
namespace {

TEST(GeneratorProperty, GeneratedPoliciesAdmitEveryObservedFlow) {
    for (uint32_t seed = 1; seed <= 500; ++seed) {
        RandomCase c = makeRandomCase(seed);
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
            Connection conn{randomCaseEnd(c.cluster, key.src),
                            randomCaseEnd(c.cluster, key.dst),
                            key.protocol,
                            key.port};
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
        RandomCase a = makeRandomCase(seed);
        RandomCase b = makeRandomCase(seed);
        auto ga = generatePolicies(a.cluster, a.graph, a.options);
        auto gb = generatePolicies(b.cluster, b.graph, b.options);
        ASSERT_TRUE(ga.ok() && gb.ok());
        EXPECT_EQ(ga->modification.apply, gb->modification.apply) << "seed " << seed;
    }
}

}  // namespace
}  // namespace netpolgen::core
