// FlowAggregator: how a flow's destination becomes a workload and a container port.
#include "core/flow_aggregator.h"

#include <gtest/gtest.h>

#include "core/cluster_builder.h"

namespace netpolgen::core {
namespace {

// A Service whose port 80 is two ports: 80/UDP → 7070 on `dns`, 80/TCP → 6379 on `cache`
// (named targetPorts that exist with either protocol).
Cluster twoProtocolsOnOnePort() {
    ClusterObjects o;
    Workload w;
    w.ns = "shop";
    w.name = "cache";
    w.pod_labels = {{"app", "cache"}};
    w.selector = selectorFromLabels(w.pod_labels);
    w.ports = {{"dns", 7070, Protocol::kUdp}, {"redis", 6379, Protocol::kTcp}};
    o.workloads.push_back(w);
    Service s;
    s.ns = "shop";
    s.name = "cache";
    s.selector = Labels{{"app", "cache"}};
    s.cluster_ips = {*IpAddress::parse("10.96.0.10")};
    ServicePort udp;
    udp.port = 80;
    udp.target_port.name = "dns";
    udp.protocol = Protocol::kUdp;
    ServicePort tcp;
    tcp.port = 80;
    tcp.target_port.name = "redis";
    tcp.protocol = Protocol::kTcp;
    s.ports = {udp, tcp};
    o.services.push_back(s);
    std::vector<std::string> warnings;
    return buildCluster(o, warnings);
}

FlowObservation toClusterIp(Protocol protocol) {
    FlowObservation f;
    f.src.kind = FlowEndpoint::Kind::kInternal;
    f.dst.kind = FlowEndpoint::Kind::kIp;
    f.dst.ip = "10.96.0.10";
    f.port = 80;
    f.protocol = protocol;
    return f;
}

TEST(FlowAggregator, AServiceIpMapsThroughThePortOfTheFlowsProtocol) {
    const Cluster cluster = twoProtocolsOnOnePort();
    const ClusterIndex index(cluster);
    for (const auto& [protocol, port] :
         {std::pair{Protocol::kTcp, 6379u}, std::pair{Protocol::kUdp, 7070u}}) {
        FlowAggregator aggregator(index, {});
        ASSERT_TRUE(aggregator.add(toClusterIp(protocol)));
        ASSERT_EQ(aggregator.graph().size(), 1u);
        const auto& edge = aggregator.graph().edges().front();
        EXPECT_EQ(edge.first.port, port) << protocolName(protocol);
        EXPECT_EQ(edge.first.protocol, protocol);
    }
}

// A workload endpoint with a text (canonical lines) is resolved once per distinct text: the graph,
// the counters and the unresolved names are those of resolving every line.
TEST(FlowAggregator, EndpointTextsResolveOnceWithTheSameResults) {
    const Cluster cluster = twoProtocolsOnOnePort();
    const ClusterIndex index(cluster);
    const auto workload = [](std::string_view text, std::string_view ns, std::string_view name) {
        FlowEndpoint ep;
        ep.kind = FlowEndpoint::Kind::kWorkload;
        ep.ns = ns;
        ep.name = name;
        ep.text = text;
        return ep;
    };
    std::vector<FlowObservation> flows;
    for (int i = 0; i < 5; ++i) {
        FlowObservation f;
        f.src = workload("shop/cache", "shop", "cache");
        f.dst = workload("shop/cache", "shop", "cache");
        f.port = 6379 + static_cast<uint32_t>(i % 2);
        f.time = 1000 + i;
        flows.push_back(f);
        f.src = workload("shop/gone", "shop", "gone");  // not in the cluster: counted every time
        flows.push_back(f);
        f.src = workload("shop/cache", "shop", "cache");
        f.dst = workload("other/cache", "other", "cache");
        flows.push_back(f);
    }
    FlowAggregator by_text(index, {});
    FlowAggregator by_line(index, {});
    for (FlowObservation f : flows) {
        ASSERT_TRUE(by_text.add(f));
        f.src.text = {};
        f.dst.text = {};
        ASSERT_TRUE(by_line.add(f));
    }
    ASSERT_EQ(by_text.graph().size(), 2u);
    ASSERT_EQ(by_line.graph().size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        const auto& [key, stats] = by_text.graph().edges()[i];
        const auto& [line_key, line_stats] = by_line.graph().edges()[i];
        EXPECT_EQ(key, line_key);
        EXPECT_EQ(stats.count, line_stats.count);
        EXPECT_EQ(stats.first_seen, line_stats.first_seen);
        EXPECT_EQ(stats.last_seen, line_stats.last_seen);
    }
    const AggregationStats a = by_text.stats();
    const AggregationStats b = by_line.stats();
    EXPECT_EQ(a.unresolved, 10u);
    EXPECT_EQ(a.unresolved, b.unresolved);
    EXPECT_EQ(a.aggregated, b.aggregated);
    EXPECT_EQ(a.top_unresolved, b.top_unresolved);
    ASSERT_EQ(a.top_unresolved.size(), 2u);
    EXPECT_EQ(a.top_unresolved[0], (std::pair<std::string, uint64_t>{"other/cache", 5}));
    EXPECT_EQ(a.top_unresolved[1], (std::pair<std::string, uint64_t>{"shop/gone", 5}));
}

// --strict: an unknown end is an error on every line that names it, not only the first.
TEST(FlowAggregator, StrictRejectsEveryLineOfAnUnknownText) {
    const Cluster cluster = twoProtocolsOnOnePort();
    const ClusterIndex index(cluster);
    FlowAggregator aggregator(index, {});
    aggregator.rejectUnresolved(true);
    FlowObservation f;
    f.src.kind = FlowEndpoint::Kind::kInternal;
    f.dst.kind = FlowEndpoint::Kind::kWorkload;
    f.dst.ns = "shop";
    f.dst.name = "gone";
    f.dst.text = "shop/gone";
    EXPECT_FALSE(aggregator.add(f));
    EXPECT_FALSE(aggregator.add(f));
}

}  // namespace
}  // namespace netpolgen::core
