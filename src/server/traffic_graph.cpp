#include "server/traffic_graph.h"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <utility>

#include "io/simulation_json.h"
#include "io/time_text.h"

namespace netpolgen::server {
namespace {

using nlohmann::json;

constexpr const char* kExternal = "External";
constexpr const char* kInternal = "Internal";

// Node keys: the two folded entities, then one per workload or per namespace (collapsed). Edges
// are aggregated on these integers: at 10,000 workloads a graph holds a million edges, and
// building a string id per edge cost minutes.
using NodeKey = uint32_t;
constexpr NodeKey kExternalNode = 0;
constexpr NodeKey kInternalNode = 1;
constexpr NodeKey kFirstNode = 2;

// [first, last) of the workloads in namespace `ns` (Cluster::workloads is sorted by namespace).
std::pair<size_t, size_t> workloadsOf(const core::Cluster& cluster, const std::string& ns) {
    const auto& w = cluster.workloads;
    const auto first =
        std::lower_bound(w.begin(), w.end(), ns, [](const core::Workload& a, const std::string& n) {
            return a.ns < n;
        });
    auto last = first;
    while (last != w.end() && last->ns == ns) {
        ++last;
    }
    return {static_cast<size_t>(first - w.begin()), static_cast<size_t>(last - w.begin())};
}

bool selects(const core::Service& service, const core::Labels& pod_labels) {
    if (!service.selector || service.selector->empty()) {
        return false;
    }
    return std::all_of(service.selector->begin(), service.selector->end(), [&](const auto& kv) {
        const auto it = pod_labels.find(kv.first);
        return it != pod_labels.end() && it->second == kv.second;
    });
}

bool routedTo(const core::Cluster& cluster, const core::Service& s) {
    return std::any_of(cluster.routes.begin(), cluster.routes.end(), [&](const core::Route& r) {
        return r.ns == s.ns &&
               std::find(r.services.begin(), r.services.end(), s.name) != r.services.end();
    });
}

// Per workload: exposed (DESIGN.md decision 5: a NodePort/LoadBalancer Service, or a Route to a
// Service, selects it) and selected by an ingress policy. One pass per Service and policy over the
// workloads of its namespace.
struct WorkloadFacts {
    std::vector<bool> exposed;
    std::vector<bool> has_ingress_policy;
};

WorkloadFacts workloadFacts(const core::Cluster& cluster) {
    WorkloadFacts facts{std::vector<bool>(cluster.workloads.size()),
                        std::vector<bool>(cluster.workloads.size())};
    for (const core::Service& s : cluster.services) {
        if (!s.isExternallyExposed() && !routedTo(cluster, s)) {
            continue;
        }
        const auto [first, last] = workloadsOf(cluster, s.ns);
        for (size_t i = first; i < last; ++i) {
            facts.exposed[i] = facts.exposed[i] || selects(s, cluster.workloads[i].pod_labels);
        }
    }
    for (const auto& p : cluster.policies) {
        if (!p.policy.affectsIngress()) {
            continue;
        }
        const auto [first, last] = workloadsOf(cluster, p.policy.ns);
        for (size_t i = first; i < last; ++i) {
            facts.has_ingress_policy[i] =
                facts.has_ingress_policy[i] ||
                p.policy.pod_selector.matches(cluster.workloads[i].pod_labels);
        }
    }
    return facts;
}

// Aggregated edge between two nodes.
struct EdgeTotals {
    std::vector<std::pair<core::Protocol, uint32_t>> ports;  // sorted and unique at the end
    uint64_t count = 0;
    core::Timestamp last_seen = core::kUndated;
};

class GraphBuilder {
public:
    GraphBuilder(const core::Cluster& cluster,
                 const std::set<std::string>& namespaces,
                 bool collapse_namespaces)
        : cluster_(cluster),
          namespaces_(namespaces),
          collapse_namespaces_(collapse_namespaces),
          facts_(workloadFacts(cluster)),
          counted_(cluster.workloads.size()) {
        // Per workload, once: looked up twice per edge, a million times.
        NodeKey next_namespace = kFirstNode;
        for (size_t i = 0; i < cluster_.workloads.size(); ++i) {
            const std::string& ns = cluster_.workloads[i].ns;
            if (i > 0 && ns != cluster_.workloads[i - 1].ns) {
                ++next_namespace;  // workloads are sorted by namespace
            }
            namespace_key_.push_back(next_namespace);
            in_scope_.push_back(namespaces_.empty() || namespaces_.count(ns) > 0);
        }
    }

    // The nodes and edges of `graph`, aggregated; then edgeCount() tells the size of toJson().
    void aggregate(const core::FlowGraph& graph) {
        for (size_t i = 0; i < cluster_.workloads.size(); ++i) {
            if (in_scope_[i]) {
                addWorkload(i);
            }
        }
        edges_.reserve(std::min<size_t>(graph.size(), 1 << 20));
        for (const auto& [key, stats] : graph.edges()) {
            addEdge(key, stats);
        }
    }
    size_t edgeCount() const { return edges_.size(); }
    json toJson() const { return {{"nodes", nodesJson()}, {"edges", edgesJson()}}; }

private:
    // The node of an entity, added when new.
    NodeKey nodeOf(core::EntityId id) {
        if (id == core::kInternetEntity || id == core::kInternalEntity) {
            const NodeKey key = id == core::kInternetEntity ? kExternalNode : kInternalNode;
            const char* name = id == core::kInternetEntity ? kExternal : kInternal;
            if (nodes_.emplace(key, json()).second) {
                nodes_[key] = {{"id", name},
                               {"type", id == core::kInternetEntity ? "external" : "internal"}};
            }
            return key;
        }
        return addWorkload(core::workloadIndex(id));
    }

    NodeKey addWorkload(size_t index) {
        const core::Workload& w = cluster_.workloads[index];
        if (collapse_namespaces_) {
            const NodeKey key = namespace_key_[index];
            json& node = nodes_[key];
            if (node.is_null()) {
                node = {{"id", w.ns},
                        {"type", "namespace"},
                        {"hasIngressPolicy", false},
                        {"exposed", false}};
            }
            if (!counted_[index]) {
                counted_[index] = true;
                node["hasIngressPolicy"] =
                    node["hasIngressPolicy"].get<bool>() || facts_.has_ingress_policy[index];
                node["exposed"] = node["exposed"].get<bool>() || facts_.exposed[index];
            }
            return key;
        }
        const NodeKey key = kFirstNode + static_cast<NodeKey>(index);
        if (nodes_.emplace(key, json()).second) {
            nodes_[key] = {{"id", io::workloadName(cluster_, index)},
                           {"type", "workload"},
                           {"namespace", w.ns},
                           {"name", w.name},
                           {"kind", std::string(core::workloadKindName(w.kind))},
                           {"labels", w.pod_labels},
                           {"hasIngressPolicy", bool(facts_.has_ingress_policy[index])},
                           {"exposed", bool(facts_.exposed[index])}};
        }
        return key;
    }

    bool edgeInScope(const core::EdgeKey& key) const {
        if (namespaces_.empty()) {
            return true;
        }
        const auto inScopeEnd = [&](core::EntityId id) {
            return core::isWorkloadEntity(id) && in_scope_[core::workloadIndex(id)];
        };
        return inScopeEnd(key.src) || inScopeEnd(key.dst);
    }

    void addEdge(const core::EdgeKey& key, const core::EdgeStats& stats) {
        if (!edgeInScope(key)) {
            return;
        }
        const uint64_t ends = (uint64_t{nodeOf(key.src)} << 32) | nodeOf(key.dst);
        EdgeTotals& totals = edges_[ends];
        const std::pair<core::Protocol, uint32_t> port{key.protocol, key.port};
        if (std::find(totals.ports.begin(), totals.ports.end(), port) == totals.ports.end()) {
            totals.ports.push_back(port);
        }
        totals.count += stats.count;
        if (stats.last_seen != core::kUndated) {
            totals.last_seen = totals.last_seen == core::kUndated
                                   ? stats.last_seen
                                   : std::max(totals.last_seen, stats.last_seen);
        }
    }

    const std::string& idOf(NodeKey key) const {
        return nodes_.at(key)["id"].get_ref<const std::string&>();
    }

    json nodesJson() const {
        std::vector<const json*> sorted;
        sorted.reserve(nodes_.size());
        for (const auto& [key, node] : nodes_) {
            sorted.push_back(&node);
        }
        std::sort(sorted.begin(), sorted.end(), [](const json* a, const json* b) {
            return a->at("id").get_ref<const std::string&>() <
                   b->at("id").get_ref<const std::string&>();
        });
        json out = json::array();
        for (const json* node : sorted) {
            out.push_back(*node);
        }
        return out;
    }

    static json portsJson(std::vector<std::pair<core::Protocol, uint32_t>> ports) {
        std::vector<std::pair<std::string_view, uint32_t>> named;
        for (const auto& [protocol, port] : ports) {
            named.emplace_back(core::protocolName(protocol), port);
        }
        std::sort(named.begin(), named.end());
        json out = json::array();
        for (const auto& [protocol, port] : named) {
            out.push_back({{"protocol", std::string(protocol)}, {"port", port}});
        }
        return out;
    }

    json edgesJson() const {
        std::vector<std::pair<std::pair<const std::string*, const std::string*>, const EdgeTotals*>>
            sorted;
        sorted.reserve(edges_.size());
        for (const auto& [ends, totals] : edges_) {
            sorted.push_back({{&idOf(static_cast<NodeKey>(ends >> 32)),
                               &idOf(static_cast<NodeKey>(ends & 0xffffffffu))},
                              &totals});
        }
        std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
            const int first = a.first.first->compare(*b.first.first);
            return first != 0 ? first < 0 : *a.first.second < *b.first.second;
        });
        json out = json::array();
        for (const auto& [ends, totals] : sorted) {
            out.push_back({{"source", *ends.first},
                           {"target", *ends.second},
                           {"ports", portsJson(totals->ports)},
                           {"count", totals->count},
                           {"lastSeen",
                            totals->last_seen == core::kUndated
                                ? json(nullptr)
                                : json(io::formatRfc3339(totals->last_seen))}});
        }
        return out;
    }

    const core::Cluster& cluster_;
    const std::set<std::string>& namespaces_;  // empty: all
    const bool collapse_namespaces_;
    const WorkloadFacts facts_;
    std::vector<NodeKey> namespace_key_;  // per workload: its namespace's node when collapsed
    std::vector<bool> in_scope_;          // per workload: in one of `namespaces_`
    std::unordered_map<NodeKey, json> nodes_;
    std::vector<bool> counted_;  // collapsed: workloads already folded into their namespace
    std::unordered_map<uint64_t, EdgeTotals> edges_;  // (source key << 32 | target key)
};

json withFacts(json graph, bool collapsed, size_t in_view, const std::string& notice) {
    graph["collapse"] = collapsed ? "namespaces" : "none";
    graph["workloads"] = in_view;
    if (!notice.empty()) {
        graph["notice"] = notice;
    }
    return graph;
}

}  // namespace

core::Result<json> trafficGraph(const core::Cluster& cluster,
                                const core::FlowGraph& graph,
                                const GraphOptions& options) {
    const size_t in_view = static_cast<size_t>(
        std::count_if(cluster.workloads.begin(), cluster.workloads.end(), [&](const auto& w) {
            return options.namespaces.empty() || options.namespaces.count(w.ns) > 0;
        }));
    const bool too_many = in_view > options.max_workloads;
    const std::string advice = std::to_string(in_view) + " workloads in view, more than " +
                               std::to_string(options.max_workloads) +
                               " a graph can show: choose namespaces (namespaces=a,b)";
    if (too_many && options.collapse == GraphCollapse::kNone) {
        return core::Error{"collapse: none refused: " + advice + " or collapse=namespaces"};
    }
    const bool collapse = options.collapse == GraphCollapse::kNamespaces ||
                          (options.collapse == GraphCollapse::kAuto && too_many);
    GraphBuilder builder(cluster, options.namespaces, collapse);
    builder.aggregate(graph);
    std::string notice = too_many && options.collapse == GraphCollapse::kAuto
                             ? "collapsed to namespaces: " + advice
                             : std::string();
    if (!collapse && options.collapse == GraphCollapse::kAuto &&
        builder.edgeCount() > options.max_edges) {
        // Few workloads, but more edges between them than a browser draws (the JSON of 100,000
        // edges between 2,000 workloads is 28 MB and takes a second to write).
        notice = "collapsed to namespaces: " + std::to_string(builder.edgeCount()) +
                 " edges between workloads in view, more than " +
                 std::to_string(options.max_edges) +
                 " a graph can show: choose namespaces (namespaces=a,b)";
        GraphBuilder collapsed(cluster, options.namespaces, true);
        collapsed.aggregate(graph);
        return withFacts(collapsed.toJson(), true, in_view, notice);
    }
    return withFacts(builder.toJson(), collapse, in_view, notice);
}

}  // namespace netpolgen::server
