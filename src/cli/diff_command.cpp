#include "cli/diff_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>

#include "cli/app.h"
#include "cli/inputs.h"
#include "cli/output_file.h"
#include "core/connectivity.h"

namespace netpolgen::cli {
namespace {

using core::ConnectivityDiffEntry;
using core::DiffType;

constexpr std::array<DiffType, 3> kListedTypes{
    DiffType::kChanged, DiffType::kAdded, DiffType::kRemoved};

bool hasDifferences(const std::vector<ConnectivityDiffEntry>& entries) {
    for (const auto& e : entries) {
        if (e.type != DiffType::kUnchanged) {
            return true;
        }
    }
    return false;
}

// The listed entries (not unchanged) in output order: changed, added, removed, each group sorted
// by source then destination. computeConnectivityDiff already sorts; this keeps the formatters
// independent of that.
std::vector<const ConnectivityDiffEntry*> listedEntries(
    const std::vector<ConnectivityDiffEntry>& entries) {
    std::vector<const ConnectivityDiffEntry*> out;
    for (DiffType type : kListedTypes) {
        std::vector<const ConnectivityDiffEntry*> group;
        for (const auto& e : entries) {
            if (e.type == type) {
                group.push_back(&e);
            }
        }
        std::stable_sort(group.begin(), group.end(), [](const auto* a, const auto* b) {
            return std::tie(a->src.name, a->dst.name) < std::tie(b->src.name, b->dst.name);
        });
        out.insert(out.end(), group.begin(), group.end());
    }
    return out;
}

std::string formatText(const std::vector<ConnectivityDiffEntry>& entries) {
    std::string out = "Connectivity diff:\n";
    for (const auto* e : listedEntries(entries)) {
        out += fmt::format("diff-type: {}, source: {}, destination: {}, ref1: {}, ref2: {}",
                           core::diffTypeName(e->type),
                           e->src.name,
                           e->dst.name,
                           e->ref1.toString(),
                           e->ref2.toString());
        const std::string info = core::workloadsDiffInfo(*e);
        if (!info.empty()) {
            out += ", workloads-diff-info: " + info;
        }
        out += '\n';
    }
    return out;
}

// RFC 4180 field, quoted when needed (as Go's encoding/csv, which netpol-analyzer uses, does).
std::string csvField(std::string_view field) {
    const bool quote = field.find_first_of(",\"\r\n") != std::string_view::npos ||
                       (!field.empty() && (field.front() == ' ' || field.front() == '\t'));
    if (!quote) {
        return std::string(field);
    }
    std::string out = "\"";
    for (char c : field) {
        if (c == '"') {
            out += '"';
        }
        out += c;
    }
    out += '"';
    return out;
}

std::string formatCsv(const std::vector<ConnectivityDiffEntry>& entries) {
    std::string out = "diff-type,source,destination,ref1,ref2,workloads-diff-info\n";
    for (const auto* e : listedEntries(entries)) {
        out += fmt::format("{},{},{},{},{},{}\n",
                           core::diffTypeName(e->type),
                           csvField(e->src.name),
                           csvField(e->dst.name),
                           csvField(e->ref1.toString()),
                           csvField(e->ref2.toString()),
                           csvField(core::workloadsDiffInfo(*e)));
    }
    return out;
}

std::string formatMarkdown(const std::vector<ConnectivityDiffEntry>& entries) {
    std::string out =
        "| diff-type | source | destination | ref1 | ref2 | workloads-diff-info |\n"
        "|-----------|--------|-------------|------|------|---------------------|\n";
    for (const auto* e : listedEntries(entries)) {
        out += fmt::format("| {} | {} | {} | {} | {} | {} |\n",
                           core::diffTypeName(e->type),
                           e->src.name,
                           e->dst.name,
                           e->ref1.toString(),
                           e->ref2.toString(),
                           core::workloadsDiffInfo(*e));
    }
    return out;
}

// A double-quoted DOT ID.
std::string dotId(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    out += '"';
    return out;
}

constexpr std::string_view kNewPeerColor = "#008000";
constexpr std::string_view kLostPeerColor = "red";
constexpr std::string_view kPersistentPeerColor = "blue";

std::string_view edgeColor(DiffType type) {
    switch (type) {
        case DiffType::kChanged:
            return "magenta";
        case DiffType::kAdded:
            return "#008000";
        case DiffType::kRemoved:
            return "red2";
        case DiffType::kUnchanged:
            break;
    }
    return "grey";
}

std::string edgeLabel(const ConnectivityDiffEntry& e) {
    switch (e.type) {
        case DiffType::kChanged:
            return e.ref2.toString() + " (ref1: " + e.ref1.toString() + ")";
        case DiffType::kAdded:
            return e.ref2.toString();
        case DiffType::kRemoved:
        case DiffType::kUnchanged:
            break;
    }
    return e.ref1.toString();
}

struct DotNode {
    std::string ns;     // empty for external ranges
    std::string label;  // "name[Kind]" inside a namespace cluster, else the full name
    std::string_view color = kPersistentPeerColor;
};

void addDotNode(std::map<std::string, DotNode>& nodes, const core::DiffPeer& peer, DiffType type) {
    DotNode& node = nodes[peer.name];
    node.ns = peer.ns;
    node.label = peer.name;
    const std::string prefix = peer.ns + "/";
    if (!peer.ns.empty() && peer.name.starts_with(prefix)) {
        node.label = peer.name.substr(prefix.size());
    }
    if (peer.new_or_removed) {
        node.color = type == DiffType::kAdded ? kNewPeerColor : kLostPeerColor;
    }
}

std::string dotNodeLine(const std::string& name, const DotNode& node, std::string_view indent) {
    return fmt::format("{}{} [label={} color={} fontcolor={}]\n",
                       indent,
                       dotId(name),
                       dotId(node.label),
                       dotId(node.color),
                       dotId(node.color));
}

constexpr std::string_view kDotLegend = R"(	nodesep=0.5
	subgraph cluster_legend {
		label="Legend"
		fontsize = 10
		margin=0
		a [style=invis height=0 width=0]
		b [style=invis height=0 width=0]
		c [style=invis height=0 width=0]
		d [style=invis height=0 width=0]
		e [style=invis height=0 width=0]
		f [style=invis height=0 width=0]
		g [style=invis height=0 width=0]
		h [style=invis height=0 width=0]
		{rank=source a b c d}
		{rank=same e f g h}
		a -> b [label="added connection", color="#008000" fontcolor="#008000" fontsize = 10 arrowsize=0.2]
		c -> d [label="removed connection", color="red2" fontcolor="red2" fontsize = 10 arrowsize=0.2]
		e -> f [label="changed connection", color="magenta" fontcolor="magenta" fontsize = 10 arrowsize=0.2]
		g -> h [label="unchanged connection", color="grey" fontcolor="grey" fontsize = 10 arrowsize=0.2]
		np [label="new peer" color="#008000" fontcolor="#008000" fontsize = 10]
		lp [label="lost peer" color="red" fontcolor="red" fontsize = 10]
		pp [label="persistent peer" color="blue" fontcolor="blue" fontsize = 10]
		{rank=sink np lp pp}
		np->lp [style=invis]
		lp->pp [style=invis]
	}
)";

std::string formatDot(const std::vector<ConnectivityDiffEntry>& entries) {
    std::map<std::string, DotNode> nodes;
    std::set<std::string> edges;
    for (const auto& e : entries) {
        addDotNode(nodes, e.src, e.type);
        addDotNode(nodes, e.dst, e.type);
        const std::string_view color = edgeColor(e.type);
        edges.insert(fmt::format("\t{} -> {} [label={} color={} fontcolor={}]\n",
                                 dotId(e.src.name),
                                 dotId(e.dst.name),
                                 dotId(edgeLabel(e)),
                                 dotId(color),
                                 dotId(color)));
    }
    std::map<std::string, std::vector<const std::pair<const std::string, DotNode>*>> by_ns;
    for (const auto& entry : nodes) {
        by_ns[entry.second.ns].push_back(&entry);
    }
    std::string out = "digraph {\n";
    for (const auto& [ns, members] : by_ns) {
        if (ns.empty()) {
            continue;
        }
        out += "\tsubgraph " + dotId("cluster_" + ns) + " {\n";
        for (const auto* m : members) {
            out += dotNodeLine(m->first, m->second, "\t\t");
        }
        out += "\t\tlabel=" + dotId(ns) + "\n\t}\n";
    }
    if (auto it = by_ns.find(""); it != by_ns.end()) {
        for (const auto* m : it->second) {
            out += dotNodeLine(m->first, m->second, "\t");
        }
    }
    for (const auto& edge : edges) {
        out += edge;
    }
    out += kDotLegend;
    out += "}\n";
    return out;
}

std::vector<const core::NetworkPolicy*> policiesOf(const core::Cluster& cluster) {
    std::vector<const core::NetworkPolicy*> out;
    out.reserve(cluster.policies.size());
    for (const auto& p : cluster.policies) {
        out.push_back(&p.policy);
    }
    return out;
}

std::string sideSummary(std::string_view ref, const LoadedInputs& in) {
    std::string out =
        fmt::format("{}: {} objects from {} files: {} workloads, {} network policies\n",
                    ref,
                    in.manifest_stats.objects,
                    in.manifest_stats.files,
                    in.cluster.workloads.size(),
                    in.cluster.policies.size());
    if (in.manifest_stats.invalid > 0) {
        out += fmt::format("  {} invalid objects skipped (--skip-invalid)\n",
                           in.manifest_stats.invalid);
    }
    std::vector<std::string> warnings = in.warnings;
    warnings.insert(
        warnings.end(), in.manifest_stats.warnings.begin(), in.manifest_stats.warnings.end());
    for (const auto& w : warnings) {
        out += "  warning: " + w + "\n";
    }
    return out;
}

}  // namespace

core::Result<std::string> formatConnectivityDiff(const std::vector<ConnectivityDiffEntry>& entries,
                                                 std::string_view format) {
    if (format != "txt" && format != "csv" && format != "md" && format != "dot") {
        return core::Error{"unknown diff format \"" + std::string(format) +
                           "\" (txt, csv, md or dot)"};
    }
    if (!hasDifferences(entries)) {
        return std::string();
    }
    if (format == "csv") {
        return formatCsv(entries);
    }
    if (format == "md") {
        return formatMarkdown(entries);
    }
    if (format == "dot") {
        return formatDot(entries);
    }
    return formatText(entries);
}

CLI::App* addDiffCommand(CLI::App& app, DiffCommandOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "diff", "Semantic connectivity diff between two manifest sets (netpol-analyzer diff)");
    cmd->add_option("--dir1",
                    o.dir1,
                    "ref1 manifests: YAML/JSON file or directory (repeatable, or comma-separated)")
        ->required()
        ->delimiter(',');
    cmd->add_option("--dir2",
                    o.dir2,
                    "ref2 manifests: YAML/JSON file or directory (repeatable, or comma-separated)")
        ->required()
        ->delimiter(',');
    cmd->add_option("--format", o.format, "Output format: txt, csv, md or dot")
        ->check(CLI::IsMember({"txt", "csv", "md", "dot"}))
        ->default_str("txt");
    cmd->add_option("--ipblock-matches-pods",
                    o.ipblock_matches_pods,
                    "Whether an ipBlock also matches pod IPs (true: Kubernetes; false: "
                    "netpol-analyzer)")
        ->default_str("true");
    cmd->add_option("--host-network-exempt",
                    o.host_network_exempt,
                    "Whether hostNetwork pods are neither isolated nor selected by policies (true: "
                    "common implementations; false: netpol-analyzer)")
        ->default_str("true");
    cmd->add_option("--output,-o", o.output, "Write to FILE (atomically) instead of stdout");
    cmd->add_flag(
        "--skip-invalid", o.skip_invalid, "Count and skip invalid objects instead of failing");
    cmd->add_flag("--quiet,-q", o.quiet, "No summary on stderr");
    return cmd;
}

int runDiff(DiffCommandOptions options, std::ostream& out, std::ostream& err) {
    if (options.dir1.empty() || options.dir2.empty()) {
        err << "netpolgen diff: --dir1 and --dir2 are both required\n";
        return kExitBadInput;
    }
    std::array<std::unique_ptr<LoadedInputs>, 2> sides;
    for (size_t i = 0; i < sides.size(); ++i) {
        InputOptions input;
        input.cluster_paths = i == 0 ? options.dir1 : options.dir2;
        input.skip_invalid = options.skip_invalid;
        auto loaded = loadInputs(input);
        if (!loaded) {
            err << "netpolgen diff: " << (i == 0 ? "--dir1" : "--dir2") << ": " << loaded.error()
                << "\n";
            return kExitBadInput;
        }
        sides[i] = std::move(*loaded);
    }
    core::ConnectivityOptions connectivity;
    connectivity.ipblock_matches_pods = options.ipblock_matches_pods;
    connectivity.host_network_exempt = options.host_network_exempt;
    const auto conns1 =
        core::computeConnectivity(sides[0]->cluster, policiesOf(sides[0]->cluster), connectivity);
    const auto conns2 =
        core::computeConnectivity(sides[1]->cluster, policiesOf(sides[1]->cluster), connectivity);
    core::ConnectivityDiffOptions diff_options;
    diff_options.include_unchanged = options.format == "dot";
    const auto entries = core::computeConnectivityDiff(
        sides[0]->cluster, conns1, sides[1]->cluster, conns2, diff_options);
    auto text = formatConnectivityDiff(entries, options.format);
    if (!text) {
        err << "netpolgen diff: " << text.error() << "\n";
        return kExitBadInput;
    }
    if (core::Status st = writeOutput(options.output, *text, out); !st) {
        err << "netpolgen diff: " << st.error() << "\n";
        return kExitFailure;
    }
    if (!options.quiet) {
        std::array<size_t, 3> counts{};
        for (const auto& e : entries) {
            if (e.type != DiffType::kUnchanged) {
                ++counts[static_cast<size_t>(e.type)];
            }
        }
        err << sideSummary("ref1 (--dir1)", *sides[0]) << sideSummary("ref2 (--dir2)", *sides[1]);
        if (counts[0] + counts[1] + counts[2] == 0) {
            err << "no connections diff\n";
        } else {
            err << fmt::format("connections diff: {} changed, {} added, {} removed\n",
                               counts[static_cast<size_t>(DiffType::kChanged)],
                               counts[static_cast<size_t>(DiffType::kAdded)],
                               counts[static_cast<size_t>(DiffType::kRemoved)]);
        }
    }
    return kExitOk;
}

}  // namespace netpolgen::cli
