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

}  // namespace
}  // namespace netpolgen::core
