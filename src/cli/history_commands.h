// The history commands: apply, history, revert and delete-generated
// (docs/stackrox-generator.md §5). They keep applied modifications and their undo in the store
// (src/store), per cluster, and work on the cluster's current policies: those of its latest
// snapshot with the applies recorded since replayed on top (cli/cluster_history.h).
//
//   netpolgen apply --db DB MODIFICATION [--cluster-name NAME] [--user U] [--now T]
//                   [--kubectl [--kubectl-path PATH] [--context CTX]] [--dry-run]
//     Validates the modification against the current policies (non-empty; every policy named and
//     namespaced, none twice; creates must not exist, deletes must exist), computes its undo and
//     records both. With --kubectl it first applies it (cli/kubectl_runner.h), all or nothing;
//     without, it records a modification applied by other means (GitOps). MODIFICATION is what
//     `generate` wrote (YAML or JSON), a file or directory, or - for stdin.
//   netpolgen history --db DB [--cluster-name NAME] [--format txt|json] [--show ID]
//     The recorded applies and reverts, oldest first; --show prints one with its undo.
//   netpolgen revert --db DB [--to ID | --steps N] [--cluster-name NAME] [-o FILE]
//                    [--format yaml|json] [--kubectl … | --record] [--user U] [--now T]
//     The modification from the current policies back to those before apply ID (before the N-th
//     last recorded change; default 1). Printed for review; --kubectl applies and records it,
//     --record only records it (applied by other means).
//   netpolgen delete-generated (--db DB | --cluster FILE|DIR …) [--namespace NS …]
//                              [--cluster-name NAME] [-o FILE] [--format yaml|json]
//     A modification deleting every policy labelled network-policy-generator.stackrox.io/
//     generated=true, and the one-line kubectl command that does the same on stderr. Backup
//     copies of deleted policies (annotation network-policies.stackrox.io/deleted) are left.
//   netpolgen delete-generated --kube --db DB [--kubeconfig F] [--context C] [--in-cluster]
//                              [--namespace NS …] [--user U] [--now T] [--no-backup] [--dry-run]
//     The generated policies of the live cluster (read through the API server) deleted through
//     it as `apply --kube` applies (dry run, backups, all or nothing) and recorded as an apply, so
//     that `revert --kube` brings them back. The store must know them as they are (else: take a
//     snapshot first).
//
// --db defaults to $NETPOLGEN_DB, else netpolgen.db; --cluster-name to "default"
// (cli/store_inputs.h).
//
// Exit status: 0; 1 when kubectl, the API server or the store fails (nothing recorded, kubectl
// changes rolled back); 2 for bad input (unknown id, invalid modification, no history, no
// snapshot).
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/kubectl_runner.h"
#include "cli/live_cluster.h"
#include "core/network_policy.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netpolgen::cli {

// Where a cluster's history lives.
struct HistoryTarget {
    std::string db;       // SQLite file or postgresql:// URI (default: defaultDbLocation())
    std::string cluster;  // --cluster-name (default: kDefaultClusterName)
};

// How a change is recorded: who, when, and whether kubectl applies it.
struct RecordOptions {
    std::string user;  // empty: defaultUser()
    std::string now;   // RFC 3339; empty: the clock
    bool kubectl = false;
    KubectlOptions kubectl_options;
    // --kube: through the API server of --kubeconfig / --context (kubectl_options.context) /
    // --in-cluster instead of kubectl.
    bool kube = false;
    LiveClusterOptions live;
    // --no-backup: --kube deletes without StackRox's backup copy (cli/kube_writer.h).
    bool backup = true;
};

struct ApplyCommandOptions {
    HistoryTarget target;
    std::string modification;  // file, directory or "-"
    RecordOptions record;
    bool dry_run = false;
};

struct HistoryCommandOptions {
    HistoryTarget target;
    std::string format = "txt";  // txt | json
    std::optional<int64_t> show;
};

struct RevertCommandOptions {
    HistoryTarget target;
    std::optional<int64_t> to;
    std::optional<int64_t> steps;  // default 1
    RecordOptions record;
    bool record_only = false;     // --record: record without kubectl
    std::string format = "yaml";  // yaml | json
    std::string output;           // file; empty or "-" = stdout
};

struct DeleteGeneratedCommandOptions {
    std::string db;  // empty: read --cluster manifests instead
    std::vector<std::string> cluster_paths;
    std::string cluster;
    std::vector<std::string> namespaces;
    std::string format = "yaml";
    std::string output;
    // --kube: the generated policies of the live cluster, deleted through the API server and
    // recorded in --db (required) as an apply.
    RecordOptions record;
    bool dry_run = false;
};

// The four commands' options, registered together so that app.cpp stays one line per concern.
struct HistoryCommands {
    ApplyCommandOptions apply;
    HistoryCommandOptions history;
    RevertCommandOptions revert;
    DeleteGeneratedCommandOptions delete_generated;
    CLI::App* apply_cmd = nullptr;
    CLI::App* history_cmd = nullptr;
    CLI::App* revert_cmd = nullptr;
    CLI::App* delete_generated_cmd = nullptr;
};

// Registers apply, history, revert and delete-generated; `commands` must outlive the parse.
void addHistoryCommands(CLI::App& app, HistoryCommands& commands);

// Runs the one of them that was parsed; nullopt when none was.
std::optional<int> runHistoryCommands(const HistoryCommands& commands,
                                      std::ostream& out,
                                      std::ostream& err);

int runApply(const ApplyCommandOptions& options, std::ostream& out, std::ostream& err);
int runHistory(const HistoryCommandOptions& options, std::ostream& out, std::ostream& err);
int runRevert(const RevertCommandOptions& options, std::ostream& out, std::ostream& err);
int runDeleteGenerated(const DeleteGeneratedCommandOptions& options,
                       std::ostream& out,
                       std::ostream& err);
// What delete-generated deletes: a policy labelled network-policy-generator.stackrox.io/
// generated=true that is not a backup copy (annotation network-policies.stackrox.io/deleted).
bool isGeneratedPolicy(const core::NetworkPolicy& policy);
// delete-generated --kube (in apply_command.cpp, beside apply).
int runDeleteGeneratedKube(const DeleteGeneratedCommandOptions& options,
                           std::ostream& out,
                           std::ostream& err);

}  // namespace netpolgen::cli
