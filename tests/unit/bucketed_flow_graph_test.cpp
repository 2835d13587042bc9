// Ingest aggregates flows per (UTC day, edge) before the store sees them: the buckets, their
// first/last seen, and that the aggregator's unbucketed path is unchanged.
#include "core/bucketed_flow_graph.h"

#include <gtest/gtest.h>

#include "core/cluster_builder.h"
#include "core/flow_aggregator.h"
#include "store/store.h"

namespace netpolgen::core {
namespace {

constexpr int64_t kDay = 86400;
constexpr Timestamp kT0 = 20000 * kDay;  // midnight UTC

const EdgeKey kEdge{kInternetEntity, workloadEntity(0), 80, Protocol::kTcp};
const EdgeKey kOther{workloadEntity(1), workloadEntity(0), 80, Protocol::kTcp};

TEST(BucketedFlowGraph, FlowsOfOneDayMergeIntoOneEdgeWithTheirFirstAndLastSeen) {
    BucketedFlowGraph g(kDay);
    g.add(kEdge, 2, kT0 + 100);
    g.add(kEdge, 3, kT0 + 50);
    g.add(kEdge, 1, kT0 + kDay - 1);
    ASSERT_EQ(g.buckets().size(), 1u);
    const auto& [bucket, graph] = *g.buckets().begin();
    EXPECT_EQ(bucket, 20000);
    const EdgeStats* s = graph.find(kEdge);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->count, 6u);
    EXPECT_EQ(s->first_seen, kT0 + 50);
    EXPECT_EQ(s->last_seen, kT0 + kDay - 1);
}

TEST(BucketedFlowGraph, MidnightStartsANewBucketAndUndatedFlowsHaveTheirOwn) {
    BucketedFlowGraph g(kDay);
    g.add(kEdge, 1, kT0 + kDay - 1);
    g.add(kEdge, 1, kT0 + kDay);
    g.add(kOther, 4, kUndated);
    g.add(kEdge, 1, kT0 + 10);  // back to the first day: out-of-order input
    std::vector<int64_t> buckets;
    for (const auto& [b, graph] : g.buckets()) {
        buckets.push_back(b);
    }
    EXPECT_EQ(buckets, (std::vector<int64_t>{BucketedFlowGraph::kUndatedBucket, 20000, 20001}));
    EXPECT_EQ(g.buckets().at(20000).find(kEdge)->count, 2u);
    EXPECT_EQ(g.buckets().at(20001).find(kEdge)->count, 1u);
    EXPECT_EQ(g.buckets().at(BucketedFlowGraph::kUndatedBucket).find(kOther)->first_seen, kUndated);
    EXPECT_EQ(g.bucketedEdges(), 3u);
}

TEST(BucketedFlowGraph, DaysAreTheStoresDaysAlsoBefore1970) {
    BucketedFlowGraph g(store::kSecondsPerDay);
    for (Timestamp t : {Timestamp{-1}, Timestamp{0}, -kDay, -kDay - 1, kT0 + 12345, kUndated}) {
        EXPECT_EQ(g.bucketOf(t),
                  t == kUndated ? BucketedFlowGraph::kUndatedBucket : store::dayOf(t))
            << t;
    }
    EXPECT_EQ(g.bucketOf(-1), -1);
}

TEST(FlowGraph, ReserveKeepsTheEdgesAndFindsThemAfterwards) {
    FlowGraph g;
    g.add(kEdge, 1, kT0);
    g.reserve(5000);
    for (uint32_t port = 1; port <= 4000; ++port) {
        g.add({kInternalEntity, workloadEntity(port % 7), port, Protocol::kUdp}, port, kUndated);
    }
    g.add(kEdge, 2, kT0 + 5);
    EXPECT_EQ(g.size(), 4001u);
    ASSERT_NE(g.find(kEdge), nullptr);
    EXPECT_EQ(g.find(kEdge)->count, 3u);
    EXPECT_EQ(g.find({kInternalEntity, workloadEntity(1234 % 7), 1234, Protocol::kUdp})->count,
              1234u);
    EXPECT_EQ(g.find({kInternalEntity, workloadEntity(0), 1234, Protocol::kUdp}), nullptr);
}

class BucketedAggregation : public ::testing::Test {
protected:
    void SetUp() override {
        ClusterObjects objects;
        for (const char* name : {"web", "db"}) {
            Workload w;
            w.ns = "shop";
            w.name = name;
            w.pod_labels = {{"app", name}};
            w.selector = selectorFromLabels(w.pod_labels);
            objects.workloads.push_back(std::move(w));
        }
        std::vector<std::string> warnings;
        cluster_ = buildCluster(std::move(objects), warnings);
    }

    static FlowObservation flow(Timestamp time, uint64_t count) {
        FlowObservation f;
        f.src = {FlowEndpoint::Kind::kWorkload, "shop", "web", "", "", "", "", "", ""};
        f.dst = {FlowEndpoint::Kind::kWorkload, "shop", "db", "", "", "", "", "", ""};
        f.port = 5432;
        f.time = time;
        f.count = count;
        return f;
    }

    Cluster cluster_;
};

TEST_F(BucketedAggregation, ResolvedFlowsGoToTheBucketsAndNotToTheGraph) {
    const ClusterIndex index(cluster_);
    BucketedFlowGraph buckets(kDay);
    FlowAggregator aggregator(index, {}, buckets);
    ASSERT_TRUE(aggregator.add(flow(kT0 + 1, 2)));
    ASSERT_TRUE(aggregator.add(flow(kT0 + kDay + 1, 3)));
    EXPECT_EQ(aggregator.graph().size(), 0u);
    EXPECT_EQ(buckets.buckets().size(), 2u);
    EXPECT_EQ(aggregator.stats().aggregated, 2u);
}

TEST_F(BucketedAggregation, MergingTheBucketsGivesTheUnbucketedGraph) {
    const ClusterIndex index(cluster_);
    BucketedFlowGraph buckets(kDay);
    FlowAggregator bucketed(index, {}, buckets);
    FlowAggregator plain(index, {});
    for (Timestamp t : {kT0 + 5, kT0 + 3 * kDay, kT0 + kDay / 2, kUndated}) {
        ASSERT_TRUE(bucketed.add(flow(t, 2)));
        ASSERT_TRUE(plain.add(flow(t, 2)));
    }
    FlowGraph merged;
    for (const auto& [b, graph] : buckets.buckets()) {
        for (const auto& [key, stats] : graph.edges()) {
            merged.merge(key, stats);
        }
    }
    ASSERT_EQ(merged.size(), 1u);
    ASSERT_EQ(plain.graph().size(), 1u);
    const auto& [key, stats] = merged.edges()[0];
    const EdgeStats* want = plain.graph().find(key);
    ASSERT_NE(want, nullptr);
    EXPECT_EQ(stats.count, want->count);
    EXPECT_EQ(stats.first_seen, want->first_seen);
    EXPECT_EQ(stats.last_seen, want->last_seen);
}

}  // namespace
}  // namespace netpolgen::core
