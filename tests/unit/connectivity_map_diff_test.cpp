// diffConnectivityMaps against computeConnectivityDiff on random clusters and policy sets: the
// same entries in the same order, the same counts, and a limit that keeps a prefix.
#include "core/connectivity_map_diff.h"

#include <gtest/gtest.h>

#include <random>

#include "core/connectivity.h"
#include "random_case.h"

namespace netpolgen::core {
namespace {

struct Sides {
    std::vector<const NetworkPolicy*> before;
    std::vector<NetworkPolicy> proposed;
    std::vector<const NetworkPolicy*> after;
};

Sides randomSides(RandomCase& c, uint32_t seed) {
    addRandomPolicies(c, seed);
    Sides s;
    for (const auto& p : c.cluster.policies) {
        s.before.push_back(&p.policy);
    }
    std::mt19937 rng(seed * 7919);
    const int count = static_cast<int>(rng() % 6);
    for (int i = 0; i < count; ++i) {
        s.proposed.push_back(randomPolicy(c.cluster, rng, i));
    }
    for (const auto& p : s.proposed) {
        s.after.push_back(&p);
    }
    return s;
}

TEST(ConnectivityMapDiff, AgreesWithTheListDiffOnRandomClusters) {
    size_t nonempty = 0;
    for (uint32_t seed = 1; seed <= 300; ++seed) {
        RandomCase c = makeRandomCase(seed);
        const Sides s = randomSides(c, seed);
        for (bool ipblock_matches_pods : {true, false}) {
            ConnectivityOptions opts;
            opts.ipblock_matches_pods = ipblock_matches_pods;
            const auto expected =
                computeConnectivityDiff(c.cluster,
                                        computeConnectivity(c.cluster, s.before, opts),
                                        c.cluster,
                                        computeConnectivity(c.cluster, s.after, opts),
                                        {});
            const ConnectivityMap map1(c.cluster, s.before, opts);
            const ConnectivityMap map2(c.cluster, s.after, opts);
            const auto got = diffConnectivityMaps(c.cluster, map1, c.cluster, map2, 0);
            ASSERT_EQ(got.entries, expected) << "seed " << seed;
            EXPECT_EQ(got.total(), expected.size()) << "seed " << seed;
            EXPECT_FALSE(got.truncated());
            nonempty += expected.empty() ? 0 : 1;

            const size_t limit = 1 + seed % 5;
            const auto bounded = diffConnectivityMaps(c.cluster, map1, c.cluster, map2, limit);
            EXPECT_EQ(bounded.total(), expected.size()) << "seed " << seed;
            EXPECT_EQ(bounded.gained, got.gained) << "seed " << seed;
            EXPECT_EQ(bounded.lost, got.lost) << "seed " << seed;
            ASSERT_EQ(bounded.entries.size(), std::min(limit, expected.size()));
            for (size_t i = 0; i < bounded.entries.size(); ++i) {
                EXPECT_EQ(bounded.entries[i], expected[i]) << "seed " << seed << " entry " << i;
            }
        }
    }
    EXPECT_GT(nonempty, 100u);  // the cases must actually exercise differences
}

TEST(ConnectivityMapDiff, FlagsWorkloadsThatGainOrLose) {
    for (uint32_t seed = 1; seed <= 100; ++seed) {
        RandomCase c = makeRandomCase(seed);
        const Sides s = randomSides(c, seed);
        const ConnectivityMap map1(c.cluster, s.before, {});
        const ConnectivityMap map2(c.cluster, s.after, {});
        const auto diff = diffConnectivityMaps(c.cluster, map1, c.cluster, map2, 0);
        std::vector<bool> gained(c.cluster.workloads.size(), false);
        std::vector<bool> lost(c.cluster.workloads.size(), false);
        for (const auto& e : diff.entries) {
            for (const DiffPeer* p : {&e.src, &e.dst}) {
                for (size_t w = 0; w < c.cluster.workloads.size(); ++w) {
                    ConnectivityPeer peer;
                    peer.workload = w;
                    if (p->kind == ConnectivityPeer::Kind::kWorkload &&
                        p->name == peerName(c.cluster, peer)) {
                        gained[w] = gained[w] || !e.ref2.subtract(e.ref1).empty();
                        lost[w] = lost[w] || !e.ref1.subtract(e.ref2).empty();
                    }
                }
            }
        }
        EXPECT_EQ(diff.gained, gained) << "seed " << seed;
        EXPECT_EQ(diff.lost, lost) << "seed " << seed;
    }
}

}  // namespace
}  // namespace netpolgen::core
