// generate, simulate, the current policies and the namespaces (server/endpoints.h).
#include <map>
#include <set>
#include <string>
#include <vector>

#include "io/modification_decoder.h"
#include "io/policy_encoder.h"
#include "io/simulation_json.h"
#include "server/cluster_inputs.h"
#include "server/endpoints.h"
#include "server/json_text.h"
#include "server/request_params.h"
#include "server/scope_query.h"

namespace netpolgen::server {
namespace {

using nlohmann::json;

// StackRox's DeleteExistingPoliciesMode; UNKNOWN is NONE there too.
const std::map<std::string, core::DeleteExisting> kDeleteModes{
    {"UNKNOWN", core::DeleteExisting::kNone},
    {"NONE", core::DeleteExisting::kNone},
    {"GENERATED_ONLY", core::DeleteExisting::kGenerated},
    {"ALL", core::DeleteExisting::kAll},
};

// generate's options from its query parameters, as the command's flags would set them.
core::Result<core::GenerateOptions> generateOptions(const Params& params) {
    core::GenerateOptions o;
    auto scope = parseScopeQuery(param(params, "query").value_or(""));
    if (!scope) {
        return core::Error{scope.error()};
    }
    o.namespaces = std::move(scope->namespaces);
    o.workloads = std::move(scope->workloads);
    if (const auto mode = param(params, "deleteExisting")) {
        const auto it = kDeleteModes.find(*mode);
        if (it == kDeleteModes.end()) {
            return core::Error{"deleteExisting: expected NONE, GENERATED_ONLY or ALL, got \"" +
                               *mode + "\""};
        }
        o.delete_existing = it->second;
    }
    auto ports = boolParam(params, "includePorts", true);
    if (!ports) {
        return core::Error{ports.error()};
    }
    o.include_ports = *ports;
    if (const auto selectors = param(params, "selectors")) {
        if (*selectors == "minimal") {
            o.selectors = core::SelectorStyle::kMinimal;
        } else if (*selectors != "stackrox") {
            return core::Error{"selectors: expected stackrox or minimal, got \"" + *selectors +
                               "\""};
        }
    }
    return o;
}

// The window of ?networkDataSince= (StackRox's name); open when absent.
core::Result<core::TimeWindow> sinceWindow(const Params& params) {
    auto since = timeParam(params, "networkDataSince");
    if (!since) {
        return core::Error{since.error()};
    }
    core::TimeWindow window;
    if (*since) {
        window.since = **since;
    }
    return window;
}

std::string policyYaml(const core::NetworkPolicy& policy) {
    core::Modification one;
    one.apply.push_back(policy);
    return io::modificationToYaml(one);
}

// Adds to `ids` the workloads of `in_namespace` (the policy's namespace) whose pod labels
// `policy`'s podSelector matches (core::LabelSelector: matchLabels and matchExpressions; an empty
// selector selects all), as the graph's node ids "ns/name[Kind]".
void addSelected(const core::Cluster& cluster,
                 const std::vector<size_t>& in_namespace,
                 const core::NetworkPolicy* policy,
                 std::set<std::string>& ids) {
    if (policy == nullptr) {
        return;
    }
    for (size_t w : in_namespace) {
        if (policy->pod_selector.matches(cluster.workloads[w].pod_labels)) {
            ids.insert(io::workloadName(cluster, w));
        }
    }
}

// simulationToJson, with, for every ADDED, MODIFIED or DELETED entry, the workloads its policy
// selects (old and new: the portal outlines them) and, for MODIFIED and DELETED, the YAML of the
// old policy, as StackRox's NetworkPolicyInSimulation carries old_policy.
json simulationJson(const core::Cluster& cluster, const core::Simulation& sim) {
    json out = io::simulationToJson(cluster, sim);
    json& policies = out["policies"];
    std::map<std::string, std::vector<size_t>, std::less<>> workloads_by_ns;
    for (size_t w = 0; w < cluster.workloads.size(); ++w) {
        workloads_by_ns[cluster.workloads[w].ns].push_back(w);
    }
    const std::vector<size_t> none;
    for (size_t i = 0; i < sim.plan.policies.size() && i < policies.size(); ++i) {
        const core::PolicyInSimulation& e = sim.plan.policies[i];
        if (e.status == core::PolicyStatus::kUnchanged) {
            continue;
        }
        if (e.old_policy != nullptr) {
            policies[i]["oldPolicyYaml"] = policyYaml(*e.old_policy);
        }
        const auto ns = workloads_by_ns.find(e.ref.ns);
        const std::vector<size_t>& in_namespace = ns == workloads_by_ns.end() ? none : ns->second;
        std::set<std::string> ids;
        addSelected(cluster, in_namespace, e.old_policy, ids);
        addSelected(cluster, in_namespace, e.new_policy, ids);
        policies[i]["selectedWorkloads"] = ids;
    }
    return out;
}

}  // namespace

namespace {

json toDeleteJson(const core::Modification& m) {
    json to_delete = json::array();
    for (const core::ObjectRef& ref : m.to_delete) {
        to_delete.push_back({{"namespace", ref.ns}, {"name", ref.name}});
    }
    return to_delete;
}

}  // namespace

ApiResponse modificationResponse(core::Modification m) {
    ApiResponse response{
        200,
        {{"modification", {{"applyYaml", kSplicedMarker}, {"toDelete", toDeleteJson(m)}}}},
        {}};
    m.to_delete.clear();  // in toDelete only, not also as comment lines of applyYaml
    io::EncodedYaml yaml = io::modificationToEncodedYaml(m, appendJsonEscaped);
    response.spliced.emplace_back();
    appendJsonEscaped(response.spliced.back(), yaml.head);
    for (std::string& part : yaml.parts) {
        response.spliced.push_back(std::move(part));
    }
    return response;
}

json modificationJson(core::Modification m) {
    json to_delete = toDeleteJson(m);
    m.to_delete.clear();
    return {{"applyYaml", io::modificationToYaml(m)}, {"toDelete", std::move(to_delete)}};
}

namespace {

// What the portal shows above generated policies, as `generate` prints it in its summary: the
// loader's warnings, stored traffic of workloads no longer in the cluster (left out), and stored
// traffic none of which maps onto the cluster (the policies would deny everything).
json generationWarnings(const store::LoadedInputs& loaded) {
    json warnings = json::array();
    for (const std::string& w : loaded.warnings) {
        warnings.push_back(w);
    }
    if (loaded.store && loaded.store->flows && loaded.store->flows->gone_edges > 0) {
        const store::StoredFlows& flows = *loaded.store->flows;
        std::string text = std::to_string(flows.gone_edges) + " stored edges (" +
                           std::to_string(flows.gone_flows) +
                           " flows) name workloads that are not in the cluster and were left out";
        for (size_t i = 0; i < flows.gone_examples.size(); ++i) {
            text += (i == 0 ? ", e.g. " : ", ") + flows.gone_examples[i];
        }
        warnings.push_back(std::move(text));
    }
    if (auto none = store::noResolvedTraffic({}, loaded); none && none->observed) {
        warnings.push_back(none->reason);
    }
    return warnings;
}

}  // namespace

ApiResponse generateEndpoint(const ServerOptions& options, const ApiRequest& request) {
    if (auto st = checkParams(
            request.params,
            {"query", "deleteExisting", "networkDataSince", "includePorts", "selectors"});
        !st) {
        return apiError(400, st.error());
    }
    auto generate = generateOptions(request.params);
    if (!generate) {
        return apiError(400, generate.error());
    }
    auto window = sinceWindow(request.params);
    if (!window) {
        return apiError(400, window.error());
    }
    ClusterInputs in = loadClusterInputs(options,
                                         request.cluster,
                                         *window,
                                         false,
                                         relativeWindowText(request.params, {"networkDataSince"}));
    if (!in.inputs) {
        return in.error;
    }
    auto generation = core::generatePolicies(in.inputs->cluster, in.inputs->graph, *generate);
    if (!generation) {
        return apiError(400, generation.error());
    }
    ApiResponse response = modificationResponse(std::move(generation->modification));
    if (json warnings = generationWarnings(*in.inputs); !warnings.empty()) {
        response.body["warnings"] = std::move(warnings);
    }
    return response;
}

ApiResponse simulateEndpoint(const ServerOptions& options, const ApiRequest& request) {
    if (auto st = checkParams(request.params, {"networkDataSince", "diffLimit"}); !st) {
        return apiError(400, st.error());
    }
    auto window = sinceWindow(request.params);
    if (!window) {
        return apiError(400, window.error());
    }
    // As `simulate --diff-limit`: the connectivity diff lists this many entries, counts all.
    // Listing all of them at 10,000 workloads is ~100M entries (tens of GB): never unbounded here.
    auto diff_limit = positiveParam(request.params, "diffLimit");
    if (!diff_limit) {
        return apiError(400, diff_limit.error());
    }
    core::SimulationOptions sim_options;
    sim_options.diff_limit = static_cast<size_t>(diff_limit->value_or(core::kDefaultDiffLimit));
    io::DecodedModification decoded;
    if (auto st = io::decodeModification(request.body, "body", {}, decoded); !st) {
        return apiError(400, st.error());
    }
    ClusterInputs in = loadClusterInputs(options,
                                         request.cluster,
                                         *window,
                                         true,
                                         relativeWindowText(request.params, {"networkDataSince"}));
    if (!in.inputs) {
        return in.error;
    }
    const core::Simulation sim =
        core::simulate(in.inputs->cluster, decoded.modification, &in.inputs->graph, sim_options);
    json body = simulationJson(in.inputs->cluster, sim);
    if (!sim.plan.errors.empty()) {
        body["error"] = "the modification does not apply: " + sim.plan.errors.front();
        body["code"] = 400;
        return {400, std::move(body)};
    }
    return {200, std::move(body)};
}

ApiResponse listPoliciesEndpoint(const ServerOptions& options, const ApiRequest& request) {
    if (auto st = checkParams(request.params, {"clusterId", "namespace"}); !st) {
        return apiError(400, st.error());
    }
    // namespace=a,b: the policies of those namespaces (the portal's scope); absent: all.
    const auto namespaces = nameListParam(request.params, "namespace");
    if (!namespaces) {
        return apiError(400, namespaces.error());
    }
    ClusterInputs in = loadClusterInputs(options, request.cluster, {}, false);
    if (!in.inputs) {
        return in.error;
    }
    json policies = json::array();
    for (const core::PolicyObject& p : in.inputs->cluster.policies) {
        if (!namespaces->empty() && !namespaces->contains(p.policy.ns)) {
            continue;
        }
        policies.push_back(
            {{"namespace", p.policy.ns}, {"name", p.policy.name}, {"yaml", policyYaml(p.policy)}});
    }
    return {200, {{"networkPolicies", std::move(policies)}}};
}

ApiResponse namespacesEndpoint(const ServerOptions& options, const ApiRequest& request) {
    if (auto st = checkParams(request.params, {}); !st) {
        return apiError(400, st.error());
    }
    ClusterInputs in = loadClusterInputs(options, request.cluster, {}, false);
    if (!in.inputs) {
        return in.error;
    }
    json namespaces = json::array();
    for (const core::Namespace& n : in.inputs->cluster.namespaces) {
        namespaces.push_back({{"name", n.name}, {"labels", n.labels}});
    }
    return {200, {{"namespaces", std::move(namespaces)}}};
}

}  // namespace netpolgen::server
