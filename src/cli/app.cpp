#include "cli/app.h"

#include <CLI/CLI.hpp>
#include <map>
#include <sstream>

#include "cli/agent_command.h"
#include "cli/collect_command.h"
#include "cli/compare_command.h"
#include "cli/connectivity_command.h"
#include "cli/diff_command.h"
#include "cli/enum_option.h"
#include "cli/explain_command.h"
#include "cli/flow_format_option.h"
#include "cli/generate_command.h"
#include "cli/history_commands.h"
#include "cli/serve_command.h"
#include "cli/simulate_command.h"
#include "cli/store_commands.h"

namespace netpolgen::cli {
namespace {

const std::map<std::string, core::DeleteExisting> kDeleteModes{
    {"none", core::DeleteExisting::kNone},
    {"generated", core::DeleteExisting::kGenerated},
    {"all", core::DeleteExisting::kAll},
};

const std::map<std::string, core::SelectorStyle> kSelectorStyles{
    {"stackrox", core::SelectorStyle::kStackrox},
    {"minimal", core::SelectorStyle::kMinimal},
};

// Options shared by generate and demo: what to generate and how to print it.
void addGenerationOptions(CLI::App& cmd, GenerateCommandOptions& o, bool with_scope) {
    if (with_scope) {
        cmd.add_option("--namespace,-n",
                       o.generate.namespaces,
                       "Only workloads of this namespace (repeatable)");
        cmd.add_option("--deployment,--workload",
                       o.generate.workloads,
                       "Only this workload, NAME or NS/NAME (repeatable)");
        cmd.add_option("--delete-existing",
                       o.generate.delete_existing,
                       "Existing policies to delete: none, generated, all")
            ->transform(enumNames(kDeleteModes))
            ->default_str("none");
        cmd.add_option("--namespace-label-key",
                       o.generate.namespace_label_key,
                       "Namespace label that cross-namespace peers select on")
            ->default_str(std::string(core::kNamespaceNameLabel));
        cmd.add_option("--since",
                       o.since,
                       "Only flows seen since (RFC 3339, or a duration back from now: 24h, 7d)");
        cmd.add_option(
            "--until", o.until, "Only flows seen until (RFC 3339 or a duration back from now)");
        cmd.add_option(
            "--now", o.now, "The time durations count back from (RFC 3339; default: now)");
        cmd.add_flag("--skip-invalid",
                     o.inputs.skip_invalid,
                     "Count and skip invalid objects and flow lines instead of failing");
        addStrictOption(cmd, o.inputs.strict);
        cmd.add_flag("--no-traffic",
                     o.no_traffic,
                     "Generate from no observed traffic (deny-all policies) without --flows");
    }
    cmd.add_option("--selectors",
                   o.generate.selectors,
                   "Pod selectors: stackrox (all template labels, as StackRox) or minimal (the "
                   "fewest stable labels that tell the workload's pods from its namespace's "
                   "others; never pod-template-hash and the like)")
        ->transform(enumNames(kSelectorStyles))
        ->default_str("stackrox");
    cmd.add_flag(
        "--exclude-ports",
        [&o](int64_t) { o.generate.include_ports = false; },
        "One rule per peer set without ports and protocols");
    cmd.add_option("--format", o.format, "Output format: yaml or json")
        ->check(CLI::IsMember({"yaml", "json"}))
        ->default_str("yaml");
    cmd.add_option("--output,-o", o.output, "Write to FILE (atomically) instead of stdout");
    cmd.add_flag("--quiet,-q", o.quiet, "No summary on stderr");
}

}  // namespace

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    CLI::App app{"netpolgen: Kubernetes NetworkPolicies from observed traffic", "netpolgen"};
    app.require_subcommand(1);
    app.set_version_flag("--version", NETPOLGEN_VERSION);

    GenerateCommandOptions generate;
    CLI::App* gen = app.add_subcommand(
        "generate", "Generate one ingress NetworkPolicy per workload from observed flows");
    gen->add_option("--cluster,-c",
                    generate.inputs.cluster_paths,
                    "Manifests: YAML/JSON file or directory (repeatable); default with --db: the "
                    "latest stored snapshot");
    addLiveClusterOptions(*gen, generate.live);
    addOptionalDbOption(*gen, generate.inputs.db);
    addClusterNameOption(*gen, generate.inputs.cluster_name);
    gen->add_option(
        "--flows,-f",
        generate.inputs.flow_paths,
        "Flow file: canonical JSONL or Hubble JSON, .gz/.zst, - for stdin (repeatable)");
    addFlowFormatOption(*gen, generate.inputs.flow_format);
    addGenerationOptions(*gen, generate, true);

    GenerateCommandOptions demo;
    CLI::App* demo_cmd =
        app.add_subcommand("demo", "Generate policies for the bundled Online Boutique demo");
    addGenerationOptions(*demo_cmd, demo, false);

    DiffCommandOptions diff;
    CLI::App* diff_cmd = addDiffCommand(app, diff);

    ExplainCommandOptions explain;
    CLI::App* explain_cmd = addExplainCommand(app, explain);

    SimulateCommandOptions simulate;
    CLI::App* simulate_cmd = addSimulateCommand(app, simulate);

    CompareCommandOptions compare;
    CLI::App* compare_cmd = addCompareCommand(app, compare);

    ConnectivityCommandOptions connectivity;
    CLI::App* connectivity_cmd = addConnectivityCommand(app, connectivity);

    HistoryCommands history;
    addHistoryCommands(app, history);

    StoreCommands store_commands;
    addStoreCommands(app, store_commands);

    ServeCommandOptions serve;
    CLI::App* serve_cmd = addServeCommand(app, serve);

    CollectCommandOptions collect;
    CLI::App* collect_cmd = addCollectCommand(app, collect);

    AgentCommandOptions agent;
    CLI::App* agent_cmd = addAgentCommand(app, agent);

    std::ostringstream cli_out;
    std::ostringstream cli_err;
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e, cli_out, cli_err);
        std::string text = cli_out.str();
        if (!text.empty() && text.back() != '\n') {
            text += '\n';
        }
        out << text;
        err << cli_err.str();
        return code == 0 ? kExitOk : kExitBadInput;
    }
    if (connectivity_cmd->parsed()) {
        return runConnectivity(connectivity, out, err);
    }
    if (gen->parsed()) {
        return runGenerate(std::move(generate), out, err);
    }
    if (diff_cmd->parsed()) {
        return runDiff(std::move(diff), out, err);
    }
    if (explain_cmd->parsed()) {
        return runExplain(explain, out, err);
    }
    if (simulate_cmd->parsed()) {
        return runSimulate(std::move(simulate), out, err);
    }
    if (compare_cmd->parsed()) {
        return runCompare(std::move(compare), out, err);
    }
    if (serve_cmd->parsed()) {
        return runServe(serve, out, err);
    }
    if (collect_cmd->parsed()) {
        return runCollect(collect, err);
    }
    if (agent_cmd->parsed()) {
        return runAgent(agent, out, err);
    }
    if (demo_cmd->parsed()) {
        return runDemo(std::move(demo), out, err);
    }
    if (auto status = runHistoryCommands(history, out, err)) {
        return *status;
    }
    if (auto status = runStoreCommands(store_commands, out, err)) {
        return *status;
    }
    return kExitFailure;
}

}  // namespace netpolgen::cli
