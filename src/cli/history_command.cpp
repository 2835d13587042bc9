// `netpolgen history` and `netpolgen delete-generated`: reading the history and the current
// policies, changing nothing (cli/history_commands.h).
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <set>

#include "cli/app.h"
#include "cli/cluster_history.h"
#include "cli/history_commands.h"
#include "cli/kube_writer.h"
#include "cli/output_file.h"
#include "cli/store_inputs.h"
#include "cli/text_table.h"
#include "io/manifest_decoder.h"
#include "io/policy_encoder.h"
#include "io/time_text.h"
#include "store/store.h"

namespace netpolgen::cli {
namespace {

using nlohmann::json;

constexpr size_t kHistoryColumns = 8;
using HistoryRow = std::array<std::string, kHistoryColumns>;

std::string actionText(const store::ApplyRecord& r) {
    return r.reverts_to ? fmt::format("{} (before #{})", r.action, *r.reverts_to) : r.action;
}

std::string viaText(const store::ApplyRecord& r) {
    return r.via_kubectl ? "kubectl" : "recorded";
}

HistoryRow historyRow(const HistoryEntry& e) {
    const core::ChangeCounts c = core::countChanges(e.modification);
    // A record that does not decode has no counts; its error follows the table.
    const auto count = [&](size_t n) { return e.error.empty() ? std::to_string(n) : "?"; };
    return {std::to_string(e.record.id),
            io::formatRfc3339(e.record.applied_at),
            e.record.user,
            actionText(e.record),
            count(c.created),
            count(c.replaced),
            count(c.deleted),
            viaText(e.record)};
}

// Every line of `text` behind "# ": a record that does not decode is shown for diagnosis only,
// in a form that nothing reads back as policies or deletions.
std::string commentedOut(const std::string& text) {
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find('\n', pos);
        if (end == std::string::npos) {
            end = text.size();
        }
        out += "# " + text.substr(pos, end - pos) + "\n";
        pos = end + 1;
    }
    return out;
}

std::string historyTable(const std::vector<HistoryEntry>& entries) {
    std::vector<std::vector<std::string>> rows{
        {"ID", "TIME", "USER", "ACTION", "CREATED", "REPLACED", "DELETED", "VIA"}};
    for (const HistoryEntry& e : entries) {
        const HistoryRow row = historyRow(e);
        rows.emplace_back(row.begin(), row.end());
    }
    return alignedTable(rows);
}

json entryJson(const HistoryEntry& e) {
    const core::ChangeCounts c = core::countChanges(e.modification);
    const auto count = [&](size_t n) { return e.error.empty() ? json(n) : json(nullptr); };
    json out = {{"id", e.record.id},
                {"time", io::formatRfc3339(e.record.applied_at)},
                {"user", e.record.user},
                {"action", e.record.action},
                {"revertsTo", e.record.reverts_to ? json(*e.record.reverts_to) : json(nullptr)},
                {"created", count(c.created)},
                {"replaced", count(c.replaced)},
                {"deleted", count(c.deleted)},
                {"via", viaText(e.record)}};
    if (!e.error.empty()) {
        out["error"] = e.error;
    }
    return out;
}

std::string historyJson(const std::string& cluster, const std::vector<HistoryEntry>& entries) {
    json list = json::array();
    for (const HistoryEntry& e : entries) {
        list.push_back(entryJson(e));
    }
    return json{{"cluster", cluster}, {"history", std::move(list)}}.dump(2) + "\n";
}

std::string showText(const std::string& cluster, const HistoryEntry& e) {
    if (!e.error.empty()) {
        return commentedOut("cluster \"" + cluster + "\": " + e.error) +
               "# --- modification (as stored) ---\n" + commentedOut(e.record.modification) +
               "# --- undo (as stored) ---\n" + commentedOut(e.record.undo);
    }
    const core::ChangeCounts c = core::countChanges(e.modification);
    return fmt::format(
        "# {} #{} of cluster \"{}\" at {} by {}, {}: {} created, {} replaced, {} "
        "deleted\n# --- modification ---\n{}# --- undo ---\n{}",
        actionText(e.record),
        e.record.id,
        cluster,
        io::formatRfc3339(e.record.applied_at),
        e.record.user,
        e.record.via_kubectl ? "via kubectl" : "recorded",
        c.created,
        c.replaced,
        c.deleted,
        io::modificationToYaml(e.modification),
        io::modificationToYaml(e.undo));
}

std::string showJson(const HistoryEntry& e) {
    json out = entryJson(e);
    if (!e.error.empty()) {
        return out.dump(2) + "\n";
    }
    out["modification"] = json::parse(io::modificationToJson(e.modification));
    out["undo"] = json::parse(io::modificationToJson(e.undo));
    return out.dump(2) + "\n";
}

int fail(std::ostream& err, const std::string& message, int status) {
    err << "netpolgen: " << message << "\n";
    return status;
}

// The policies delete-generated reads: the current ones of the store's cluster, or manifests.
core::Result<core::PolicyState> currentPolicies(const DeleteGeneratedCommandOptions& o) {
    if (!o.db.empty()) {
        auto store = openStoreAt(o.db);
        if (!store) {
            return core::Error{store.error()};
        }
        auto history = loadClusterHistory(**store, o.cluster, o.db);
        if (!history) {
            return core::Error{history.error()};
        }
        if (core::Status st = store::requireReplayable(*history); !st) {
            return core::Error{st.error()};
        }
        return std::move(history->current);
    }
    core::ClusterObjects objects;
    io::ManifestStats stats;
    for (const std::string& path : o.cluster_paths) {
        if (auto st = io::loadManifests(path, {}, objects, stats); !st) {
            return core::Error{st.error()};
        }
    }
    std::vector<core::NetworkPolicy> policies;
    for (core::PolicyObject& object : objects.policies) {
        policies.push_back(std::move(object.policy));
    }
    return core::policyStateOf(std::move(policies));
}

// "kubectl delete networkpolicy -l KEY=true -n NS" per namespace asked for, or one with -A.
std::string kubectlLines(const std::set<std::string>& namespaces, bool all) {
    const std::string base =
        "kubectl delete networkpolicy -l " + std::string(core::kGeneratedLabelKey) + "=true";
    if (all) {
        return base + " -A\n";
    }
    std::string out;
    for (const std::string& ns : namespaces) {
        out += base + " -n " + ns + "\n";
    }
    return out;
}

}  // namespace

bool isGeneratedPolicy(const core::NetworkPolicy& p) {
    auto it = p.labels.find(std::string(core::kGeneratedLabelKey));
    return it != p.labels.end() && it->second == "true" &&
           p.annotations.count(kDeletedAnnotation) == 0;
}

int runHistory(const HistoryCommandOptions& o, std::ostream& out, std::ostream& err) {
    if (o.target.db.empty()) {
        return fail(
            err, "no store given: pass --db FILE (SQLite) or --db postgresql://…", kExitBadInput);
    }
    auto store = openStoreAt(o.target.db);
    if (!store) {
        return fail(err, store.error(), kExitBadInput);
    }
    auto entries = loadHistoryEntries(**store, o.target.cluster);
    if (!entries) {
        return fail(err, entries.error(), kExitFailure);
    }
    const bool as_json = o.format == "json";
    if (o.show) {
        auto it = std::find_if(entries->begin(), entries->end(), [&](const HistoryEntry& e) {
            return e.record.id == *o.show;
        });
        if (it == entries->end()) {
            return fail(err,
                        fmt::format("--show {}: no apply #{} recorded for cluster \"{}\"",
                                    *o.show,
                                    *o.show,
                                    o.target.cluster),
                        kExitBadInput);
        }
        out << (as_json ? showJson(*it) : showText(o.target.cluster, *it));
        return kExitOk;
    }
    if (as_json) {
        out << historyJson(o.target.cluster, *entries);
    } else if (entries->empty()) {
        out << "no applied modification recorded for cluster \"" << o.target.cluster << "\"\n";
    } else {
        out << historyTable(*entries);
        for (const HistoryEntry& e : *entries) {
            if (!e.error.empty()) {
                err << "netpolgen: warning: " << e.error << "\n";
            }
        }
    }
    return kExitOk;
}

int runDeleteGenerated(const DeleteGeneratedCommandOptions& o,
                       std::ostream& out,
                       std::ostream& err) {
    if (o.db.empty() == o.cluster_paths.empty()) {
        return fail(err,
                    "pass either --db DB (the current policies of the store) or --cluster "
                    "FILE|DIR (manifests)",
                    kExitBadInput);
    }
    auto policies = currentPolicies(o);
    if (!policies) {
        return fail(err, policies.error(), kExitBadInput);
    }
    const std::set<std::string> wanted(o.namespaces.begin(), o.namespaces.end());
    core::Modification m;
    std::set<std::string> namespaces;
    for (const auto& [ref, policy] : policies->policies) {
        if (isGeneratedPolicy(policy) && (wanted.empty() || wanted.count(ref.ns) > 0)) {
            m.to_delete.push_back(ref);
            namespaces.insert(ref.ns);
        }
    }
    const std::string text =
        o.format == "json" ? io::modificationToJson(m) : io::modificationToYaml(m);
    if (core::Status st = writeOutput(o.output, text, out); !st) {
        return fail(err, st.error(), kExitFailure);
    }
    if (m.to_delete.empty()) {
        err << "no policy labelled " << core::kGeneratedLabelKey << "=true\n";
        return kExitOk;
    }
    err << fmt::format("{} generated policies to delete in {} namespace(s); with kubectl:\n",
                       m.to_delete.size(),
                       namespaces.size())
        << kubectlLines(namespaces, wanted.empty());
    return kExitOk;
}

}  // namespace netpolgen::cli
