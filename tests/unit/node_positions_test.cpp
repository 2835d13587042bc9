// NodePositions: flows received again after a reconnect or a restart are recognized per node,
// and the positions committed are those of the flows counted.
#include "collect/node_positions.h"

#include <gtest/gtest.h>

namespace netpolgen::collect {
namespace {

TEST(NodePositions, AFlowAtOrBeforeItsNodesPositionIsOneCountedAlready) {
    NodePositions p({{"c/n1", 1000}});
    EXPECT_EQ(p.resumeSince(100), 900);
    EXPECT_FALSE(p.accept("c/n1", 999, "a"));
    EXPECT_FALSE(p.accept("c/n1", 1000, "a")) << "the committed instant, uuids unknown";
    EXPECT_TRUE(p.accept("c/n1", 1001, "b"));
    EXPECT_TRUE(p.accept("c/n1", 1001, "c")) << "the same instant, another uuid";
    EXPECT_FALSE(p.accept("c/n1", 1001, "b"));
    EXPECT_TRUE(p.accept("c/n2", 5, "x")) << "a node never seen";
    EXPECT_TRUE(p.behind("c/n2", 5));
    EXPECT_FALSE(p.behind("c/n2", 6));
    EXPECT_EQ(p.resumeSince(0), 5);
    const auto advances = p.advances();
    ASSERT_EQ(advances.size(), 2u);
    EXPECT_EQ(advances[0].stream, "c/n1");
    EXPECT_EQ(advances[0].expected, 1000);
    EXPECT_EQ(advances[0].position, 1001);
    EXPECT_EQ(advances[1].expected, std::nullopt);
    p.committed();
    EXPECT_TRUE(p.advances().empty());
}

TEST(NodePositions, NodesBeyondTheCapAreCountedWithoutAPosition) {
    NodePositions p({});
    for (size_t i = 0; i < NodePositions::kMaxNodes; ++i) {
        ASSERT_TRUE(p.accept("n" + std::to_string(i), 10, "u"));
    }
    EXPECT_TRUE(p.accept("one-too-many", 10, "u"));
    EXPECT_TRUE(p.accept("one-too-many", 10, "u")) << "no position: not recognized";
    EXPECT_EQ(p.nodes(), NodePositions::kMaxNodes);
    EXPECT_EQ(p.beyondCap(), 2u);
    EXPECT_FALSE(p.accept("n7", 10, "u")) << "a known node still is";
}

TEST(NodePositions, ARolledBackCommitForgetsWhatItCounted) {
    NodePositions p({{"c/n1", 1000}});
    EXPECT_TRUE(p.accept("c/n1", 2000, "a"));
    EXPECT_TRUE(p.accept("c/n3", 10, "z"));
    p.rollBack();
    EXPECT_EQ(p.nodes(), 1u);
    EXPECT_TRUE(p.accept("c/n1", 2000, "a")) << "received again: counted now";
    EXPECT_EQ(NodePositions({}).resumeSince(5), std::nullopt);
}

}  // namespace
}  // namespace netpolgen::collect
