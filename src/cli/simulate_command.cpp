#include "cli/simulate_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <array>
#include <utility>

#include "cli/app.h"
#include "cli/diff_command.h"
#include "cli/flow_format_option.h"
#include "cli/output_file.h"
#include "cli/summary.h"
#include "cli/time_window.h"
#include "core/connectivity.h"
#include "io/simulation_json.h"
#include "io/time_text.h"

namespace netpolgen::cli {
namespace {

using core::PolicyStatus;
using core::ReplayVerdict;
using nlohmann::json;

// Verdicts in report order (io::kReplayVerdicts), with their section titles.
struct VerdictText {
    ReplayVerdict verdict;
    const char* title;
};
constexpr std::array<VerdictText, 5> kVerdicts{{
    {ReplayVerdict::kNewlyBlocked, "Newly blocked: allowed today, blocked after"},
    {ReplayVerdict::kNewlyAllowed, "Newly allowed: blocked today, allowed after"},
    {ReplayVerdict::kBlockedInBoth, "Blocked today and after"},
    {ReplayVerdict::kNotEvaluated,
     "Not evaluated: internal sources (node traffic is always allowed)"},
    {ReplayVerdict::kAllowedInBoth, "Allowed today and after"},
}};

std::string portText(const core::EdgeKey& key) {
    std::string out(core::protocolName(key.protocol));
    if (key.port != 0) {
        out += " " + std::to_string(key.port);
    }
    return out;
}

std::string seenText(const core::EdgeStats& s) {
    if (s.first_seen == core::kUndated) {
        return "undated";
    }
    return io::formatRfc3339(s.first_seen) + " .. " + io::formatRfc3339(s.last_seen);
}

// --- the report ------------------------------------------------------------------------------

class Report {
public:
    Report(const core::Cluster& cluster, const core::Simulation& sim)
        : cluster_(cluster), sim_(sim) {}

    std::string text(bool markdown) const {
        std::string out;
        policiesText(out, markdown);
        if (!sim_.plan.errors.empty()) {
            out += markdown ? "\n## Validation errors\n\n" : "\nValidation errors:\n";
            for (const auto& e : sim_.plan.errors) {
                out += (markdown ? "- " : "  ") + e + "\n";
            }
            return out;
        }
        out += markdown ? "\n## Connectivity diff (ref1: today, ref2: after)\n\n" : "\n";
        const core::BoundedConnectivityDiff& d = sim_.connectivity;
        auto formatted = formatConnectivityDiff(d.entries, markdown ? "md" : "txt");
        std::string diff = formatted ? *formatted : formatted.error() + "\n";
        if (diff.empty()) {
            diff = markdown ? "No connection changes.\n" : "Connectivity diff: no changes\n";
        }
        out += diff;
        if (d.truncated()) {
            out += fmt::format(
                "{}… {} more connection changes not listed ({} in all: {} changed, {} added, {} "
                "removed); --diff-limit 0 lists all\n",
                markdown ? "\n" : "",
                d.total() - d.entries.size(),
                d.total(),
                d.changed,
                d.added,
                d.removed);
        }
        if (sim_.replay) {
            replayText(*sim_.replay, out, markdown);
        }
        return out;
    }

    json toJson() const { return io::simulationToJson(cluster_, sim_); }

private:
    void policiesText(std::string& out, bool markdown) const {
        std::string counts;
        for (PolicyStatus s : io::kPolicyStatuses) {
            counts += fmt::format(
                "{}{} {}", counts.empty() ? "" : ", ", sim_.plan.count(s), io::policyStatusKey(s));
        }
        if (markdown) {
            out += "## Policies\n\n" + counts + "\n\n| status | policy | error |\n|---|---|---|\n";
        } else {
            out += "Policies: " + counts + "\n";
        }
        for (const auto& e : sim_.plan.policies) {
            if (e.status == PolicyStatus::kUnchanged && e.error.empty()) {
                continue;
            }
            const std::string_view status = core::policyStatusName(e.status);
            if (markdown) {
                out += fmt::format("| {} | {}/{} | {} |\n", status, e.ref.ns, e.ref.name, e.error);
            } else {
                out += fmt::format("  {:<9} {}/{}{}\n",
                                   status,
                                   e.ref.ns,
                                   e.ref.name,
                                   e.error.empty() ? "" : "  error: " + e.error);
            }
        }
    }

    std::string edgeLine(const core::ReplayedEdge& e, bool markdown) const {
        const std::string src = io::entityName(cluster_, e.key.src);
        const std::string dst = io::entityName(cluster_, e.key.dst);
        return fmt::format(fmt::runtime(markdown ? "| {} | {} | {} | {} | {} |\n"
                                                 : "  {} => {} : {} ({} flows, {})\n"),
                           src,
                           dst,
                           portText(e.key),
                           e.stats.count,
                           seenText(e.stats));
    }

    void replayText(const core::ReplayResult& r, std::string& out, bool markdown) const {
        uint64_t edges = 0;
        uint64_t flows = 0;
        for (const auto& t : r.totals) {
            edges += t.edges;
            flows += t.flows;
        }
        if (markdown) {
            out += fmt::format(
                "\n## Replay of observed traffic\n\n{} edges, {} flows.\n\n"
                "| verdict | edges | flows |\n|---|---:|---:|\n",
                edges,
                flows);
        } else {
            out += fmt::format("\nReplay of observed traffic: {} edges, {} flows\n", edges, flows);
        }
        for (const auto& v : kVerdicts) {
            const auto& t = r.total(v.verdict);
            const std::string_view name = core::replayVerdictName(v.verdict);
            out += markdown ? fmt::format("| {} | {} | {} |\n", name, t.edges, t.flows)
                            : fmt::format("  {:<16} {:>8} edges {:>10} flows\n",
                                          std::string(name) + ":",
                                          t.edges,
                                          t.flows);
        }
        for (const auto& v : kVerdicts) {
            if (v.verdict == ReplayVerdict::kAllowedInBoth || r.total(v.verdict).edges == 0) {
                continue;
            }
            out += markdown ? fmt::format(
                                  "\n### {}\n\n| source | destination | port | flows | "
                                  "seen |\n|---|---|---|---:|---|\n",
                                  v.title)
                            : fmt::format("\n{} ({}):\n", v.title, r.total(v.verdict).edges);
            for (const auto& e : r.edges) {
                if (e.verdict == v.verdict) {
                    out += edgeLine(e, markdown);
                }
            }
        }
    }

    const core::Cluster& cluster_;
    const core::Simulation& sim_;
};

std::string simulationSummary(const SimulatedInputs& in) {
    const core::Simulation& sim = in.simulation;
    const auto& m = in.modification.modification;
    std::string out = fmt::format(
        "modification: {} files, {} policies to apply, {} to delete, {} namespace labels\n",
        in.modification.files.size(),
        m.apply.size(),
        m.to_delete.size(),
        m.namespace_labels.size());
    if (!sim.plan.errors.empty()) {
        return out + fmt::format("simulation: {} validation errors\n", sim.plan.errors.size());
    }
    out += fmt::format("simulation: {} connections changed, added or removed\n",
                       sim.connectivity.total());
    if (sim.replay) {
        out += fmt::format(
            "replay: {} edges newly blocked, {} newly allowed, {} blocked in both, {} not "
            "evaluated\n",
            sim.replay->total(ReplayVerdict::kNewlyBlocked).edges,
            sim.replay->total(ReplayVerdict::kNewlyAllowed).edges,
            sim.replay->total(ReplayVerdict::kBlockedInBoth).edges,
            sim.replay->total(ReplayVerdict::kNotEvaluated).edges);
    }
    return out;
}

}  // namespace

int writeReport(const std::string& output,
                const std::string& text,
                const std::string& summary,
                const core::PolicyPlan& plan,
                std::ostream& out,
                std::ostream& err) {
    if (core::Status st = writeOutput(output, text, out); !st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitFailure;
    }
    err << summary;
    for (const auto& e : plan.errors) {
        err << "netpolgen: " << e << "\n";
    }
    return plan.errors.empty() ? kExitOk : kExitBadInput;
}

void addModificationInputOptions(CLI::App& cmd,
                                 InputOptions& inputs,
                                 ModificationInputOptions& o,
                                 bool& ipblock_matches_pods,
                                 std::string& output,
                                 bool& quiet) {
    cmd.add_option("--cluster,-c",
                   inputs.cluster_paths,
                   "Manifests: YAML/JSON file or directory (repeatable); default with --db: the "
                   "latest stored snapshot");
    addLiveClusterOptions(cmd, o.live);
    addOptionalDbOption(cmd, inputs.db);
    addClusterNameOption(cmd, inputs.cluster_name);
    cmd.add_option("--policies",
                   o.policy_paths,
                   "More manifests holding the current NetworkPolicies (repeatable)");
    cmd.add_option("--apply",
                   o.apply_paths,
                   "The modification: `netpolgen generate` output (YAML or JSON) or policies to "
                   "upload, file or directory (repeatable)")
        ->required();
    cmd.add_option("--default-namespace",
                   o.default_namespace,
                   "Namespace of modification policies that name none (default: an error)");
    cmd.add_option("--ipblock-matches-pods",
                   ipblock_matches_pods,
                   "Whether an ipBlock also matches pod IPs (true: Kubernetes; false: "
                   "netpol-analyzer)")
        ->default_str("true");
    cmd.add_flag("--skip-invalid",
                 inputs.skip_invalid,
                 "Count and skip invalid cluster objects and flow lines instead of failing");
    cmd.add_option("--diff-limit",
                   o.diff_limit,
                   "List at most N connectivity diff entries (0: all); the counts cover all")
        ->default_str("1000");
    cmd.add_option("--output,-o", output, "Write to FILE (atomically) instead of stdout");
    cmd.add_flag("--quiet,-q", quiet, "No summary on stderr");
}

CLI::App* addSimulateCommand(CLI::App& app, SimulateCommandOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "simulate",
        "What a modification would change: policy statuses, connectivity diff, replay of flows");
    addModificationInputOptions(
        *cmd, o.inputs, o.modification, o.ipblock_matches_pods, o.output, o.quiet);
    cmd->add_option(
        "--flows,-f",
        o.inputs.flow_paths,
        "Flow file to replay: canonical JSONL or Hubble JSON, .gz/.zst, - for stdin (repeatable)");
    addStrictOption(*cmd, o.inputs.strict);
    cmd->add_option("--since",
                    o.window.since,
                    "Only flows seen since (RFC 3339, or a duration back from now: 24h, 7d)");
    cmd->add_option(
        "--until", o.window.until, "Only flows seen until (RFC 3339 or a duration back from now)");
    cmd->add_option(
        "--now", o.window.now, "The time durations count back from (RFC 3339; default: now)");
    cmd->add_option("--format", o.format, "Output format: txt, json or md")
        ->check(CLI::IsMember({"txt", "json", "md"}))
        ->default_str("txt");
    cmd->add_flag("--fail-on-blocked",
                  o.fail_on_blocked,
                  "Exit with status 3 when observed traffic would newly be blocked");
    return cmd;
}

core::Result<std::unique_ptr<SimulatedInputs>> loadAndSimulate(
    InputOptions inputs,
    const ModificationInputOptions& options,
    const TimeWindowText& window,
    bool ipblock_matches_pods) {
    auto out = std::make_unique<SimulatedInputs>();
    if (auto st = resolveTimeWindow(window.since, window.until, window.now, inputs.window); !st) {
        return core::Error{st.error()};
    }
    if (options.apply_paths.empty()) {
        return core::Error{"no modification given: pass --apply FILE|DIR"};
    }
    io::ModificationOptions decode_options;
    decode_options.default_namespace = options.default_namespace;
    for (const auto& path : options.apply_paths) {
        if (auto st = io::loadModification(path, decode_options, out->modification); !st) {
            return core::Error{st.error()};
        }
    }
    inputs.extra_manifest_paths.insert(inputs.extra_manifest_paths.end(),
                                       options.policy_paths.begin(),
                                       options.policy_paths.end());
    auto loaded = loadInputs(inputs);
    if (!loaded) {
        return core::Error{loaded.error()};
    }
    // A replay of flows none of which maps onto the cluster would report nothing as blocked. A
    // store with no flows at all only means there is nothing to replay.
    if (auto none = noResolvedTraffic(inputs, **loaded);
        none && (none->observed || !inputs.flow_paths.empty())) {
        return core::Error{none->reason + "; there is nothing to replay"};
    }
    out->inputs = std::move(*loaded);
    core::SimulationOptions sim_options;
    sim_options.ipblock_matches_pods = ipblock_matches_pods;
    sim_options.diff_limit = options.diff_limit;
    const bool has_flows =
        !inputs.flow_paths.empty() || (!inputs.db.empty() && inputs.flows_from_db);
    const core::FlowGraph* graph = has_flows ? &out->inputs->graph : nullptr;
    out->simulation =
        core::simulate(out->inputs->cluster, out->modification.modification, graph, sim_options);
    return out;
}

namespace {

uint64_t replayedEdges(const core::Simulation& sim) {
    uint64_t edges = 0;
    if (sim.replay) {
        for (const auto& t : sim.replay->totals) {
            edges += t.edges;
        }
    }
    return edges;
}

}  // namespace

int runSimulate(SimulateCommandOptions options, std::ostream& out, std::ostream& err) {
    if (options.format != "txt" && options.format != "json" && options.format != "md") {
        err << "netpolgen: --format must be txt, json or md\n";
        return kExitBadInput;
    }
    options.inputs.windowed_counts = true;  // the replay lists each edge's flows in the window
    if (auto st = addLiveCluster(options.modification.live, options.inputs, err, options.quiet);
        !st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitBadInput;
    }
    auto loaded = loadAndSimulate(
        options.inputs, options.modification, options.window, options.ipblock_matches_pods);
    if (!loaded) {
        err << "netpolgen: " << loaded.error() << "\n";
        return kExitBadInput;
    }
    const LoadedInputs& inputs = *(*loaded)->inputs;
    const core::Simulation& sim = (*loaded)->simulation;
    const Report report(inputs.cluster, sim);
    const std::string text = options.format == "json" ? report.toJson().dump(2) + "\n"
                                                      : report.text(options.format == "md");
    const std::string summary =
        options.quiet ? "" : inputSummary(inputs) + simulationSummary(**loaded);
    if (int status = writeReport(options.output, text, summary, sim.plan, out, err);
        status != kExitOk) {
        return status;
    }
    if (options.fail_on_blocked && replayedEdges(sim) == 0) {
        err << "netpolgen: --fail-on-blocked: no observed flow was replayed, so nothing shows that "
               "traffic keeps working (pass --flows or --db with flows)\n";
        return kExitBadInput;
    }
    const bool blocked = sim.replay && sim.replay->total(ReplayVerdict::kNewlyBlocked).edges > 0;
    if (options.fail_on_blocked && blocked) {
        err << "netpolgen: observed traffic would newly be blocked (--fail-on-blocked)\n";
        return kExitTrafficBlocked;
    }
    return kExitOk;
}

}  // namespace netpolgen::cli
