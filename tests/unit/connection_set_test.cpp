#include "core/connection_set.h"

#include <gtest/gtest.h>

namespace netpolgen::core {
namespace {

ConnectionSet parsed(std::string_view text) {
    auto s = ConnectionSet::parse(text);
    EXPECT_TRUE(s.ok()) << text << ": " << (s.ok() ? "" : s.error());
    return s.ok() ? *s : ConnectionSet{};
}

TEST(ConnectionSet, AllAndNone) {
    EXPECT_EQ(ConnectionSet::all().toString(), "All Connections");
    EXPECT_EQ(ConnectionSet::none().toString(), "No Connections");
    EXPECT_TRUE(ConnectionSet::all().isAll());
    EXPECT_TRUE(ConnectionSet::none().empty());
    EXPECT_FALSE(ConnectionSet::all().empty());
    EXPECT_FALSE(ConnectionSet::none().isAll());
}

TEST(ConnectionSet, PrintsProtocolsAlphabeticallyAndRangesMerged) {
    ConnectionSet s;
    s.add(Protocol::kUdp, 10053, 10053);
    s.add(Protocol::kTcp, 10054, 10054);
    s.add(Protocol::kTcp, 10053, 10053);  // adjacent: merged into 10053-10054
    EXPECT_EQ(s.toString(), "TCP 10053-10054,UDP 10053");

    ConnectionSet t;
    t.add(Protocol::kTcp, 9090, 9090);
    t.add(Protocol::kTcp, 8080, 8080);  // out of order
    EXPECT_EQ(t.toString(), "TCP 8080,9090");

    ConnectionSet u;
    u.add(Protocol::kSctp, 7, 7);
    u.add(Protocol::kUdp, 5, 5);
    u.add(Protocol::kTcp, 6, 6);
    EXPECT_EQ(u.toString(), "SCTP 7,TCP 6,UDP 5");
}

TEST(ConnectionSet, OverlappingAddsMerge) {
    ConnectionSet s;
    s.add(Protocol::kTcp, 100, 200);
    s.add(Protocol::kTcp, 150, 300);
    s.add(Protocol::kTcp, 50, 99);
    EXPECT_EQ(s.toString(), "TCP 50-300");
    ASSERT_EQ(s.intervals(Protocol::kTcp).size(), 1u);
}

TEST(ConnectionSet, ExplicitFullRangesOnAllProtocolsAreAllConnections) {
    // with_end_port_example: port 1, endPort 65535 for TCP, UDP and SCTP.
    ConnectionSet s;
    s.add(Protocol::kTcp, 1, 65535);
    s.add(Protocol::kUdp, 1, 65535);
    s.add(Protocol::kSctp, 1, 65535);
    EXPECT_TRUE(s.isAll());
    EXPECT_EQ(s.toString(), "All Connections");
    EXPECT_EQ(s, ConnectionSet::all());
}

TEST(ConnectionSet, ClampsAndIgnoresWhatPoliciesCannotExpress) {
    ConnectionSet s;
    s.add(Protocol::kTcp, 0, 70000);  // clamped to 1-65535
    s.add(Protocol::kIcmp, 1, 10);    // not a policy protocol
    s.add(Protocol::kUdp, 20, 10);    // empty range
    EXPECT_EQ(s.toString(), "TCP 1-65535");
}

TEST(ConnectionSet, EverythingButOnePort) {
    const ConnectionSet s = ConnectionSet::all().subtract(parsed("TCP 80"));
    EXPECT_EQ(s.toString(), "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535");
    EXPECT_FALSE(s.contains(Protocol::kTcp, 80));
    EXPECT_TRUE(s.contains(Protocol::kTcp, 79));
    EXPECT_TRUE(s.contains(Protocol::kTcp, 81));
    EXPECT_TRUE(s.contains(Protocol::kUdp, 80));
}

TEST(ConnectionSet, UniteIntersectSubtract) {
    const ConnectionSet a = parsed("TCP 1-100,UDP 53");
    const ConnectionSet b = parsed("TCP 50-150,SCTP 9");
    ConnectionSet u = a;
    u.unite(b);
    EXPECT_EQ(u.toString(), "SCTP 9,TCP 1-150,UDP 53");
    EXPECT_EQ(a.intersect(b).toString(), "TCP 50-100");
    EXPECT_EQ(a.subtract(b).toString(), "TCP 1-49,UDP 53");
    EXPECT_EQ(b.subtract(a).toString(), "SCTP 9,TCP 101-150");
    EXPECT_TRUE(a.intersect(ConnectionSet::none()).empty());
    EXPECT_EQ(a.intersect(ConnectionSet::all()), a);
    EXPECT_TRUE(a.subtract(ConnectionSet::all()).empty());
    // Subtracting several holes from one interval.
    EXPECT_EQ(parsed("TCP 1-100").subtract(parsed("TCP 10-20,30,90-200")).toString(),
              "TCP 1-9,21-29,31-89");
}

TEST(ConnectionSet, Contains) {
    const ConnectionSet s = parsed("TCP 80,8080-8090,UDP 53");
    EXPECT_TRUE(s.contains(Protocol::kTcp, 80));
    EXPECT_TRUE(s.contains(Protocol::kTcp, 8085));
    EXPECT_FALSE(s.contains(Protocol::kTcp, 81));
    EXPECT_FALSE(s.contains(Protocol::kTcp, 53));
    EXPECT_TRUE(s.contains(Protocol::kUdp, 53));
    EXPECT_FALSE(s.contains(Protocol::kSctp, 53));
    EXPECT_FALSE(s.contains(Protocol::kIcmp, 53));
}

TEST(ConnectionSet, ParseIsTheInverseOfToString) {
    for (const char* text : {"All Connections",
                             "No Connections",
                             "TCP 8080",
                             "TCP 8080,9090",
                             "TCP 10053-10054,UDP 10053",
                             "SCTP 1-65535,TCP 1-79,81-65535,UDP 1-65535",
                             "SCTP 9,TCP 1-150,UDP 53"}) {
        EXPECT_EQ(parsed(text).toString(), text);
    }
    // Any order, overlaps and spaces are accepted; the rendering is canonical.
    EXPECT_EQ(parsed(" UDP 53 , TCP 90,80-85,84 ").toString(), "TCP 80-85,90,UDP 53");
    EXPECT_TRUE(parsed("TCP 1-65535,UDP 1-65535,SCTP 1-65535").isAll());
}

TEST(ConnectionSet, ParseErrors) {
    for (const char* text :
         {"", "TCP", "80", "HTTP 80", "TCP 0", "TCP 65536", "TCP 9-8", "TCP x"}) {
        EXPECT_FALSE(ConnectionSet::parse(text).ok()) << text;
    }
}

TEST(ConnectionSet, EqualSetsHashEqual) {
    ConnectionSet a;
    a.add(Protocol::kTcp, 80, 80);
    a.add(Protocol::kTcp, 81, 90);
    const ConnectionSet b = parsed("TCP 80-90");
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.hash(), b.hash());
    EXPECT_NE(parsed("TCP 80").hash(), parsed("UDP 80").hash());
}

}  // namespace
}  // namespace netpolgen::core
