#include "io/simulation_json.h"

#include "core/connectivity.h"
#include "io/time_text.h"

namespace netpolgen::io {
namespace {

using nlohmann::json;

json timeJson(core::Timestamp t) {
    return t == core::kUndated ? json(nullptr) : json(formatRfc3339(t));
}

json policiesJson(const core::PolicyPlan& plan) {
    json policies = json::array();
    for (const auto& e : plan.policies) {
        json p = {{"namespace", e.ref.ns},
                  {"name", e.ref.name},
                  {"status", std::string(core::policyStatusName(e.status))}};
        if (!e.error.empty()) {
            p["error"] = e.error;
        }
        policies.push_back(std::move(p));
    }
    return policies;
}

json replayJson(const core::Cluster& cluster, const core::ReplayResult& r) {
    json totals = json::object();
    json lists = json::object();
    for (core::ReplayVerdict v : kReplayVerdicts) {
        const std::string key(replayVerdictKey(v));
        totals[key] = {{"edges", r.total(v).edges}, {"flows", r.total(v).flows}};
        if (v != core::ReplayVerdict::kAllowedInBoth) {
            lists[key] = json::array();
        }
    }
    for (const auto& e : r.edges) {
        lists[std::string(replayVerdictKey(e.verdict))].push_back(
            {{"source", entityName(cluster, e.key.src)},
             {"destination", entityName(cluster, e.key.dst)},
             {"protocol", std::string(core::protocolName(e.key.protocol))},
             {"port", e.key.port},
             {"count", e.stats.count},
             {"firstSeen", timeJson(e.stats.first_seen)},
             {"lastSeen", timeJson(e.stats.last_seen)}});
    }
    return {{"totals", std::move(totals)}, {"edges", std::move(lists)}};
}

}  // namespace

std::string_view policyStatusKey(core::PolicyStatus s) {
    switch (s) {
        case core::PolicyStatus::kUnchanged:
            return "unchanged";
        case core::PolicyStatus::kModified:
            return "modified";
        case core::PolicyStatus::kAdded:
            return "added";
        case core::PolicyStatus::kDeleted:
            break;
    }
    return "deleted";
}

std::string_view replayVerdictKey(core::ReplayVerdict v) {
    switch (v) {
        case core::ReplayVerdict::kNewlyBlocked:
            return "newlyBlocked";
        case core::ReplayVerdict::kNewlyAllowed:
            return "newlyAllowed";
        case core::ReplayVerdict::kBlockedInBoth:
            return "blockedInBoth";
        case core::ReplayVerdict::kNotEvaluated:
            return "notEvaluated";
        case core::ReplayVerdict::kAllowedInBoth:
            break;
    }
    return "allowedInBoth";
}

std::string workloadName(const core::Cluster& cluster, size_t workload) {
    core::ConnectivityPeer peer;
    peer.kind = core::ConnectivityPeer::Kind::kWorkload;
    peer.workload = workload;
    return core::peerName(cluster, peer);
}

std::string entityName(const core::Cluster& cluster, core::EntityId id) {
    if (id == core::kInternetEntity) {
        return "internet";
    }
    if (id == core::kInternalEntity) {
        return "internal";
    }
    return workloadName(cluster, core::workloadIndex(id));
}

json diffEntryToJson(const core::ConnectivityDiffEntry& e) {
    json out = {{"diffType", std::string(core::diffTypeName(e.type))},
                {"source", e.src.name},
                {"destination", e.dst.name},
                {"ref1", e.ref1.toString()},
                {"ref2", e.ref2.toString()}};
    if (const std::string info = core::workloadsDiffInfo(e); !info.empty()) {
        out["workloadsDiffInfo"] = info;
    }
    return out;
}

json simulationToJson(const core::Cluster& cluster, const core::Simulation& sim) {
    json summary = json::object();
    for (core::PolicyStatus s : kPolicyStatuses) {
        summary[std::string(policyStatusKey(s))] = sim.plan.count(s);
    }
    json diff = json::array();
    for (const auto& e : sim.connectivity.entries) {
        diff.push_back(diffEntryToJson(e));
    }
    const core::BoundedConnectivityDiff& d = sim.connectivity;
    json out = {{"valid", sim.plan.errors.empty()},
                {"errors", sim.plan.errors},
                {"policySummary", std::move(summary)},
                {"policies", policiesJson(sim.plan)},
                {"connectivityDiff", std::move(diff)},
                {"connectivityDiffCounts",
                 {{"changed", d.changed},
                  {"added", d.added},
                  {"removed", d.removed},
                  {"listed", d.entries.size()}}},
                {"replay", nullptr}};
    if (sim.replay) {
        out["replay"] = replayJson(cluster, *sim.replay);
    }
    return out;
}

}  // namespace netpolgen::io
