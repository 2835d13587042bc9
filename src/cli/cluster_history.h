// The policy history of a cluster in the store: what apply, revert, history and delete-generated
// share.
//
// The current policies of a cluster are those of its latest snapshot with every recorded apply
// (and revert) of at least the snapshot's second replayed on top: an apply in the same second as
// the snapshot counts as after it, since "snapshot, then apply" is what a script does. Policies
// are canonical: they went through the YAML encoder and decoder once, so that a policy read from
// a snapshot and the same policy read back from a recorded undo compare equal.
//
//   auto history = loadClusterHistory(*store, "prod");
//   history->current                         // PolicyState now
//   stateBefore(*history, index)             // the state before entries[index] was applied
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/policy_state.h"
#include "core/result.h"
#include "store/store.h"

namespace netpolgen::cli {

// One recorded apply or revert, with its modifications decoded.
struct HistoryEntry {
    store::ApplyRecord record;
    core::Modification modification;
    core::Modification undo;
};

struct ClusterHistory {
    std::string cluster;
    int64_t snapshot_id = 0;
    core::Timestamp snapshot_taken_at = 0;
    std::vector<HistoryEntry> entries;  // oldest first
    core::PolicyState current;
};

// Every recorded apply of `cluster`, decoded. Errors: the store's, a record that does not decode.
core::Result<std::vector<HistoryEntry>> loadHistoryEntries(store::Store& store,
                                                           const std::string& cluster);

// The history and the current state. Errors: no snapshot of the cluster ("no snapshot of cluster
// "NAME" in DB: …"), a snapshot that does not decode, an apply that does not replay on it.
core::Result<ClusterHistory> loadClusterHistory(store::Store& store,
                                                const std::string& cluster,
                                                const std::string& db);

// The state before entries[index] was applied: the undos of the later entries and of that one,
// newest first, applied to the current state. Errors: an undo that does not apply.
core::Result<core::PolicyState> stateBefore(const ClusterHistory& history, size_t index);

// `modification` as it is recorded: encoded to YAML and decoded again, so that what is planned
// and applied now is exactly what a later replay of the record reads. Errors: none expected; a
// decoder error is passed on.
core::Result<core::Modification> canonicalModification(const core::Modification& modification);

// The policies of `state` through the encoder and decoder (see canonicalModification).
core::Result<core::PolicyState> canonicalState(const core::PolicyState& state);

// The NetworkPolicies of manifests (a snapshot's files): decoded as `--cluster` reads them.
// Errors: a file that does not decode, a policy that appears twice.
core::Result<core::PolicyState> policiesOfManifests(const std::vector<store::SnapshotFile>& files);

// "$USER@host" (the uid's name when USER is unset).
std::string defaultUser();

// The time to record: `now` (RFC 3339) or the clock. Errors: "--now: …".
core::Result<core::Timestamp> recordTime(const std::string& now);

// "apply #3 (2026-11-20T10:00:00Z, alice@host)"
std::string entryText(const store::ApplyRecord& record);

}  // namespace netpolgen::cli
