#include "cli/store_commands.h"

#include <CLI/CLI.hpp>

#include "cli/flow_format_option.h"
#include "cli/store_inputs.h"

namespace netpolgen::cli {
namespace {

void addIngestCommand(CLI::App& app, StoreCommands& c) {
    IngestCommandOptions& o = c.ingest;
    CLI::App* cmd = app.add_subcommand(
        "ingest", "Store flows in the database, aggregated per day and edge (one input per run)");
    addDbOption(*cmd, o.db);
    cmd->add_option("--flows,-f",
                    o.flow_paths,
                    "Flow file: canonical JSONL or Hubble JSON, .gz/.zst, - for stdin "
                    "(repeatable; each is one ingest)")
        ->required();
    cmd->add_option("--cluster,-c",
                    o.cluster_paths,
                    "Manifests to resolve the flows against (default: the latest stored snapshot)");
    addLiveClusterOptions(*cmd, o.live);
    addClusterNameOption(*cmd, o.cluster_name);
    addFlowFormatOption(*cmd, o.flow_format);
    cmd->add_flag("--skip-invalid",
                  o.skip_invalid,
                  "Count and skip invalid flow lines and cluster objects instead of failing");
    addStrictOption(*cmd, o.strict);
    cmd->add_option(
           "--progress", o.progress, "Progress bar on stderr: auto (on a terminal), always, never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->default_str("auto");
    cmd->add_option("--now", o.now, "The ingest time recorded (RFC 3339; default: now)");
    cmd->add_flag(
        "--force",
        o.force,
        "Replace an earlier ingest of the same input (e.g. after a new snapshot): what it "
        "stored is taken back exactly, in the same transaction");
    cmd->add_flag("--quiet,-q", o.quiet, "No summary on stderr");
    c.ingest_cmd = cmd;
}

void addIngestsCommand(CLI::App& app, StoreCommands& c) {
    IngestsCommandOptions& o = c.ingests;
    CLI::App* cmd = app.add_subcommand(
        "ingests",
        "List the cluster's ingests: input, sha256, time, lines read, flows stored, skipped");
    addDbOption(*cmd, o.db);
    addClusterNameOption(*cmd, o.cluster_name);
    cmd->add_option("--format", o.format, "text (a table) or json")
        ->check(CLI::IsMember({"text", "json"}))
        ->default_str("text");
    c.ingests_cmd = cmd;
}

void addSnapshotCommand(CLI::App& app, StoreCommands& c) {
    SnapshotCommandOptions& o = c.snapshot;
    CLI::App* cmd = app.add_subcommand(
        "snapshot", "Validate manifests and store them as the cluster's latest snapshot");
    addDbOption(*cmd, o.db);
    cmd->add_option(
        "--cluster,-c", o.cluster_paths, "Manifests: YAML/JSON file or directory (repeatable)");
    addLiveClusterOptions(*cmd, o.live);
    addClusterNameOption(*cmd, o.cluster_name);
    cmd->add_option("--now", o.now, "The snapshot time recorded (RFC 3339; default: now)");
    cmd->add_flag("--quiet,-q", o.quiet, "No summary on stderr");
    c.snapshot_cmd = cmd;
}

void addPruneCommand(CLI::App& app, StoreCommands& c) {
    PruneCommandOptions& o = c.prune;
    CLI::App* cmd = app.add_subcommand(
        "prune", "Remove stored flows of days before a time (undated flows stay)");
    addDbOption(*cmd, o.db);
    cmd->add_option("--older-than",
                    o.older_than,
                    "Remove whole days before this: a duration back from now (30d) or RFC 3339")
        ->required();
    addClusterNameOption(*cmd, o.cluster_name);
    cmd->add_option("--now", o.now, "The time durations count back from (RFC 3339; default: now)");
    cmd->add_flag("--quiet,-q", o.quiet, "No summary on stderr");
    c.prune_cmd = cmd;
}

}  // namespace

void addStoreCommands(CLI::App& app, StoreCommands& commands) {
    addIngestCommand(app, commands);
    addIngestsCommand(app, commands);
    addSnapshotCommand(app, commands);
    addPruneCommand(app, commands);
}

std::optional<int> runStoreCommands(const StoreCommands& commands,
                                    std::ostream& out,
                                    std::ostream& err) {
    if (commands.ingest_cmd != nullptr && commands.ingest_cmd->parsed()) {
        return runIngest(commands.ingest, err);
    }
    if (commands.ingests_cmd != nullptr && commands.ingests_cmd->parsed()) {
        return runIngests(commands.ingests, out, err);
    }
    if (commands.snapshot_cmd != nullptr && commands.snapshot_cmd->parsed()) {
        return runSnapshot(commands.snapshot, err);
    }
    if (commands.prune_cmd != nullptr && commands.prune_cmd->parsed()) {
        return runPrune(commands.prune, err);
    }
    return std::nullopt;
}

}  // namespace netpolgen::cli
