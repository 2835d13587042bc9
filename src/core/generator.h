// generatePolicies: the StackRox network policy generator (docs/stackrox-generator.md §2) with the
// decisions of DESIGN.md: one ingress NetworkPolicy per workload in scope that no ingress policy
// selects yet, from the traffic observed into it.
//
//   GenerateOptions opts;
//   opts.namespaces = {"shop"};
//   auto gen = generatePolicies(cluster, graph, opts);   // Result<Generation>
//   gen->modification.apply   // policies to create, sorted by (namespace, name)
//   gen->report               // what was skipped and why, which rules allow everyone and why
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/flow_graph.h"
#include "core/network_policy.h"
#include "core/result.h"

namespace netpolgen::core {

enum class DeleteExisting : uint8_t {
    kNone,       // keep every existing policy (the UI's mode)
    kGenerated,  // delete policies carrying the generated label, outside protected namespaces
    kAll,        // delete every policy outside protected namespaces
};

enum class SelectorStyle : uint8_t { kStackrox, kMinimal };

struct GenerateOptions {
    // Scope. Empty lists mean the whole cluster; both lists given means both must hold.
    std::vector<std::string> namespaces;
    std::vector<std::string> workloads;  // "NAME" (any namespace) or "NS/NAME"
    // One rule per (port, protocol); false gives at most one rule without ports.
    bool include_ports = true;
    DeleteExisting delete_existing = DeleteExisting::kNone;
    // The namespace label cross-namespace peers select on. Any other key than the default means
    // the namespaces that lack it must be labelled (Modification::namespace_labels).
    std::string namespace_label_key = std::string(kNamespaceNameLabel);
    // kStackrox: a workload's pods by all their template labels (StackRox's); kMinimal: the
    // smallest stable subset that tells them from the namespace's other pods
    // (core/minimal_selector.h), for the policies' podSelector and their peers'.
    SelectorStyle selectors = SelectorStyle::kStackrox;
};

struct NamespaceLabel {
    std::string ns;
    std::string key;
    std::string value;
    auto operator<=>(const NamespaceLabel&) const = default;
};

// What applying the generated policies means: create `apply`, delete `to_delete` first, and label
// the namespaces in `namespace_labels`.
struct Modification {
    std::vector<NetworkPolicy> apply;
    std::vector<ObjectRef> to_delete;
    std::vector<NamespaceLabel> namespace_labels;
};

struct SkippedWorkload {
    std::string workload;  // "ns/name"
    std::string kind;
    std::string reason;
};

// A rule that admits traffic from everywhere, and why (exposure, external sources, or sources
// that could not be resolved).
struct OpenRule {
    std::string policy;  // "ns/name"
    std::string ports;   // "TCP 8080", "all ports"
    std::string reason;
};

struct GenerationReport {
    size_t workloads_in_scope = 0;
    size_t policies_generated = 0;
    size_t deny_all = 0;  // policies with no ingress rule
    std::vector<SkippedWorkload> skipped;
    std::vector<OpenRule> open_rules;
    std::vector<std::string> warnings;
};

struct Generation {
    Modification modification;
    GenerationReport report;
};

// Errors: a scope that names no workload or namespace of the cluster.
Result<Generation> generatePolicies(const Cluster& cluster,
                                    const FlowGraph& graph,
                                    const GenerateOptions& options);

}  // namespace netpolgen::core
