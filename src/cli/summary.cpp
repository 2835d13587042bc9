#include "cli/summary.h"

#include <fmt/format.h>

#include "io/time_text.h"

namespace netpolgen::cli {
namespace {

void appendList(std::string& out, const std::vector<std::string>& items, const char* title) {
    if (items.empty()) {
        return;
    }
    out += fmt::format("{} ({}):\n", title, items.size());
    for (const auto& item : items) {
        out += "  " + item + "\n";
    }
}

}  // namespace

void appendUnresolved(std::string& out, const core::AggregationStats& a) {
    if (a.unresolved == 0) {
        return;
    }
    out += fmt::format(
        "  {} flows with an end not in the cluster snapshot left out (--strict to fail on "
        "them){}:\n",
        a.unresolved,
        a.ambiguous > 0 ? fmt::format(", {} ends with ambiguous labels", a.ambiguous) : "");
    for (const auto& [name, count] : a.top_unresolved) {
        out += fmt::format("    {} ({})\n", name, count);
    }
}

namespace {

void storedFlowsSummary(std::string& out, const StoreSource& source, size_t graph_edges) {
    const StoredFlows& f = *source.flows;
    // Without windowed counts the store counts each edge's flows over everything it holds.
    out += fmt::format(
        "flows: from {} (cluster \"{}\"): {} edges in the window ({} flows{}), {} after mapping "
        "onto the cluster\n",
        source.db,
        source.cluster_name,
        f.edges,
        f.flows,
        f.windowed_counts ? "" : " counted over all stored days",
        graph_edges);
    if (f.gone_edges > 0) {
        std::string names;
        for (const auto& name : f.gone_examples) {
            names += (names.empty() ? "" : ", ") + name;
        }
        out += fmt::format(
            "  {} edges ({} flows) of workloads no longer in the cluster left out (e.g. {})\n",
            f.gone_edges,
            f.gone_flows,
            names);
    }
}

void fileFlowsSummary(std::string& out, const LoadedInputs& in) {
    const auto& f = in.flow_stats;
    const auto& a = in.aggregation;
    // Framed input (a JSON array, pretty-printed objects) has more lines than objects.
    const std::string objects =
        f.records == f.lines ? "" : fmt::format(" ({} JSON objects)", f.records);
    out += fmt::format("flows: {} lines{}, {} flows read, {} aggregated into {} edges\n",
                       f.lines,
                       objects,
                       f.flows,
                       a.aggregated,
                       in.graph.size());
    out += fmt::format(
        "  skipped: {} replies, {} non-opening TCP segments, {} duplicate observation points, {} "
        "dropped, {} non-flow lines\n",
        f.skipped_replies,
        f.skipped_not_initial,
        f.skipped_duplicates,
        f.skipped_dropped,
        f.skipped_non_flow);
    out += fmt::format(
        "  sources outside the cluster: {}; unresolved in-cluster sources: {}; destinations that "
        "are no workload: {}\n",
        a.src_internet,
        a.src_internal_unresolved,
        a.dst_not_workload);
    if (a.src_host_network > 0) {
        out += fmt::format("  sources in hostNetwork pods, counted as their node's traffic: {}\n",
                           a.src_host_network);
    }
    appendUnresolved(out, a);
    if (a.outside_window > 0 || a.undated_in_window > 0) {
        out += fmt::format("  time window: {} flows outside it left out, {} undated flows kept\n",
                           a.outside_window,
                           a.undated_in_window);
    }
    if (f.invalid > 0) {
        out += fmt::format("  {} invalid flow lines skipped (--skip-invalid)\n", f.invalid);
        appendList(out, f.invalid_examples, "  first invalid lines");
    }
}

}  // namespace

std::string inputSummary(const LoadedInputs& in) {
    const auto& m = in.manifest_stats;
    std::string out;
    out += fmt::format(
        "cluster: {} objects from {} files: {} namespaces, {} workloads, {} services, {} network "
        "policies\n",
        m.objects,
        m.files,
        in.cluster.namespaces.size(),
        in.cluster.workloads.size(),
        in.cluster.services.size(),
        in.cluster.policies.size());
    if (!m.skipped_kinds.empty()) {
        std::string kinds;
        for (const auto& [kind, n] : m.skipped_kinds) {
            kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, kind);
        }
        out += "  skipped kinds: " + kinds + "\n";
    }
    if (m.invalid > 0) {
        out += fmt::format("  {} invalid objects skipped (--skip-invalid)\n", m.invalid);
        appendList(out, m.invalid_examples, "  first invalid objects");
    }
    if (in.store && in.store->snapshot) {
        out += fmt::format("  from {}: snapshot {} of cluster \"{}\", taken {}\n",
                           in.store->db,
                           in.store->snapshot->id,
                           in.store->cluster_name,
                           io::formatRfc3339(in.store->snapshot->taken_at));
    }
    if (in.store && in.store->flows) {
        storedFlowsSummary(out, *in.store, in.graph.size());
    } else {
        fileFlowsSummary(out, in);
    }
    std::vector<std::string> warnings = in.warnings;
    warnings.insert(warnings.end(), m.warnings.begin(), m.warnings.end());
    appendList(out, warnings, "input warnings");
    return out;
}

std::string generationSummary(const core::GenerationReport& r) {
    std::string out = fmt::format(
        "generated: {} workloads in scope, {} policies generated ({} deny all ingress), {} "
        "workloads skipped\n",
        r.workloads_in_scope,
        r.policies_generated,
        r.deny_all,
        r.skipped.size());
    std::vector<std::string> skipped;
    for (const auto& s : r.skipped) {
        skipped.push_back(fmt::format("{} ({}): {}", s.workload, s.kind, s.reason));
    }
    appendList(out, skipped, "skipped workloads");
    std::vector<std::string> open;
    for (const auto& o : r.open_rules) {
        open.push_back(fmt::format("{} {}: {}", o.policy, o.ports, o.reason));
    }
    appendList(out, open, "rules that allow everyone");
    appendList(out, r.warnings, "warnings");
    return out;
}

}  // namespace netpolgen::cli
