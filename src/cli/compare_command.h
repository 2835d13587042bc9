// `netpolgen compare`: per workload, the policies that select it today and those that would select
// it after a modification, side by side (StackRox's Compare modal, docs/stackrox-generator.md
// §4.4), with a verdict computed from the allowed connections into and out of the workload:
//   same       nothing changes;
//   tighter    after ⊂ before: only connections lost;
//   looser     after ⊃ before: only connections gained;
//   different  some gained, some lost.
//
//   netpolgen compare --cluster FILE|DIR … [--policies FILE|DIR …] --apply MODIFICATION …
//                     [--default-namespace NS] [--format txt|json] [--all]
//                     [--ipblock-matches-pods=true|false] [--skip-invalid] [-o FILE] [-q]
//   netpolgen compare --db DB [--cluster-name NAME] --apply … : the cluster is the latest stored
//                     snapshot (unless --cluster); compare reads no flows.
//
// Listed: the workloads whose selecting policies change or whose connections change; --all lists
// every workload. txt prints, per workload, the verdict, the connections that differ (as
// `netpolgen diff` does) and the YAML of each existing and each proposed policy, each headed by its
// status. Exit status: 0; 2 for bad input or a modification with validation errors.
#pragma once

#include <ostream>
#include <string>

#include "cli/simulate_command.h"

namespace netpolgen::cli {

struct CompareCommandOptions {
    InputOptions inputs;
    ModificationInputOptions modification;
    std::string format = "txt";  // txt | json
    std::string output;          // file; empty or "-" = stdout
    bool all = false;            // list every workload, also those that do not change
    bool ipblock_matches_pods = true;
    bool quiet = false;  // no summary on stderr
};

// Registers `compare` and its options on `app`; `options` must outlive the parse.
CLI::App* addCompareCommand(CLI::App& app, CompareCommandOptions& options);
int runCompare(CompareCommandOptions options, std::ostream& out, std::ostream& err);

}  // namespace netpolgen::cli
