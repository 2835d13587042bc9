// `netpolgen simulate`: what a modification would change, before anyone applies it
// (docs/stackrox-generator.md §4).
//
//   netpolgen simulate --cluster FILE|DIR … [--policies FILE|DIR …] [--flows FILE …]
//                      --apply MODIFICATION … [--default-namespace NS]
//                      [--format txt|json|md] [--fail-on-blocked] [--since T] [--until T] [--now T]
//                      [--ipblock-matches-pods=true|false] [--skip-invalid] [-o FILE] [-q]
//   netpolgen simulate --db DB [--cluster-name NAME] [--cluster FILE|DIR …] --apply … (the same
//                      options): the flows stored for the window, the cluster from --cluster or
//                      the latest stored snapshot; --db with --flows is an error.
//
// The current policies are the NetworkPolicies among the --cluster and --policies manifests. The
// modification is what `netpolgen generate` wrote (YAML or JSON), or policies to upload (a file
// or a directory); see io/modification_decoder.h. The report has three parts:
//   policies      the status of each policy (UNCHANGED, MODIFIED, ADDED, DELETED) and the
//                 validation errors (a policy marked for deletion that does not exist, changes in
//                 the stackrox and kube-system namespaces, …);
//   connectivity  the allowed connections that the modification adds, removes or changes, as
//                 `netpolgen diff` prints them (ref1 = today, ref2 = after);
//   replay        every observed edge (--flows, within --since/--until) judged today and after:
//                 newly blocked, newly allowed (blocked today), blocked in both, allowed in both;
//                 edges from `internal` sources (nodes) are not evaluated: node traffic is always
//                 allowed.
// txt and md list the policies that change (and count the others), json lists all of them.
//
// Exit status: 0; 2 for bad input or when the modification has validation errors (the report is
// still written); 3 with --fail-on-blocked when observed traffic would newly be blocked.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "cli/inputs.h"
#include "cli/live_cluster.h"
#include "cli/time_window.h"
#include "core/simulation.h"
#include "io/modification_decoder.h"
#include "io/simulation_json.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netpolgen::cli {

inline constexpr int kExitTrafficBlocked = 3;

// What simulate and compare read besides the flows.
struct ModificationInputOptions {
    std::vector<std::string> policy_paths;  // --policies: more manifests with current policies
    std::vector<std::string> apply_paths;   // --apply: the modification (files or directories)
    std::string default_namespace;          // for policies of the modification without one
    size_t diff_limit = core::kDefaultDiffLimit;  // connectivity diff entries listed (0: all)
    LiveClusterOptions live;  // --kubeconfig / --context / --in-cluster instead of --cluster
};

struct SimulateCommandOptions {
    InputOptions inputs;
    ModificationInputOptions modification;
    TimeWindowText window;       // of the flows replayed
    std::string format = "txt";  // txt | json | md
    std::string output;          // file; empty or "-" = stdout
    bool fail_on_blocked = false;
    bool ipblock_matches_pods = true;
    bool quiet = false;  // no summary on stderr
};

// Registers `simulate` and its options on `app`; `options` must outlive the parse.
CLI::App* addSimulateCommand(CLI::App& app, SimulateCommandOptions& options);
int runSimulate(SimulateCommandOptions options, std::ostream& out, std::ostream& err);

// --- shared with `netpolgen compare` ----------------------------------------------------------

// Registers --cluster, --policies, --apply, --default-namespace, --ipblock-matches-pods,
// --skip-invalid, --output and --quiet.
void addModificationInputOptions(CLI::App& cmd,
                                 InputOptions& inputs,
                                 ModificationInputOptions& options,
                                 bool& ipblock_matches_pods,
                                 std::string& output,
                                 bool& quiet);

// What simulate and compare work on: the inputs, the modification, and its simulation, which
// points into both (hence held by unique_ptr, never moved).
struct SimulatedInputs {
    std::unique_ptr<LoadedInputs> inputs;
    io::DecodedModification modification;
    core::Simulation simulation;
};

// Loads the cluster (with --policies), the flows of `inputs` within `window` (replayed when there
// are any), and the modification, then simulates it.
core::Result<std::unique_ptr<SimulatedInputs>> loadAndSimulate(
    InputOptions inputs,
    const ModificationInputOptions& options,
    const TimeWindowText& window,
    bool ipblock_matches_pods);

// Writes `text` to `output` (or `out`), then `summary` and the plan's errors to `err`. Returns
// kExitFailure when the output cannot be written, kExitBadInput when the plan has errors, else
// kExitOk.
int writeReport(const std::string& output,
                const std::string& text,
                const std::string& summary,
                const core::PolicyPlan& plan,
                std::ostream& out,
                std::ostream& err);

// Shared with compare (io/simulation_json.h).
using io::diffEntryToJson;
using io::workloadName;

}  // namespace netpolgen::cli
