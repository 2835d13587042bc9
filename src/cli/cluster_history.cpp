#include "cli/cluster_history.h"

#include <pwd.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>

#include "io/flow_reader.h"
#include "io/manifest_decoder.h"
#include "io/modification_decoder.h"
#include "io/policy_encoder.h"
#include "io/time_text.h"

namespace netpolgen::cli {
namespace {

core::Result<core::Modification> decodeRecorded(const std::string& text, const std::string& name) {
    io::DecodedModification decoded;
    if (auto st = io::decodeModification(text, name, {}, decoded); !st) {
        return core::Error{st.error()};
    }
    return std::move(decoded.modification);
}

core::Result<HistoryEntry> decodeEntry(const store::ApplyRecord& record) {
    const std::string name = "history #" + std::to_string(record.id);
    auto modification = decodeRecorded(record.modification_yaml, name + " (modification)");
    if (!modification) {
        return core::Error{modification.error()};
    }
    auto undo = decodeRecorded(record.undo_yaml, name + " (undo)");
    if (!undo) {
        return core::Error{undo.error()};
    }
    return HistoryEntry{record, std::move(*modification), std::move(*undo)};
}

core::Status replayAfterSnapshot(ClusterHistory& history) {
    for (const HistoryEntry& entry : history.entries) {
        if (entry.record.applied_at < history.snapshot_taken_at) {
            continue;  // already in the snapshot
        }
        auto next = core::applyModification(history.current, entry.modification);
        if (!next) {
            return core::Error{
                "cannot replay " + entryText(entry.record) + " on snapshot #" +
                std::to_string(history.snapshot_id) + " of cluster \"" + history.cluster + "\" (" +
                io::formatRfc3339(history.snapshot_taken_at) +
                "); the cluster changed outside netpolgen: take a new snapshot:\n" + next.error()};
        }
        history.current = std::move(*next);
    }
    return {};
}

}  // namespace

core::Result<std::vector<HistoryEntry>> loadHistoryEntries(store::Store& store,
                                                           const std::string& cluster) {
    auto records = store.history(cluster);
    if (!records) {
        return core::Error{records.error()};
    }
    std::vector<HistoryEntry> out;
    out.reserve(records->size());
    for (const store::ApplyRecord& record : *records) {
        auto entry = decodeEntry(record);
        if (!entry) {
            return core::Error{entry.error()};
        }
        out.push_back(std::move(*entry));
    }
    return out;
}

core::Result<ClusterHistory> loadClusterHistory(store::Store& store,
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
    if (auto st = replayAfterSnapshot(history); !st) {
        return core::Error{st.error()};
    }
    return history;
}

core::Result<core::PolicyState> stateBefore(const ClusterHistory& history, size_t index) {
    core::PolicyState state = history.current;
    for (size_t i = history.entries.size(); i > index; --i) {
        const HistoryEntry& entry = history.entries[i - 1];
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
    return decodeRecorded(io::modificationToYaml(modification), "the modification (re-read)");
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

core::Result<core::PolicyState> policiesOfManifests(const std::vector<store::SnapshotFile>& files) {
    core::ClusterObjects objects;
    io::ManifestStats stats;
    for (const store::SnapshotFile& file : files) {
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

std::string entryText(const store::ApplyRecord& record) {
    return record.action + " #" + std::to_string(record.id) + " (" +
           io::formatRfc3339(record.applied_at) + ", " + record.user + ")";
}

}  // namespace netpolgen::cli
