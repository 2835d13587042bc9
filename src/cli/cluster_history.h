// The policy history of a cluster, kept in store/cluster_history.h (shared with the HTTP server).
// Re-declared here because the commands use these names unqualified.
#pragma once

#include "store/cluster_history.h"

namespace netpolgen::cli {

using store::canonicalModification;
using store::canonicalState;
using store::Change;
using store::ClusterHistory;
using store::defaultUser;
using store::entryText;
using store::HistoryEntry;
using store::loadClusterHistory;
using store::loadHistoryEntries;
using store::planChange;
using store::planRevert;
using store::policiesOfManifests;
using store::recordOf;
using store::recordTime;
using store::RevertPlan;
using store::stateBefore;

}  // namespace netpolgen::cli
