// Random clusters, traffic and policies for the property tests (generator_property_test.cpp,
// simulation_property_test.cpp). Everything is a pure function of the seed.
#pragma once

#include <algorithm>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/cluster_builder.h"
#include "core/flow_graph.h"
#include "core/generator.h"
#include "core/policy_evaluator.h"

namespace netpolgen::core {

struct RandomCase {
    Cluster cluster;
    FlowGraph graph;
    GenerateOptions options;
};

// 1–10 workloads (some standalone pods, some exposed by a NodePort or LoadBalancer Service) in
// 1–3 namespaces, labels from {app, tier, team} × {a, b, c} (a quarter of the selectors only
// `app`, so selectors overlap), and up to 30 edges from any entity.
inline RandomCase makeRandomCase(uint32_t seed) {
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
    const std::vector<std::string> keys = {"app", "tier", "team"};
    const std::vector<std::string> values = {"a", "b", "c"};
    ClusterObjects objects;
    const int namespaces = 1 + pick(3);
    const int workloads = 1 + pick(10);
    for (int i = 0; i < workloads; ++i) {
        Labels labels;
        for (const auto& k : keys) {
            if (pick(2) == 0) {
                labels[k] = values[static_cast<size_t>(pick(3))];
            }
        }
        const std::string ns = "ns" + std::to_string(pick(namespaces));
        if (pick(5) == 0) {
            Pod pod;
            pod.ns = ns;
            pod.name = "pod" + std::to_string(i);
            pod.labels = labels;
            objects.pods.push_back(pod);
            continue;
        }
        Workload w;
        w.ns = ns;
        w.name = "w" + std::to_string(i);
        w.pod_labels = labels;
        w.pod_labels["id"] = std::to_string(i);
        w.selector = LabelSelector{{{"id", std::to_string(i)}}, {}};
        if (pick(3) == 0) {
            w.selector->match_expressions.push_back({"team", SelectorOperator::kNotIn, {"zzz"}});
        }
        if (pick(4) == 0 && labels.count("app") != 0) {
            // A selector without the unique id: other workloads' pods with the same app label
            // fall under it, as Bookinfo's `app: reviews` versions do.
            w.selector = LabelSelector{{{"app", labels["app"]}}, {}};
        }
        w.ports = {{"http", 8080, Protocol::kTcp}};
        objects.workloads.push_back(w);
        if (pick(6) == 0) {
            Service s;
            s.ns = ns;
            s.name = "svc" + std::to_string(i);
            s.type = pick(2) ? "LoadBalancer" : "NodePort";
            s.selector = Labels{{"id", std::to_string(i)}};
            s.ports = {{"", 80, PortValue{0, "http"}, Protocol::kTcp, 0}};
            objects.services.push_back(s);
        }
    }
    RandomCase c;
    std::vector<std::string> warnings;
    c.cluster = buildCluster(objects, warnings);
    const auto n = static_cast<int>(c.cluster.workloads.size());
    const Protocol protocols[] = {Protocol::kTcp, Protocol::kUdp, Protocol::kSctp, Protocol::kIcmp};
    const int edges = pick(30);
    for (int e = 0; e < edges; ++e) {
        const int src = pick(n + 2);
        const EntityId src_id =
            src < 2 ? static_cast<EntityId>(src) : workloadEntity(static_cast<size_t>(src - 2));
        const uint32_t port = pick(4) == 0 ? 0 : static_cast<uint32_t>(1 + pick(3) * 1000);
        c.graph.add(
            {src_id, workloadEntity(static_cast<size_t>(pick(n))), port, protocols[pick(4)]},
            1,
            kUndated);
    }
    c.options.include_ports = pick(2) == 0;
    return c;
}

// The end a replay gives an entity: internet is 8.8.8.8, internal an unmatched private address, a
// workload its first pod IP (if any).
inline ConnectionEnd randomCaseEnd(const Cluster& cluster, EntityId id) {
    if (id == kInternetEntity) {
        return {std::nullopt, *IpAddress::parse("8.8.8.8")};
    }
    if (id == kInternalEntity) {
        return {std::nullopt, *IpAddress::parse("10.99.0.1")};
    }
    const Workload& w = cluster.workloads[workloadIndex(id)];
    return {workloadIndex(id),
            w.pod_ips.empty() ? std::nullopt : std::optional<IpAddress>(w.pod_ips.front())};
}

// A random policy in one of the cluster's namespaces: selectors over the labels makeRandomCase
// uses (matchLabels and expressions), ingress and sometimes egress rules with pod, namespace and
// ipBlock peers, numeric, ranged, named and portless ports, and sometimes no policyTypes.
inline NetworkPolicy randomPolicy(const Cluster& cluster, std::mt19937& rng, int index) {
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
    auto value = [&] { return std::string(1, static_cast<char>('a' + pick(3))); };
    auto selector = [&] {
        LabelSelector s;
        const char* keys[] = {"app", "tier", "team"};
        const int requirements = pick(3);  // none (everything), one or two, ANDed
        for (int i = 0; i < requirements; ++i) {
            const int kind = pick(5);
            if (kind <= 1) {
                s.match_labels[keys[pick(3)]] = value();
            } else if (kind == 2) {
                s.match_expressions.push_back(
                    {keys[pick(3)], SelectorOperator::kIn, {value(), value()}});
            } else if (kind == 3) {
                s.match_expressions.push_back({keys[pick(3)], SelectorOperator::kNotIn, {value()}});
            } else {
                s.match_expressions.push_back(
                    {keys[pick(3)],
                     pick(2) ? SelectorOperator::kExists : SelectorOperator::kDoesNotExist,
                     {}});
            }
        }
        return s;
    };
    auto rule = [&] {
        PolicyRule r;
        const int peers = pick(3);
        for (int i = 0; i < peers; ++i) {
            PolicyPeer p;
            const int kind = pick(5);
            if (kind == 0) {
                p.ip_block = IpBlock{pick(2) ? "10.0.0.0/8" : "0.0.0.0/0", {}};
                if (pick(2) == 0) {
                    p.ip_block->except.push_back("10.1.0.0/16");
                }
            } else {
                if (kind != 1) {
                    p.pod_selector = selector();
                }
                if (kind != 2) {
                    p.namespace_selector = LabelSelector{};
                    if (pick(2) == 0) {
                        p.namespace_selector->match_labels[std::string(kNamespaceNameLabel)] =
                            "ns" + std::to_string(pick(3));
                    }
                }
            }
            r.peers.push_back(std::move(p));
        }
        const int ports = pick(3);
        const Protocol protocols[] = {Protocol::kTcp, Protocol::kUdp, Protocol::kSctp};
        for (int i = 0; i < ports; ++i) {
            PolicyPort port;
            port.protocol = protocols[pick(3)];
            port.protocol_set = true;
            const int kind = pick(4);
            if (kind == 1) {
                port.port = PortValue{static_cast<uint32_t>(1 + pick(3) * 1000), {}};
            } else if (kind == 2) {
                port.port = PortValue{1, {}};
                port.end_port = static_cast<uint32_t>(1 + pick(3) * 1000);
            } else if (kind == 3) {
                port.port = PortValue{0, "http"};
            }
            r.ports.push_back(port);
        }
        return r;
    };
    NetworkPolicy p;
    p.ns = cluster.namespaces.empty() ? "ns0"
                                      : cluster
                                            .namespaces[static_cast<size_t>(
                                                pick(static_cast<int>(cluster.namespaces.size())))]
                                            .name;
    p.name = "p" + std::to_string(index);
    p.pod_selector = selector();
    const int types = pick(4);
    if (types == 1) {
        p.policy_types = {PolicyType::kIngress};
    } else if (types == 2) {
        p.policy_types = {PolicyType::kEgress};
    } else if (types == 3) {
        p.policy_types = {PolicyType::kIngress, PolicyType::kEgress};
    }
    const int ingress = pick(3);
    for (int i = 0; i < ingress; ++i) {
        p.ingress.push_back(rule());
    }
    if (pick(3) == 0) {
        p.egress.push_back(rule());
        p.has_egress_key = true;
    }
    return p;
}

// Gives some workloads pod IPs (for ipBlock peers) and the cluster 0–3 random policies, kept
// sorted by (namespace, name) as buildCluster sorts them.
inline void addRandomPolicies(RandomCase& c, uint32_t seed) {
    std::mt19937 rng(seed * 7919u + 1u);
    for (size_t w = 0; w < c.cluster.workloads.size(); ++w) {
        if (rng() % 2 == 0) {
            const auto octet = static_cast<uint32_t>(w + 1);
            c.cluster.workloads[w].pod_ips = {IpAddress::fromV4(
                rng() % 2 == 0 ? (10u << 24) | octet : (10u << 24) | (1u << 16) | octet)};
        }
    }
    const int policies = static_cast<int>(rng() % 4);
    for (int i = 0; i < policies; ++i) {
        c.cluster.policies.push_back({randomPolicy(c.cluster, rng, i), "random"});
    }
    std::sort(
        c.cluster.policies.begin(), c.cluster.policies.end(), [](const auto& a, const auto& b) {
            return std::tie(a.policy.ns, a.policy.name) < std::tie(b.policy.ns, b.policy.name);
        });
}

}  // namespace netpolgen::core
