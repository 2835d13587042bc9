#include "server/traffic_graph.h"

#include <algorithm>
#include <map>
#include <utility>

#include "io/simulation_json.h"
#include "io/time_text.h"

namespace netpolgen::server {
namespace {

using nlohmann::json;

constexpr const char* kExternal = "External";
constexpr const char* kInternal = "Internal";

bool selects(const core::Service& service, const core::Labels& pod_labels) {
    if (!service.selector || service.selector->empty()) {
        return false;
    }
    return std::all_of(service.selector->begin(), service.selector->end(), [&](const auto& kv) {
        const auto it = pod_labels.find(kv.first);
        return it != pod_labels.end() && it->second == kv.second;
    });
}

// DESIGN.md decision 5: a NodePort/LoadBalancer Service, or a Route to a Service, selecting it.
bool isExposed(const core::Cluster& cluster, const core::Workload& w) {
    for (const core::Service& s : cluster.services) {
        if (s.ns != w.ns || !selects(s, w.pod_labels)) {
            continue;
        }
        if (s.isExternallyExposed()) {
            return true;
        }
        for (const core::Route& r : cluster.routes) {
            if (r.ns == s.ns &&
                std::find(r.services.begin(), r.services.end(), s.name) != r.services.end()) {
                return true;
            }
        }
    }
    return false;
}

bool hasIngressPolicy(const core::Cluster& cluster, const core::Workload& w) {
    return std::any_of(cluster.policies.begin(), cluster.policies.end(), [&](const auto& p) {
        return p.policy.ns == w.ns && p.policy.affectsIngress() &&
               p.policy.pod_selector.matches(w.pod_labels);
    });
}

// Aggregated edge between two node ids.
struct EdgeTotals {
    std::set<std::pair<std::string, uint32_t>> ports;  // (protocol, port)
    uint64_t count = 0;
    core::Timestamp last_seen = core::kUndated;
};

class GraphBuilder {
public:
    GraphBuilder(const core::Cluster& cluster, const GraphOptions& options)
        : cluster_(cluster), options_(options) {}

    json build(const core::FlowGraph& graph) {
        for (size_t i = 0; i < cluster_.workloads.size(); ++i) {
            if (inScope(cluster_.workloads[i].ns)) {
                addWorkload(i);
            }
        }
        for (const auto& [key, stats] : graph.edges()) {
            addEdge(key, stats);
        }
        return {{"nodes", nodesJson()}, {"edges", edgesJson()}};
    }

private:
    bool inScope(const std::string& ns) const {
        return options_.namespaces.empty() || options_.namespaces.count(ns) > 0;
    }

    // The node id of an entity, its node added when new; the namespace of a workload in `ns`.
    std::string nodeOf(core::EntityId id) {
        if (id == core::kInternetEntity || id == core::kInternalEntity) {
            const char* name = id == core::kInternetEntity ? kExternal : kInternal;
            nodes_.emplace(name,
                           json{{"id", name},
                                {"type", id == core::kInternetEntity ? "external" : "internal"}});
            return name;
        }
        return addWorkload(core::workloadIndex(id));
    }

    std::string addWorkload(size_t index) {
        const core::Workload& w = cluster_.workloads[index];
        const bool policy = hasIngressPolicy(cluster_, w);
        const bool exposed = isExposed(cluster_, w);
        if (options_.collapse_namespaces) {
            json& node = nodes_[w.ns];
            if (node.is_null()) {
                node = {{"id", w.ns},
                        {"type", "namespace"},
                        {"hasIngressPolicy", false},
                        {"exposed", false}};
            }
            node["hasIngressPolicy"] = node["hasIngressPolicy"].get<bool>() || policy;
            node["exposed"] = node["exposed"].get<bool>() || exposed;
            return w.ns;
        }
        const std::string id = io::workloadName(cluster_, index);
        nodes_.emplace(id,
                       json{{"id", id},
                            {"type", "workload"},
                            {"namespace", w.ns},
                            {"name", w.name},
                            {"kind", std::string(core::workloadKindName(w.kind))},
                            {"labels", w.pod_labels},
                            {"hasIngressPolicy", policy},
                            {"exposed", exposed}});
        return id;
    }

    bool edgeInScope(const core::EdgeKey& key) const {
        const auto ns = [&](core::EntityId id) -> std::string {
            return core::isWorkloadEntity(id) ? cluster_.workloads[core::workloadIndex(id)].ns
                                              : std::string();
        };
        return inScope(ns(key.src)) || inScope(ns(key.dst));
    }

    void addEdge(const core::EdgeKey& key, const core::EdgeStats& stats) {
        if (!edgeInScope(key)) {
            return;
        }
        EdgeTotals& totals = edges_[{nodeOf(key.src), nodeOf(key.dst)}];
        totals.ports.emplace(std::string(core::protocolName(key.protocol)), key.port);
        totals.count += stats.count;
        if (stats.last_seen != core::kUndated) {
            totals.last_seen = totals.last_seen == core::kUndated
                                   ? stats.last_seen
                                   : std::max(totals.last_seen, stats.last_seen);
        }
    }

    json nodesJson() const {
        json out = json::array();
        for (const auto& [id, node] : nodes_) {
            out.push_back(node);
        }
        return out;
    }

    json edgesJson() const {
        json out = json::array();
        for (const auto& [ends, totals] : edges_) {
            json ports = json::array();
            for (const auto& [protocol, port] : totals.ports) {
                ports.push_back({{"protocol", protocol}, {"port", port}});
            }
            out.push_back(
                {{"source", ends.first},
                 {"target", ends.second},
                 {"ports", std::move(ports)},
                 {"count", totals.count},
                 {"lastSeen",
                  totals.last_seen == core::kUndated ? json(nullptr)
                                                     : json(io::formatRfc3339(totals.last_seen))}});
        }
        return out;
    }

    const core::Cluster& cluster_;
    const GraphOptions& options_;
    std::map<std::string, json> nodes_;  // by id: sorted output
    std::map<std::pair<std::string, std::string>, EdgeTotals> edges_;
};

}  // namespace

json trafficGraph(const core::Cluster& cluster,
                  const core::FlowGraph& graph,
                  const GraphOptions& options) {
    return GraphBuilder(cluster, options).build(graph);
}

}  // namespace netpolgen::server
