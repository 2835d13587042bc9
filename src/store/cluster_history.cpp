#include "store/cluster_history.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <map>

#include "io/flow_reader.h"
#include "io/manifest_decoder.h"
#include "io/modification_decoder.h"
#include "io/policy_encoder.h"
#include "io/time_text.h"

namespace netpolgen::store {
namespace {

core::Result<core::Modification> decodeRecorded(const std::string& text,
                                                const std::string& name,
                                                RecordEncoding encoding) {
    io::ModificationOptions options;
    options.structured = encoding == RecordEncoding::kJson;
    io::DecodedModification decoded;
    if (auto st = io::decodeModification(text, name, options, decoded); !st) {
        return core::Error{st.error()};
    }
    return std::move(decoded.modification);
}

// The entry of `record`; one that does not decode keeps the message in `error` (and empty
// modifications), so that the records around it stay readable.
HistoryEntry decodeEntry(const ApplyRecord& record) {
    HistoryEntry entry{record, {}, {}, {}};
    const std::string name = record.action + " #" + std::to_string(record.id);
    auto modification =
        decodeRecorded(record.modification, name + " (modification)", record.encoding);
    auto undo = modification ? decodeRecorded(record.undo, name + " (undo)", record.encoding)
                             : core::Result<core::Modification>(core::Modification{});
    if (!modification || !undo) {
        entry.error = entryText(record) +
                      ": the record does not decode (written by an older "
                      "netpolgen or changed in the store): " +
                      (!modification ? modification.error() : undo.error());
        return entry;
    }
    entry.modification = std::move(*modification);
    entry.undo = std::move(*undo);
    return entry;
}

// Replays the entries recorded since the snapshot onto history.current, up to the first one that
// does not decode or apply: that one is history.broken, and current is the state before it.
void replayAfterSnapshot(ClusterHistory& history) {
    for (const HistoryEntry& entry : history.entries) {
        if (entry.record.applied_at < history.snapshot_taken_at) {
            continue;  // already in the snapshot
        }
        if (!entry.error.empty()) {
            history.broken = entry.error;
            history.broken_id = entry.record.id;
            return;
        }
        auto next = core::applyModification(history.current, entry.modification);
        if (!next) {
            history.broken =
                "cannot replay " + entryText(entry.record) + " on snapshot #" +
                std::to_string(history.snapshot_id) + " of cluster \"" + history.cluster + "\" (" +
                io::formatRfc3339(history.snapshot_taken_at) +
                "); the cluster changed outside netpolgen: take a new snapshot:\n" + next.error();
            history.broken_id = entry.record.id;
            return;
        }
        history.current = std::move(*next);
    }
}

// The index of the entry revert goes back before. Errors: an unknown id, too many steps.
core::Result<size_t> revertIndex(const ClusterHistory& history, const RevertTarget& target) {
    const auto& entries = history.entries;
    if (target.to) {
        for (size_t i = 0; i < entries.size(); ++i) {
            if (entries[i].record.id == *target.to) {
                return i;
            }
        }
        const std::string id = std::to_string(*target.to);
        return core::Error{"--to " + id + ": no apply #" + id + " recorded for cluster \"" +
                           history.cluster + "\" (ids " +
                           std::to_string(entries.front().record.id) + "–" +
                           std::to_string(entries.back().record.id) + ")"};
    }
    const int64_t steps = target.steps.value_or(1);
    if (steps < 1 || static_cast<uint64_t>(steps) > entries.size()) {
        const std::string count = std::to_string(entries.size());
        return core::Error{"--steps " + std::to_string(steps) + ": cluster \"" + history.cluster +
                           "\" has " + count + " recorded change(s); --steps takes 1 to " + count};
    }
    return entries.size() - static_cast<size_t>(steps);
}

}  // namespace

core::Result<std::vector<HistoryEntry>> loadHistoryEntries(Store& store,
                                                           const std::string& cluster) {
    auto records = store.history(cluster);
    if (!records) {
        return core::Error{records.error()};
    }
    std::vector<HistoryEntry> out;
    out.reserve(records->size());
    for (const ApplyRecord& record : *records) {
        out.push_back(decodeEntry(record));
    }
    return out;
}

core::Result<ClusterHistory> loadClusterHistory(Store& store,
                                                const std::string& cluster,
                                                const std::string& db) {
    auto snapshot = store.latestSnapshot(cluster);
    if (!snapshot) {
        return core::Error{snapshot.error()};
    }
    if (!*snapshot) {
        return core::Error{"no snapshot of cluster \"" + cluster + "\" in " + db +
                           ": the current policies start from one (netpolgen snapshot --db " + db +
                           " --cluster-name " + cluster + " --cluster FILE|DIR)"};
    }
    ClusterHistory history;
    history.cluster = cluster;
    history.snapshot_id = (*snapshot)->id;
    history.snapshot_taken_at = (*snapshot)->taken_at;
    auto policies = policiesOfManifests((*snapshot)->files);
    if (!policies) {
        return core::Error{"snapshot #" + std::to_string(history.snapshot_id) + " of cluster \"" +
                           cluster + "\": " + policies.error()};
    }
    history.current = std::move(*policies);
    auto entries = loadHistoryEntries(store, cluster);
    if (!entries) {
        return core::Error{entries.error()};
    }
    history.entries = std::move(*entries);
    history.latest_id = history.entries.empty() ? 0 : history.entries.back().record.id;
    replayAfterSnapshot(history);
    return history;
}

core::Status requireReplayable(const ClusterHistory& history) {
    if (history.broken.empty()) {
        return {};
    }
    return core::Error{
        "the history of cluster \"" + history.cluster +
        "\" no longer replays, so its current policies are unknown: " + history.broken +
        "\nchanges are refused until a new snapshot of the cluster is taken "
        "(netpolgen snapshot); history and revert to a point after the snapshot "
        "work again then"};
}

core::Status replayRecordedChanges(Store& store,
                                   const std::string& cluster,
                                   int64_t snapshot_id,
                                   core::Timestamp taken_at,
                                   core::ClusterObjects& objects,
                                   std::vector<std::string>& warnings) {
    auto entries = loadHistoryEntries(store, cluster);
    if (!entries) {
        return core::Error{entries.error()};
    }
    const auto since_snapshot = [&](const HistoryEntry& e) {
        return e.record.applied_at >= taken_at;
    };
    if (std::none_of(entries->begin(), entries->end(), since_snapshot)) {
        return {};
    }
    std::vector<core::NetworkPolicy> policies;
    std::map<core::ObjectRef, const core::PolicyObject*> snapshot_objects;
    for (const core::PolicyObject& object : objects.policies) {
        policies.push_back(object.policy);
        snapshot_objects[{object.policy.ns, object.policy.name}] = &object;
    }
    auto state = core::policyStateOf(std::move(policies));
    if (!state) {
        return core::Error{"snapshot #" + std::to_string(snapshot_id) + ": " + state.error()};
    }
    ClusterHistory history;
    history.cluster = cluster;
    history.snapshot_id = snapshot_id;
    history.snapshot_taken_at = taken_at;
    history.entries = std::move(*entries);
    history.current = std::move(*state);
    replayAfterSnapshot(history);
    if (!history.broken.empty()) {
        // Reading the cluster must not depend on a record that no longer replays: the policies
        // are those up to it, and the record is named (apply and revert refuse to go on).
        warnings.push_back(
            "policies as recorded up to the record before the one that no longer "
            "replays: " +
            history.broken);
    }
    // The record that last set each policy, for its origin (of the records replayed).
    std::map<core::ObjectRef, int64_t> set_by;
    for (const HistoryEntry& entry : history.entries) {
        if (entry.record.id == history.broken_id) {
            break;  // neither it nor the later ones were replayed
        }
        if (since_snapshot(entry)) {
            for (const core::NetworkPolicy& p : entry.modification.apply) {
                set_by[{p.ns, p.name}] = entry.record.id;
            }
        }
    }
    std::vector<core::PolicyObject> replayed;
    for (auto& [ref, policy] : history.current.policies) {
        const auto by = set_by.find(ref);
        const auto old = snapshot_objects.find(ref);
        core::Origin origin = by != set_by.end() ? "apply #" + std::to_string(by->second)
                              : old != snapshot_objects.end() ? old->second->origin
                                                              : core::Origin{};
        replayed.push_back({std::move(policy), std::move(origin)});
    }
    objects.policies = std::move(replayed);
    return {};
}

core::Result<core::PolicyState> stateBefore(const ClusterHistory& history, size_t index) {
    core::PolicyState state = history.current;
    for (size_t i = history.entries.size(); i > index; --i) {
        const HistoryEntry& entry = history.entries[i - 1];
        if (!entry.error.empty()) {
            return core::Error{"cannot undo " + entry.error};
        }
        auto previous = core::applyModification(state, entry.undo);
        if (!previous) {
            return core::Error{"cannot undo " + entryText(entry.record) +
                               "; the cluster changed outside netpolgen since: take a new "
                               "snapshot:\n" +
                               previous.error()};
        }
        state = std::move(*previous);
    }
    return state;
}

core::Result<core::Modification> canonicalModification(const core::Modification& modification) {
    return decodeRecorded(
        io::modificationToJson(modification), "the modification (re-read)", RecordEncoding::kJson);
}

core::Result<core::PolicyState> canonicalState(const core::PolicyState& state) {
    core::Modification all;
    for (const auto& [ref, policy] : state.policies) {
        all.apply.push_back(policy);
    }
    auto canonical = canonicalModification(all);
    if (!canonical) {
        return core::Error{canonical.error()};
    }
    return core::policyStateOf(std::move(canonical->apply));
}

core::Result<core::PolicyState> policiesOfManifests(const std::vector<SnapshotFile>& files) {
    core::ClusterObjects objects;
    io::ManifestStats stats;
    for (const SnapshotFile& file : files) {
        if (auto st = io::decodeManifests(file.content, file.path, {}, objects, stats); !st) {
            return core::Error{st.error()};
        }
    }
    std::vector<core::NetworkPolicy> policies;
    policies.reserve(objects.policies.size());
    for (core::PolicyObject& object : objects.policies) {
        policies.push_back(std::move(object.policy));
    }
    auto state = core::policyStateOf(std::move(policies));
    if (!state) {
        return core::Error{state.error()};
    }
    return canonicalState(*state);
}

std::string defaultUser() {
    std::string user;
    if (const char* env = std::getenv("USER"); env != nullptr && *env != '\0') {
        user = env;
    } else if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr) {
        user = pw->pw_name;
    } else {
        user = "uid " + std::to_string(::getuid());
    }
    std::array<char, 256> host{};
    if (::gethostname(host.data(), host.size() - 1) == 0 && host[0] != '\0') {
        user += "@" + std::string(host.data());
    }
    return user;
}

core::Result<core::Timestamp> recordTime(const std::string& now) {
    if (now.empty()) {
        return static_cast<core::Timestamp>(std::chrono::duration_cast<std::chrono::seconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
    }
    auto t = io::parseRfc3339(now);
    if (!t) {
        return core::Error{"--now: " + t.error()};
    }
    return *t;
}

std::string entryText(const ApplyRecord& record) {
    return record.action + " #" + std::to_string(record.id) + " (" +
           io::formatRfc3339(record.applied_at) + ", " + record.user + ")";
}

core::Result<Change> planChange(const core::PolicyState& current,
                                core::Modification modification,
                                const std::string& action) {
    auto steps = core::planApply(current, modification);
    if (!steps) {
        return core::Error{steps.error()};
    }
    auto undo = core::undoOf(current, modification);
    if (!undo) {
        return core::Error{undo.error()};
    }
    return Change{std::move(modification), std::move(*steps), std::move(*undo), action, {}};
}

ApplyRecord recordOf(const Change& change,
                     const std::string& cluster,
                     core::Timestamp at,
                     const std::string& user,
                     bool via_kubectl) {
    ApplyRecord record;
    record.cluster = cluster;
    record.applied_at = at;
    record.user = user;
    record.modification = io::modificationToJson(change.modification);
    record.undo = io::modificationToJson(change.undo);
    record.encoding = RecordEncoding::kJson;
    record.action = change.action;
    record.reverts_to = change.reverts_to;
    record.via_kubectl = via_kubectl;
    return record;
}

core::Result<RevertPlan> planRevert(Store& store,
                                    const std::string& cluster,
                                    const std::string& db,
                                    const RevertTarget& target) {
    auto history = loadClusterHistory(store, cluster, db);
    if (!history) {
        return core::Error{history.error()};
    }
    if (history->entries.empty()) {
        return core::Error{"no applied modification recorded for cluster \"" + cluster + "\""};
    }
    if (auto st = requireReplayable(*history); !st) {
        return core::Error{st.error()};
    }
    auto index = revertIndex(*history, target);
    if (!index) {
        return core::Error{index.error()};
    }
    auto target_state = stateBefore(*history, *index);
    if (!target_state) {
        return core::Error{target_state.error()};
    }
    core::Modification m = core::modificationBetween(history->current, *target_state);
    return RevertPlan{std::move(history->current),
                      history->entries[*index].record,
                      std::move(m),
                      history->latest_id};
}

std::string conflictText(const std::string& cluster, const RecordOutcome& outcome) {
    return "another change (#" + std::to_string(outcome.latest_id) +
           ") was recorded for cluster \"" + cluster +
           "\" after this one was planned; nothing recorded: look at the history and try again";
}

}  // namespace netpolgen::store
