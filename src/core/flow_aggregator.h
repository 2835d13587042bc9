// FlowAggregator: resolves each FlowObservation against the cluster and folds it into a FlowGraph.
//
// Resolution (DESIGN.md decision 6): a named workload must exist in the snapshot; an address is a
// pod IP (→ its workload), a Service cluster IP (→ every workload the Service selects, with the
// Service port translated to the container port), or unknown: private → internal, public →
// internet. A CIDR source is external (internet). Flows whose destination is not a workload are
// counted and left out: only ingress into workloads matters to the generator.
//
//   FlowAggregator agg(index, {.since = t0});
//   Status st = agg.add(observation);   // error: unknown workload, bad address
//   const FlowGraph& g = agg.graph();
//
// Bucketed (ingest into the store): FlowAggregator agg(index, {}, buckets) adds every resolved
// flow to `buckets` (a BucketedFlowGraph, one graph per day) instead of graph().
#pragma once

#include <cstdint>
#include <optional>

#include "core/bucketed_flow_graph.h"
#include "core/cluster_index.h"
#include "core/flow.h"
#include "core/flow_graph.h"
#include "core/result.h"

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
};

class FlowAggregator {
public:
    FlowAggregator(const ClusterIndex& index, TimeWindow window) : index_(index), window_(window) {}
    // Resolved flows go to `buckets` (which must outlive the aggregator); graph() stays empty.
    FlowAggregator(const ClusterIndex& index, TimeWindow window, BucketedFlowGraph& buckets)
        : index_(index), window_(window), buckets_(&buckets) {}

    Status add(const FlowObservation& flow);

    const FlowGraph& graph() const { return graph_; }
    FlowGraph takeGraph() { return std::move(graph_); }
    const AggregationStats& stats() const { return stats_; }

private:
    Result<EntityId> resolveSource(const FlowEndpoint& ep);
    EntityId workloadSource(size_t workload);
    Status addToDestination(const FlowObservation& flow, EntityId src);

    const ClusterIndex& index_;
    TimeWindow window_;
    FlowGraph graph_;
    BucketedFlowGraph* buckets_ = nullptr;
    AggregationStats stats_;
};

}  // namespace netpolgen::core
