// Properties of the simulation on random clusters, traffic and policies (tests/unit/random_case.h):
//   - simulating the generator's own output never newly blocks observed traffic (sources that
//     are `internal` are not evaluated);
//   - the replay judges every edge exactly as PolicyEvaluator does, under both policy sets.
#include <gtest/gtest.h>

#include <map>

#include "core/generator.h"
#include "core/policy_evaluator.h"
#include "core/simulation.h"
#include "random_case.h"

namespace netpolgen::core {
namespace {

std::string edgeText(const EdgeKey& key) {
    return std::to_string(key.src) + " -> " + std::to_string(key.dst) + " " +
           std::string(protocolName(key.protocol)) + "/" + std::to_string(key.port);
}

TEST(SimulationProperty, GeneratedPoliciesNeverNewlyBlockObservedTraffic) {
    for (uint32_t seed = 1; seed <= 500; ++seed) {
        RandomCase c = makeRandomCase(seed);
        if (seed % 2 == 0) {
            // Existing policies: kept (the generator then skips the workloads they select) or,
            // every fourth seed, all deleted by the modification.
            addRandomPolicies(c, seed);
            c.options.delete_existing =
                seed % 4 == 0 ? DeleteExisting::kAll : DeleteExisting::kNone;
        }
        auto gen = generatePolicies(c.cluster, c.graph, c.options);
        ASSERT_TRUE(gen.ok()) << gen.error();
        SimulationOptions options;
        options.connectivity_diff = false;
        const Simulation sim = simulate(c.cluster, gen->modification, &c.graph, options);
        ASSERT_TRUE(sim.plan.errors.empty()) << "seed " << seed << ": " << sim.plan.errors[0];
        ASSERT_TRUE(sim.replay.has_value());
        for (const auto& e : sim.replay->edges) {
            EXPECT_NE(e.verdict, ReplayVerdict::kNewlyBlocked)
                << "seed " << seed << ": " << edgeText(e.key);
            EXPECT_EQ(e.verdict == ReplayVerdict::kNotEvaluated, e.key.src == kInternalEntity)
                << "seed " << seed << ": " << edgeText(e.key);
        }
        uint64_t edges = 0;
        for (const auto& t : sim.replay->totals) {
            edges += t.edges;
        }
        EXPECT_EQ(edges, c.graph.size()) << "seed " << seed;
    }
}

TEST(SimulationProperty, ReplayAgreesWithThePolicyEvaluator) {
    for (uint32_t seed = 1; seed <= 500; ++seed) {
        RandomCase c = makeRandomCase(seed);
        addRandomPolicies(c, seed);
        // A second random set for "after", and edges on the named port (http = 8080).
        std::mt19937 rng(seed);
        std::vector<NetworkPolicy> proposed;
        const int count = static_cast<int>(rng() % 5);
        for (int i = 0; i < count; ++i) {
            proposed.push_back(randomPolicy(c.cluster, rng, i));
        }
        const auto n = static_cast<uint32_t>(c.cluster.workloads.size());
        for (uint32_t i = 0; i < 5; ++i) {
            const auto src = static_cast<EntityId>(rng() % (n + 2));
            const EntityId dst = workloadEntity(rng() % n);
            c.graph.add(
                {src < 2 ? src : workloadEntity(src - 2), dst, 8080, Protocol::kTcp}, 1, kUndated);
        }
        std::vector<const NetworkPolicy*> before;
        for (const auto& p : c.cluster.policies) {
            before.push_back(&p.policy);
        }
        std::vector<const NetworkPolicy*> after;
        for (const auto& p : proposed) {
            after.push_back(&p);
        }
        for (bool ipblock_matches_pods : {true, false}) {
            ReplayOptions options;
            options.ipblock_matches_pods = ipblock_matches_pods;
            const ReplayResult r =
                replayFlows(c.cluster, before, c.cluster, after, c.graph, options);
            std::map<EdgeKey, ReplayVerdict> verdicts;
            for (const auto& e : r.edges) {
                verdicts[e.key] = e.verdict;
            }
            EvaluatorOptions eval_options;
            eval_options.ipblock_matches_pods = ipblock_matches_pods;
            const PolicyEvaluator old_eval(c.cluster, before, eval_options);
            const PolicyEvaluator new_eval(c.cluster, after, eval_options);
            for (const auto& [key, stats] : c.graph.edges()) {
                auto it = verdicts.find(key);
                const ReplayVerdict got =
                    it == verdicts.end() ? ReplayVerdict::kAllowedInBoth : it->second;
                if (key.src == kInternalEntity) {
                    EXPECT_EQ(replayVerdictName(got),
                              replayVerdictName(ReplayVerdict::kNotEvaluated));
                    continue;
                }
                const Connection conn{randomCaseEnd(c.cluster, key.src),
                                      randomCaseEnd(c.cluster, key.dst),
                                      key.protocol,
                                      key.port};
                const bool was = old_eval.allowed(conn);
                const bool is = new_eval.allowed(conn);
                const ReplayVerdict want =
                    was ? (is ? ReplayVerdict::kAllowedInBoth : ReplayVerdict::kNewlyBlocked)
                        : (is ? ReplayVerdict::kNewlyAllowed : ReplayVerdict::kBlockedInBoth);
                EXPECT_EQ(replayVerdictName(got), replayVerdictName(want))
                    << "seed " << seed << ": " << edgeText(key)
                    << (ipblock_matches_pods ? "" : " (ipBlocks skip pods)");
            }
        }
    }
}

}  // namespace
}  // namespace netpolgen::core
