#include "cli/compare_command.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <array>
#include <utility>

#include "cli/app.h"
#include "cli/diff_command.h"
#include "cli/summary.h"
#include "io/policy_encoder.h"
#include "io/yaml_writer.h"

namespace netpolgen::cli {
namespace {

using core::CompareVerdict;
using core::WorkloadComparison;
using nlohmann::json;

constexpr std::array<CompareVerdict, 4> kVerdicts{CompareVerdict::kSame,
                                                  CompareVerdict::kTighter,
                                                  CompareVerdict::kLooser,
                                                  CompareVerdict::kDifferent};

// The texts of StackRox's Compare modal where a side is empty (docs/stackrox-generator.md §4.4).
constexpr std::string_view kNoExisting = "No network policies exist in the current scope";
constexpr std::string_view kNoProposed = "No network policies would select it";

class CompareReport {
public:
    CompareReport(const core::Cluster& cluster,
                  const core::PolicyPlan& plan,
                  std::vector<WorkloadComparison> comparisons,
                  const core::BoundedConnectivityDiff& diff,
                  bool all)
        : cluster_(cluster), plan_(plan), comparisons_(std::move(comparisons)), diff_(diff) {
        for (const WorkloadComparison& c : comparisons_) {
            if (all || c.verdict != CompareVerdict::kSame || c.policiesChanged(plan_)) {
                listed_.push_back(&c);
            }
        }
    }

    std::string text() const {
        std::string out = fmt::format("Compare: {} workloads ({}), {} listed\n",
                                      comparisons_.size(),
                                      countsText(),
                                      listed_.size());
        if (diff_.truncated()) {
            // Verdicts cover every connection; the listings below stop at --diff-limit.
            out += fmt::format(
                "Connection changes: {} in all, the first {} listed (--diff-limit 0 "
                "lists all)\n",
                diff_.total(),
                diff_.entries.size());
        }
        for (const WorkloadComparison* c : listed_) {
            out += fmt::format("\n=== {}: {}\n",
                               workloadName(cluster_, c->workload),
                               core::compareVerdictName(c->verdict));
            if (!c->changes.empty()) {
                auto diff = formatConnectivityDiff(c->changes, "txt");
                out += "\n" + (diff ? *diff : diff.error() + "\n");
            }
            out += "\nExisting network policies:\n";
            out += policiesText(c->existing, true, kNoExisting);
            out += "\nProposed network policies:\n";
            out += policiesText(c->proposed, false, kNoProposed);
        }
        return out;
    }

    json toJson() const {
        json summary = {{"workloads", comparisons_.size()},
                        {"listed", listed_.size()},
                        {"connectionChanges", diff_.total()},
                        {"connectionChangesListed", diff_.entries.size()}};
        for (CompareVerdict v : kVerdicts) {
            summary[std::string(core::compareVerdictName(v))] = count(v);
        }
        json workloads = json::array();
        for (const WorkloadComparison* c : listed_) {
            json changes = json::array();
            for (const auto& e : c->changes) {
                changes.push_back(diffEntryToJson(e));
            }
            workloads.push_back({{"workload", workloadName(cluster_, c->workload)},
                                 {"verdict", std::string(core::compareVerdictName(c->verdict))},
                                 {"policiesChanged", c->policiesChanged(plan_)},
                                 {"existing", policiesJson(c->existing, true)},
                                 {"proposed", policiesJson(c->proposed, false)},
                                 {"changes", std::move(changes)}});
        }
        return {{"valid", true},
                {"errors", json::array()},
                {"summary", std::move(summary)},
                {"workloads", std::move(workloads)}};
    }

private:
    size_t count(CompareVerdict v) const {
        size_t n = 0;
        for (const auto& c : comparisons_) {
            n += c.verdict == v ? 1 : 0;
        }
        return n;
    }

    std::string countsText() const {
        std::string out;
        for (CompareVerdict v : kVerdicts) {
            out += fmt::format(
                "{}{} {}", out.empty() ? "" : ", ", count(v), core::compareVerdictName(v));
        }
        return out;
    }

    const core::NetworkPolicy& policyOf(size_t entry, bool existing) const {
        const auto& e = plan_.policies[entry];
        return existing ? *e.old_policy : *e.new_policy;
    }

    std::string policiesText(const std::vector<size_t>& entries,
                             bool existing,
                             std::string_view none) const {
        if (entries.empty()) {
            return std::string(none) + "\n";
        }
        std::string out;
        for (size_t i = 0; i < entries.size(); ++i) {
            const auto& e = plan_.policies[entries[i]];
            out += i == 0 ? "" : "---\n";
            out +=
                fmt::format("# {} {}/{}\n", core::policyStatusName(e.status), e.ref.ns, e.ref.name);
            out += io::writeYaml(io::policyToJson(policyOf(entries[i], existing)));
        }
        return out;
    }

    json policiesJson(const std::vector<size_t>& entries, bool existing) const {
        json out = json::array();
        for (size_t entry : entries) {
            const auto& e = plan_.policies[entry];
            out.push_back({{"namespace", e.ref.ns},
                           {"name", e.ref.name},
                           {"status", std::string(core::policyStatusName(e.status))},
                           {"yaml", io::writeYaml(io::policyToJson(policyOf(entry, existing)))}});
        }
        return out;
    }

    const core::Cluster& cluster_;
    const core::PolicyPlan& plan_;
    std::vector<WorkloadComparison> comparisons_;
    const core::BoundedConnectivityDiff& diff_;
    std::vector<const WorkloadComparison*> listed_;
};

std::string errorsReport(const core::PolicyPlan& plan, bool as_json) {
    if (as_json) {
        return json{{"valid", false}, {"errors", plan.errors}}.dump(2) + "\n";
    }
    std::string out = "Validation errors:\n";
    for (const auto& e : plan.errors) {
        out += "  " + e + "\n";
    }
    return out;
}

}  // namespace

CLI::App* addCompareCommand(CLI::App& app, CompareCommandOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "compare",
        "Per workload: existing and proposed policies side by side, and whether it gets tighter");
    addModificationInputOptions(
        *cmd, o.inputs, o.modification, o.ipblock_matches_pods, o.output, o.quiet);
    cmd->add_option("--format", o.format, "Output format: txt or json")
        ->check(CLI::IsMember({"txt", "json"}))
        ->default_str("txt");
    cmd->add_flag("--all", o.all, "List every workload, also those that do not change");
    return cmd;
}

int runCompare(CompareCommandOptions options, std::ostream& out, std::ostream& err) {
    if (options.format != "txt" && options.format != "json") {
        err << "netpolgen: --format must be txt or json\n";
        return kExitBadInput;
    }
    options.inputs.flow_paths.clear();  // compare reads no traffic; --db gives the cluster only
    options.inputs.flows_from_db = false;
    if (auto st = addLiveCluster(options.modification.live, options.inputs, err, options.quiet);
        !st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitBadInput;
    }
    auto loaded =
        loadAndSimulate(options.inputs, options.modification, {}, options.ipblock_matches_pods);
    if (!loaded) {
        err << "netpolgen: " << loaded.error() << "\n";
        return kExitBadInput;
    }
    const LoadedInputs& inputs = *(*loaded)->inputs;
    const core::Simulation& sim = (*loaded)->simulation;
    const bool as_json = options.format == "json";
    std::string text;
    if (!sim.plan.errors.empty()) {
        text = errorsReport(sim.plan, as_json);
    } else {
        const CompareReport report(
            inputs.cluster,
            sim.plan,
            core::compareWorkloads(inputs.cluster, sim.plan, sim.connectivity),
            sim.connectivity,
            options.all);
        text = as_json ? report.toJson().dump(2) + "\n" : report.text();
    }
    return writeReport(
        options.output, text, options.quiet ? "" : inputSummary(inputs), sim.plan, out, err);
}

}  // namespace netpolgen::cli
