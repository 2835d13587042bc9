// The commands that fill and maintain a store (src/store): ingest, ingests, snapshot and prune.
//
//   netpolgen snapshot --db DB --cluster FILE|DIR … [--cluster-name NAME] [--now T] [-q]
//     Validates the manifests as `generate --cluster` decodes them (bad input: exit 2 with
//     file:line, nothing stored) and stores the files as read (path + content) with the time.
//   netpolgen ingest --db DB --flows F … [--cluster FILE|DIR …] [--cluster-name NAME]
//                    [--flow-format auto|canonical|hubble] [--skip-invalid] [--strict]
//                    [--progress auto|always|never] [--now T] [-q]
//     Resolves the flows against --cluster, else the latest snapshot of NAME, aggregates them per
//     (UTC day, edge) in memory and stores each input in one transaction, identified by the
//     SHA-256 of its bytes as read (compressed or not): an input ingested before is skipped,
//     or with --force replaced: what its earlier ingest added is taken back exactly, in the same
//     transaction (exit 2, nothing changed, when that ingest predates store schema 4).
//   netpolgen ingests --db DB [--cluster-name NAME] [--format text|json]
//     Lists the cluster's ingests on stdout, oldest first: time, input, sha256, lines read, flows
//     stored, lines and flows skipped by reason.
//   netpolgen prune --db DB --older-than 30d|RFC3339 [--cluster-name NAME] [--now T] [-q]
//     Removes the day buckets whose whole day is before the time; undated flows stay.
//
// --db defaults to $NETPOLGEN_DB, else netpolgen.db. Messages and summaries go to stderr.
// Exit status: 0; 2 for bad input (files, options, no snapshot); 1 when the store fails.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "cli/live_cluster.h"
#include "io/flow_reader.h"

namespace CLI {
class App;
}  // namespace CLI

namespace netpolgen::cli {

struct IngestCommandOptions {
    std::string db;
    std::string cluster_name;
    std::vector<std::string> cluster_paths;  // empty: the latest snapshot of cluster_name
    LiveClusterOptions live;                 // or the cluster from its API server
    std::vector<std::string> flow_paths;     // "-" = stdin
    io::FlowFormat flow_format = io::FlowFormat::kAuto;
    bool skip_invalid = false;
    bool strict = false;            // flows of workloads not in the cluster are errors
    std::string progress = "auto";  // auto | always | never
    std::string now;                // RFC 3339; empty = the clock (the ingest's recorded time)
    bool force = false;             // replace an earlier ingest of the same input
    bool quiet = false;
};

struct IngestsCommandOptions {
    std::string db;
    std::string cluster_name;
    std::string format = "text";  // text | json
};

struct SnapshotCommandOptions {
    std::string db;
    std::string cluster_name;
    std::vector<std::string> cluster_paths;
    LiveClusterOptions live;  // or the API server's objects, stored page by page
    std::string now;
    bool quiet = false;
};

struct PruneCommandOptions {
    std::string db;
    std::string cluster_name;
    std::string older_than;  // a duration back from now (30d) or an RFC 3339 time
    std::string now;
    bool quiet = false;
};

struct StoreCommands {
    IngestCommandOptions ingest;
    SnapshotCommandOptions snapshot;
    PruneCommandOptions prune;
    IngestsCommandOptions ingests;
    CLI::App* ingest_cmd = nullptr;
    CLI::App* ingests_cmd = nullptr;
    CLI::App* snapshot_cmd = nullptr;
    CLI::App* prune_cmd = nullptr;
};

// Registers the four commands; `commands` must outlive the parse.
void addStoreCommands(CLI::App& app, StoreCommands& commands);
// The exit status of the command parsed, or nullopt when none of these was.
std::optional<int> runStoreCommands(const StoreCommands& commands,
                                    std::ostream& out,
                                    std::ostream& err);

int runIngest(const IngestCommandOptions& options, std::ostream& err);
int runSnapshot(const SnapshotCommandOptions& options, std::ostream& err);
int runPrune(const PruneCommandOptions& options, std::ostream& err);
int runIngests(const IngestsCommandOptions& options, std::ostream& out, std::ostream& err);

}  // namespace netpolgen::cli
