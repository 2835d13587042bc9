// `netpolgen diff`: the semantic connectivity diff between two manifest sets, as
// `netpol-analyzer diff` prints it.
//
//   netpolgen diff --dir1 OLD --dir2 NEW [--format txt|csv|md|dot]
//                  [--ipblock-matches-pods=true|false] [-o FILE] [--skip-invalid] [-q]
//
// Each side (ref1 = --dir1, ref2 = --dir2) is a set of manifests: workloads, namespaces and
// NetworkPolicies, from YAML/JSON files or directories read recursively. A side that spans several
// paths (say the application's manifests and a separate policies directory) repeats the option or
// gives a comma-separated list: `--dir2 app.yaml --dir2 policies/` or `--dir2 app.yaml,policies/`
// (so a path containing a comma cannot be given).
//
// txt (netpol-analyzer's default), one line per pair (wrapped here):
//   Connectivity diff:
//   diff-type: changed, source: default/a[Deployment], destination: default/b[Deployment],
//     ref1: TCP 80, ref2: TCP 80,443
//   diff-type: added, source: 0.0.0.0-255.255.255.255[External], destination: default/c[Pod],
//     ref1: No Connections, ref2: All Connections,
//     workloads-diff-info: workload default/c[Pod] added
// Lines: changed, then added, then removed; each group sorted. Unchanged pairs are not listed.
// csv: a header `diff-type,source,destination,ref1,ref2,workloads-diff-info` and one row per line
// (RFC 4180 quoting). md: the same columns as a Markdown table. dot: a Graphviz digraph of every
// connection: unchanged grey, changed magenta (labelled "ref2 (ref1: ...)"), added green, removed
// red; new workloads green, lost ones red, the others blue; workloads grouped by namespace.
// When nothing differs every format prints nothing (stdout empty), as netpol-analyzer does; a
// summary line goes to stderr unless --quiet.
//
// --ipblock-matches-pods (default true, upstream Kubernetes): whether an ipBlock also matches pod
// IPs. netpol-analyzer's outputs correspond to false.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/connectivity_diff.h"
#include "core/result.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netpolgen::cli {

struct DiffCommandOptions {
    std::vector<std::string> dir1;  // ref1: files or directories (at least one)
    std::vector<std::string> dir2;  // ref2
    std::string format = "txt";     // txt | csv | md | dot
    bool ipblock_matches_pods = true;
    bool host_network_exempt = true;  // docs/egress-and-flavours.md §1.8
    std::string output;               // file; empty or "-" = stdout
    bool skip_invalid = false;        // count and skip invalid objects instead of failing
    bool quiet = false;               // no summary on stderr
};

// The diff rendered in `format` (txt, csv, md, dot). `entries` as computeConnectivityDiff returns
// them; unchanged entries are only drawn by dot. Empty when no entry is changed, added or removed.
core::Result<std::string> formatConnectivityDiff(
    const std::vector<core::ConnectivityDiffEntry>& entries, std::string_view format);

// Adds the `diff` subcommand and its options to `app`; parsing fills `options`.
CLI::App* addDiffCommand(CLI::App& app, DiffCommandOptions& options);

int runDiff(DiffCommandOptions options, std::ostream& out, std::ostream& err);

}  // namespace netpolgen::cli
