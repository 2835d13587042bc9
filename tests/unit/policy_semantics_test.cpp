// One test per rule of docs/networkpolicy-semantics.md, against core::PolicyEvaluator. Policies are
// written as YAML and decoded with io::decodeNetworkPolicy, so the API server's defaulting the
// decoder applies (policyTypes, protocol) is part of what is tested. The last tests run
// `netpolgen explain` end to end.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "core/cluster_builder.h"
#include "core/policy_evaluator.h"
#include "io/manifest_decoder.h"
#include "io/source_tree.h"

namespace netpolgen::core {
namespace {

// Namespaces shop (team=shop), ops (team=ops) and other (no label but its name):
//   shop/web      app=web                  http 8080/TCP                         10.0.0.10
//   shop/api      app=api, tier=backend    http 9090/TCP, dns 53/UDP             10.0.0.11
//   shop/db       app=db, tier=data        sql 5432/TCP, metrics 9100/SCTP       10.0.0.12
//   shop/agent    app=monitor              (none)                                10.0.0.13
//   ops/monitor   app=monitor              metrics 9100/TCP                      10.0.1.10
//   ops/backup    app=backup               (none)                                10.0.1.11
//   other/client  app=client               (none)                                10.0.2.10
class PolicySemantics : public ::testing::Test {
protected:
    void SetUp() override {
        ClusterObjects objects;
        objects.namespaces.push_back({"shop", {{"team", "shop"}}, true, ""});
        objects.namespaces.push_back({"ops", {{"team", "ops"}}, true, ""});
        objects.namespaces.push_back({"other", {}, true, ""});
        add(objects,
            "shop",
            "web",
            {{"app", "web"}},
            {{"http", 8080, Protocol::kTcp}},
            "10.0.0.10");
        add(objects,
            "shop",
            "api",
            {{"app", "api"}, {"tier", "backend"}},
            {{"http", 9090, Protocol::kTcp}, {"dns", 53, Protocol::kUdp}},
            "10.0.0.11");
        add(objects,
            "shop",
            "db",
            {{"app", "db"}, {"tier", "data"}},
            {{"sql", 5432, Protocol::kTcp}, {"metrics", 9100, Protocol::kSctp}},
            "10.0.0.12");
        add(objects, "shop", "agent", {{"app", "monitor"}}, {}, "10.0.0.13");
        add(objects,
            "ops",
            "monitor",
            {{"app", "monitor"}},
            {{"metrics", 9100, Protocol::kTcp}},
            "10.0.1.10");
        add(objects, "ops", "backup", {{"app", "backup"}}, {}, "10.0.1.11");
        add(objects, "other", "client", {{"app", "client"}}, {}, "10.0.2.10");
        std::vector<std::string> warnings;
        cluster_ = buildCluster(std::move(objects), warnings);
    }

    static void add(ClusterObjects& objects,
                    const std::string& ns,
                    const std::string& name,
                    Labels labels,
                    std::vector<ContainerPort> ports,
                    const std::string& ip) {
        Workload w;
        w.ns = ns;
        w.name = name;
        w.pod_labels = std::move(labels);
        w.ports = std::move(ports);
        w.pod_ips.push_back(*IpAddress::parse(ip));
        objects.workloads.push_back(std::move(w));
    }

    // A NetworkPolicy ns/name around a spec written in YAML (indented by two spaces).
    void policy(const std::string& spec, const std::string& ns = "shop", std::string name = "") {
        if (name.empty()) {
            name = "p" + std::to_string(policies_.size());
        }
        const std::string text =
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            "metadata: {name: " +
            name + ", namespace: " + ns + "}\nspec:\n" + spec;
        auto docs = io::parseDocuments(text, {});
        ASSERT_TRUE(docs.ok()) << docs.error() << "\n" << text;
        ASSERT_EQ(docs->size(), 1u);
        auto p = io::decodeNetworkPolicy((*docs)[0], "test.yaml");
        ASSERT_TRUE(p.ok()) << p.error();
        policies_.push_back(std::move(*p));
    }

    PolicyEvaluator evaluator(bool ipblock_matches_pods = true) const {
        std::vector<const NetworkPolicy*> pointers;
        for (const auto& p : policies_) {
            pointers.push_back(&p);
        }
        EvaluatorOptions options;
        options.ipblock_matches_pods = ipblock_matches_pods;
        return PolicyEvaluator(cluster_, pointers, options);
    }

    size_t index(const std::string& ns_name) const {
        for (size_t i = 0; i < cluster_.workloads.size(); ++i) {
            const Workload& w = cluster_.workloads[i];
            if (w.ns + "/" + w.name == ns_name) {
                return i;
            }
        }
        ADD_FAILURE() << "no workload " << ns_name;
        return 0;
    }

    // A pod of the workload, with its IP; an external address; a workload without an IP.
    ConnectionEnd pod(const std::string& ns_name) const {
        const size_t i = index(ns_name);
        return {i, cluster_.workloads[i].pod_ips.front()};
    }
    static ConnectionEnd ext(const std::string& ip) {
        return {std::nullopt, *IpAddress::parse(ip)};
    }
    ConnectionEnd workloadOnly(const std::string& ns_name) const {
        return {index(ns_name), std::nullopt};
    }

    bool allowed(const ConnectionEnd& src,
                 const ConnectionEnd& dst,
                 uint32_t port = 8080,
                 Protocol protocol = Protocol::kTcp,
                 bool ipblock_matches_pods = true) const {
        const PolicyEvaluator eval = evaluator(ipblock_matches_pods);
        const Connection c{src, dst, protocol, port};
        const bool verdict = eval.allowed(c);
        // explain() must always agree with allowed().
        const Explanation e = eval.explain(c);
        EXPECT_EQ(e.allowed, verdict);
        EXPECT_EQ(e.egress.allowed, eval.egressAllowed(c));
        EXPECT_EQ(e.ingress.allowed, eval.ingressAllowed(c));
        return verdict;
    }

    Cluster cluster_;
    std::vector<NetworkPolicy> policies_;
};

// --- §1 defaulting ---------------------------------------------------------------------------

TEST_F(PolicySemantics, NoTypesNoRulesDefaultsToIngressDenyAll) {
    policy("  podSelector: {matchLabels: {app: web}}\n");
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/web")));
    EXPECT_FALSE(allowed(ext("8.8.8.8"), pod("shop/web")));
    // Egress of web is not isolated.
    EXPECT_TRUE(allowed(pod("shop/web"), pod("ops/backup")));
    const auto e = evaluator().explain({pod("shop/web"), pod("ops/backup"), Protocol::kTcp, 80});
    EXPECT_FALSE(e.egress.isolated);
}

TEST_F(PolicySemantics, NoTypesWithEmptyEgressListIsIngressOnly) {
    policy("  podSelector: {matchLabels: {app: web}}\n  egress: []\n");
    EXPECT_TRUE(allowed(pod("shop/web"), pod("ops/backup")));
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/web")));
}

TEST_F(PolicySemantics, NoTypesWithEgressRulesAddsEgressAndDeniesIngress) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  egress:\n  - to: [{podSelector: {matchLabels: {app: db}}}]\n");
    EXPECT_TRUE(allowed(pod("shop/web"), pod("shop/db"), 5432));
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/api"), 9090));
    // The side effect: ingress deny-all, because policyTypes defaulted to [Ingress, Egress].
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/web")));
}

TEST_F(PolicySemantics, ExplicitPolicyTypesAreAuthoritative) {
    // Egress only: the ingress section is ignored and ingress is not isolated.
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  policyTypes: [Egress]\n"
        "  ingress: []\n"
        "  egress: [{}]\n");
    EXPECT_TRUE(allowed(pod("shop/api"), pod("shop/web")));
    EXPECT_FALSE(evaluator()
                     .explain({pod("shop/api"), pod("shop/web"), Protocol::kTcp, 8080})
                     .ingress.isolated);
    // Ingress only: egress rules are ignored, egress is not isolated.
    policy(
        "  podSelector: {matchLabels: {app: api}}\n"
        "  policyTypes: [Ingress]\n"
        "  ingress: [{}]\n"
        "  egress: [{to: [{podSelector: {matchLabels: {app: nothing}}}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/api"), pod("other/client"), 1234));
    // An explicit empty list is defaulted like an absent one.
    policy("  podSelector: {matchLabels: {app: db}}\n  policyTypes: []\n");
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/db"), 5432));
    EXPECT_TRUE(allowed(pod("shop/db"), pod("shop/web")));
}

// --- §2 isolation ----------------------------------------------------------------------------

TEST_F(PolicySemantics, SelectorMatchingNoPodIsInert) {
    policy("  podSelector: {matchLabels: {app: nothing}}\n  policyTypes: [Ingress, Egress]\n");
    EXPECT_TRUE(allowed(pod("shop/api"), pod("shop/web")));
}

TEST_F(PolicySemantics, PoliciesOnlySelectPodsOfTheirNamespace) {
    policy("  podSelector: {}\n", "ops");
    EXPECT_TRUE(allowed(pod("ops/monitor"), pod("shop/web")));
    EXPECT_FALSE(allowed(pod("shop/web"), pod("ops/monitor"), 9100));
}

TEST_F(PolicySemantics, SameNamespaceGetsNoImplicitAllowance) {
    policy("  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n");
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/web")));
}

TEST_F(PolicySemantics, PoliciesAreAdditive) {
    policy("  podSelector: {}\n  policyTypes: [Ingress]\n");  // deny all in shop
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/api"), pod("shop/web")));
    EXPECT_FALSE(allowed(pod("shop/db"), pod("shop/web")));
    // One allow-all rule reopens everything, however many restrictive policies there are.
    policy("  podSelector: {matchLabels: {app: web}}\n  ingress: [{}]\n");
    EXPECT_TRUE(allowed(pod("shop/db"), pod("shop/web")));
    EXPECT_TRUE(allowed(ext("8.8.8.8"), pod("shop/web"), 1, Protocol::kUdp));
}

TEST_F(PolicySemantics, EgressAndIngressMustBothAllow) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n"
        "  egress: [{to: [{podSelector: {matchLabels: {app: api}}}]}]\n");
    policy("  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress]\n");
    // web may send to api, but api admits nothing.
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/api"), 9090));
    const auto e = evaluator().explain({pod("shop/web"), pod("shop/api"), Protocol::kTcp, 9090});
    EXPECT_TRUE(e.egress.allowed);
    EXPECT_FALSE(e.ingress.allowed);
    // The server allows db, but db's egress... is not isolated; web's egress blocks web → db.
    policy(
        "  podSelector: {matchLabels: {app: db}}\n"
        "  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]\n");
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/db"), 5432));
    policy(
        "  podSelector: {matchLabels: {app: api}}\n"
        "  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/web"), pod("shop/api"), 9090));
}

TEST_F(PolicySemantics, ExternalEndpointsAreNeverIsolated) {
    policy("  podSelector: {}\n  policyTypes: [Ingress, Egress]\n  ingress: [{}]\n");
    const auto e = evaluator().explain({ext("8.8.8.8"), pod("shop/web"), Protocol::kTcp, 8080});
    EXPECT_FALSE(e.egress.subject_in_cluster);
    EXPECT_FALSE(e.egress.isolated);
    EXPECT_TRUE(e.ingress.isolated);
    EXPECT_TRUE(e.allowed);
    // The pod's egress is isolated; the external destination's ingress is not.
    const auto out = evaluator().explain({pod("shop/web"), ext("8.8.8.8"), Protocol::kTcp, 443});
    EXPECT_FALSE(out.ingress.isolated);
    EXPECT_TRUE(out.egress.isolated);
    EXPECT_FALSE(out.allowed);
    EXPECT_TRUE(allowed(ext("1.1.1.1"), ext("8.8.8.8"), 53, Protocol::kUdp));
}

// --- §3 rules --------------------------------------------------------------------------------

TEST_F(PolicySemantics, EmptyIngressListDeniesEverything) {
    policy("  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress: []\n");
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/web")));
    EXPECT_FALSE(allowed(ext("8.8.8.8"), pod("shop/web")));
}

TEST_F(PolicySemantics, EmptyRuleAllowsEverythingIncludingExternal) {
    policy("  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress: [{}]\n");
    EXPECT_TRUE(allowed(pod("other/client"), pod("shop/web"), 1, Protocol::kSctp));
    EXPECT_TRUE(allowed(ext("8.8.8.8"), pod("shop/web"), 65535, Protocol::kUdp));
    // Same for egress.
    policy("  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n  egress: [{}]\n");
    EXPECT_TRUE(allowed(pod("shop/api"), ext("8.8.8.8"), 443));
    policy("  podSelector: {matchLabels: {app: db}}\n  policyTypes: [Egress]\n  egress: []\n");
    EXPECT_FALSE(allowed(pod("shop/db"), ext("8.8.8.8"), 443));
}

TEST_F(PolicySemantics, PeersAndPortsOfARuleAreAnded) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  ingress:\n"
        "  - from: [{podSelector: {matchLabels: {app: api}}}]\n"
        "    ports: [{port: 8080}]\n");
    EXPECT_TRUE(allowed(pod("shop/api"), pod("shop/web"), 8080));
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/web"), 8081));
    EXPECT_FALSE(allowed(pod("shop/db"), pod("shop/web"), 8080));
}

TEST_F(PolicySemantics, EmptyPeerListMeansEveryoneIncludingExternal) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n  ingress: [{from: [], ports: [{port: "
        "8080}]}]\n");
    EXPECT_TRUE(allowed(ext("8.8.8.8"), pod("shop/web"), 8080));
    EXPECT_TRUE(allowed(pod("other/client"), pod("shop/web"), 8080));
    EXPECT_FALSE(allowed(pod("other/client"), pod("shop/web"), 80));
}

// --- §4 peers --------------------------------------------------------------------------------

TEST_F(PolicySemantics, SelectorsInOnePeerAreAnded) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  ingress:\n"
        "  - from:\n"
        "    - namespaceSelector: {matchLabels: {team: ops}}\n"
        "      podSelector: {matchLabels: {app: monitor}}\n");
    EXPECT_TRUE(allowed(pod("ops/monitor"), pod("shop/web")));
    EXPECT_FALSE(allowed(pod("ops/backup"), pod("shop/web")));  // namespace yes, pod no
    EXPECT_FALSE(allowed(pod("shop/agent"), pod("shop/web")));  // pod yes, namespace no
}

TEST_F(PolicySemantics, SeparatePeersAreOred) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  ingress:\n"
        "  - from:\n"
        "    - namespaceSelector: {matchLabels: {team: ops}}\n"
        "    - podSelector: {matchLabels: {app: monitor}}\n");
    EXPECT_TRUE(allowed(pod("ops/backup"), pod("shop/web")));  // any pod of ops
    EXPECT_TRUE(allowed(pod("shop/agent"), pod("shop/web")));  // app=monitor of shop
    EXPECT_TRUE(allowed(pod("ops/monitor"), pod("shop/web")));
    EXPECT_FALSE(allowed(pod("other/client"), pod("shop/web")));
    const auto e = evaluator().explain({pod("shop/agent"), pod("shop/web"), Protocol::kTcp, 8080});
    ASSERT_TRUE(e.ingress.allowed_by.has_value());
    EXPECT_EQ(e.ingress.allowed_by->peer, std::optional<size_t>(1));
    ASSERT_EQ(e.ingress.policies.size(), 1u);
    EXPECT_EQ(e.ingress.policies[0].rules[0].peers[0], PeerMismatch::kNamespaceSelector);
}

TEST_F(PolicySemantics, PodSelectorOnlyPeerIsThePolicyNamespace) {
    policy("  podSelector: {matchLabels: {app: web}}\n  ingress: [{from: [{podSelector: {}}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/db"), pod("shop/web")));
    EXPECT_FALSE(allowed(pod("ops/monitor"), pod("shop/web")));  // app=monitor, but in ops
    const auto e = evaluator().explain({pod("ops/monitor"), pod("shop/web"), Protocol::kTcp, 8080});
    EXPECT_EQ(e.ingress.policies[0].rules[0].peers[0], PeerMismatch::kOtherNamespace);
}

TEST_F(PolicySemantics, EmptyNamespaceSelectorIsEveryPodButNoExternalAddress) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n  ingress: [{from: [{namespaceSelector: "
        "{}}]}]\n");
    EXPECT_TRUE(allowed(pod("ops/monitor"), pod("shop/web")));
    EXPECT_TRUE(allowed(pod("other/client"), pod("shop/web")));
    EXPECT_TRUE(allowed(workloadOnly("other/client"), pod("shop/web")));
    EXPECT_FALSE(allowed(ext("8.8.8.8"), pod("shop/web")));
    EXPECT_FALSE(allowed(ext("10.0.5.5"), pod("shop/web")));  // in-cluster range, not a pod
}

TEST_F(PolicySemantics, NamespaceSelectorMatchesNamespaceLabels) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  ingress: [{from: [{namespaceSelector: {matchLabels: {team: ops}}}]}]\n");
    policy(
        "  podSelector: {matchLabels: {app: api}}\n"
        "  ingress: [{from: [{namespaceSelector: "
        "{matchLabels: {kubernetes.io/metadata.name: other}}}]}]\n");
    EXPECT_TRUE(allowed(pod("ops/backup"), pod("shop/web")));
    EXPECT_FALSE(allowed(pod("other/client"), pod("shop/web")));  // no team label
    EXPECT_TRUE(allowed(pod("other/client"), pod("shop/api"), 9090));
    EXPECT_FALSE(allowed(pod("ops/backup"), pod("shop/api"), 9090));
}

TEST_F(PolicySemantics, IpBlockExceptIsSubtracted) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  ingress: [{from: [{ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}}]}]\n");
    EXPECT_TRUE(allowed(ext("192.168.2.5"), pod("shop/web")));
    EXPECT_FALSE(allowed(ext("192.168.1.5"), pod("shop/web")));
    EXPECT_FALSE(allowed(ext("10.9.9.9"), pod("shop/web")));
    const auto e = evaluator().explain({ext("192.168.1.5"), pod("shop/web"), Protocol::kTcp, 8080});
    EXPECT_EQ(e.ingress.policies[0].rules[0].peers[0], PeerMismatch::kExcepted);
}

TEST_F(PolicySemantics, ExceptOnlySubtractsFromItsOwnPeer) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  ingress:\n"
        "  - from:\n"
        "    - ipBlock: {cidr: 192.168.0.0/16, except: [192.168.1.0/24]}\n"
        "    - ipBlock: {cidr: 192.168.1.0/28}\n");
    EXPECT_TRUE(allowed(ext("192.168.1.5"), pod("shop/web")));
    EXPECT_FALSE(allowed(ext("192.168.1.200"), pod("shop/web")));
    // Another policy may admit an excepted address too.
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  ingress: [{from: [{ipBlock: {cidr: 192.168.1.128/25}}]}]\n");
    EXPECT_TRUE(allowed(ext("192.168.1.200"), pod("shop/web")));
}

TEST_F(PolicySemantics, IpBlockMatchesPodIpsUnlessSwitchedOff) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  ingress: [{from: [{ipBlock: {cidr: 10.0.1.10/32}}]}]\n");
    EXPECT_TRUE(allowed(pod("ops/monitor"), pod("shop/web")));
    EXPECT_FALSE(allowed(pod("ops/monitor"), pod("shop/web"), 8080, Protocol::kTcp, false));
    // A workload named without an IP never matches an ipBlock.
    EXPECT_FALSE(allowed(workloadOnly("ops/monitor"), pod("shop/web")));
    const auto e =
        evaluator().explain({workloadOnly("ops/monitor"), pod("shop/web"), Protocol::kTcp, 8080});
    EXPECT_EQ(e.ingress.policies[0].rules[0].peers[0], PeerMismatch::kNoAddress);
    const auto off =
        evaluator(false).explain({pod("ops/monitor"), pod("shop/web"), Protocol::kTcp, 8080});
    EXPECT_EQ(off.ingress.policies[0].rules[0].peers[0], PeerMismatch::kPodAddress);
    // Egress to a pod IP by ipBlock (the upstream e2e "egress access to server in CIDR block").
    policy(
        "  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n"
        "  egress: [{to: [{ipBlock: {cidr: 10.0.0.12/32}}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/api"), pod("shop/db"), 5432));
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/db"), 5432, Protocol::kTcp, false));
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/web")));
}

TEST_F(PolicySemantics, IpBlockMatchesItsOwnAddressFamilyOnly) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  ingress: [{from: [{ipBlock: {cidr: \"::/0\"}}]}]\n");
    EXPECT_FALSE(allowed(ext("8.8.8.8"), pod("shop/web")));
    EXPECT_TRUE(allowed(ext("2001:db8::1"), pod("shop/web")));
    policy(
        "  podSelector: {matchLabels: {app: api}}\n"
        "  ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]\n");
    EXPECT_TRUE(allowed(ext("8.8.8.8"), pod("shop/api"), 9090));
    EXPECT_FALSE(allowed(ext("2001:db8::1"), pod("shop/api"), 9090));
}

// --- §5 label selectors ----------------------------------------------------------------------

TEST_F(PolicySemantics, NotInAndDoesNotExistMatchAbsentKeys) {
    policy(
        "  podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: [backend]}]}\n"
        "  policyTypes: [Ingress]\n");
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/web")));       // web has no tier: selected
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/db"), 5432));  // tier=data: selected
    EXPECT_TRUE(allowed(pod("shop/web"), pod("shop/api"), 9090));  // tier=backend: not selected
    policy(
        "  podSelector: {matchLabels: {app: api}}\n"
        "  ingress:\n"
        "  - from:\n"
        "    - podSelector: {matchExpressions: [{key: tier, operator: DoesNotExist}]}\n"
        "    - namespaceSelector: {matchExpressions: [{key: team, operator: NotIn, values: "
        "[ops]}]}\n"
        "      podSelector: {matchLabels: {app: client}}\n");
    EXPECT_TRUE(allowed(pod("shop/agent"), pod("shop/api"), 9090));    // no tier label
    EXPECT_FALSE(allowed(pod("shop/db"), pod("shop/api"), 9090));      // tier=data
    EXPECT_TRUE(allowed(pod("other/client"), pod("shop/api"), 9090));  // no team label: NotIn
    EXPECT_FALSE(allowed(pod("ops/backup"), pod("shop/api"), 9090));
}

// --- §6 ports and protocols ------------------------------------------------------------------

TEST_F(PolicySemantics, ProtocolDefaultsToTcp) {
    policy("  podSelector: {matchLabels: {app: api}}\n  ingress: [{ports: [{port: 53}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/web"), pod("shop/api"), 53, Protocol::kTcp));
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/api"), 53, Protocol::kUdp));
}

TEST_F(PolicySemantics, PortWithoutNumberIsEveryPortOfItsProtocol) {
    policy("  podSelector: {matchLabels: {app: api}}\n  ingress: [{ports: [{protocol: TCP}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/web"), pod("shop/api"), 1));
    EXPECT_TRUE(allowed(pod("shop/web"), pod("shop/api"), 65535));
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/api"), 53, Protocol::kUdp));
}

TEST_F(PolicySemantics, UdpRuleNeverAllowsTcp) {
    policy("  podSelector: {matchLabels: {app: api}}\n  ingress: [{ports: [{protocol: UDP}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/web"), pod("shop/api"), 53, Protocol::kUdp));
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/api"), 53, Protocol::kTcp));
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/api"), 53, Protocol::kSctp));
}

TEST_F(PolicySemantics, SctpRuleNeverAllowsTcp) {
    policy(
        "  podSelector: {matchLabels: {app: db}}\n"
        "  ingress: [{ports: [{protocol: SCTP, port: 5432}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/web"), pod("shop/db"), 5432, Protocol::kSctp));
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/db"), 5432, Protocol::kTcp));
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/db"), 5432, Protocol::kUdp));
    const auto e = evaluator().explain({pod("shop/web"), pod("shop/db"), Protocol::kTcp, 5432});
    EXPECT_EQ(e.ingress.policies[0].rules[0].ports[0], PortMismatch::kProtocol);
}

TEST_F(PolicySemantics, EndPortIsAnInclusiveRange) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n"
        "  ingress: [{ports: [{port: 8000, endPort: 8100}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/api"), pod("shop/web"), 8000));
    EXPECT_TRUE(allowed(pod("shop/api"), pod("shop/web"), 8100));
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/web"), 7999));
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/web"), 8101));
    EXPECT_FALSE(allowed(pod("shop/api"), pod("shop/web"), 8050, Protocol::kUdp));
}

TEST_F(PolicySemantics, NamedPortsResolvePerDestinationPod) {
    // web: http=8080, api: http=9090.
    policy("  podSelector: {}\n  ingress: [{ports: [{port: http}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/db"), pod("shop/web"), 8080));
    EXPECT_FALSE(allowed(pod("shop/db"), pod("shop/web"), 9090));
    EXPECT_TRUE(allowed(pod("shop/db"), pod("shop/api"), 9090));
    EXPECT_FALSE(allowed(pod("shop/db"), pod("shop/api"), 8080));
    // db serves 5432 as "sql", not "http"; agent has no ports at all.
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/db"), 5432));
    const auto e = evaluator().explain({pod("shop/db"), pod("shop/api"), Protocol::kTcp, 8080});
    EXPECT_EQ(e.ingress.policies[0].rules[0].ports[0], PortMismatch::kNamedOtherNumber);
}

TEST_F(PolicySemantics, NamedPortWithAnotherProtocolDoesNotMatch) {
    // db's "metrics" is SCTP 9100.
    policy(
        "  podSelector: {matchLabels: {app: db}}\n"
        "  ingress: [{ports: [{protocol: UDP, port: metrics}]}]\n");
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/db"), 9100, Protocol::kUdp));
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/db"), 9100, Protocol::kSctp));
    const auto e = evaluator().explain({pod("shop/web"), pod("shop/db"), Protocol::kUdp, 9100});
    EXPECT_EQ(e.ingress.policies[0].rules[0].ports[0], PortMismatch::kNamedNotOnPod);
    policy(
        "  podSelector: {matchLabels: {app: db}}\n"
        "  ingress: [{ports: [{protocol: SCTP, port: metrics}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/web"), pod("shop/db"), 9100, Protocol::kSctp));
}

TEST_F(PolicySemantics, NamedPortsInEgressResolveAgainstTheRemotePod) {
    policy(
        "  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n"
        "  egress: [{ports: [{port: http}]}]\n");
    EXPECT_TRUE(allowed(pod("shop/web"), pod("shop/api"), 9090));
    EXPECT_FALSE(allowed(pod("shop/web"), pod("shop/api"), 8080));  // web's own http number
    EXPECT_FALSE(allowed(pod("shop/web"), ext("8.8.8.8"), 8080));   // never external
    const auto e = evaluator().explain({pod("shop/web"), ext("8.8.8.8"), Protocol::kTcp, 8080});
    EXPECT_EQ(e.egress.policies[0].rules[0].ports[0], PortMismatch::kNamedExternal);
}

// --- explain ---------------------------------------------------------------------------------

TEST_F(PolicySemantics, ExplainNamesTheAdmittingRuleAndEveryFailure) {
    policy("  podSelector: {}\n  policyTypes: [Ingress]\n", "shop", "deny-all");
    policy(
        "  podSelector: {matchLabels: {app: api}}\n"
        "  ingress:\n"
        "  - from: [{podSelector: {matchLabels: {app: db}}}]\n"
        "  - from: [{podSelector: {matchLabels: {app: web}}}]\n"
        "    ports: [{port: 1}, {port: http}]\n",
        "shop",
        "api");
    const auto e = evaluator().explain({pod("shop/web"), pod("shop/api"), Protocol::kTcp, 9090});
    EXPECT_TRUE(e.allowed);
    EXPECT_FALSE(e.egress.isolated);
    EXPECT_TRUE(e.ingress.isolated);
    ASSERT_EQ(e.ingress.policies.size(), 2u);
    EXPECT_TRUE(e.ingress.policies[0].rules.empty());  // deny-all (sorted first here)
    ASSERT_TRUE(e.ingress.allowed_by.has_value());
    EXPECT_EQ(e.ingress.allowed_by->policy->name, "api");
    EXPECT_EQ(e.ingress.allowed_by->rule, 1u);
    EXPECT_EQ(e.ingress.allowed_by->peer, std::optional<size_t>(0));
    EXPECT_EQ(e.ingress.allowed_by->port, std::optional<size_t>(1));
    const RuleCheck& first = e.ingress.policies[1].rules[0];
    EXPECT_FALSE(first.admits());
    EXPECT_EQ(first.peers, std::vector<PeerMismatch>{PeerMismatch::kPodSelector});
    const RuleCheck& second = e.ingress.policies[1].rules[1];
    EXPECT_EQ(second.ports,
              (std::vector<PortMismatch>{PortMismatch::kNumber, PortMismatch::kMatch}));
}

// --- netpolgen explain -----------------------------------------------------------------------

class ExplainCommand : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("netpolgen-explain-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
        write("cluster.yaml", R"(apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: api-7d9f-x2lqz
  namespace: shop
  labels: {app: api}
  ownerReferences: [{kind: ReplicaSet, name: api-7d9f, controller: true}]
spec: {containers: [{name: c}]}
status: {podIP: 10.0.0.11}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  clusterIP: 10.96.0.10
  ports: [{port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: http}]
)");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text) {
        const std::string path = (dir_ / name).string();
        std::ofstream(path) << text;
        return path;
    }

    int run(std::vector<std::string> args) {
        args.insert(args.begin(),
                    {"netpolgen", "explain", "--cluster", (dir_ / "cluster.yaml").string()});
        std::vector<const char*> argv;
        for (const auto& a : args) {
            argv.push_back(a.c_str());
        }
        out_.str("");
        err_.str("");
        return cli::runCli(static_cast<int>(argv.size()), argv.data(), out_, err_);
    }

    std::filesystem::path dir_;
    std::ostringstream out_;
    std::ostringstream err_;
};

TEST_F(ExplainCommand, TextNamesTheAdmittingRule) {
    ASSERT_EQ(run({"--src", "shop/api-7d9f-x2lqz", "--dst", "shop/web", "--port", "8080"}), 0)
        << err_.str();
    const std::string text = out_.str();
    EXPECT_EQ(text.rfind("ALLOWED: shop/api-7d9f -> shop/web TCP/8080\n", 0), 0u) << text;
    EXPECT_NE(text.find("egress from shop/api-7d9f: allowed, not isolated"), std::string::npos)
        << text;
    EXPECT_NE(text.find("ingress to shop/web: allowed by shop/web ingress[0]; isolated by "
                        "shop/web\n"),
              std::string::npos)
        << text;
}

TEST_F(ExplainCommand, JsonHasTheDocumentedShape) {
    ASSERT_EQ(run({"--src", "8.8.8.8", "--dst", "shop/web", "--port", "8080", "--format", "json"}),
              0)
        << err_.str();
    const auto j = nlohmann::json::parse(out_.str());
    EXPECT_EQ(j["allowed"], false);
    EXPECT_EQ(j["egress"]["isolated"], false);
    EXPECT_EQ(j["ingress"]["isolated"], true);
    EXPECT_EQ(j["ingress"]["policies"], nlohmann::json::array({"shop/web"}));
    EXPECT_TRUE(j["ingress"]["allowedBy"].is_null());
    EXPECT_EQ(j["ingress"]["rules"][0]["peers"][0]["reason"], "not-a-pod");
    EXPECT_EQ(j["connection"]["src"]["ip"], "8.8.8.8");
}

TEST_F(ExplainCommand, PodIpStandsForItsWorkload) {
    ASSERT_EQ(
        run({"--src", "10.0.0.11", "--dst", "shop/web", "--port", "8080", "--format", "json"}), 0)
        << err_.str();
    const auto j = nlohmann::json::parse(out_.str());
    EXPECT_EQ(j["allowed"], true);
    EXPECT_EQ(j["connection"]["src"]["workload"], "shop/api-7d9f");
    EXPECT_EQ(j["ingress"]["allowedBy"]["policy"], "shop/web");
    EXPECT_EQ(j["ingress"]["allowedBy"]["peer"], 0);
}

TEST_F(ExplainCommand, PoliciesFileReplacesByNamespaceAndName) {
    const std::string file = write("new.yaml", R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
)");
    ASSERT_EQ(
        run({"--policies", file, "--src", "shop/api-7d9f", "--dst", "shop/web", "--port", "8080"}),
        0)
        << err_.str();
    EXPECT_EQ(out_.str().rfind("DENIED", 0), 0u) << out_.str();
    EXPECT_NE(out_.str().find("shop/web: no ingress rules (admits nothing)"), std::string::npos);
    EXPECT_NE(out_.str().find("1 of them replacing"), std::string::npos);
}

TEST_F(ExplainCommand, BadInputExitsTwoNamingTheArgument) {
    EXPECT_EQ(run({"--src", "shop/nope", "--dst", "shop/web", "--port", "80"}), 2);
    EXPECT_NE(err_.str().find("--src \"shop/nope\": unknown workload"), std::string::npos)
        << err_.str();
    EXPECT_EQ(run({"--src", "shop/web", "--dst", "nope", "--port", "80"}), 2);
    EXPECT_NE(err_.str().find("--dst \"nope\""), std::string::npos) << err_.str();
    EXPECT_EQ(run({"--src", "shop/web", "--dst", "shop/web", "--port", "0"}), 2);
    EXPECT_NE(err_.str().find("--port 0"), std::string::npos) << err_.str();
    EXPECT_EQ(run({"--src", "shop/web", "--dst", "shop/web", "--port", "80", "--protocol", "ICMP"}),
              2);
    EXPECT_NE(err_.str().find("--protocol"), std::string::npos) << err_.str();
    EXPECT_EQ(run({"--src", "shop/web", "--dst", "10.96.0.10", "--port", "80"}), 2);
    EXPECT_NE(err_.str().find("Service shop/web"), std::string::npos) << err_.str();
    EXPECT_EQ(run({"--src",
                   "shop/web",
                   "--dst",
                   "shop/web",
                   "--port",
                   "80",
                   "--policies",
                   (dir_ / "missing.yaml").string()}),
              2);
    EXPECT_NE(err_.str().find("--policies"), std::string::npos) << err_.str();
}

TEST_F(ExplainCommand, IpBlockSwitchApplies) {
    const std::string file = write("ipblock.yaml", R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/24}}]}]
)");
    ASSERT_EQ(
        run({"--policies", file, "--src", "10.0.0.11", "--dst", "shop/web", "--port", "8080"}), 0);
    EXPECT_EQ(out_.str().rfind("ALLOWED", 0), 0u) << out_.str();
    ASSERT_EQ(run({"--policies",
                   file,
                   "--src",
                   "10.0.0.11",
                   "--dst",
                   "shop/web",
                   "--port",
                   "8080",
                   "--ipblock-matches-pods=false"}),
              0);
    EXPECT_EQ(out_.str().rfind("DENIED", 0), 0u) << out_.str();
    ASSERT_EQ(
        run({"--policies", file, "--src", "shop/api-7d9f", "--dst", "shop/web", "--port", "8080"}),
        0);
    EXPECT_NE(out_.str().find("note: ipBlock peers match addresses only"), std::string::npos)
        << out_.str();
}

}  // namespace
}  // namespace netpolgen::core
