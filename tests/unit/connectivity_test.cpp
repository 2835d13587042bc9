// The connectivity engine against the rules of docs/networkpolicy-semantics.md, one test per rule,
// plus a randomised cross-check with the reference PolicyEvaluator (§8).
#include "core/connectivity.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "core/exposure.h"
#include "core/policy_evaluator.h"

namespace netpolgen::core {
namespace {

// ---- building clusters and policies ---------------------------------------------------------

LabelSelector sel(Labels labels) {
    return LabelSelector{std::move(labels), {}};
}

LabelSelector expr(std::string key, SelectorOperator op, std::vector<std::string> values = {}) {
    LabelSelector s;
    s.match_expressions.push_back({std::move(key), op, std::move(values)});
    return s;
}

PolicyPeer podPeer(LabelSelector pod) {
    PolicyPeer p;
    p.pod_selector = std::move(pod);
    return p;
}

PolicyPeer nsPeer(LabelSelector ns) {
    PolicyPeer p;
    p.namespace_selector = std::move(ns);
    return p;
}

PolicyPeer nsPodPeer(LabelSelector ns, LabelSelector pod) {
    PolicyPeer p;
    p.namespace_selector = std::move(ns);
    p.pod_selector = std::move(pod);
    return p;
}

PolicyPeer ipPeer(std::string cidr, std::vector<std::string> except = {}) {
    PolicyPeer p;
    p.ip_block = IpBlock{std::move(cidr), std::move(except)};
    return p;
}

PolicyPort port(uint32_t number, Protocol protocol = Protocol::kTcp) {
    PolicyPort p;
    p.protocol = protocol;
    p.port = PortValue{number, {}};
    return p;
}

PolicyPort portRange(uint32_t lo, uint32_t hi, Protocol protocol = Protocol::kTcp) {
    PolicyPort p = port(lo, protocol);
    p.end_port = hi;
    return p;
}

PolicyPort namedPort(std::string name, Protocol protocol = Protocol::kTcp) {
    PolicyPort p;
    p.protocol = protocol;
    p.port = PortValue{0, std::move(name)};
    return p;
}

PolicyPort anyPort(Protocol protocol) {
    PolicyPort p;
    p.protocol = protocol;
    return p;
}

PolicyRule rule(std::vector<PolicyPeer> peers, std::vector<PolicyPort> ports = {}) {
    return PolicyRule{std::move(peers), std::move(ports)};
}

class Fixture {
public:
    void addNamespace(const std::string& name, Labels labels = {}) {
        Namespace ns;
        ns.name = name;
        ns.labels = std::move(labels);
        ns.labels.emplace(std::string(kNamespaceNameLabel), name);
        cluster.namespaces.push_back(std::move(ns));
        std::sort(cluster.namespaces.begin(),
                  cluster.namespaces.end(),
                  [](const auto& a, const auto& b) { return a.name < b.name; });
    }

    size_t addWorkload(const std::string& ns,
                       const std::string& name,
                       Labels labels,
                       std::vector<ContainerPort> ports = {},
                       std::vector<std::string> ips = {}) {
        if (cluster.findNamespace(ns) == nullptr) {
            addNamespace(ns);
        }
        Workload w;
        w.ns = ns;
        w.name = name;
        w.pod_labels = std::move(labels);
        w.ports = std::move(ports);
        for (const auto& ip : ips) {
            w.pod_ips.push_back(*IpAddress::parse(ip));
        }
        cluster.workloads.push_back(std::move(w));
        return cluster.workloads.size() - 1;
    }

    NetworkPolicy& addPolicy(const std::string& ns,
                             const std::string& name,
                             LabelSelector pod_selector,
                             std::vector<PolicyType> types = {}) {
        PolicyObject p;
        p.policy.ns = ns;
        p.policy.name = name;
        p.policy.pod_selector = std::move(pod_selector);
        p.policy.policy_types = std::move(types);
        cluster.policies.push_back(std::move(p));
        return cluster.policies.back().policy;
    }

    std::vector<const NetworkPolicy*> policies() const {
        std::vector<const NetworkPolicy*> out;
        for (const auto& p : cluster.policies) {
            out.push_back(&p.policy);
        }
        return out;
    }

    ConnectivityMap map(bool ipblock_matches_pods = true) const {
        ConnectivityOptions o;
        o.ipblock_matches_pods = ipblock_matches_pods;
        return ConnectivityMap(cluster, policies(), o);
    }

    ConnectivityPeer peer(const std::string& ns_name) const {
        for (size_t i = 0; i < cluster.workloads.size(); ++i) {
            if (cluster.workloads[i].ns + "/" + cluster.workloads[i].name == ns_name) {
                ConnectivityPeer p;
                p.workload = i;
                return p;
            }
        }
        ADD_FAILURE() << "no workload " << ns_name;
        return {};
    }

    // "TCP 80" etc. from workload to workload ("ns/name").
    std::string conn(const ConnectivityMap& m,
                     const std::string& src,
                     const std::string& dst) const {
        return m.allowed(peer(src), peer(dst)).toString();
    }

    Cluster cluster;
};

// The atom of a side containing `ip`, as a peer.
ConnectivityPeer atomOf(const std::vector<ConnectivityPeer>& peers, const std::string& ip) {
    const uint32_t v = IpAddress::parse(ip)->v4();
    for (const auto& p : peers) {
        if (p.kind == ConnectivityPeer::Kind::kExternal && p.first_ip <= v && v <= p.last_ip) {
            return p;
        }
    }
    ADD_FAILURE() << "no atom for " << ip;
    return {};
}

std::string fromIp(const ConnectivityMap& m, const std::string& ip, const ConnectivityPeer& dst) {
    return m.allowed(atomOf(m.sources(), ip), dst).toString();
}

std::string toIp(const ConnectivityMap& m, const ConnectivityPeer& src, const std::string& ip) {
    return m.allowed(src, atomOf(m.destinations(), ip)).toString();
}

std::vector<std::string> lines(const Cluster& cluster, const ConnectivityMap& m) {
    std::vector<std::string> out;
    m.forEachAllowed([&](const auto& src, const auto& dst, const ConnectionSet& c) {
        out.push_back(peerName(cluster, src) + " => " + peerName(cluster, dst) + " : " +
                      c.toString());
    });
    return out;
}

constexpr const char* kAll = "All Connections";
constexpr const char* kNone = "No Connections";

// ---- rules ------------------------------------------------------------------------------------

TEST(Connectivity, NoPoliciesAllowsEverythingExceptSelf) {
    Fixture f;
    f.addWorkload("shop", "a", {{"app", "a"}});
    f.addWorkload("shop", "b", {{"app", "b"}});
    const auto m = f.map();
    EXPECT_EQ(lines(f.cluster, m),
              (std::vector<std::string>{
                  "0.0.0.0-255.255.255.255[External] => shop/a[Deployment] : All Connections",
                  "0.0.0.0-255.255.255.255[External] => shop/b[Deployment] : All Connections",
                  "shop/a[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections",
                  "shop/a[Deployment] => shop/b[Deployment] : All Connections",
                  "shop/b[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections",
                  "shop/b[Deployment] => shop/a[Deployment] : All Connections",
              }));
    EXPECT_EQ(f.conn(m, "shop/a", "shop/a"), kNone);  // rule 31: never with itself
    EXPECT_EQ(m.countAllowed(), 6u);
    EXPECT_EQ(computeConnectivity(f.cluster, f.policies(), {}).size(), 6u);
}

TEST(Connectivity, WorkloadsOfOneClassStillReachEachOther) {
    Fixture f;
    f.addWorkload("shop", "a", {{"tier", "web"}});
    f.addWorkload("shop", "b", {{"tier", "web"}});
    f.addPolicy("shop", "web", sel({{"tier", "web"}})).ingress = {
        rule({podPeer(sel({{"tier", "web"}}))})};
    const auto m = f.map();
    EXPECT_EQ(m.classCount(), 1u);
    EXPECT_EQ(f.conn(m, "shop/a", "shop/b"), kAll);
    EXPECT_EQ(f.conn(m, "shop/b", "shop/a"), kAll);
    EXPECT_EQ(f.conn(m, "shop/a", "shop/a"), kNone);
}

TEST(Connectivity, PolicyTypesDefaulting) {
    Fixture f;
    f.addWorkload("a", "deny", {{"app", "deny"}});        // no types, no rules: ingress deny
    f.addWorkload("a", "egress", {{"app", "egress"}});    // no types, egress rule: both isolated
    f.addWorkload("a", "typed", {{"app", "typed"}});      // types [Egress] + ingress section
    f.addWorkload("a", "empty-egress", {{"app", "ee"}});  // no types, `egress: []`
    f.addWorkload("a", "client", {{"app", "client"}});
    f.addPolicy("a", "deny", sel({{"app", "deny"}}));
    f.addPolicy("a", "egress", sel({{"app", "egress"}})).egress = {
        rule({}, {port(53, Protocol::kUdp)})};
    auto& typed = f.addPolicy("a", "typed", sel({{"app", "typed"}}), {PolicyType::kEgress});
    typed.ingress = {rule({podPeer(sel({{"app", "nobody"}}))})};  // ignored
    typed.egress = {rule({})};
    f.addPolicy("a", "ee", sel({{"app", "ee"}})).has_egress_key = true;
    const auto m = f.map();

    EXPECT_EQ(f.conn(m, "a/client", "a/deny"), kNone);
    EXPECT_EQ(f.conn(m, "a/deny", "a/client"), kAll);  // egress not isolated
    EXPECT_TRUE(m.isolated(f.peer("a/deny").workload, PolicyType::kIngress));
    EXPECT_FALSE(m.isolated(f.peer("a/deny").workload, PolicyType::kEgress));

    EXPECT_EQ(f.conn(m, "a/client", "a/egress"), kNone);  // ingress deny-all as a side effect
    EXPECT_EQ(f.conn(m, "a/egress", "a/client"), "UDP 53");

    EXPECT_EQ(f.conn(m, "a/client", "a/typed"), kAll);  // ingress rules ignored, not isolated
    EXPECT_FALSE(m.isolated(f.peer("a/typed").workload, PolicyType::kIngress));

    EXPECT_EQ(f.conn(m, "a/client", "a/empty-egress"), kNone);
    EXPECT_EQ(f.conn(m, "a/empty-egress", "a/client"), kAll);
}

TEST(Connectivity, EmptyRuleAllowsEverythingIncludingExternal) {
    Fixture f;
    const size_t web = f.addWorkload("a", "web", {{"app", "web"}});
    f.addWorkload("b", "client", {{"app", "client"}});
    f.addPolicy("a", "open", sel({{"app", "web"}})).ingress = {rule({})};
    f.addPolicy("a", "deny", sel({}));  // restrictive ones do not matter: additive
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "b/client", "a/web"), kAll);
    EXPECT_EQ(fromIp(m, "8.8.8.8", {ConnectivityPeer::Kind::kWorkload, web, 0, 0}), kAll);
}

TEST(Connectivity, PodSelectorPeerIsThePolicyNamespaceOnly) {
    Fixture f;
    f.addWorkload("a", "web", {{"app", "web"}});
    f.addWorkload("a", "client", {{"role", "client"}});
    f.addWorkload("b", "client", {{"role", "client"}});
    f.addPolicy("a", "p", sel({{"app", "web"}})).ingress = {
        rule({podPeer(sel({{"role", "client"}}))})};
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "a/client", "a/web"), kAll);
    EXPECT_EQ(f.conn(m, "b/client", "a/web"), kNone);
}

TEST(Connectivity, EmptyNamespaceSelectorIsEveryNamespaceButNoExternal) {
    Fixture f;
    const size_t web = f.addWorkload("a", "web", {{"app", "web"}});
    f.addWorkload("b", "client", {{"role", "client"}});
    f.addWorkload("c", "other", {});
    f.addPolicy("a", "p", sel({{"app", "web"}})).ingress = {rule({nsPeer(sel({}))})};
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "b/client", "a/web"), kAll);
    EXPECT_EQ(f.conn(m, "c/other", "a/web"), kAll);
    EXPECT_EQ(fromIp(m, "1.2.3.4", {ConnectivityPeer::Kind::kWorkload, web, 0, 0}), kNone);
}

TEST(Connectivity, SelectorsInOnePeerAreAndedAcrossPeersOred) {
    Fixture f;
    f.addNamespace("prod", {{"env", "prod"}});
    f.addNamespace("dev", {{"env", "dev"}});
    f.addWorkload("db", "db", {{"app", "db"}});
    f.addWorkload("db", "db2", {{"app", "db2"}});
    f.addWorkload("prod", "api", {{"app", "api"}});
    f.addWorkload("prod", "batch", {{"app", "batch"}});
    f.addWorkload("dev", "api", {{"app", "api"}});
    f.addWorkload("db", "api", {{"app", "api"}});
    // AND: api pods in prod namespaces.
    f.addPolicy("db", "and", sel({{"app", "db"}})).ingress = {
        rule({nsPodPeer(sel({{"env", "prod"}}), sel({{"app", "api"}}))})};
    // OR: anything in prod, or api pods of the policy namespace.
    f.addPolicy("db", "or", sel({{"app", "db2"}})).ingress = {
        rule({nsPeer(sel({{"env", "prod"}})), podPeer(sel({{"app", "api"}}))})};
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "prod/api", "db/db"), kAll);
    EXPECT_EQ(f.conn(m, "prod/batch", "db/db"), kNone);
    EXPECT_EQ(f.conn(m, "dev/api", "db/db"), kNone);
    EXPECT_EQ(f.conn(m, "db/api", "db/db"), kNone);

    EXPECT_EQ(f.conn(m, "prod/api", "db/db2"), kAll);
    EXPECT_EQ(f.conn(m, "prod/batch", "db/db2"), kAll);
    EXPECT_EQ(f.conn(m, "dev/api", "db/db2"), kNone);
    EXPECT_EQ(f.conn(m, "db/api", "db/db2"), kAll);
}

TEST(Connectivity, NamespaceSelectorMatchesNamespaceLabelsOrName) {
    Fixture f;
    f.addNamespace("team", {{"owner", "x"}});
    f.addWorkload("srv", "web", {{"app", "web"}});
    f.addWorkload("team", "c", {});
    f.addWorkload("other", "c", {{"owner", "x"}});  // pod labels do not count
    f.addPolicy("srv", "p", sel({})).ingress = {
        rule({nsPeer(sel({{"owner", "x"}}))}, {port(80)}),
        rule({nsPeer(sel({{std::string(kNamespaceNameLabel), "other"}}))}, {port(81)})};
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "team/c", "srv/web"), "TCP 80");
    EXPECT_EQ(f.conn(m, "other/c", "srv/web"), "TCP 81");
}

TEST(Connectivity, NamedPortsResolvePerDestinationWithProtocol) {
    Fixture f;
    f.addWorkload("a", "v1", {{"app", "srv"}, {"v", "1"}}, {{"http", 8080, Protocol::kTcp}});
    f.addWorkload("a", "v2", {{"app", "srv"}, {"v", "2"}}, {{"http", 9090, Protocol::kTcp}});
    f.addWorkload("a", "other", {{"app", "srv"}, {"v", "3"}}, {{"web", 8080, Protocol::kTcp}});
    f.addWorkload("a", "udp", {{"app", "srv"}, {"v", "4"}}, {{"http", 7070, Protocol::kUdp}});
    f.addWorkload("a", "client", {{"app", "client"}});
    f.addPolicy("a", "in", sel({{"app", "srv"}})).ingress = {rule({}, {namedPort("http")})};
    auto& out = f.addPolicy("a", "out", sel({{"app", "client"}}), {PolicyType::kEgress});
    out.egress = {rule({}, {namedPort("http")})};
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "a/client", "a/v1"), "TCP 8080");
    EXPECT_EQ(f.conn(m, "a/client", "a/v2"), "TCP 9090");
    EXPECT_EQ(f.conn(m, "a/client", "a/other"), kNone);  // 8080 under another name
    EXPECT_EQ(f.conn(m, "a/client", "a/udp"), kNone);    // the name exists only for UDP
    // Egress resolves on the destination; never towards an External destination.
    EXPECT_EQ(toIp(m, f.peer("a/client"), "1.1.1.1"), kNone);
    // Ingress from outside resolves on the selected pod.
    EXPECT_EQ(fromIp(m, "1.1.1.1", f.peer("a/v2")), "TCP 9090");
}

TEST(Connectivity, NamedPortProtocolMismatchAllowsNothing) {
    // netpol-analyzer netpol_named_port_test: rule UDP newport, container newport is SCTP.
    Fixture f;
    f.addWorkload("h", "pod-a", {{"app", "a"}}, {{"newport", 8956, Protocol::kSctp}});
    f.addWorkload("h", "new-pod", {{"app", "b"}}, {{"", 8956, Protocol::kSctp}});
    auto& p =
        f.addPolicy("h", "p", sel({{"app", "a"}}), {PolicyType::kIngress, PolicyType::kEgress});
    p.ingress = {rule({nsPeer(sel({}))}, {namedPort("newport", Protocol::kUdp)})};
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "h/new-pod", "h/pod-a"), kNone);
    EXPECT_EQ(f.conn(m, "h/pod-a", "h/new-pod"), kNone);
    EXPECT_EQ(lines(f.cluster, m).size(), 2u);  // new-pod with the outside, both ways
}

TEST(Connectivity, PortsProtocolsAndRanges) {
    Fixture f;
    f.addWorkload("a", "srv", {{"app", "srv"}});
    f.addWorkload("a", "c", {});
    f.addPolicy("a", "p", sel({{"app", "srv"}})).ingress = {
        rule({}, {port(53)}),                               // TCP by default
        rule({}, {portRange(8000, 8010, Protocol::kUdp)}),  // endPort inclusive
        rule({}, {anyPort(Protocol::kSctp)}),               // no port: every SCTP port
    };
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "a/c", "a/srv"), "SCTP 1-65535,TCP 53,UDP 8000-8010");
}

TEST(Connectivity, FullRangesOnEveryProtocolAreAllConnections) {
    Fixture f;
    f.addWorkload("a", "srv", {{"app", "srv"}});
    f.addWorkload("a", "c", {});
    f.addPolicy("a", "p", sel({{"app", "srv"}})).ingress = {
        rule({},
             {portRange(1, 65535),
              portRange(1, 65535, Protocol::kUdp),
              portRange(1, 65535, Protocol::kSctp)})};
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "a/c", "a/srv"), kAll);
}

TEST(Connectivity, SetBasedOperators) {
    Fixture f;
    f.addWorkload("a", "srv", {{"app", "srv"}});
    f.addWorkload("a", "nolabel", {});
    f.addWorkload("a", "x", {{"env", "x"}});
    f.addWorkload("a", "y", {{"env", "y"}});
    f.addPolicy("a", "notin", sel({{"app", "srv"}})).ingress = {
        rule({podPeer(expr("env", SelectorOperator::kNotIn, {"x"}))}, {port(1)}),
        rule({podPeer(expr("env", SelectorOperator::kDoesNotExist))}, {port(2)}),
        rule({podPeer(expr("env", SelectorOperator::kExists))}, {port(3)}),
        rule({podPeer(expr("env", SelectorOperator::kIn, {"y", "z"}))}, {port(4)}),
    };
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "a/nolabel", "a/srv"), "TCP 1-2");  // NotIn matches a missing key
    EXPECT_EQ(f.conn(m, "a/x", "a/srv"), "TCP 3");
    EXPECT_EQ(f.conn(m, "a/y", "a/srv"), "TCP 1,3-4");
}

TEST(Connectivity, PoliciesAreAdditive) {
    Fixture f;
    f.addWorkload("a", "srv", {{"app", "srv"}});
    f.addWorkload("a", "c", {{"app", "c"}});
    f.addPolicy("a", "p1", sel({{"app", "srv"}})).ingress = {
        rule({podPeer(sel({{"app", "c"}}))}, {port(80)})};
    f.addPolicy("a", "p2", sel({})).ingress = {rule({podPeer(sel({{"app", "c"}}))}, {port(443)})};
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "a/c", "a/srv"), "TCP 80,443");
}

TEST(Connectivity, EgressOfSourceAndIngressOfDestinationAreBothRequired) {
    Fixture f;
    f.addWorkload("a", "srv", {{"app", "srv"}});
    f.addWorkload("a", "c", {{"app", "c"}});
    f.addPolicy("a", "in", sel({{"app", "srv"}})).ingress = {
        rule({podPeer(sel({{"app", "c"}}))}, {port(80), port(81)})};
    auto& out = f.addPolicy("a", "out", sel({{"app", "c"}}), {PolicyType::kEgress});
    out.egress = {rule({podPeer(sel({{"app", "srv"}}))}, {port(81), port(82)})};
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "a/c", "a/srv"), "TCP 81");
    EXPECT_EQ(f.conn(m, "a/srv", "a/c"), kAll);  // `out` isolates c for egress only
}

TEST(Connectivity, IpBlockExceptAndAtoms) {
    Fixture f;
    const size_t srv = f.addWorkload("a", "srv", {{"app", "srv"}});
    f.addPolicy("a", "p", sel({{"app", "srv"}})).ingress = {
        rule({ipPeer("10.0.0.0/8", {"10.1.0.0/16"})}, {port(80)}),
        rule({ipPeer("10.1.2.0/24")}, {port(81)}),  // except only subtracts from its own peer
    };
    const auto m = f.map();
    const ConnectivityPeer p{ConnectivityPeer::Kind::kWorkload, srv, 0, 0};
    EXPECT_EQ(fromIp(m, "10.0.0.1", p), "TCP 80");
    EXPECT_EQ(fromIp(m, "10.1.0.1", p), kNone);
    EXPECT_EQ(fromIp(m, "10.1.2.3", p), "TCP 81");
    EXPECT_EQ(fromIp(m, "11.0.0.0", p), kNone);
    // Ingress atoms: cut at 10.0.0.0, 10.1.0.0, 10.1.2.0, 10.1.3.0, 10.2.0.0, 11.0.0.0.
    EXPECT_EQ(m.ingressAtomCount(), 7u);
    EXPECT_EQ(m.egressAtomCount(), 1u);  // no egress ipBlock: the whole space
    EXPECT_EQ(toIp(m, p, "10.0.0.1"), kAll);
    EXPECT_EQ(m.name(atomOf(m.sources(), "10.1.2.3")), "10.1.2.0-10.1.2.255[External]");
}

TEST(Connectivity, EgressIpBlocksCutDestinationsOnly) {
    Fixture f;
    const size_t c = f.addWorkload("a", "c", {{"app", "c"}});
    auto& p = f.addPolicy("a", "p", sel({{"app", "c"}}), {PolicyType::kEgress});
    p.egress = {rule({ipPeer("192.168.0.0/16")}, {port(443)})};
    const auto m = f.map();
    const ConnectivityPeer w{ConnectivityPeer::Kind::kWorkload, c, 0, 0};
    EXPECT_EQ(m.egressAtomCount(), 3u);
    EXPECT_EQ(m.ingressAtomCount(), 1u);
    EXPECT_EQ(toIp(m, w, "192.168.1.1"), "TCP 443");
    EXPECT_EQ(toIp(m, w, "8.8.8.8"), kNone);
    EXPECT_EQ(fromIp(m, "8.8.8.8", w), kAll);
}

TEST(Connectivity, IpBlockMatchesPodsOnlyWhenAsked) {
    Fixture f;
    f.addWorkload("a", "srv", {{"app", "srv"}});
    f.addWorkload("b", "c", {{"app", "c"}}, {}, {"10.244.1.7", "10.244.1.8"});
    f.addWorkload("b", "half", {{"app", "h"}}, {}, {"10.244.1.9", "10.9.0.1"});
    f.addWorkload("b", "noip", {{"app", "n"}});
    f.addPolicy("a", "p", sel({{"app", "srv"}})).ingress = {rule({ipPeer("10.244.0.0/16")})};
    const auto upstream = f.map(true);
    EXPECT_EQ(f.conn(upstream, "b/c", "a/srv"), kAll);      // every pod IP in the block
    EXPECT_EQ(f.conn(upstream, "b/half", "a/srv"), kNone);  // not all pods: not reported
    EXPECT_EQ(f.conn(upstream, "b/noip", "a/srv"), kNone);  // no known IP
    const auto analyzer = f.map(false);
    EXPECT_EQ(f.conn(analyzer, "b/c", "a/srv"), kNone);
}

TEST(Connectivity, OutputSortedByPrintedNames) {
    Fixture f;
    f.addWorkload("kube-system", "b", {});
    f.addWorkload("kube-system-x", "a", {});  // '-' sorts before '/'
    f.addWorkload("9ns", "z", {});            // digits before letters, like External ranges
    const auto m = f.map();
    const auto got = lines(f.cluster, m);
    auto sorted = got;
    std::sort(sorted.begin(), sorted.end(), [](const std::string& a, const std::string& b) {
        const auto split = [](const std::string& s) {
            const size_t arrow = s.find(" => ");
            return std::make_pair(s.substr(0, arrow),
                                  s.substr(arrow + 4, s.find(" : ") - arrow - 4));
        };
        return split(a) < split(b);
    });
    EXPECT_EQ(got, sorted);
    EXPECT_EQ(got.front().rfind("0.0.0.0-255.255.255.255[External] => 9ns/z", 0), 0u);
}

TEST(Connectivity, PolicyInNamespaceWithoutWorkloadsAndPolicySelectingNothing) {
    Fixture f;
    f.addWorkload("a", "w", {{"app", "w"}});
    f.addWorkload("b", "w", {{"app", "w"}});
    f.addPolicy("ghost", "p", sel({})).ingress = {rule({ipPeer("1.0.0.0/8")})};
    f.addPolicy("a", "inert", sel({{"app", "nothing"}}));
    const auto m = f.map();
    EXPECT_EQ(f.conn(m, "a/w", "b/w"), kAll);
    EXPECT_EQ(f.conn(m, "b/w", "a/w"), kAll);
    EXPECT_EQ(m.ingressAtomCount(), 3u);  // its ipBlock still cuts the atoms, as netpol-analyzer
}

// ---- cross-check with the reference evaluator ---------------------------------------------------

TEST(Connectivity, AgreesWithPolicyEvaluatorOnRandomClusters) {
    std::mt19937 rng(7);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    const std::vector<std::string> namespaces = {"a", "b", "c"};
    const std::vector<std::string> apps = {"web", "api", "db"};
    const std::vector<Protocol> protocols = {Protocol::kTcp, Protocol::kUdp, Protocol::kSctp};
    size_t allowed_checks = 0;
    size_t denied_checks = 0;
    for (int round = 0; round < 25; ++round) {
        Fixture f;
        f.addNamespace("a", {{"env", "prod"}});
        f.addNamespace("b", {{"env", "dev"}});
        f.addNamespace("c", {});
        for (int i = 0; i < 12; ++i) {
            Labels labels{{"app", apps[pick(3)]}};
            if (pick(2) == 0) {
                labels["tier"] = pick(2) == 0 ? "x" : "y";
            }
            std::vector<ContainerPort> ports{
                {"http", static_cast<uint32_t>(80 + pick(3)), protocols[pick(3)]}};
            const std::string ip = "10.0." + std::to_string(pick(2)) + "." + std::to_string(i + 1);
            f.addWorkload(namespaces[pick(3)], "w" + std::to_string(i), labels, ports, {ip});
        }
        auto randomSelector = [&]() {
            switch (pick(4)) {
                case 0:
                    return sel({});
                case 1:
                    return sel({{"app", apps[pick(3)]}});
                case 2:
                    return expr("tier", SelectorOperator::kNotIn, {"x"});
                default:
                    return expr(
                        "tier",
                        pick(2) == 0 ? SelectorOperator::kExists : SelectorOperator::kDoesNotExist);
            }
        };
        auto randomPeer = [&]() {
            switch (pick(5)) {
                case 0:
                    return podPeer(randomSelector());
                case 1:
                    return nsPeer(sel({{"env", pick(2) == 0 ? "prod" : "dev"}}));
                case 2:
                    return nsPodPeer(sel({}), randomSelector());
                case 3:
                    return ipPeer("10.0.0.0/16", {"10.0.1.0/24"});
                default:
                    return ipPeer("0.0.0.0/0", {"10.0.0.0/8"});
            }
        };
        auto randomPorts = [&]() {
            std::vector<PolicyPort> ports;
            const size_t n = pick(3);
            for (size_t i = 0; i < n; ++i) {
                switch (pick(4)) {
                    case 0:
                        ports.push_back(
                            port(static_cast<uint32_t>(80 + pick(3)), protocols[pick(3)]));
                        break;
                    case 1:
                        ports.push_back(portRange(81, 82, protocols[pick(3)]));
                        break;
                    case 2:
                        ports.push_back(namedPort("http", protocols[pick(3)]));
                        break;
                    default:
                        ports.push_back(anyPort(protocols[pick(3)]));
                }
            }
            return ports;
        };
        for (int i = 0; i < 6; ++i) {
            std::vector<PolicyType> types;
            if (pick(2) == 0) {
                types = pick(2) == 0
                            ? std::vector<PolicyType>{PolicyType::kIngress, PolicyType::kEgress}
                            : std::vector<PolicyType>{PolicyType::kEgress};
            }
            auto& p =
                f.addPolicy(namespaces[pick(3)], "p" + std::to_string(i), randomSelector(), types);
            for (auto* rules : {&p.ingress, &p.egress}) {
                const size_t n = pick(3);
                for (size_t r = 0; r < n; ++r) {
                    std::vector<PolicyPeer> peers;
                    const size_t np = pick(3);
                    for (size_t k = 0; k < np; ++k) {
                        peers.push_back(randomPeer());
                    }
                    rules->push_back(rule(peers, randomPorts()));
                }
            }
        }
        for (bool matches_pods : {true, false}) {
            const auto m = f.map(matches_pods);
            EvaluatorOptions eo;
            eo.ipblock_matches_pods = matches_pods;
            const PolicyEvaluator eval(f.cluster, f.policies(), eo);
            auto end = [&](size_t w) {
                return ConnectionEnd{w, f.cluster.workloads[w].pod_ips.front()};
            };
            for (size_t s = 0; s < f.cluster.workloads.size(); ++s) {
                for (size_t d = 0; d < f.cluster.workloads.size(); ++d) {
                    if (s == d) {
                        continue;
                    }
                    const ConnectionSet& got =
                        m.allowed({ConnectivityPeer::Kind::kWorkload, s, 0, 0},
                                  {ConnectivityPeer::Kind::kWorkload, d, 0, 0});
                    for (Protocol proto : protocols) {
                        for (uint32_t port_number : {79U, 80U, 81U, 82U, 83U}) {
                            const bool want = eval.allowed({end(s), end(d), proto, port_number});
                            ++(want ? allowed_checks : denied_checks);
                            ASSERT_EQ(got.contains(proto, port_number), want)
                                << "round " << round << " " << s << "->" << d << " "
                                << protocolName(proto) << "/" << port_number << " got "
                                << got.toString();
                        }
                    }
                }
                // Against outside addresses, both ways.
                for (const char* ip : {"10.0.0.77", "10.0.1.5", "10.3.0.1", "8.8.8.8"}) {
                    const ConnectionEnd ext{std::nullopt, *IpAddress::parse(ip)};
                    const ConnectivityPeer w{ConnectivityPeer::Kind::kWorkload, s, 0, 0};
                    const ConnectionSet& out = m.allowed(w, atomOf(m.destinations(), ip));
                    const ConnectionSet& in = m.allowed(atomOf(m.sources(), ip), w);
                    for (Protocol proto : protocols) {
                        for (uint32_t port_number : {80U, 81U, 83U}) {
                            ASSERT_EQ(out.contains(proto, port_number),
                                      eval.allowed({end(s), ext, proto, port_number}))
                                << "round " << round << " " << s << "->" << ip;
                            ASSERT_EQ(in.contains(proto, port_number),
                                      eval.allowed({ext, end(s), proto, port_number}))
                                << "round " << round << " " << ip << "->" << s;
                        }
                    }
                }
            }
        }
    }
    // Not vacuous: both outcomes occur often.
    EXPECT_GT(allowed_checks, 1000u);
    EXPECT_GT(denied_checks, 1000u);
}

// ---- exposure
// -------------------------------------------------------------------------------------

TEST(Exposure, UnprotectedAndEntireClusterAndRepresentatives) {
    Fixture f;
    f.addWorkload("hello", "a", {{"app", "a"}}, {{"http", 8090, Protocol::kTcp}});
    f.addWorkload("hello", "b", {{"app", "b"}});
    auto& p = f.addPolicy("hello", "p", sel({{"app", "a"}}));
    p.ingress = {
        rule({nsPeer(sel({}))}, {port(8050)}),                         // entire cluster
        rule({nsPeer(expr("env", SelectorOperator::kNotIn, {"x"}))}),  // representative
        rule({podPeer(sel({{"app", "b"}}))}),                          // b exists: no exposure
        rule({podPeer(sel({{"role", "monitoring"}}))}, {namedPort("http")}),
    };
    p.egress = {rule({nsPeer(sel({{"managed", "yes"}}))}, {namedPort("http")})};
    const auto exposure = computeExposure(f.cluster, f.policies());
    ASSERT_EQ(exposure.size(), 2u);
    const WorkloadExposure& a = exposure[0];
    EXPECT_TRUE(a.ingress_protected);
    EXPECT_TRUE(a.egress_protected);
    std::vector<std::string> ingress;
    for (const auto& e : a.ingress) {
        ingress.push_back(e.peer.toString() + " : " + e.conns.toString());
    }
    EXPECT_EQ(ingress,
              (std::vector<std::string>{
                  "entire-cluster : TCP 8050",
                  "[namespace with {{Key:env,Operator:NotIn,Values:[x],}}]/[all pods] : "
                  "All Connections",
                  // the entire-cluster rule selects it too
                  "hello/[pod with {role=monitoring}] : TCP 8050,8090",
              }));
    ASSERT_EQ(a.egress.size(), 1u);
    EXPECT_EQ(a.egress[0].peer.toString(), "[namespace with {managed=yes}]/[all pods]");
    EXPECT_EQ(a.egress[0].conns.toString(), "TCP http");  // unresolved towards an unknown peer
    const WorkloadExposure& b = exposure[1];
    EXPECT_FALSE(b.ingress_protected);
    EXPECT_FALSE(b.egress_protected);
    ASSERT_EQ(b.ingress.size(), 1u);
    EXPECT_EQ(b.ingress[0].peer.toString(), "entire-cluster");
    EXPECT_EQ(b.ingress[0].conns.toString(), kAll);
}

TEST(Exposure, ConnectionsWithNames) {
    ExposureConnections a;
    a.named_ports = {{Protocol::kTcp, "http"}, {Protocol::kTcp, "local-dns"}};
    EXPECT_EQ(a.toString(), "TCP http,local-dns");
    ExposureConnections b;
    b.conns.add(Protocol::kTcp, 80, 80);
    b.unite(a);
    EXPECT_EQ(b.toString(), "TCP 80,http,local-dns");
    EXPECT_TRUE(a.containedIn(b));
    EXPECT_FALSE(b.containedIn(a));
    ExposureConnections all;
    all.conns = ConnectionSet::all();
    all.unite(a);  // names add nothing to a protocol open on every port
    EXPECT_EQ(all.toString(), kAll);
    EXPECT_TRUE(b.containedIn(all));
}

// ---- the `connectivity` command
// ---------------------------------------------------------------------

class ConnectivityCommand : public testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("netpolgen-connectivity-" + std::to_string(::getpid()) + "-" +
                testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
        write("cluster.yaml", kCluster);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text) {
        const std::string path = (dir_ / name).string();
        std::ofstream(path) << text;
        return path;
    }

    int run(std::vector<std::string> args) {
        args.insert(args.begin(), {"netpolgen", "connectivity", "-q"});
        std::vector<const char*> argv;
        for (const auto& a : args) {
            argv.push_back(a.c_str());
        }
        out_.str("");
        err_.str("");
        return cli::runCli(static_cast<int>(argv.size()), argv.data(), out_, err_);
    }

    std::string cluster() const { return (dir_ / "cluster.yaml").string(); }

    static constexpr const char* kCluster = R"(apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        ports: [{name: http, containerPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers: [{name: api}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: http}, {port: 9090}, {port: 9091}]
)";

    std::filesystem::path dir_;
    std::ostringstream out_;
    std::ostringstream err_;
};

TEST_F(ConnectivityCommand, TxtIsNetpolAnalyzersList) {
    ASSERT_EQ(run({"--cluster", cluster()}), 0) << err_.str();
    EXPECT_EQ(out_.str(),
              "0.0.0.0-255.255.255.255[External] => shop/api[Deployment] : All Connections\n"
              "shop/api[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections\n"
              "shop/api[Deployment] => shop/web[Deployment] : TCP 8080,9090-9091\n"
              "shop/web[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections\n"
              "shop/web[Deployment] => shop/api[Deployment] : All Connections\n");
}

TEST_F(ConnectivityCommand, JsonCsvMdDot) {
    ASSERT_EQ(run({"--cluster", cluster(), "--focus", "shop/web", "--format", "json"}), 0);
    EXPECT_EQ(out_.str(),
              "[\n"
              "  {\n"
              "    \"src\": \"shop/api[Deployment]\",\n"
              "    \"dst\": \"shop/web[Deployment]\",\n"
              "    \"conn\": \"TCP 8080,9090-9091\"\n"
              "  },\n"
              "  {\n"
              "    \"src\": \"shop/web[Deployment]\",\n"
              "    \"dst\": \"0.0.0.0-255.255.255.255[External]\",\n"
              "    \"conn\": \"All Connections\"\n"
              "  },\n"
              "  {\n"
              "    \"src\": \"shop/web[Deployment]\",\n"
              "    \"dst\": \"shop/api[Deployment]\",\n"
              "    \"conn\": \"All Connections\"\n"
              "  }\n"
              "]\n");
    ASSERT_EQ(run({"--cluster", cluster(), "--focus", "web", "--format", "csv"}), 0);
    EXPECT_EQ(out_.str(),
              "src,dst,conn\n"
              "shop/api[Deployment],shop/web[Deployment],\"TCP 8080,9090-9091\"\n"
              "shop/web[Deployment],0.0.0.0-255.255.255.255[External],All Connections\n"
              "shop/web[Deployment],shop/api[Deployment],All Connections\n");
    ASSERT_EQ(run({"--cluster", cluster(), "--focus", "shop/web[Deployment]", "--format", "md"}),
              0);
    EXPECT_EQ(out_.str(),
              "| src | dst | conn |\n"
              "|-----|-----|------|\n"
              "| shop/api[Deployment] | shop/web[Deployment] | TCP 8080,9090-9091 |\n"
              "| shop/web[Deployment] | 0.0.0.0-255.255.255.255[External] | All Connections |\n"
              "| shop/web[Deployment] | shop/api[Deployment] | All Connections |\n");
    ASSERT_EQ(run({"--cluster", cluster(), "--format", "dot"}), 0);
    const std::string dot = out_.str();
    EXPECT_EQ(dot.rfind("digraph {\n\tsubgraph cluster_shop {\n", 0), 0u) << dot;
    EXPECT_NE(dot.find("\t\t\"shop/web[Deployment]\" [label=\"web[Deployment]\" color=\"blue\" "
                       "fontcolor=\"blue\"]\n"),
              std::string::npos)
        << dot;
    EXPECT_NE(dot.find("\t\"shop/api[Deployment]\" -> \"shop/web[Deployment]\" [label=\"TCP "
                       "8080,9090-9091\" color=\"gold2\" fontcolor=\"darkgreen\"]\n"),
              std::string::npos)
        << dot;
    EXPECT_NE(dot.find("\t\"0.0.0.0-255.255.255.255[External]\" [label="), std::string::npos);
    EXPECT_EQ(dot.substr(dot.size() - 2), "}\n");
}

TEST_F(ConnectivityCommand, PoliciesReplaceByNameOrAdd) {
    const std::string more = write("more.yaml", R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 443}]}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-api, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Ingress, Egress]
)");
    ASSERT_EQ(run({"--cluster", cluster(), "--policies", more}), 0) << err_.str();
    EXPECT_EQ(out_.str(),
              "0.0.0.0-255.255.255.255[External] => shop/web[Deployment] : TCP 443\n"
              "shop/web[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections\n");
    const std::string none =
        write("none.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n");
    EXPECT_EQ(run({"--cluster", cluster(), "--policies", none}), 2);
    EXPECT_NE(err_.str().find("no NetworkPolicy objects"), std::string::npos) << err_.str();
}

TEST_F(ConnectivityCommand, ExposureSection) {
    ASSERT_EQ(run({"--cluster", cluster(), "--exposure", "--focus", "shop/web"}), 0);
    EXPECT_EQ(out_.str(),
              "shop/api[Deployment] => shop/web[Deployment] : TCP 8080,9090-9091\n"
              "shop/web[Deployment] => 0.0.0.0-255.255.255.255[External] : All Connections\n"
              "shop/web[Deployment] => shop/api[Deployment] : All Connections\n"
              "\n"
              "Exposure Analysis Result:\n"
              "Egress Exposure:\n"
              "shop/web[Deployment] \t=> \t0.0.0.0-255.255.255.255[External] : All Connections\n"
              "shop/web[Deployment] \t=> \tentire-cluster : All Connections\n"
              "\n"
              "Workloads not protected by network policies:\n"
              "shop/web[Deployment] is not protected on Egress\n");
}

TEST_F(ConnectivityCommand, BadInputExitsTwoWithFileAndLine) {
    const std::string bad = write("bad.yaml", R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {}
  ingress:
  - from: [{}]
)");
    EXPECT_EQ(run({"--cluster", bad}), 2);
    EXPECT_NE(err_.str().find("bad.yaml:7:"), std::string::npos) << err_.str();
    EXPECT_EQ(run({"--cluster", cluster(), "--policies", bad}), 2);
    EXPECT_NE(err_.str().find("bad.yaml:7:"), std::string::npos) << err_.str();
    EXPECT_EQ(run({"--cluster", cluster(), "--focus", "shop/nope"}), 2);
    EXPECT_NE(err_.str().find("--focus shop/nope: no such workload"), std::string::npos);
    EXPECT_EQ(run({"--cluster", cluster(), "--format", "yaml"}), 2);
    EXPECT_EQ(out_.str(), "");
}

TEST_F(ConnectivityCommand, IpBlockMatchesPodsSwitch) {
    const std::string pods = write("pods.yaml", R"(apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
status: {podIP: 10.244.0.5}
---
apiVersion: v1
kind: Pod
metadata: {name: server, namespace: shop, labels: {app: server}}
status: {podIP: 10.244.0.6}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: p, namespace: shop}
spec:
  podSelector: {matchLabels: {app: server}}
  ingress: [{from: [{ipBlock: {cidr: 10.244.0.5/32}}]}]
)");
    ASSERT_EQ(run({"--cluster", pods, "--focus", "server"}), 0) << err_.str();
    EXPECT_NE(out_.str().find("shop/client[Pod] => shop/server[Pod] : All Connections"),
              std::string::npos)
        << out_.str();
    ASSERT_EQ(run({"--cluster", pods, "--focus", "server", "--ipblock-matches-pods=false"}), 0);
    EXPECT_EQ(out_.str().find("shop/client[Pod] => shop/server[Pod]"), std::string::npos)
        << out_.str();
    EXPECT_NE(out_.str().find("10.244.0.5-10.244.0.5[External] => shop/server[Pod] : All "
                              "Connections"),
              std::string::npos)
        << out_.str();
}

TEST_F(ConnectivityCommand, SvgNeedsGraphvizDot) {
    const char* old_path = std::getenv("PATH");
    const std::string saved = old_path != nullptr ? old_path : "";
    ::setenv("PATH", dir_.c_str(), 1);  // no `dot` there
    const int rc = run({"--cluster", cluster(), "--format", "svg"});
    ::setenv("PATH", saved.c_str(), 1);
    EXPECT_EQ(rc, 1);
    EXPECT_NE(err_.str().find("needs Graphviz's `dot` on PATH"), std::string::npos) << err_.str();
    EXPECT_EQ(out_.str(), "");
    // With Graphviz installed (scripts/install-deps.sh), an SVG document.
    if (std::filesystem::exists("/usr/bin/dot")) {
        ASSERT_EQ(run({"--cluster", cluster(), "--format", "svg"}), 0) << err_.str();
        EXPECT_NE(out_.str().find("<svg"), std::string::npos);
        EXPECT_NE(out_.str().find("shop/web[Deployment]"), std::string::npos);
    }
}

}  // namespace
}  // namespace netpolgen::core
