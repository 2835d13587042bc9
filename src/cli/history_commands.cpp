// Registration of apply, history, revert and delete-generated (cli/history_commands.h).
#include "cli/history_commands.h"

#include <CLI/CLI.hpp>

#include "cli/store_inputs.h"

namespace netpolgen::cli {
namespace {

void addTargetOptions(CLI::App& cmd, HistoryTarget& target) {
    addDbOption(cmd, target.db);
    addClusterNameOption(cmd, target.cluster);
}

void addRecordOptions(CLI::App& cmd, RecordOptions& o) {
    cmd.add_option("--user", o.user, "Who applies, as recorded (default: $USER@hostname)");
    cmd.add_option("--now", o.now, "The time recorded (RFC 3339; default: now)");
    CLI::Option* kubectl =
        cmd.add_flag("--kubectl", o.kubectl, "Apply with kubectl (all or nothing), then record");
    cmd.add_option("--kubectl-path", o.kubectl_options.path, "The kubectl to run")
        ->default_str("kubectl")
        ->needs(kubectl);
    CLI::Option* kube = cmd.add_flag("--kube",
                                     o.kube,
                                     "Apply through the API server (dry run first, all or "
                                     "nothing), then record")
                            ->excludes(kubectl);
    cmd.add_option("--context",
                   o.kubectl_options.context,
                   "kubeconfig context of --kubectl or --kube (default: current)");
    cmd.add_option("--kubeconfig", o.live.kubeconfig, "kubeconfig of --kube")->needs(kube);
    cmd.add_flag("--in-cluster", o.live.in_cluster, "--kube with the pod's service account")
        ->needs(kube);
    cmd.add_flag_callback(
           "--no-backup",
           [&o] { o.backup = false; },
           "--kube deletes without StackRox's backup copy (deleted-NAME-xxxxx, selecting no "
           "pod)")
        ->needs(kube);
}

CLI::App* addApply(CLI::App& app, ApplyCommandOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "apply", "Record a modification with its undo; with --kubectl, apply it first");
    addTargetOptions(*cmd, o.target);
    cmd->add_option("MODIFICATION",
                    o.modification,
                    "`netpolgen generate` output (YAML or JSON): file, directory, or - for stdin")
        ->required();
    addRecordOptions(*cmd, o.record);
    cmd->add_flag("--dry-run", o.dry_run, "Validate and show the steps; apply and record nothing");
    return cmd;
}

CLI::App* addHistory(CLI::App& app, HistoryCommandOptions& o) {
    CLI::App* cmd = app.add_subcommand("history", "The applied modifications of a cluster");
    addTargetOptions(*cmd, o.target);
    cmd->add_option("--format", o.format, "Output format: txt or json")
        ->check(CLI::IsMember({"txt", "json"}))
        ->default_str("txt");
    cmd->add_option("--show", o.show, "Print apply ID: its modification and its undo");
    return cmd;
}

CLI::App* addRevert(CLI::App& app, RevertCommandOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "revert", "The modification back to the policies before an apply; --kubectl applies it");
    addTargetOptions(*cmd, o.target);
    CLI::Option* to = cmd->add_option("--to", o.to, "Back to the policies before apply ID");
    cmd->add_option("--steps", o.steps, "Back before the N-th last recorded change (default 1)")
        ->excludes(to);
    addRecordOptions(*cmd, o.record);
    cmd->add_flag("--record",
                  o.record_only,
                  "Record the revert as applied by other means (GitOps) without running kubectl")
        ->excludes("--kubectl")
        ->excludes("--kube");
    cmd->add_option("--format", o.format, "Output format: yaml or json")
        ->check(CLI::IsMember({"yaml", "json"}))
        ->default_str("yaml");
    cmd->add_option("--output,-o", o.output, "Write the modification to FILE (atomically)");
    return cmd;
}

CLI::App* addDeleteGenerated(CLI::App& app, DeleteGeneratedCommandOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "delete-generated", "A modification deleting every policy netpolgen or StackRox generated");
    CLI::Option* db = addOptionalDbOption(*cmd, o.db);
    cmd->add_option("--cluster,-c", o.cluster_paths, "Manifests: YAML/JSON file or directory")
        ->excludes(db);
    addClusterNameOption(*cmd, o.cluster);
    cmd->add_option("--namespace,-n", o.namespaces, "Only policies of this namespace (repeatable)");
    cmd->add_option("--format", o.format, "Output format: yaml or json")
        ->check(CLI::IsMember({"yaml", "json"}))
        ->default_str("yaml");
    cmd->add_option("--output,-o", o.output, "Write to FILE (atomically) instead of stdout");
    RecordOptions& r = o.record;
    CLI::Option* kube = cmd->add_flag("--kube",
                                      r.kube,
                                      "Delete the live cluster's generated policies through its "
                                      "API server (dry run first, all or nothing) and record it "
                                      "in --db")
                            ->excludes("--cluster");
    cmd->add_option("--context", r.kubectl_options.context, "kubeconfig context of --kube")
        ->needs(kube);
    cmd->add_option("--kubeconfig", r.live.kubeconfig, "kubeconfig of --kube")->needs(kube);
    cmd->add_flag("--in-cluster", r.live.in_cluster, "--kube with the pod's service account")
        ->needs(kube);
    cmd->add_option("--user", r.user, "Who deletes, as recorded (default: $USER@hostname)")
        ->needs(kube);
    cmd->add_option("--now", r.now, "The time recorded (RFC 3339; default: now)")->needs(kube);
    cmd->add_flag_callback(
           "--no-backup",
           [&r] { r.backup = false; },
           "Delete without StackRox's backup copy (deleted-NAME-xxxxx, selecting no pod)")
        ->needs(kube);
    cmd->add_flag(
           "--dry-run", o.dry_run, "With --kube: show the deletions; delete and record nothing")
        ->needs(kube);
    return cmd;
}

}  // namespace

void addHistoryCommands(CLI::App& app, HistoryCommands& c) {
    c.apply_cmd = addApply(app, c.apply);
    c.history_cmd = addHistory(app, c.history);
    c.revert_cmd = addRevert(app, c.revert);
    c.delete_generated_cmd = addDeleteGenerated(app, c.delete_generated);
}

std::optional<int> runHistoryCommands(const HistoryCommands& c,
                                      std::ostream& out,
                                      std::ostream& err) {
    if (c.apply_cmd != nullptr && c.apply_cmd->parsed()) {
        return runApply(c.apply, out, err);
    }
    if (c.history_cmd != nullptr && c.history_cmd->parsed()) {
        return runHistory(c.history, out, err);
    }
    if (c.revert_cmd != nullptr && c.revert_cmd->parsed()) {
        return runRevert(c.revert, out, err);
    }
    if (c.delete_generated_cmd != nullptr && c.delete_generated_cmd->parsed()) {
        return c.delete_generated.record.kube ? runDeleteGeneratedKube(c.delete_generated, out, err)
                                              : runDeleteGenerated(c.delete_generated, out, err);
    }
    return std::nullopt;
}

}  // namespace netpolgen::cli
