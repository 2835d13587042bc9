#include "core/generator.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

#include "core/cluster_builder.h"
#include "core/cluster_index.h"
#include "core/minimal_selector.h"

namespace netpolgen::core {
namespace {

// The port key flows and exposures are grouped by (docs/stackrox-generator.md §2.7). With ports
// excluded every flow has the one key kAllPorts.
struct PortKey {
    bool all_ports = false;
    Protocol protocol = Protocol::kTcp;
    uint32_t port = 0;

    auto operator<=>(const PortKey&) const = default;
};

constexpr PortKey kAllPorts{true, Protocol::kTcp, 0};

std::string describePorts(const PortKey& key) {
    if (key.all_ports || !isPolicyProtocol(key.protocol)) {
        return "all ports";
    }
    std::string text(protocolName(key.protocol));
    return key.port == 0 ? text + " all ports" : text + " " + std::to_string(key.port);
}

// TCP/UDP/SCTP with a port → that port; port 0 → every port of the protocol; anything that a
// NetworkPolicy cannot name (ICMP, unknown) → no ports, i.e. every port.
std::vector<PolicyPort> portsFor(const PortKey& key) {
    if (key.all_ports || !isPolicyProtocol(key.protocol)) {
        return {};
    }
    PolicyPort p;
    p.protocol = key.protocol;
    p.protocol_set = true;
    if (key.port != 0) {
        p.port = PortValue{key.port, {}};
    }
    return {p};
}

// What was seen (or exposed) for one port key of one destination.
struct RuleSources {
    std::vector<size_t> workloads;
    uint64_t internet_flows = 0;
    uint64_t internal_flows = 0;
    std::vector<std::string> exposed_by;
};

struct Exposure {
    PortKey key;
    std::string by;  // "Service shop/web (LoadBalancer)"
};

// An edge as the generator needs it once its destination is known.
struct InboundEdge {
    EntityId src = 0;
    uint32_t port = 0;
    Protocol protocol = Protocol::kTcp;
    uint64_t count = 0;
};

class Generator {
public:
    Generator(const Cluster& cluster, const FlowGraph& graph, const GenerateOptions& options)
        : cluster_(cluster), index_(cluster), options_(options) {
        groupEdgesByDestination(graph);
        rankPeers();
    }

    Result<Generation> run() {
        auto scope = resolveScope();
        if (!scope) {
            return Error{scope.error()};
        }
        selectExistingPolicies();
        computeExposures();
        for (size_t w = 0; w < cluster_.workloads.size(); ++w) {
            if ((*scope)[w]) {
                considerWorkload(w, edge_begin_[w], edge_begin_[w + 1]);
            }
        }
        finish();
        return std::move(out_);
    }

private:
    // The edges into each workload, grouped by a counting sort on the destination (O(edges), no
    // comparison sort): edges_[edge_begin_[w], edge_begin_[w + 1]) end in workload w. The order
    // within a group does not matter: rules are keyed by port, peers sorted by peerKey().
    // Edges into anything that is not a workload of the cluster are left out. The hash map is
    // walked once (its nodes are scattered in memory); the other passes are sequential.
    void groupEdgesByDestination(const FlowGraph& graph) {
        const size_t n = cluster_.workloads.size();
        std::vector<std::pair<uint32_t, InboundEdge>> flat;
        flat.reserve(graph.size());
        for (const auto& [key, stats] : graph.edges()) {
            if (isWorkloadEntity(key.dst) && workloadIndex(key.dst) < n) {
                flat.push_back({static_cast<uint32_t>(workloadIndex(key.dst)),
                                {key.src, key.port, key.protocol, stats.count}});
            }
        }
        edge_begin_.assign(n + 1, 0);
        for (const auto& [w, edge] : flat) {
            ++edge_begin_[w + 1];
        }
        for (size_t w = 0; w < n; ++w) {
            edge_begin_[w + 1] += edge_begin_[w];
        }
        edges_.resize(flat.size());
        std::vector<size_t> next(edge_begin_.begin(), edge_begin_.end() - 1);
        for (const auto& [w, edge] : flat) {
            edges_[next[w]++] = edge;
        }
    }

    // Everything a peer is made of, once per workload: its selector, the rank of that selector
    // among all workloads' selectors, and the rank of its namespace among the namespace names.
    // peerKey() orders peers exactly as (namespaceSelector, podSelector) does (DESIGN.md decision
    // 1), with equal keys for equal peers, so rules sort integers instead of label maps.
    void rankPeers() {
        const size_t n = cluster_.workloads.size();
        selectors_.reserve(n);
        if (options_.selectors == SelectorStyle::kMinimal) {
            for (auto& minimal : minimalSelectors(cluster_)) {
                selectors_.push_back(std::move(minimal.selector));
                selector_overlaps_.push_back(std::move(minimal.also_selects));
            }
        } else {
            for (const auto& w : cluster_.workloads) {
                selectors_.push_back(w.policySelector());
            }
        }
        std::vector<uint32_t> order(n);
        for (size_t i = 0; i < n; ++i) {
            order[i] = static_cast<uint32_t>(i);
        }
        std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
            return selectors_[a] < selectors_[b];
        });
        selector_rank_.assign(n, 0);
        for (size_t i = 1; i < n; ++i) {
            const bool same = !(selectors_[order[i - 1]] < selectors_[order[i]]);
            selector_rank_[order[i]] = selector_rank_[order[i - 1]] + (same ? 0 : 1);
        }
        std::vector<std::string_view> names;
        names.reserve(n);
        for (const auto& w : cluster_.workloads) {
            names.push_back(w.ns);
        }
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
        namespace_rank_.reserve(n);
        for (const auto& w : cluster_.workloads) {
            namespace_rank_.push_back(static_cast<uint32_t>(
                std::lower_bound(names.begin(), names.end(), std::string_view(w.ns)) -
                names.begin()));
        }
        const std::string& key = options_.namespace_label_key;
        for (std::string_view name : names) {
            const Namespace* ns = cluster_.findNamespace(name);
            auto it = ns ? ns->labels.find(key) : Labels::const_iterator{};
            needs_namespace_label_.push_back(ns == nullptr || it == ns->labels.end() ||
                                             it->second != name);
            namespace_selectors_.push_back(LabelSelector{{{key, std::string(name)}}, {}});
        }
    }

    // (cross-namespace, source namespace if cross, selector): the order of
    // std::tie(namespace_selector, pod_selector) for the peer of `src` in a policy for `dst`.
    uint64_t peerKey(size_t dst, size_t src) const {
        if (namespace_rank_[src] == namespace_rank_[dst]) {
            return selector_rank_[src];
        }
        return (uint64_t{1} << 63) | (uint64_t{namespace_rank_[src]} << 32) | selector_rank_[src];
    }

    Result<std::vector<bool>> resolveScope() {
        for (const auto& ns : options_.namespaces) {
            if (cluster_.findNamespace(ns) == nullptr) {
                return Error{"namespace \"" + ns + "\" is not in the cluster snapshot"};
            }
        }
        std::vector<bool> matched_workload_arg(options_.workloads.size(), false);
        std::vector<bool> in_scope(cluster_.workloads.size(), false);
        for (size_t i = 0; i < cluster_.workloads.size(); ++i) {
            const Workload& w = cluster_.workloads[i];
            const bool ns_ok =
                options_.namespaces.empty() ||
                std::find(options_.namespaces.begin(), options_.namespaces.end(), w.ns) !=
                    options_.namespaces.end();
            bool wl_ok = options_.workloads.empty();
            for (size_t a = 0; a < options_.workloads.size(); ++a) {
                const std::string& arg = options_.workloads[a];
                if (arg == w.name || arg == w.ns + "/" + w.name ||
                    arg == w.ns + "/" + std::string(workloadKindName(w.kind)) + "/" + w.name) {
                    wl_ok = true;
                    matched_workload_arg[a] = true;
                }
            }
            in_scope[i] = ns_ok && wl_ok;
        }
        for (size_t a = 0; a < options_.workloads.size(); ++a) {
            if (!matched_workload_arg[a]) {
                return Error{"workload \"" + options_.workloads[a] +
                             "\" is not in the cluster snapshot"};
            }
        }
        return in_scope;
    }

    // docs/stackrox-generator.md §2.5: which policies count as existing, which are deleted.
    void selectExistingPolicies() {
        for (const auto& obj : cluster_.policies) {
            const NetworkPolicy& p = obj.policy;
            const bool is_protected = isProtectedNamespace(p.ns);
            bool existing = true;
            if (options_.delete_existing == DeleteExisting::kAll) {
                existing = false;
                if (!is_protected) {
                    out_.modification.to_delete.push_back({p.ns, p.name});
                }
            } else if (options_.delete_existing == DeleteExisting::kGenerated) {
                if (is_protected) {
                    existing = false;
                } else if (p.labels.count(kGeneratedLabelKey) != 0) {
                    existing = false;
                    out_.modification.to_delete.push_back({p.ns, p.name});
                }
            }
            if (existing && p.affectsIngress()) {
                ingress_by_ns_[p.ns].push_back(&p);
            }
        }
    }

    // docs/stackrox-generator.md §2.8 and DESIGN.md decision 5: NodePort / LoadBalancer Services
    // and Routes expose their target ports to everyone.
    void computeExposures() {
        exposures_.resize(cluster_.workloads.size());
        std::map<std::pair<std::string, std::string>, size_t> service_by_name;
        for (size_t s = 0; s < cluster_.services.size(); ++s) {
            const Service& svc = cluster_.services[s];
            service_by_name[{svc.ns, svc.name}] = s;
            if (svc.isExternallyExposed()) {
                exposeService(
                    s, std::nullopt, "Service " + svc.ns + "/" + svc.name + " (" + svc.type + ")");
            }
        }
        for (const auto& route : cluster_.routes) {
            for (const auto& name : route.services) {
                auto it = service_by_name.find({route.ns, name});
                if (it != service_by_name.end()) {
                    exposeService(
                        it->second, route.target_port, "Route " + route.ns + "/" + route.name);
                }
            }
        }
    }

    void exposeService(size_t s,
                       const std::optional<PortValue>& route_port,
                       const std::string& by) {
        const Service& svc = cluster_.services[s];
        for (size_t w : index_.selectedBy(s)) {
            const Workload& wl = cluster_.workloads[w];
            if (route_port && !route_port->isNamed()) {
                exposures_[w].push_back({{false, Protocol::kTcp, route_port->number}, by});
                continue;
            }
            for (const auto& sp : svc.ports) {
                if (route_port && route_port->name != sp.name &&
                    route_port->name != sp.target_port.name) {
                    continue;
                }
                auto target = resolveTargetPort(wl, sp);
                if (!target) {
                    out_.report.warnings.push_back(by + ": targetPort \"" + sp.target_port.name +
                                                   "\" is not a container port of " + wl.ns + "/" +
                                                   wl.name + "; that port is not opened");
                    continue;
                }
                exposures_[w].push_back({{false, sp.protocol, *target}, by});
            }
        }
    }

    static std::optional<uint32_t> resolveTargetPort(const Workload& w, const ServicePort& sp) {
        if (!sp.target_port.isNamed()) {
            return sp.target_port.number != 0 ? sp.target_port.number : sp.port;
        }
        for (const auto& cp : w.ports) {
            if (cp.name == sp.target_port.name && cp.protocol == sp.protocol) {
                return cp.port;
            }
        }
        return std::nullopt;
    }

    void considerWorkload(size_t w, size_t edge_begin, size_t edge_end) {
        const Workload& wl = cluster_.workloads[w];
        ++out_.report.workloads_in_scope;
        if (isProtectedNamespace(wl.ns)) {
            skip(wl, "protected namespace " + wl.ns);
            return;
        }
        if (wl.host_network) {
            // Its pods share the node's network namespace: a NetworkPolicy selecting them is not
            // enforced by common implementations (docs/egress-and-flavours.md §1.8).
            skip(wl, "hostNetwork: NetworkPolicies do not apply to pods in the node's network");
            return;
        }
        if (const NetworkPolicy* p = selectingPolicy(wl)) {
            skip(wl, "already selected by ingress policy " + p->ns + "/" + p->name);
            return;
        }
        std::map<PortKey, RuleSources> by_key;
        for (size_t e = edge_begin; e < edge_end; ++e) {
            const InboundEdge& edge = edges_[e];
            RuleSources& sources = by_key[portKey(edge.protocol, edge.port)];
            if (edge.src == kInternetEntity) {
                sources.internet_flows += edge.count;
            } else if (edge.src == kInternalEntity) {
                sources.internal_flows += edge.count;
            } else if (workloadIndex(edge.src) < cluster_.workloads.size()) {
                sources.workloads.push_back(workloadIndex(edge.src));
            }
        }
        for (const auto& exposure : exposures_[w]) {
            by_key[portKey(exposure.key.protocol, exposure.key.port)].exposed_by.push_back(
                exposure.by);
        }
        out_.modification.apply.push_back(buildPolicy(w, by_key));
    }

    PortKey portKey(Protocol protocol, uint32_t port) const {
        return options_.include_ports ? PortKey{false, protocol, port} : kAllPorts;
    }

    // §2.5 rule 4: an ingress policy of the workload's namespace whose podSelector matches the pod
    // template labels.
    const NetworkPolicy* selectingPolicy(const Workload& wl) const {
        auto it = ingress_by_ns_.find(wl.ns);
        if (it == ingress_by_ns_.end()) {
            return nullptr;
        }
        for (const NetworkPolicy* p : it->second) {
            if (p->pod_selector.matches(wl.pod_labels)) {
                return p;
            }
        }
        return nullptr;
    }

    NetworkPolicy buildPolicy(size_t w, const std::map<PortKey, RuleSources>& by_key) {
        const Workload& wl = cluster_.workloads[w];
        NetworkPolicy p;
        p.ns = wl.ns;
        p.name = std::string(kGeneratedNamePrefix) + wl.name;
        p.labels.emplace(std::string(kGeneratedLabelKey), "true");
        p.pod_selector = selectors_[w];
        p.policy_types = {PolicyType::kIngress};
        if (w < selector_overlaps_.size() && !selector_overlaps_[w].empty()) {
            std::string others;
            for (const auto& other : selector_overlaps_[w]) {
                others += (others.empty() ? "" : ", ") + other;
            }
            out_.report.warnings.push_back(wl.ns + "/" + wl.name +
                                           ": no stable labels tell its pods from " + others +
                                           "'s: the selectors that name it pick theirs too");
        }
        if (p.pod_selector.empty()) {
            out_.report.warnings.push_back(wl.ns + "/" + wl.name +
                                           " has no labels: podSelector {} of " + p.name +
                                           " selects every pod of namespace " + wl.ns);
        }
        for (const auto& [key, sources] : by_key) {
            p.ingress.push_back(buildRule(p, w, key, sources));
        }
        if (p.ingress.empty()) {
            ++out_.report.deny_all;
        }
        ++out_.report.policies_generated;
        return p;
    }

    PolicyRule buildRule(const NetworkPolicy& p,
                         size_t dst,
                         const PortKey& key,
                         const RuleSources& sources) {
        PolicyRule rule;
        rule.ports = portsFor(key);
        const std::string policy_ref = p.ns + "/" + p.name;
        if (!sources.exposed_by.empty()) {
            openRule(policy_ref, key, "exposed by " + sources.exposed_by.front());
            return rule;
        }
        if (sources.internet_flows > 0) {
            openRule(policy_ref,
                     key,
                     "traffic from outside the cluster (" + std::to_string(sources.internet_flows) +
                         " flows)");
            return rule;
        }
        // DESIGN.md decision 1: peers by (namespace selector, pod selector), same-namespace first,
        // each once. Sorting the sources by peerKey() gives that order without building a peer
        // per source.
        peer_scratch_.clear();
        for (size_t src : sources.workloads) {
            peer_scratch_.emplace_back(peerKey(dst, src), src);
        }
        std::sort(peer_scratch_.begin(), peer_scratch_.end());
        size_t distinct = 0;
        for (size_t i = 0; i < peer_scratch_.size(); ++i) {
            distinct += i == 0 || peer_scratch_[i].first != peer_scratch_[i - 1].first ? 1 : 0;
        }
        rule.peers.reserve(distinct);
        for (size_t i = 0; i < peer_scratch_.size(); ++i) {
            const size_t src = peer_scratch_[i].second;
            warnIfUnlabelled(src);
            if (i == 0 || peer_scratch_[i].first != peer_scratch_[i - 1].first) {
                rule.peers.push_back(peerFor(dst, src));
            }
        }
        if (rule.peers.empty()) {
            openRule(policy_ref,
                     key,
                     "only in-cluster sources that map to no workload (" +
                         std::to_string(sources.internal_flows) + " flows)");
        }
        return rule;
    }

    // §2.9: same namespace → podSelector; other namespace → namespaceSelector AND podSelector.
    PolicyPeer peerFor(size_t dst, size_t src) {
        PolicyPeer peer;
        peer.pod_selector = selectors_[src];
        if (namespace_rank_[src] != namespace_rank_[dst]) {
            peer.namespace_selector = namespace_selectors_[namespace_rank_[src]];
            if (needs_namespace_label_[namespace_rank_[src]]) {
                const std::string& src_ns = cluster_.workloads[src].ns;
                namespace_labels_.insert({src_ns, options_.namespace_label_key, src_ns});
            }
        }
        return peer;
    }

    void warnIfUnlabelled(size_t src) {
        if (selectors_[src].empty()) {
            const Workload& s = cluster_.workloads[src];
            out_.report.warnings.push_back(
                "source " + s.ns + "/" + s.name +
                " has no labels: the peer admits every pod of namespace " + s.ns);
        }
    }

    void openRule(const std::string& policy, const PortKey& key, std::string reason) {
        out_.report.open_rules.push_back({policy, describePorts(key), std::move(reason)});
    }

    void skip(const Workload& wl, std::string reason) {
        out_.report.skipped.push_back(
            {wl.ns + "/" + wl.name, std::string(workloadKindName(wl.kind)), std::move(reason)});
    }

    void finish() {
        Modification& m = out_.modification;
        std::sort(m.to_delete.begin(), m.to_delete.end());
        m.namespace_labels.assign(namespace_labels_.begin(), namespace_labels_.end());
        std::sort(m.apply.begin(), m.apply.end(), [](const auto& a, const auto& b) {
            return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
        });
        for (size_t i = 1; i < m.apply.size(); ++i) {
            if (m.apply[i].ns == m.apply[i - 1].ns && m.apply[i].name == m.apply[i - 1].name) {
                out_.report.warnings.push_back("two workloads of namespace " + m.apply[i].ns +
                                               " give the policy name " + m.apply[i].name);
            }
        }
        std::set<ObjectRef> deleted(m.to_delete.begin(), m.to_delete.end());
        std::set<ObjectRef> existing;
        for (const auto& obj : cluster_.policies) {
            existing.insert({obj.policy.ns, obj.policy.name});
        }
        for (const auto& p : m.apply) {
            ObjectRef ref{p.ns, p.name};
            if (existing.count(ref) != 0 && deleted.count(ref) == 0) {
                out_.report.warnings.push_back("policy " + p.ns + "/" + p.name +
                                               " already exists in the cluster and is not deleted: "
                                               "`kubectl create` would fail; "
                                               "use --delete-existing generated to replace it");
            }
        }
        std::sort(out_.report.warnings.begin(), out_.report.warnings.end());
        out_.report.warnings.erase(
            std::unique(out_.report.warnings.begin(), out_.report.warnings.end()),
            out_.report.warnings.end());
    }

    const Cluster& cluster_;
    ClusterIndex index_;
    const GenerateOptions& options_;
    std::vector<InboundEdge> edges_;
    std::vector<size_t> edge_begin_;        // per workload, and one past the last
    std::vector<LabelSelector> selectors_;  // per workload: policySelector() or minimal
    // --selectors minimal: per workload, the other workloads its selector picks too.
    std::vector<std::vector<std::string>> selector_overlaps_;
    std::vector<uint32_t> selector_rank_;             // per workload: rank of selectors_[w]
    std::vector<uint32_t> namespace_rank_;            // per workload: rank of its namespace name
    std::vector<bool> needs_namespace_label_;         // per namespace rank
    std::vector<LabelSelector> namespace_selectors_;  // per namespace rank: {label key: name}
    std::vector<std::pair<uint64_t, size_t>> peer_scratch_;
    std::map<std::string, std::vector<const NetworkPolicy*>> ingress_by_ns_;
    std::vector<std::vector<Exposure>> exposures_;
    std::set<NamespaceLabel> namespace_labels_;
    Generation out_;
};

}  // namespace

Result<Generation> generatePolicies(const Cluster& cluster,
                                    const FlowGraph& graph,
                                    const GenerateOptions& options) {
    return Generator(cluster, graph, options).run();
}

}  // namespace netpolgen::core
