// Simulation (docs/stackrox-generator.md §4): policy statuses and the validation errors of §4.1
// in StackRox's wording, the replay of observed traffic, the connectivity diff and the per-workload
// comparison.
#include "core/simulation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "core/cluster_builder.h"
#include "core/connectivity.h"

namespace netpolgen::core {
namespace {

Workload deployment(const std::string& ns, const std::string& name) {
    Workload w;
    w.ns = ns;
    w.name = name;
    w.pod_labels = {{"app", name}};
    w.selector = selectorFromLabels(w.pod_labels);
    w.ports = {{"http", 8080, Protocol::kTcp}};
    return w;
}

PolicyPort tcp(uint32_t port) {
    return PolicyPort{Protocol::kTcp, true, PortValue{port, {}}, {}};
}

// Ingress from pods labelled app=<from> of the policy's namespace on TCP `port` (0: all ports).
PolicyRule from(const std::string& app, uint32_t port) {
    PolicyRule r;
    PolicyPeer peer;
    peer.pod_selector = selectorFromLabels({{"app", app}});
    r.peers.push_back(peer);
    if (port != 0) {
        r.ports.push_back(tcp(port));
    }
    return r;
}

NetworkPolicy ingressPolicy(const std::string& ns,
                            const std::string& name,
                            const std::string& app,
                            std::vector<PolicyRule> rules) {
    NetworkPolicy p;
    p.ns = ns;
    p.name = name;
    p.pod_selector = selectorFromLabels({{"app", app}});
    p.policy_types = {PolicyType::kIngress};
    p.ingress = std::move(rules);
    return p;
}

class SimulationTest : public ::testing::Test {
protected:
    void addPolicy(NetworkPolicy p) { objects_.policies.push_back({std::move(p), "test"}); }

    const Cluster& build() {
        if (objects_.workloads.empty()) {
            for (const char* name : {"frontend", "backend", "db"}) {
                objects_.workloads.push_back(deployment("shop", name));
            }
        }
        std::vector<std::string> warnings;
        cluster_ = buildCluster(objects_, warnings);
        return cluster_;
    }

    EntityId workload(const std::string& name) const {
        for (size_t i = 0; i < cluster_.workloads.size(); ++i) {
            if (cluster_.workloads[i].name == name) {
                return workloadEntity(i);
            }
        }
        ADD_FAILURE() << "no workload " << name;
        return kInternalEntity;
    }

    static std::vector<std::string> statuses(const PolicyPlan& plan) {
        std::vector<std::string> out;
        for (const auto& e : plan.policies) {
            out.push_back(std::string(policyStatusName(e.status)) + " " + e.ref.ns + "/" +
                          e.ref.name);
        }
        return out;
    }

    static ReplayVerdict verdictOf(const ReplayResult& r, const EdgeKey& key) {
        for (const auto& e : r.edges) {
            if (e.key == key) {
                return e.verdict;
            }
        }
        return ReplayVerdict::kAllowedInBoth;
    }

    ClusterObjects objects_;
    Cluster cluster_;
};

// --- statuses ----------------------------------------------------------------------------------

TEST_F(SimulationTest, ExistingPoliciesAreUnchangedThenAdditionsInModificationOrder) {
    addPolicy(ingressPolicy("shop", "z-db", "db", {}));
    addPolicy(ingressPolicy("shop", "a-backend", "backend", {}));
    const Cluster& cluster = build();
    Modification m;
    m.apply.push_back(ingressPolicy("shop", "new-2", "frontend", {}));
    m.apply.push_back(ingressPolicy("shop", "new-1", "frontend", {}));
    const PolicyPlan plan = planModification(cluster, m);
    EXPECT_TRUE(plan.errors.empty());
    EXPECT_EQ(statuses(plan),
              (std::vector<std::string>{"UNCHANGED shop/a-backend",
                                        "UNCHANGED shop/z-db",
                                        "ADDED shop/new-2",
                                        "ADDED shop/new-1"}));
    EXPECT_EQ(plan.before().size(), 2u);
    EXPECT_EQ(plan.after().size(), 4u);
}

TEST_F(SimulationTest, DeletedModifiedAndReplacedPolicies) {
    addPolicy(ingressPolicy("shop", "backend", "backend", {}));
    addPolicy(ingressPolicy("shop", "db", "db", {}));
    addPolicy(ingressPolicy("shop", "frontend", "frontend", {}));
    const Cluster& cluster = build();
    Modification m;
    m.to_delete = {{"shop", "db"}, {"shop", "frontend"}};
    // Marked for deletion and in the YAML: a replace, MODIFIED (§4.1 item 4).
    m.apply.push_back(ingressPolicy("shop", "frontend", "frontend", {from("backend", 80)}));
    m.apply.push_back(ingressPolicy("shop", "backend", "backend", {from("frontend", 8080)}));
    const PolicyPlan plan = planModification(cluster, m);
    EXPECT_TRUE(plan.errors.empty());
    EXPECT_EQ(statuses(plan),
              (std::vector<std::string>{
                  "MODIFIED shop/backend", "DELETED shop/db", "MODIFIED shop/frontend"}));
    const auto& db = plan.policies[1];
    EXPECT_NE(db.old_policy, nullptr);
    EXPECT_EQ(db.new_policy, nullptr);
    EXPECT_EQ(plan.policies[0].apply_index, std::optional<size_t>(1));
    EXPECT_EQ(plan.policies[0].new_policy, &m.apply[1]);
    // Old graph: UNCHANGED + MODIFIED(old) + DELETED(old); new: MODIFIED(new) (§4.1 item 7).
    EXPECT_EQ(plan.before().size(), 3u);
    EXPECT_EQ(plan.after(), (std::vector<const NetworkPolicy*>{&m.apply[1], &m.apply[0]}));
    EXPECT_EQ(plan.count(PolicyStatus::kModified), 2u);
}

TEST_F(SimulationTest, DeletingAMissingPolicyIsAnError) {
    const Cluster& cluster = build();
    Modification m;
    m.to_delete = {{"shop", "ghost"}};
    const PolicyPlan plan = planModification(cluster, m);
    EXPECT_EQ(plan.errors,
              (std::vector<std::string>{
                  "policy ghost in namespace shop marked for deletion does not exist"}));
}

TEST_F(SimulationTest, ChangesInStackroxAndKubeSystemAreForbidden) {
    objects_.workloads.push_back(deployment("kube-system", "coredns"));
    addPolicy(ingressPolicy("kube-system", "dns", "coredns", {}));
    addPolicy(ingressPolicy("stackrox", "sensor", "sensor", {}));
    addPolicy(ingressPolicy("kube-system", "same", "coredns", {}));
    const Cluster& cluster = build();
    Modification m;
    m.to_delete = {{"stackrox", "sensor"}};
    m.apply.push_back(ingressPolicy("kube-system", "dns", "coredns", {from("x", 53)}));
    m.apply.push_back(ingressPolicy("kube-system", "same", "coredns", {}));  // identical
    m.apply.push_back(ingressPolicy("kube-system", "new", "coredns", {}));
    m.apply.push_back(ingressPolicy("kube-public", "allowed", "x", {}));  // only two are checked
    const PolicyPlan plan = planModification(cluster, m);
    EXPECT_EQ(plan.errors,
              (std::vector<std::string>{
                  "\"dns\" cannot be applied since network policy change in '\"kube-system\"' "
                  "namespace is forbidden",
                  "\"sensor\" cannot be applied since network policy change in '\"stackrox\"' "
                  "namespace is forbidden",
                  "\"new\" cannot be applied since network policy change in '\"kube-system\"' "
                  "namespace is forbidden"}));
    EXPECT_EQ(statuses(plan),
              (std::vector<std::string>{"MODIFIED kube-system/dns",
                                        "MODIFIED kube-system/same",
                                        "DELETED stackrox/sensor",
                                        "ADDED kube-system/new",
                                        "ADDED kube-public/allowed"}));
    EXPECT_FALSE(plan.policies[0].error.empty());
    EXPECT_TRUE(plan.policies[1].error.empty());
}

TEST_F(SimulationTest, APolicyTwiceInTheModificationIsAnError) {
    addPolicy(ingressPolicy("shop", "db", "db", {}));
    const Cluster& cluster = build();
    Modification m;
    m.apply.push_back(ingressPolicy("shop", "db", "db", {}));
    m.apply.push_back(ingressPolicy("shop", "db", "db", {from("backend", 0)}));
    m.apply.push_back(ingressPolicy("shop", "web", "frontend", {}));
    m.apply.push_back(ingressPolicy("shop", "web", "frontend", {}));
    const PolicyPlan plan = planModification(cluster, m);
    EXPECT_EQ(plan.errors,
              (std::vector<std::string>{
                  "policy db in namespace shop appears more than once in the modification",
                  "policy web in namespace shop appears more than once in the modification"}));
    EXPECT_EQ(plan.policies.size(), 2u);
}

TEST_F(SimulationTest, LabellingAMissingNamespaceIsAnError) {
    const Cluster& cluster = build();
    Modification m;
    m.namespace_labels = {{"shop", "team", "x"}, {"nowhere", "team", "x"}};
    const PolicyPlan plan = planModification(cluster, m);
    EXPECT_EQ(plan.errors, (std::vector<std::string>{"namespace nowhere to label does not exist"}));
}

TEST_F(SimulationTest, NothingButThePlanIsComputedWhenItHasErrors) {
    const Cluster& cluster = build();
    Modification m;
    m.to_delete = {{"shop", "ghost"}};
    FlowGraph graph;
    graph.add({workload("frontend"), workload("backend"), 8080, Protocol::kTcp}, 1, kUndated);
    const Simulation sim = simulate(cluster, m, &graph, {});
    EXPECT_EQ(sim.plan.errors.size(), 1u);
    EXPECT_FALSE(sim.replay.has_value());
    EXPECT_TRUE(sim.connectivity.entries.empty());
}

// --- replay ------------------------------------------------------------------------------------

TEST_F(SimulationTest, ReplayClassifiesEveryObservedEdge) {
    addPolicy(ingressPolicy("shop", "db", "db", {from("backend", 5432)}));
    addPolicy(ingressPolicy("shop", "frontend", "frontend", {}));  // deny all today
    const Cluster& cluster = build();
    const EdgeKey fe_be{workload("frontend"), workload("backend"), 8080, Protocol::kTcp};
    const EdgeKey be_db{workload("backend"), workload("db"), 5432, Protocol::kTcp};
    const EdgeKey fe_db{workload("frontend"), workload("db"), 5432, Protocol::kTcp};
    const EdgeKey net_fe{kInternetEntity, workload("frontend"), 8080, Protocol::kTcp};
    const EdgeKey node_be{kInternalEntity, workload("backend"), 9090, Protocol::kTcp};
    const EdgeKey net_be{kInternetEntity, workload("backend"), 8080, Protocol::kTcp};
    FlowGraph graph;
    graph.add(fe_be, 5, 100);
    graph.add(be_db, 7, 200);
    graph.add(fe_db, 1, 300);
    graph.add(net_fe, 2, 400);
    graph.add(node_be, 3, 500);
    graph.add(net_be, 4, kUndated);

    Modification m;
    // backend: only from frontend on 8080, so the internet edge is newly blocked.
    m.apply.push_back(ingressPolicy("shop", "backend", "backend", {from("frontend", 8080)}));
    // db: frontend too, so frontend → db is newly allowed.
    m.to_delete = {{"shop", "db"}};
    m.apply.push_back(
        ingressPolicy("shop", "db", "db", {from("backend", 5432), from("frontend", 5432)}));
    const Simulation sim = simulate(cluster, m, &graph, {});
    ASSERT_TRUE(sim.plan.errors.empty());
    ASSERT_TRUE(sim.replay.has_value());
    const ReplayResult& r = *sim.replay;
    EXPECT_EQ(verdictOf(r, fe_be), ReplayVerdict::kAllowedInBoth);
    EXPECT_EQ(verdictOf(r, be_db), ReplayVerdict::kAllowedInBoth);
    EXPECT_EQ(verdictOf(r, fe_db), ReplayVerdict::kNewlyAllowed);
    EXPECT_EQ(verdictOf(r, net_fe), ReplayVerdict::kBlockedInBoth);
    EXPECT_EQ(verdictOf(r, node_be), ReplayVerdict::kNotEvaluated);
    EXPECT_EQ(verdictOf(r, net_be), ReplayVerdict::kNewlyBlocked);
    EXPECT_EQ(r.total(ReplayVerdict::kAllowedInBoth).edges, 2u);
    EXPECT_EQ(r.total(ReplayVerdict::kAllowedInBoth).flows, 12u);
    EXPECT_EQ(r.total(ReplayVerdict::kNewlyBlocked).flows, 4u);
    EXPECT_EQ(r.total(ReplayVerdict::kNotEvaluated).edges, 1u);
    ASSERT_EQ(r.edges.size(), 4u);  // allowed-in-both edges are only counted
    // Sorted by destination, then source.
    for (size_t i = 1; i < r.edges.size(); ++i) {
        EXPECT_LE(std::tie(r.edges[i - 1].key.dst, r.edges[i - 1].key.src),
                  std::tie(r.edges[i].key.dst, r.edges[i].key.src));
    }
    const auto it =
        std::find_if(r.edges.begin(), r.edges.end(), [&](const auto& e) { return e.key == fe_db; });
    ASSERT_NE(it, r.edges.end());
    EXPECT_EQ(it->stats.count, 1u);
    EXPECT_EQ(it->stats.first_seen, 300);
}

TEST_F(SimulationTest, ReplayOfUnknownPortsNeedsARuleForEveryPort) {
    const Cluster& cluster = build();
    const EdgeKey unknown{workload("frontend"), workload("backend"), 0, Protocol::kTcp};
    FlowGraph graph;
    graph.add(unknown, 1, kUndated);
    const NetworkPolicy one_port = ingressPolicy("shop", "b", "backend", {from("frontend", 8080)});
    NetworkPolicy all_tcp = ingressPolicy("shop", "b", "backend", {from("frontend", 0)});
    all_tcp.ingress[0].ports.push_back(PolicyPort{Protocol::kTcp, true, std::nullopt, {}});
    const ReplayResult r1 = replayFlows(cluster, {}, cluster, {&one_port}, graph, {});
    EXPECT_EQ(verdictOf(r1, unknown), ReplayVerdict::kNewlyBlocked);
    const ReplayResult r2 = replayFlows(cluster, {}, cluster, {&all_tcp}, graph, {});
    EXPECT_EQ(verdictOf(r2, unknown), ReplayVerdict::kAllowedInBoth);
}

TEST_F(SimulationTest, ReplayJudgesEgressOfTheSource) {
    const Cluster& cluster = build();
    const EdgeKey fe_be{workload("frontend"), workload("backend"), 8080, Protocol::kTcp};
    FlowGraph graph;
    graph.add(fe_be, 1, kUndated);
    NetworkPolicy egress_deny;
    egress_deny.ns = "shop";
    egress_deny.name = "no-egress";
    egress_deny.policy_types = {PolicyType::kEgress};  // empty podSelector: every pod
    const ReplayResult r = replayFlows(cluster, {}, cluster, {&egress_deny}, graph, {});
    EXPECT_EQ(verdictOf(r, fe_be), ReplayVerdict::kNewlyBlocked);
}

TEST_F(SimulationTest, InternetSourcesAreAPublicAddress) {
    const Cluster& cluster = build();
    const EdgeKey net_fe{kInternetEntity, workload("frontend"), 8080, Protocol::kTcp};
    FlowGraph graph;
    graph.add(net_fe, 1, kUndated);
    NetworkPolicy from_private = ingressPolicy("shop", "f", "frontend", {});
    from_private.ingress.push_back(PolicyRule{{PolicyPeer{{}, {}, IpBlock{"10.0.0.0/8", {}}}}, {}});
    NetworkPolicy from_anywhere = ingressPolicy("shop", "f", "frontend", {});
    from_anywhere.ingress.push_back(PolicyRule{{PolicyPeer{{}, {}, IpBlock{"0.0.0.0/0", {}}}}, {}});
    const ReplayResult r =
        replayFlows(cluster, {&from_anywhere}, cluster, {&from_private}, graph, {});
    EXPECT_EQ(verdictOf(r, net_fe), ReplayVerdict::kNewlyBlocked);
}

TEST_F(SimulationTest, ModificationNamespaceLabelsApplyToTheProposedPolicies) {
    objects_.workloads.push_back(deployment("shop", "backend"));
    objects_.workloads.push_back(deployment("web", "frontend"));
    const Cluster& cluster = build();
    const EdgeKey fe_be{workload("frontend"), workload("backend"), 8080, Protocol::kTcp};
    FlowGraph graph;
    graph.add(fe_be, 1, kUndated);
    NetworkPolicy p = ingressPolicy("shop", "backend", "backend", {from("frontend", 8080)});
    p.ingress[0].peers[0].namespace_selector = selectorFromLabels({{"team", "web"}});
    Modification m;
    m.apply.push_back(p);
    const Simulation unlabelled = simulate(cluster, m, &graph, {});
    EXPECT_EQ(verdictOf(*unlabelled.replay, fe_be), ReplayVerdict::kNewlyBlocked);
    m.namespace_labels = {{"web", "team", "web"}};
    const Simulation labelled = simulate(cluster, m, &graph, {});
    EXPECT_EQ(verdictOf(*labelled.replay, fe_be), ReplayVerdict::kAllowedInBoth);
}

// --- connectivity diff and compare -------------------------------------------------------------

TEST_F(SimulationTest, ConnectivityDiffBeforeAndAfter) {
    // frontend → backend allowed on all ports today; backend → db only on 5432.
    addPolicy(ingressPolicy("shop", "db", "db", {from("backend", 5432)}));
    const Cluster& cluster = build();
    Modification m;
    m.apply.push_back(ingressPolicy("shop", "backend", "backend", {from("frontend", 8080)}));
    m.to_delete = {{"shop", "db"}};
    const Simulation sim = simulate(cluster, m, nullptr, {});
    ASSERT_TRUE(sim.plan.errors.empty());
    EXPECT_FALSE(sim.replay.has_value());
    auto find = [&](const std::string& src, const std::string& dst) {
        return std::find_if(
            sim.connectivity.entries.begin(), sim.connectivity.entries.end(), [&](const auto& e) {
                return e.src.name == "shop/" + src + "[Deployment]" &&
                       e.dst.name == "shop/" + dst + "[Deployment]";
            });
    };
    auto fe_be = find("frontend", "backend");
    ASSERT_NE(fe_be, sim.connectivity.entries.end());
    EXPECT_EQ(fe_be->type, DiffType::kChanged);
    EXPECT_TRUE(fe_be->ref1.isAll());
    EXPECT_EQ(fe_be->ref2.toString(), "TCP 8080");
    auto be_db = find("backend", "db");
    ASSERT_NE(be_db, sim.connectivity.entries.end());
    EXPECT_EQ(be_db->type, DiffType::kChanged);
    EXPECT_EQ(be_db->ref1.toString(), "TCP 5432");
    EXPECT_TRUE(be_db->ref2.isAll());
    auto fe_db = find("frontend", "db");
    ASSERT_NE(fe_db, sim.connectivity.entries.end());
    EXPECT_EQ(fe_db->type, DiffType::kAdded);
    auto db_be = find("db", "backend");
    ASSERT_NE(db_be, sim.connectivity.entries.end());
    EXPECT_EQ(db_be->type, DiffType::kRemoved);
    EXPECT_EQ(find("db", "frontend"), sim.connectivity.entries.end());  // all, before and after
}

class CompareTest : public SimulationTest {
protected:
    void SetUp() override {
        addPolicy(ingressPolicy("shop", "db", "db", {from("backend", 5432)}));
        build();
    }

    // The verdict per workload name, and the existing / proposed policy names of each.
    std::map<std::string, std::string> compare(const Modification& m) {
        const Simulation sim = simulate(cluster_, m, nullptr, {});
        EXPECT_TRUE(sim.plan.errors.empty());
        std::map<std::string, std::string> out;
        for (const auto& c : compareWorkloads(cluster_, sim.plan, sim.connectivity)) {
            std::string text(compareVerdictName(c.verdict));
            for (const auto* side : {&c.existing, &c.proposed}) {
                text += " |";
                for (size_t e : *side) {
                    text += " " + sim.plan.policies[e].ref.name;
                }
            }
            text += c.policiesChanged(sim.plan) ? " | changed" : "";
            out[cluster_.workloads[c.workload].name] = text;
        }
        return out;
    }
};

TEST_F(CompareTest, ANewPolicyMakesItsWorkloadAndItsCallersTighter) {
    Modification m;
    m.apply.push_back(ingressPolicy("shop", "backend", "backend", {from("frontend", 8080)}));
    EXPECT_EQ(compare(m),
              (std::map<std::string, std::string>{
                  {"backend", "tighter | | backend | changed"},
                  {"db", "tighter | db | db"},  // loses its connections to backend
                  {"frontend", "tighter | |"},
              }));
}

TEST_F(CompareTest, ADeletedPolicyMakesItsWorkloadLooser) {
    Modification m;
    m.to_delete = {{"shop", "db"}};
    EXPECT_EQ(compare(m),
              (std::map<std::string, std::string>{
                  {"backend", "looser | |"},  // reaches db on every port
                  {"db", "looser | db | | changed"},
                  {"frontend", "looser | |"},
              }));
}

TEST_F(CompareTest, GainingSomeAndLosingOthersIsDifferent) {
    Modification m;
    m.apply.push_back(ingressPolicy("shop", "backend", "backend", {from("frontend", 8080)}));
    m.to_delete = {{"shop", "db"}};
    const auto verdicts = compare(m);
    EXPECT_EQ(verdicts.at("frontend"), "different | |");  // loses backend's ports, gains db
    EXPECT_EQ(verdicts.at("backend"), "different | | backend | changed");
    EXPECT_EQ(verdicts.at("db"), "different | db | | changed");  // gains callers, loses backend
}

TEST_F(SimulationTest, AnEmptyModificationChangesNothing) {
    addPolicy(ingressPolicy("shop", "db", "db", {from("backend", 5432)}));
    const Cluster& cluster = build();
    FlowGraph graph;
    graph.add({workload("frontend"), workload("db"), 5432, Protocol::kTcp}, 1, kUndated);
    const Simulation sim = simulate(cluster, {}, &graph, {});
    EXPECT_TRUE(sim.connectivity.entries.empty());
    EXPECT_EQ(sim.replay->total(ReplayVerdict::kBlockedInBoth).edges, 1u);
    for (const auto& c : compareWorkloads(cluster, sim.plan, sim.connectivity)) {
        EXPECT_EQ(c.verdict, CompareVerdict::kSame);
        EXPECT_EQ(c.existing, c.proposed);
    }
}

}  // namespace
}  // namespace netpolgen::core
