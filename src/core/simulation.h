// Simulation: what a Modification would do to a cluster before anyone applies it
// (docs/stackrox-generator.md §4), in three parts:
//
//   1. planModification: the status of every policy (UNCHANGED, MODIFIED, ADDED, DELETED) and the
//      validation errors of §4.1, in StackRox's exact wording;
//   2. the connectivity diff before → after (computeConnectivity on both policy sets, compared by
//      computeConnectivityDiff);
//   3. replayFlows: every observed edge of a FlowGraph judged under the current and the proposed
//      policies: newly blocked, newly allowed, blocked in both, allowed in both.
//
//   auto sim = simulate(cluster, modification, &graph, {});
//   if (!sim.plan.errors.empty()) { report(sim.plan.errors); }       // nothing else is computed
//   sim.connectivity                                                // changed, added, removed
//   sim.replay->count(ReplayVerdict::kNewlyBlocked)
//
// compareWorkloads then sets, per workload, the policies selecting it before and after side by
// side with a verdict (same, tighter, looser, different) from the connections into and out of it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster.h"
#include "core/connectivity_diff.h"
#include "core/connectivity_map_diff.h"
#include "core/flow_graph.h"
#include "core/generator.h"
#include "core/network_policy.h"

namespace netpolgen::core {

// NetworkPolicyInSimulation.Status of StackRox, without INVALID.
enum class PolicyStatus : uint8_t { kUnchanged, kModified, kAdded, kDeleted };

// "UNCHANGED", "MODIFIED", "ADDED", "DELETED".
std::string_view policyStatusName(PolicyStatus status);

// One policy of the simulation. The pointers refer into the Cluster and the Modification the plan
// was made from: both must outlive the plan.
struct PolicyInSimulation {
    PolicyStatus status = PolicyStatus::kUnchanged;
    ObjectRef ref;
    const NetworkPolicy* old_policy = nullptr;  // UNCHANGED, MODIFIED, DELETED
    const NetworkPolicy* new_policy = nullptr;  // UNCHANGED (same as old), MODIFIED, ADDED
    std::optional<size_t> existing_index;       // into Cluster::policies
    std::optional<size_t> apply_index;          // into Modification::apply
    std::string error;                          // forbidden namespace, duplicate; empty if none
};

struct PolicyPlan {
    // Existing policies first, sorted by (namespace, name), then additions in the order of
    // Modification::apply.
    std::vector<PolicyInSimulation> policies;
    // Every validation error: deletions of missing policies, policies twice in the modification
    // (in its order), forbidden namespaces (in the order above), namespace labels. Texts of
    // docs/stackrox-generator.md §4.1:
    //   policy <name> in namespace <ns> marked for deletion does not exist
    //   "<name>" cannot be applied since network policy change in '"<ns>"' namespace is forbidden
    // and ours:
    //   policy <name> in namespace <ns> appears more than once in the modification
    //   namespace <ns> to label does not exist
    std::vector<std::string> errors;

    // Old graph: UNCHANGED + MODIFIED(old) + DELETED(old). New graph: UNCHANGED + ADDED +
    // MODIFIED(new) (§4.1 item 7). In the order of `policies`.
    std::vector<const NetworkPolicy*> before() const;
    std::vector<const NetworkPolicy*> after() const;
    size_t count(PolicyStatus status) const;
};

PolicyPlan planModification(const Cluster& cluster, const Modification& modification);

// The cluster as it is once the modification's namespace labels are set (namespace selectors of
// the proposed policies may depend on them). Labels of namespaces the cluster lacks are ignored
// (planModification reports them).
Cluster applyNamespaceLabels(const Cluster& cluster, const std::vector<NamespaceLabel>& labels);

// ---------------------------------------------------------------------------------------------
// Replay of observed traffic

enum class ReplayVerdict : uint8_t {
    kAllowedInBoth,
    kNewlyBlocked,   // allowed today, blocked once the modification is applied
    kNewlyAllowed,   // blocked today, allowed once applied
    kBlockedInBoth,  // blocked today and after: observed anyway (policies applied since, ...)
    kNotEvaluated,   // the source is `internal` (node, host network): always allowed
};
inline constexpr size_t kReplayVerdicts = 5;

// "allowed in both", "newly blocked", "newly allowed", "blocked in both", "not evaluated".
std::string_view replayVerdictName(ReplayVerdict verdict);

struct ReplayedEdge {
    EdgeKey key;
    EdgeStats stats;
    ReplayVerdict verdict = ReplayVerdict::kAllowedInBoth;
};

struct ReplayTotals {
    uint64_t edges = 0;
    uint64_t flows = 0;  // sum of the edges' counts
};

struct ReplayResult {
    std::array<ReplayTotals, kReplayVerdicts> totals{};
    // Every edge except those allowed in both (only counted: they are most of the traffic),
    // sorted by (destination, source, protocol, port).
    std::vector<ReplayedEdge> edges;

    const ReplayTotals& total(ReplayVerdict v) const { return totals[static_cast<size_t>(v)]; }
};

struct ReplayOptions {
    // Upstream Kubernetes: an ipBlock matches pod IPs too. netpol-analyzer: false.
    bool ipblock_matches_pods = true;
};

// The address an `internet` source stands for: a public address that no private-range ipBlock
// contains, so that `ipBlock: 0.0.0.0/0` admits it and `10.0.0.0/8` does not.
inline constexpr std::string_view kInternetReplayAddress = "8.8.8.8";

// Judges every edge of `graph` with the rules of docs/networkpolicy-semantics.md §8, as
// PolicyEvaluator does (egress of the source AND ingress of the destination): under `before` on
// `before_cluster` and under `after` on `after_cluster`. The two clusters must have the same
// workloads (they may differ in namespace labels). A workload end carries its first pod IP (for
// ipBlock peers); an `internet` source is kInternetReplayAddress; an `internal` source is not
// evaluated. A flow of unknown port (0) matches only rules that admit every port of its protocol.
//
// Cost: selectors are resolved once per policy set through a label index, so an edge costs a few
// lookups whatever the number of peers in the rules (bench/bench_replay.cpp).
ReplayResult replayFlows(const Cluster& before_cluster,
                         const std::vector<const NetworkPolicy*>& before,
                         const Cluster& after_cluster,
                         const std::vector<const NetworkPolicy*>& after,
                         const FlowGraph& graph,
                         const ReplayOptions& options);

// ---------------------------------------------------------------------------------------------
// The whole simulation

// How many connectivity diff entries the commands and the API list unless told otherwise.
inline constexpr size_t kDefaultDiffLimit = 1000;

struct SimulationOptions {
    bool ipblock_matches_pods = true;
    bool connectivity_diff = true;  // compute the before → after connectivity diff
    size_t diff_limit = 0;          // keep at most this many diff entries (0: all); counts are full
};

struct Simulation {
    PolicyPlan plan;
    // Empty when the plan has errors. Otherwise the diff of the connectivity before (ref1) and
    // after (ref2): entries as computeConnectivityDiff returns them (changed, added, removed), the
    // first diff_limit of them, with counts and per-workload flags over all.
    BoundedConnectivityDiff connectivity;
    std::optional<ReplayResult> replay;  // when a graph was given and the plan has no errors
};

// `graph` may be null (no replay). Nothing but the plan is computed when the plan has errors.
Simulation simulate(const Cluster& cluster,
                    const Modification& modification,
                    const FlowGraph* graph,
                    const SimulationOptions& options);

// ---------------------------------------------------------------------------------------------
// Compare: per workload, before and after side by side

enum class CompareVerdict : uint8_t {
    kSame,       // the same connections into and out of the workload
    kTighter,    // after ⊂ before
    kLooser,     // after ⊃ before
    kDifferent,  // some connections gained, others lost
};

// "same", "tighter", "looser", "different".
std::string_view compareVerdictName(CompareVerdict verdict);

struct WorkloadComparison {
    size_t workload = 0;  // index into Cluster::workloads
    // Entries of PolicyPlan::policies whose policy (old resp. new) selects the workload (same
    // namespace, podSelector matches its pod labels; ingress or egress), sorted by name.
    std::vector<size_t> existing;
    std::vector<size_t> proposed;
    CompareVerdict verdict = CompareVerdict::kSame;
    // The diff entries with the workload as source or destination (of those the diff kept).
    std::vector<ConnectivityDiffEntry> changes;

    // True when a policy selecting the workload is added, deleted or modified.
    bool policiesChanged(const PolicyPlan& plan) const;
};

// One entry per workload of the cluster, in cluster order. `diff` is Simulation::connectivity
// (computed with the same plan).
std::vector<WorkloadComparison> compareWorkloads(const Cluster& cluster,
                                                 const PolicyPlan& plan,
                                                 const BoundedConnectivityDiff& diff);

}  // namespace netpolgen::core
