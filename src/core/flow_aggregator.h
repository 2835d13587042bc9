// FlowAggregator: resolves each FlowObservation against the cluster and folds it into a FlowGraph.
//
// Resolution (DESIGN.md decision 6): a workload endpoint goes through an EndpointResolver (its
// workload name, pod, labels, address: core/endpoint_resolver.h), once per distinct endpoint text
// when the decoder gives one (FlowEndpoint::text: canonical lines); an address is a pod IP (→ its
// workload), a Service cluster IP (→ every workload the Service selects, with the Service port
// translated to the container port), or unknown: private → internal, public → internet. A CIDR
// source is external (internet). Flows whose destination is not a workload are counted and left
// out: only ingress into workloads matters to the generator. Flows with an end the snapshot does
// not have (a workload deleted since, another cluster's) are counted under that end's name and
// left out, or are an error with rejectUnresolved(true) (`--strict`).
//
//   FlowAggregator agg(index, {.since = t0});
//   Status st = agg.add(observation);   // error: bad address, ambiguous NS/NAME, --strict
//   const FlowGraph& g = agg.graph();
//
// Bucketed (ingest into the store): FlowAggregator agg(index, {}, buckets) adds every resolved
// flow to `buckets` (a BucketedFlowGraph, one graph per day) instead of graph().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/bucketed_flow_graph.h"
#include "core/cluster_index.h"
#include "core/endpoint_resolver.h"
#include "core/flow.h"
#include "core/flow_graph.h"
#include "core/ip_tenancy.h"
#include "core/result.h"
#include "core/text_ids.h"

namespace netpolgen::core {

struct TimeWindow {
    std::optional<Timestamp> since;  // flows before are left out
    std::optional<Timestamp> until;  // flows after are left out
};

struct AggregationStats {
    uint64_t flows = 0;              // observations offered
    uint64_t aggregated = 0;         // observations that became (part of) an edge
    uint64_t outside_window = 0;     // dated flows before --since or after --until
    uint64_t undated_in_window = 0;  // undated flows kept although a window was set
    uint64_t src_internet = 0;       // sources outside the cluster (addresses, CIDRs, internet)
    uint64_t src_internal_unresolved = 0;  // in-cluster addresses that map to no workload
    uint64_t dst_not_workload = 0;         // destination outside the cluster or no workload
    uint64_t via_service_ip = 0;           // destinations given as a Service cluster IP
    uint64_t src_host_network = 0;  // sources in hostNetwork pods: the node's traffic (internal)
    uint64_t unresolved = 0;  // left out: an end names a workload/pod/labels not in the snapshot
    uint64_t ambiguous = 0;   // ends counted there whose labels match several workloads
    // The most frequent unresolved ends, most frequent first (at most kTopUnresolved).
    std::vector<std::pair<std::string, uint64_t>> top_unresolved;
};

inline constexpr size_t kTopUnresolved = 5;

class FlowAggregator {
public:
    FlowAggregator(const ClusterIndex& index, TimeWindow window)
        : index_(index), window_(window), resolver_(index) {}
    // Resolved flows go to `buckets` (which must outlive the aggregator); graph() stays empty.
    FlowAggregator(const ClusterIndex& index, TimeWindow window, BucketedFlowGraph& buckets)
        : index_(index), window_(window), buckets_(&buckets), resolver_(index) {}

    // With true, a flow whose end is not in the snapshot is an error instead of counted.
    void rejectUnresolved(bool reject) { reject_unresolved_ = reject; }
    // Which pod held an address when (a watched cluster's history; must outlive the
    // aggregator): a dated flow to or from an address goes to the pod that held it at the
    // flow's time, and to the snapshot's pod addresses only when no tenancy covers that time.
    void useTenancies(const IpTenancies* tenancies) { tenancies_ = tenancies; }

    Status add(const FlowObservation& flow);

    // The edges so far (the flows still buffered for the graph are added first).
    const FlowGraph& graph() {
        flushPending();
        return graph_;
    }
    FlowGraph takeGraph() {
        flushPending();
        return std::move(graph_);
    }
    // The counters, with top_unresolved filled in.
    AggregationStats stats() const;

private:
    // A workload endpoint through the resolver, once per distinct FlowEndpoint::text.
    EndpointResolution resolveWorkload(const FlowEndpoint& ep);
    // A workload endpoint's workload; nothing when the flow was counted as unresolved.
    Result<std::optional<EntityId>> resolveSource(const FlowEndpoint& ep, Timestamp time);
    // The pod that held `ip` at `time` (useTenancies), resolved; nothing when no tenancy says.
    std::optional<EndpointResolution> tenantOf(const IpAddress& ip, Timestamp time);
    // dst_workload: the destination's workload when it is a workload endpoint.
    EntityId workloadSource(size_t workload);
    Status addToDestination(const FlowObservation& flow, EntityId src, size_t dst_workload);
    Status countUnresolved(const EndpointResolution& r, const char* end);
    void flushPending() {
        graph_.addAll(pending_);
        pending_.clear();
    }

    const ClusterIndex& index_;
    TimeWindow window_;
    FlowGraph graph_;
    // Resolved flows on their way to graph_, added a group at a time (FlowGraph::addAll).
    std::vector<EdgeAdd> pending_;
    BucketedFlowGraph* buckets_ = nullptr;
    EndpointResolver resolver_;
    TextIds endpoint_texts_;                          // FlowEndpoint::text of workload endpoints
    std::vector<EndpointResolution> resolved_texts_;  // by id in endpoint_texts_
    // Per workload of the cluster, 1 when it runs in the node's network: read on every line, so
    // kept apart from the (large, scattered) Workload objects. Filled on first use.
    std::vector<uint8_t> host_network_;
    bool reject_unresolved_ = false;
    const IpTenancies* tenancies_ = nullptr;
    AggregationStats stats_;
    std::vector<uint64_t> unresolved_counts_;  // by EndpointResolution::id
};

}  // namespace netpolgen::core
