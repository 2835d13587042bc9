// The --db and --cluster-name options of every command that works on a store. Reading the store
// (opening it, snapshots, stored flows) is in store/stored_inputs.h, shared with the HTTP server;
// its names are re-declared here because the commands use them unqualified.
#pragma once

#include <string>

#include "store/stored_inputs.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace netpolgen::cli {

using store::decodeLatestSnapshot;
using store::defaultDbLocation;
using store::kDefaultClusterName;
using store::LoadedSnapshot;
using store::loadLatestSnapshot;
using store::loadStoredFlows;
using store::openExistingStoreAt;
using store::openStoreAt;
using store::SnapshotInfo;
using store::StoredFlows;

// --db for commands that always use a store (ingest, snapshot, prune, history, …): `db` starts as
// defaultDbLocation().
CLI::Option* addDbOption(CLI::App& cmd, std::string& db);
// --db for commands that read files unless asked to use a store (generate, simulate, compare):
// `db` stays empty unless --db is given; a bare `--db` means defaultDbLocation().
CLI::Option* addOptionalDbOption(CLI::App& cmd, std::string& db);
// --cluster-name NAME; `name` starts as kDefaultClusterName.
CLI::Option* addClusterNameOption(CLI::App& cmd, std::string& name);

}  // namespace netpolgen::cli
