// EdgeMerger (agent/edge_merger.h): a connection seen at several places of a node is counted
// once, even when its sightings reach user space in different polls.
#include <gtest/gtest.h>

#include "agent/edge_merger.h"
#include "agent/edge_owner.h"

namespace netpolgen::agent {
namespace {

Address v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    Address x;
    x.family = 4;
    x.bytes[0] = a;
    x.bytes[1] = b;
    x.bytes[2] = c;
    x.bytes[3] = d;
    return x;
}

Address mapped(const Address& v4address) {
    Address x;
    x.family = 6;
    x.bytes[10] = 0xff;
    x.bytes[11] = 0xff;
    std::copy(v4address.bytes.begin(), v4address.bytes.begin() + 4, x.bytes.begin() + 12);
    return x;
}

const Edge kWebToDb{v4(10, 0, 0, 1), v4(10, 0, 0, 2), 5432, core::Protocol::kTcp};

Observation seen(const Edge& edge, uint64_t netns, Side side, uint64_t count) {
    return {edge, {netns, side}, count};
}

TEST(EdgeMerger, BothEndsOfOneConnectionCountOnce) {
    EdgeMerger merger;
    auto counts =
        merger.add({seen(kWebToDb, 1, Side::kClient, 3), seen(kWebToDb, 2, Side::kServer, 3)});
    ASSERT_EQ(counts.size(), 1u);
    EXPECT_EQ(counts[0].edge, kWebToDb);
    EXPECT_EQ(counts[0].connections, 3u);
}

TEST(EdgeMerger, TheOtherEndReadInALaterPollAddsNothing) {
    EdgeMerger merger;
    auto first = merger.add({seen(kWebToDb, 1, Side::kClient, 2)});
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].connections, 2u);
    // The server's end of the same two connections, then one more connection seen by both.
    EXPECT_TRUE(merger.add({seen(kWebToDb, 2, Side::kServer, 2)}).empty());
    auto third =
        merger.add({seen(kWebToDb, 1, Side::kClient, 1), seen(kWebToDb, 2, Side::kServer, 1)});
    ASSERT_EQ(third.size(), 1u);
    EXPECT_EQ(third[0].connections, 1u);
}

TEST(EdgeMerger, ADatagramForwardedThroughTheNodeCountsOnce) {
    Edge dns{v4(10, 0, 1, 5), v4(10, 0, 2, 9), 53, core::Protocol::kUdp};
    EdgeMerger merger;
    auto counts = merger.add({seen(dns, 11, Side::kClient, 1),
                              seen(dns, 1, Side::kTransit, 1),
                              seen(dns, 12, Side::kTransit, 1)});
    ASSERT_EQ(counts.size(), 1u);
    EXPECT_EQ(counts[0].connections, 1u);
}

TEST(EdgeMerger, AnIpv4MappedServerViewIsTheSameEdge) {
    Edge server_view{mapped(kWebToDb.client), mapped(kWebToDb.server), 5432, core::Protocol::kTcp};
    EdgeMerger merger;
    auto counts =
        merger.add({seen(kWebToDb, 1, Side::kClient, 1), seen(server_view, 2, Side::kServer, 1)});
    ASSERT_EQ(counts.size(), 1u);
    EXPECT_EQ(counts[0].edge, kWebToDb);
    EXPECT_EQ(counts[0].edge.server.text(), "10.0.0.2");
}

TEST(EdgeMerger, DirectionsAndPortsAreDifferentEdges) {
    Edge back{kWebToDb.server, kWebToDb.client, 5432, core::Protocol::kTcp};
    Edge udp = kWebToDb;
    udp.protocol = core::Protocol::kUdp;
    EdgeMerger merger;
    auto counts = merger.add({seen(kWebToDb, 1, Side::kClient, 1),
                              seen(back, 1, Side::kClient, 1),
                              seen(udp, 1, Side::kClient, 1)});
    EXPECT_EQ(counts.size(), 3u);
}

TEST(EdgeMerger, IdleEdgesAreForgottenAndMemoryStaysBounded) {
    EdgeMerger merger(/*idle_polls=*/2, /*max_edges=*/100);
    merger.add({seen(kWebToDb, 1, Side::kClient, 1)});
    merger.add({});
    merger.add({});
    merger.add({});
    EXPECT_EQ(merger.edges(), 0u);
    std::vector<Observation> many;
    for (int i = 0; i < 1000; ++i) {
        Edge e = kWebToDb;
        e.server_port = static_cast<uint16_t>(1000 + i);
        many.push_back(seen(e, 1, Side::kClient, 1));
    }
    EXPECT_EQ(merger.add(many).size(), 1000u);
    EXPECT_LE(merger.edges(), 100u);
}

TEST(Address, TextsAndKinds) {
    EXPECT_EQ(v4(192, 168, 1, 20).text(), "192.168.1.20");
    EXPECT_EQ(mapped(v4(10, 1, 2, 3)).text(), "10.1.2.3");
    EXPECT_TRUE(v4(127, 0, 0, 53).isLoopback());
    EXPECT_FALSE(v4(10, 0, 0, 1).isLoopback());
    EXPECT_TRUE(mapped(v4(127, 0, 0, 1)).isLoopback());
    Address v6;
    v6.family = 6;
    v6.bytes[15] = 1;
    EXPECT_TRUE(v6.isLoopback());
    EXPECT_EQ(v6.text(), "::1");
    EXPECT_TRUE(Address{}.isUnspecified());
}

}  // namespace
}  // namespace netpolgen::agent

namespace netpolgen::agent {
namespace {

// edgeOwner (agent/edge_owner.h): with an agent on every node, one of them stores a connection.
TEST(EdgeOwner, TheServersNodeStoresAConnectionBetweenTwoNodes) {
    const Address web = v4(10, 1, 0, 5);    // a pod on this node
    const Address db = v4(10, 2, 0, 7);     // a pod on another node
    const Address dns = v4(10, 96, 0, 10);  // a Service
    ClusterAddresses cluster{{web, db}, {dns}};
    const std::set<Address> this_node{web, v4(192, 168, 0, 11)};
    EXPECT_EQ(edgeOwner({web, db, 5432, core::Protocol::kTcp}, this_node, cluster),
              EdgeOwner::kServersNode);
    EXPECT_EQ(edgeOwner({db, web, 8080, core::Protocol::kTcp}, this_node, cluster),
              EdgeOwner::kThisNode);
    EXPECT_EQ(edgeOwner({web, dns, 53, core::Protocol::kUdp}, this_node, cluster),
              EdgeOwner::kBackend);
    // Outside the cluster: only the client's node sees it.
    EXPECT_EQ(edgeOwner({web, v4(93, 184, 216, 34), 443, core::Protocol::kTcp}, this_node, cluster),
              EdgeOwner::kThisNode);
    // The node itself (host network) as a server, and a pod started since the snapshot.
    EXPECT_EQ(edgeOwner({db, v4(192, 168, 0, 11), 10250, core::Protocol::kTcp}, this_node, cluster),
              EdgeOwner::kThisNode);
}

}  // namespace
}  // namespace netpolgen::agent
