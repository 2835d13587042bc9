// The JSON form of a simulation (`netpolgen simulate --format json` and the HTTP API's
// POST /v1/networkpolicies/simulate): the policy statuses, the connectivity diff and the replay.
//
//   {"valid":bool,"errors":[…],"policySummary":{"unchanged":N,"modified":N,"added":N,"deleted":N},
//    "policies":[{"namespace","name","status"[,"error"]}…],            // in PolicyPlan order
//    "connectivityDiff":[<diffEntryToJson>…],"connectivityDiffCounts":{changed,added,removed,listed},
//    "replay":null | {"totals":{<verdict>:{"edges","flows"}},"edges":{<verdict>:[{source,
//      destination,protocol,port,count,firstSeen,lastSeen}…]}}}       // allowedInBoth not listed
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/cluster.h"
#include "core/connectivity_diff.h"
#include "core/simulation.h"

namespace netpolgen::io {

// Policy statuses in report order.
inline constexpr std::array<core::PolicyStatus, 4> kPolicyStatuses{core::PolicyStatus::kUnchanged,
                                                                   core::PolicyStatus::kModified,
                                                                   core::PolicyStatus::kAdded,
                                                                   core::PolicyStatus::kDeleted};

// Replay verdicts in report order.
inline constexpr std::array<core::ReplayVerdict, 5> kReplayVerdicts{
    core::ReplayVerdict::kNewlyBlocked,
    core::ReplayVerdict::kNewlyAllowed,
    core::ReplayVerdict::kBlockedInBoth,
    core::ReplayVerdict::kNotEvaluated,
    core::ReplayVerdict::kAllowedInBoth};

// "unchanged", "modified", "added", "deleted".
std::string_view policyStatusKey(core::PolicyStatus status);
// "newlyBlocked", "newlyAllowed", "blockedInBoth", "notEvaluated", "allowedInBoth".
std::string_view replayVerdictKey(core::ReplayVerdict verdict);

// "ns/name[Kind]" of a workload.
std::string workloadName(const core::Cluster& cluster, size_t workload);
// workloadName, or "internet" / "internal".
std::string entityName(const core::Cluster& cluster, core::EntityId id);

// {"diffType","source","destination","ref1","ref2"[,"workloadsDiffInfo"]}
nlohmann::json diffEntryToJson(const core::ConnectivityDiffEntry& entry);

// The whole report (above). `cluster` is the one the simulation was made on.
nlohmann::json simulationToJson(const core::Cluster& cluster, const core::Simulation& simulation);

}  // namespace netpolgen::io
