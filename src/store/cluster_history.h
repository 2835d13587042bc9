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

#include "core/cluster.h"
#include "core/generator.h"
#include "core/policy_state.h"
#include "core/result.h"
#include "store/store.h"

namespace netpolgen::store {

// One recorded apply or revert, with its modifications decoded. A record that does not decode
// (written by an older netpolgen with a name the API server refuses, or changed in the store by
// hand) has `error` set, naming it ("apply #12 (…): the record does not decode: …"), and empty
// modifications: it is listed, and everything that does not need it still works.
struct HistoryEntry {
    ApplyRecord record;
    core::Modification modification;
    core::Modification undo;
    std::string error;
};

struct ClusterHistory {
    std::string cluster;
    int64_t snapshot_id = 0;
    core::Timestamp snapshot_taken_at = 0;
    std::vector<HistoryEntry> entries;  // oldest first
    int64_t latest_id = 0;  // of the last entry, 0 when none: what Store::recordApply expects
    // The policies now, or when `broken` is set, those before the record that stopped the replay.
    core::PolicyState current;
    // Empty, or why the replay stopped: the first record since the snapshot that does not decode
    // or apply, named ("cannot replay apply #12 (…) on snapshot #3 …").
    std::string broken;
    std::optional<int64_t> broken_id;
};

// Every recorded apply of `cluster`, decoded (see HistoryEntry::error). Errors: the store's.
core::Result<std::vector<HistoryEntry>> loadHistoryEntries(Store& store,
                                                           const std::string& cluster);

// The history and the current state, replayed up to the first record that does not replay
// (ClusterHistory::broken). Errors: no snapshot of the cluster ("no snapshot of cluster "NAME" in
// DB: …"), a snapshot that does not decode.
core::Result<ClusterHistory> loadClusterHistory(Store& store,
                                                const std::string& cluster,
                                                const std::string& db);

// What apply, revert and delete-generated check before planning on history.current: an error
// naming the record that stopped the replay, and how to get going again (a new snapshot).
core::Status requireReplayable(const ClusterHistory& history);

// Replays on `objects` (the decoded snapshot `snapshot_id`, taken at `taken_at`) the applies and
// reverts recorded since, as loadClusterHistory does: afterwards its policies are the cluster's as
// the store knows them now, which generate, simulate and compare start from (an applied policy
// exists; a reverted one is gone). Policies an apply created or changed get the origin
// "apply #ID". Nothing recorded since the snapshot: `objects` is left as it is. A record that
// does not decode or replay stops the replay there with a warning naming it, so that reading
// the cluster (generate, graph, policies) never fails on the history. Errors: the store's.
core::Status replayRecordedChanges(Store& store,
                                   const std::string& cluster,
                                   int64_t snapshot_id,
                                   core::Timestamp taken_at,
                                   core::ClusterObjects& objects,
                                   std::vector<std::string>& warnings);

// The state before entries[index] was applied: the undos of the later entries and of that one,
// newest first, applied to the current state. Errors: an undo that does not apply, an entry
// that does not decode.
core::Result<core::PolicyState> stateBefore(const ClusterHistory& history, size_t index);

// `modification` as it is recorded: encoded to JSON and decoded again (structured), so that what is
// planned and applied now is exactly what a later replay of the record reads. Errors: none
// expected; a decoder error is passed on.
core::Result<core::Modification> canonicalModification(const core::Modification& modification);

// The policies of `state` through the encoder and decoder (see canonicalModification).
core::Result<core::PolicyState> canonicalState(const core::PolicyState& state);

// The NetworkPolicies of manifests (a snapshot's files): decoded as `--cluster` reads them.
// Errors: a file that does not decode, a policy that appears twice.
core::Result<core::PolicyState> policiesOfManifests(const std::vector<SnapshotFile>& files);

// "$USER@host" (the uid's name when USER is unset).
std::string defaultUser();

// The time to record: `now` (RFC 3339) or the clock. Errors: "--now: …".
core::Result<core::Timestamp> recordTime(const std::string& now);

// "apply #3 (2026-11-20T10:00:00Z, alice@host)"
std::string entryText(const ApplyRecord& record);

// --- changes: what `netpolgen apply` / `revert` and the HTTP server's apply / revert record ------

// A validated change, ready to be applied and recorded.
struct Change {
    core::Modification modification;  // canonical: what the record will read back
    std::vector<core::ApplyStep> steps;
    core::Modification undo;
    std::string action;  // "apply" or "revert"
    std::optional<int64_t> reverts_to;
};

// The change `modification` makes to `current`. Errors: the validation errors of planApply.
core::Result<Change> planChange(const core::PolicyState& current,
                                core::Modification modification,
                                const std::string& action);

// The record of `change` to cluster `cluster`, made by `user` at `at`.
ApplyRecord recordOf(const Change& change,
                     const std::string& cluster,
                     core::Timestamp at,
                     const std::string& user,
                     bool via_kubectl);

// Which apply a revert goes back before: apply id `to`, or the `steps`-th last change (default 1).
struct RevertTarget {
    std::optional<int64_t> to;
    std::optional<int64_t> steps;
};

// What a revert computes: the current policies and the modification back to those before an apply.
struct RevertPlan {
    core::PolicyState current;
    ApplyRecord back_to;  // the apply whose previous state is the target
    core::Modification modification;
    int64_t latest_id = 0;  // the history planned on (Store::recordApply's expected id)
};

// Errors: no history (StackRox: `no undo record stored for cluster "<id>"`), an unknown id
// ("--to 9: …"), too many steps ("--steps 5: …"), a history that no longer replays or undoes
// (naming the record).
core::Result<RevertPlan> planRevert(Store& store,
                                    const std::string& cluster,
                                    const std::string& db,
                                    const RevertTarget& target);

// Why recordApply recorded nothing (RecordOutcome without id): another change of `cluster` was
// recorded since the history was read.
std::string conflictText(const std::string& cluster, const RecordOutcome& outcome);

}  // namespace netpolgen::store
