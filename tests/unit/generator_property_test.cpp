// Property: on random clusters and traffic, the generated policies, evaluated with the Kubernetes
// rules (docs/networkpolicy-semantics.md), admit every observed flow into the workloads they
// select, and generation is deterministic.
#include <gtest/gtest.h>

#include "core/generator.h"
#include "core/policy_evaluator.h"
#include "random_case.h"

namespace netpolgen::core {
namespace {

std::vector<const NetworkPolicy*> generatedPolicies(const Generation& gen) {
    std::vector<const NetworkPolicy*> policies;
    for (const auto& p : gen.modification.apply) {
        policies.push_back(&p);
    }
    return policies;
}

TEST(GeneratorProperty, GeneratedPoliciesAdmitEveryObservedFlow) {
    for (uint32_t seed = 1; seed <= 500; ++seed) {
        RandomCase c = makeRandomCase(seed);
        auto gen = generatePolicies(c.cluster, c.graph, c.options);
        ASSERT_TRUE(gen.ok()) << gen.error();
        PolicyEvaluator eval(c.cluster, generatedPolicies(*gen));
        for (const auto& [key, stats] : c.graph.edges()) {
            if (key.src == kInternalEntity) {
                // In-cluster addresses of no workload (nodes, host network) are ignored as peers
                // (docs/stackrox-generator.md §2.4): node traffic is always allowed by Kubernetes
                // (docs/networkpolicy-semantics.md rule 32), so there is nothing to admit.
                continue;
            }
            Connection conn{randomCaseEnd(c.cluster, key.src),
                            randomCaseEnd(c.cluster, key.dst),
                            key.protocol,
                            key.port};
            EXPECT_TRUE(eval.ingressAllowed(conn))
                << "seed " << seed << ": flow " << key.src << " -> " << key.dst << " "
                << protocolName(key.protocol) << "/" << key.port << " is blocked";
        }
        // Every workload in scope is isolated by its generated policy (one per workload).
        for (size_t w = 0; w < c.cluster.workloads.size(); ++w) {
            EXPECT_FALSE(eval.selecting(w, PolicyType::kIngress).empty()) << "seed " << seed;
        }
    }
}

// Does a rule written for an observed edge of `key` admit (protocol, port)? Mirrors what the
// summary promises: with ports, the edge's own port and protocol (port 0: every port of it; a
// protocol a NetworkPolicy cannot name: every port); without ports, everything.
bool edgeCovers(const EdgeKey& key, bool include_ports, Protocol protocol, uint32_t port) {
    if (!include_ports || !isPolicyProtocol(key.protocol)) {
        return true;
    }
    return key.protocol == protocol && (key.port == 0 || key.port == port);
}

// Does an open rule of the summary ("all ports", "TCP all ports", "TCP 8080") admit it?
bool openRuleCovers(const OpenRule& rule, Protocol protocol, uint32_t port) {
    const std::string proto(protocolName(protocol));
    return rule.ports == "all ports" || rule.ports == proto + " all ports" ||
           rule.ports == proto + " " + std::to_string(port);
}

// Why `src` may reach workload `owner` on (protocol, port) through the policy generated for
// `owner`: an observed edge from a workload whose selector (in its namespace) takes in src's pods,
// or an open rule the summary lists. Empty: nothing does.
std::string justification(const RandomCase& c,
                          const Generation& gen,
                          EntityId src,
                          size_t owner,
                          Protocol protocol,
                          uint32_t port) {
    const Workload& o = c.cluster.workloads[owner];
    const std::string policy = o.ns + "/stackrox-generated-" + o.name;
    for (const auto& rule : gen.report.open_rules) {
        if (rule.policy == policy && openRuleCovers(rule, protocol, port)) {
            return "open rule: " + rule.reason;
        }
    }
    if (src == kInternetEntity || src == kInternalEntity) {
        return {};
    }
    const Workload& s = c.cluster.workloads[workloadIndex(src)];
    for (const auto& [key, stats] : c.graph.edges()) {
        if (key.dst != workloadEntity(owner) || !isWorkloadEntity(key.src) ||
            !edgeCovers(key, c.options.include_ports, protocol, port)) {
            continue;
        }
        const Workload& seen = c.cluster.workloads[workloadIndex(key.src)];
        if (seen.ns == s.ns && seen.policySelector().matches(s.pod_labels)) {
            return "observed from " + seen.ns + "/" + seen.name;
        }
    }
    return {};
}

// Tightness: whatever the generated policies admit into a workload was observed (from a workload
// whose selector takes in the source's pods) or is an open rule the summary reports (exposure,
// internet sources, unresolved in-cluster sources). Workloads share app/tier/team labels and some
// selectors leave out the unique `id` label, so a policy or peer selector wider than the
// workload's own selector lets a probe through that nothing justifies. A generator that wrote
// `ingress: [{}]` fails here.
TEST(GeneratorProperty, GeneratedPoliciesAdmitNothingUnobservedBeyondTheReportedOpenRules) {
    const Protocol protocols[] = {Protocol::kTcp, Protocol::kUdp, Protocol::kSctp};
    const uint32_t ports[] = {1, 1000, 2000, 3000, 8080, 4242};
    size_t denied_probes = 0;
    for (uint32_t seed = 1; seed <= 500; ++seed) {
        RandomCase c = makeRandomCase(seed);
        auto gen = generatePolicies(c.cluster, c.graph, c.options);
        ASSERT_TRUE(gen.ok()) << gen.error();
        PolicyEvaluator eval(c.cluster, generatedPolicies(*gen));
        const size_t n = c.cluster.workloads.size();
        for (size_t dst = 0; dst < n; ++dst) {
            // The workloads whose generated policy selects dst: the union of their rules applies.
            std::vector<size_t> owners;
            for (size_t o = 0; o < n; ++o) {
                const Workload& ow = c.cluster.workloads[o];
                if (ow.ns == c.cluster.workloads[dst].ns &&
                    ow.policySelector().matches(c.cluster.workloads[dst].pod_labels)) {
                    owners.push_back(o);
                }
            }
            for (EntityId src = 0; src < workloadEntity(n); ++src) {
                for (Protocol protocol : protocols) {
                    for (uint32_t port : ports) {
                        Connection conn{randomCaseEnd(c.cluster, src),
                                        randomCaseEnd(c.cluster, workloadEntity(dst)),
                                        protocol,
                                        port};
                        if (!eval.ingressAllowed(conn)) {
                            ++denied_probes;
                            continue;
                        }
                        bool justified = false;
                        for (size_t o : owners) {
                            justified = justified ||
                                        !justification(c, *gen, src, o, protocol, port).empty();
                        }
                        EXPECT_TRUE(justified)
                            << "seed " << seed << ": " << src << " -> "
                            << c.cluster.workloads[dst].ns << "/" << c.cluster.workloads[dst].name
                            << " " << protocolName(protocol) << "/" << port
                            << " is admitted, but it was not observed and no open rule says why";
                    }
                }
            }
        }
    }
    // The probes must exercise denial at all, or the check above proves nothing.
    EXPECT_GT(denied_probes, 10000u);
}

TEST(GeneratorProperty, GenerationIsDeterministic) {
    for (uint32_t seed = 1; seed <= 100; ++seed) {
        RandomCase a = makeRandomCase(seed);
        RandomCase b = makeRandomCase(seed);
        auto ga = generatePolicies(a.cluster, a.graph, a.options);
        auto gb = generatePolicies(b.cluster, b.graph, b.options);
        ASSERT_TRUE(ga.ok() && gb.ok());
        EXPECT_EQ(ga->modification.apply, gb->modification.apply) << "seed " << seed;
    }
}

}  // namespace
}  // namespace netpolgen::core
