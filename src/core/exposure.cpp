#include "core/exposure.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include "core/rule_ports.h"

namespace netpolgen::core {

using detail::affects;
using detail::kEgress;
using detail::kIngress;
using detail::NamedPorts;
using detail::resolveNamed;
using detail::rulesOf;
using detail::staticPorts;

namespace {

// A selector's requirements in a canonical order, matchLabels k=v and `k In [v]` alike, values
// sorted: two selectors with equal canonical forms select exactly the same label sets.
using Requirement = std::tuple<std::string, SelectorOperator, std::vector<std::string>>;
using CanonicalSelector = std::vector<Requirement>;

CanonicalSelector canonical(const LabelSelector& s) {
    CanonicalSelector out;
    for (const auto& [key, value] : s.match_labels) {
        out.emplace_back(key, SelectorOperator::kIn, std::vector<std::string>{value});
    }
    for (const auto& r : s.match_expressions) {
        std::vector<std::string> values = r.values;
        std::sort(values.begin(), values.end());
        values.erase(std::unique(values.begin(), values.end()), values.end());
        out.emplace_back(r.key, r.op, std::move(values));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// The Go rendering netpol-analyzer prints: "app=x,tier=y" for matchLabels, then each expression
// as "{Key:app,Operator:NotIn,Values:[a b],}", sorted.
std::string selectorText(const LabelSelector& s) {
    std::string out;
    for (const auto& [key, value] : s.match_labels) {
        if (!out.empty()) {
            out += ',';
        }
        out += key + "=" + value;
    }
    std::vector<std::string> requirements;
    for (const auto& r : s.match_expressions) {
        std::string text =
            "{Key:" + r.key + ",Operator:" + std::string(selectorOperatorName(r.op)) + ",Values:[";
        for (size_t i = 0; i < r.values.size(); ++i) {
            text += (i == 0 ? "" : " ") + r.values[i];
        }
        text += "],}";
        requirements.push_back(std::move(text));
    }
    std::sort(requirements.begin(), requirements.end());
    for (const auto& r : requirements) {
        if (!out.empty()) {
            out += ',';
        }
        out += r;
    }
    return out;
}

LabelSelector namespaceNameSelector(const std::string& ns) {
    LabelSelector s;
    s.match_labels.emplace(std::string(kNamespaceNameLabel), ns);
    return s;
}

bool isEntireCluster(const PolicyPeer& peer) {
    return !peer.ip_block && peer.namespace_selector && peer.namespace_selector->empty() &&
           (!peer.pod_selector || peer.pod_selector->empty());
}

struct Representative {
    RepresentativePeer peer;
    CanonicalSelector ns;
    CanonicalSelector pod;
    bool dropped = false;
};

// Whether a rule peer of a policy in `policy_ns` selects the representative fully (an empty rule
// selector selects everything; otherwise the requirements must be the same).
bool selectsFully(const PolicyPeer& peer, const std::string& policy_ns, const Representative& rep) {
    if (peer.ip_block) {
        return false;
    }
    const bool ns_ok =
        !peer.namespace_selector
            ? canonical(namespaceNameSelector(policy_ns)) == rep.ns
            : peer.namespace_selector->empty() || canonical(*peer.namespace_selector) == rep.ns;
    const bool pod_ok = !peer.pod_selector || peer.pod_selector->empty() ||
                        canonical(*peer.pod_selector) == rep.pod;
    return ns_ok && pod_ok;
}

// What one rule allows, towards a peer that is not in the manifests: ingress resolves named ports
// on the workload itself (the destination), egress keeps them as names.
ExposureConnections ruleExposure(const PolicyRule& rule, size_t dir, const Workload& w) {
    ExposureConnections out;
    NamedPorts named;
    out.conns = staticPorts(rule.ports, named);
    if (dir == kIngress) {
        out.conns.unite(resolveNamed(named, w.ports));
    } else {
        out.unite(ExposureConnections{ConnectionSet{}, named});
    }
    return out;
}

}  // namespace

void ExposureConnections::unite(const ExposureConnections& other) {
    conns.unite(other.conns);
    named_ports.insert(named_ports.end(), other.named_ports.begin(), other.named_ports.end());
    std::sort(named_ports.begin(), named_ports.end());
    named_ports.erase(std::unique(named_ports.begin(), named_ports.end()), named_ports.end());
    // A name adds nothing to a protocol that is allowed on every port.
    std::erase_if(named_ports, [&](const auto& n) {
        const auto& v = conns.intervals(n.first);
        return v.size() == 1 && v[0].first == 1 && v[0].second == 65535;
    });
}

bool ExposureConnections::containedIn(const ExposureConnections& other) const {
    if (!conns.subtract(other.conns).empty()) {
        return false;
    }
    return std::all_of(named_ports.begin(), named_ports.end(), [&](const auto& n) {
        const auto& v = other.conns.intervals(n.first);
        const bool full = v.size() == 1 && v[0].first == 1 && v[0].second == 65535;
        return full || std::binary_search(other.named_ports.begin(), other.named_ports.end(), n);
    });
}

std::string ExposureConnections::toString() const {
    if (named_ports.empty()) {
        return conns.toString();
    }
    std::string out;
    for (Protocol p : {Protocol::kSctp, Protocol::kTcp, Protocol::kUdp}) {
        std::vector<std::string> items;
        for (const auto& [lo, hi] : conns.intervals(p)) {
            items.push_back(lo == hi ? std::to_string(lo)
                                     : std::to_string(lo) + "-" + std::to_string(hi));
        }
        for (const auto& [protocol, name] : named_ports) {
            if (protocol == p) {
                items.push_back(name);
            }
        }
        if (items.empty()) {
            continue;
        }
        if (!out.empty()) {
            out += ',';
        }
        out += std::string(protocolName(p)) + " ";
        for (size_t i = 0; i < items.size(); ++i) {
            out += (i == 0 ? "" : ",") + items[i];
        }
    }
    return out;
}

std::string RepresentativePeer::toString() const {
    if (entire_cluster) {
        return "entire-cluster";
    }
    std::string ns;
    const auto name = namespace_selector.match_labels.find(kNamespaceNameLabel);
    if (namespace_selector.match_labels.size() == 1 &&
        namespace_selector.match_expressions.empty() &&
        name != namespace_selector.match_labels.end()) {
        ns = name->second;
    } else if (namespace_selector.empty()) {
        ns = "[all namespaces]";
    } else {
        ns = "[namespace with {" + selectorText(namespace_selector) + "}]";
    }
    const std::string pod =
        pod_selector.empty() ? "[all pods]" : "[pod with {" + selectorText(pod_selector) + "}]";
    return ns + "/" + pod;
}

std::vector<WorkloadExposure> computeExposure(const Cluster& cluster,
                                              const std::vector<const NetworkPolicy*>& policies) {
    auto namespaceLabels = [&](const std::string& ns) {
        const Namespace* found = cluster.findNamespace(ns);
        return found != nullptr ? found->labels : namespaceNameSelector(ns).match_labels;
    };
    // 1. Representative peers: one per distinct (namespace, pod) selector pair of the rules.
    std::vector<Representative> reps;
    std::map<std::pair<CanonicalSelector, CanonicalSelector>, size_t> rep_index;
    for (const NetworkPolicy* p : policies) {
        for (size_t dir : {kIngress, kEgress}) {
            if (!affects(*p, dir)) {
                continue;
            }
            for (const PolicyRule& rule : rulesOf(*p, dir)) {
                for (const PolicyPeer& peer : rule.peers) {
                    if (peer.ip_block || isEntireCluster(peer)) {
                        continue;
                    }
                    Representative rep;
                    rep.peer.namespace_selector = peer.namespace_selector
                                                      ? *peer.namespace_selector
                                                      : namespaceNameSelector(p->ns);
                    rep.peer.pod_selector = peer.pod_selector.value_or(LabelSelector{});
                    rep.ns = canonical(rep.peer.namespace_selector);
                    rep.pod = canonical(rep.peer.pod_selector);
                    auto key = std::make_pair(rep.ns, rep.pod);
                    if (rep_index.emplace(std::move(key), reps.size()).second) {
                        reps.push_back(std::move(rep));
                    }
                }
            }
        }
    }
    // 2. A representative with plain labels on both sides that an existing workload matches is
    //    that workload, not an unknown peer.
    for (Representative& rep : reps) {
        const LabelSelector& ns = rep.peer.namespace_selector;
        const LabelSelector& pod = rep.peer.pod_selector;
        if (!ns.match_expressions.empty() || !pod.match_expressions.empty() || ns.empty() ||
            pod.empty()) {
            continue;
        }
        rep.dropped =
            std::any_of(cluster.workloads.begin(), cluster.workloads.end(), [&](const Workload& w) {
                return pod.matches(w.pod_labels) && ns.matches(namespaceLabels(w.ns));
            });
    }
    std::vector<size_t> order;  // live representatives by printed name
    for (size_t i = 0; i < reps.size(); ++i) {
        if (!reps[i].dropped) {
            order.push_back(i);
        }
    }
    std::vector<std::string> rep_names(reps.size());
    for (size_t i : order) {
        rep_names[i] = reps[i].peer.toString();
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return rep_names[a] < rep_names[b];
    });

    // 3. Per workload and direction.
    std::vector<WorkloadExposure> out;
    for (size_t wi = 0; wi < cluster.workloads.size(); ++wi) {
        const Workload& w = cluster.workloads[wi];
        WorkloadExposure e;
        e.workload = wi;
        for (size_t dir : {kIngress, kEgress}) {
            auto& entries = dir == kIngress ? e.ingress : e.egress;
            std::vector<std::pair<const NetworkPolicy*, const PolicyRule*>> rules;
            bool selected = false;
            for (const NetworkPolicy* p : policies) {
                if (affects(*p, dir) && p->ns == w.ns && p->pod_selector.matches(w.pod_labels)) {
                    selected = true;
                    for (const PolicyRule& r : rulesOf(*p, dir)) {
                        rules.emplace_back(p, &r);
                    }
                }
            }
            if (!selected) {
                (dir == kIngress ? e.ingress_protected : e.egress_protected) = false;
                RepresentativePeer all;
                all.entire_cluster = true;
                entries.push_back({all, {ConnectionSet::all(), {}}});
                continue;
            }
            std::vector<ExposureConnections> rule_conns;
            ExposureConnections cluster_wide;
            for (const auto& [p, r] : rules) {
                rule_conns.push_back(ruleExposure(*r, dir, w));
                if (r->peers.empty() ||
                    std::any_of(r->peers.begin(), r->peers.end(), isEntireCluster)) {
                    cluster_wide.unite(rule_conns.back());
                }
            }
            if (!cluster_wide.empty()) {
                RepresentativePeer all;
                all.entire_cluster = true;
                entries.push_back({all, cluster_wide});
            }
            for (size_t ri : order) {
                const Representative& rep = reps[ri];
                ExposureConnections conns;
                for (size_t k = 0; k < rules.size(); ++k) {
                    // Not a structured binding: clang 14 cannot capture those in a lambda.
                    const auto* p = rules[k].first;
                    const auto* r = rules[k].second;
                    const bool hit =
                        r->peers.empty() ||
                        std::any_of(r->peers.begin(), r->peers.end(), [&](const PolicyPeer& peer) {
                            return selectsFully(peer, p->ns, rep);
                        });
                    if (hit) {
                        conns.unite(rule_conns[k]);
                    }
                }
                if (!conns.empty() && !conns.containedIn(cluster_wide)) {
                    entries.push_back({rep.peer, std::move(conns)});
                }
            }
        }
        if (!e.ingress_protected || !e.egress_protected || !e.ingress.empty() ||
            !e.egress.empty()) {
            out.push_back(std::move(e));
        }
    }
    return out;
}

}  // namespace netpolgen::core
