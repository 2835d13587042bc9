// FlowGraph: the edge table. addAll (groups of adds with their memory reads overlapped) must
// leave exactly the graph that add() one by one leaves: the same edges, stats and first-seen
// order, across table growth and with the same key repeated inside one group.
#include "core/flow_graph.h"

#include <gtest/gtest.h>

#include <random>

namespace netpolgen::core {
namespace {

std::vector<EdgeAdd> randomAdds(size_t n, uint32_t distinct_sources, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<uint32_t> src(0, distinct_sources - 1);
    std::uniform_int_distribution<uint32_t> dst(0, 40);
    std::uniform_int_distribution<uint32_t> port(1, 6);
    std::uniform_int_distribution<int> udp(0, 3);
    std::uniform_int_distribution<Timestamp> time(-1, 5000);
    std::vector<EdgeAdd> out;
    for (size_t i = 0; i < n; ++i) {
        EdgeAdd a;
        a.key = {src(rng),
                 workloadEntity(dst(rng)),
                 port(rng) * 1000,
                 udp(rng) == 0 ? Protocol::kUdp : Protocol::kTcp};
        a.count = 1 + i % 3;
        a.time = time(rng) < 0 ? kUndated : time(rng);
        out.push_back(a);
    }
    return out;
}

void expectSameGraph(const FlowGraph& a, const FlowGraph& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        const auto& [ka, sa] = a.edges()[i];
        const auto& [kb, sb] = b.edges()[i];
        ASSERT_EQ(ka, kb) << "edge " << i;
        EXPECT_EQ(sa.count, sb.count) << "edge " << i;
        EXPECT_EQ(sa.first_seen, sb.first_seen) << "edge " << i;
        EXPECT_EQ(sa.last_seen, sb.last_seen) << "edge " << i;
    }
}

TEST(FlowGraph, AddAllEqualsAddOneByOneAcrossGrowth) {
    // ~100k distinct keys: the table grows from 1024 slots many times, in and between groups.
    const auto adds = randomAdds(300000, 500, 7);
    FlowGraph one_by_one;
    for (const auto& a : adds) {
        one_by_one.add(a.key, a.count, a.time);
    }
    FlowGraph grouped;
    // Uneven slices: groups cut at every size, some of one add, some longer than a group.
    size_t at = 0;
    for (size_t slice = 1; at < adds.size(); slice = slice % 53 + 1) {
        const size_t n = std::min(slice, adds.size() - at);
        grouped.addAll(std::span(adds).subspan(at, n));
        at += n;
    }
    expectSameGraph(one_by_one, grouped);
    EXPECT_GT(grouped.size(), 50000u);
    for (const auto& a : std::span(adds).first(1000)) {
        const EdgeStats* s = grouped.find(a.key);
        ASSERT_NE(s, nullptr);
        EXPECT_EQ(s->count, one_by_one.find(a.key)->count);
    }
}

TEST(FlowGraph, OneKeyRepeatedInsideAGroupIsOneEdge) {
    const EdgeKey key{kInternetEntity, workloadEntity(3), 443, Protocol::kTcp};
    std::vector<EdgeAdd> adds(20, EdgeAdd{key, 2, 100});
    adds[5].time = 50;
    adds[17].time = kUndated;
    adds[19].time = 900;
    FlowGraph g;
    g.addAll(adds);
    ASSERT_EQ(g.size(), 1u);
    const EdgeStats* s = g.find(key);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->count, 40u);
    EXPECT_EQ(s->first_seen, 50);
    EXPECT_EQ(s->last_seen, 900);
}

TEST(FlowGraph, FindsNothingInAnEmptyOrGrownTableForAnUnseenKey) {
    FlowGraph g;
    const EdgeKey unseen{kInternalEntity, workloadEntity(0), 1, Protocol::kSctp};
    EXPECT_EQ(g.find(unseen), nullptr);
    g.addAll(randomAdds(5000, 50, 3));
    g.reserve(100000);
    EXPECT_EQ(g.find(unseen), nullptr);
    EXPECT_GT(g.size(), 1000u);
}

}  // namespace
}  // namespace netpolgen::core
