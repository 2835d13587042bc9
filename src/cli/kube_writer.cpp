#include "cli/kube_writer.h"

#include <nlohmann/json.hpp>

#include "io/policy_encoder.h"

namespace netpolgen::cli {
namespace {

constexpr const char* kPolicies = "/apis/networking.k8s.io/v1/namespaces/";

std::string policiesPath(const std::string& ns) {
    return std::string(kPolicies) + ns + "/networkpolicies";
}

std::string withDryRun(const std::string& path, bool dry_run) {
    return dry_run ? path + "?dryRun=All" : path;
}

// The request's answer as a status: 2xx is done; otherwise the API server's one line.
core::Status answered(const core::Result<kube::ApiResponse>& r,
                      const std::string& method,
                      const std::string& path,
                      bool not_found_is_done = false) {
    if (!r) {
        return core::Error{r.error()};
    }
    if ((r->status >= 200 && r->status < 300) || (not_found_is_done && r->status == 404)) {
        return {};
    }
    return core::Error{kube::describeFailure(method, path, *r)};
}

}  // namespace

core::Status KubeApiWriter::labelNamespace(const core::NamespaceLabel& label, bool dry_run) {
    const std::string path = withDryRun("/api/v1/namespaces/" + label.ns, dry_run);
    const nlohmann::json patch = {{"metadata", {{"labels", {{label.key, label.value}}}}}};
    return answered(client_.request("PATCH", path, patch.dump(), "application/merge-patch+json"),
                    "PATCH",
                    path);
}

core::Status KubeApiWriter::changePolicy(const core::ApplyStep& step, bool dry_run) {
    const std::string one = policiesPath(step.ref.ns) + "/" + step.ref.name;
    switch (step.action) {
        case core::ApplyAction::kCreate: {
            const std::string path = withDryRun(policiesPath(step.ref.ns), dry_run);
            return answered(
                client_.request(
                    "POST", path, io::policyToJson(*step.policy).dump(), "application/json"),
                "POST",
                path);
        }
        case core::ApplyAction::kReplace: {
            auto current = client_.request("GET", one);
            if (core::Status st = answered(current, "GET", one); !st) {
                return st;
            }
            const nlohmann::json live = nlohmann::json::parse(current->body, nullptr, false);
            nlohmann::json body = io::policyToJson(*step.policy);
            if (live.is_object() && live.contains("metadata") && live["metadata"].is_object() &&
                live["metadata"].contains("resourceVersion")) {
                body["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"];
            }
            const std::string path = withDryRun(one, dry_run);
            return answered(
                client_.request("PUT", path, body.dump(), "application/json"), "PUT", path);
        }
        case core::ApplyAction::kDelete: {
            const std::string path = withDryRun(one, dry_run);
            const nlohmann::json options = {{"kind", "DeleteOptions"},
                                            {"apiVersion", "v1"},
                                            {"propagationPolicy", "Background"}};
            return answered(client_.request("DELETE", path, options.dump(), "application/json"),
                            "DELETE",
                            path,
                            /*not_found_is_done=*/true);
        }
    }
    return {};
}

core::Status KubeApiWriter::check(const std::vector<core::NamespaceLabel>& labels,
                                  const std::vector<core::ApplyStep>& steps) {
    if (core::Status st = checkChangeNames(labels, steps); !st) {
        return st;
    }
    std::string problems;
    for (const core::NamespaceLabel& l : labels) {
        if (core::Status st = labelNamespace(l, true); !st) {
            problems += "\n  " + st.error();
        }
    }
    for (const core::ApplyStep& step : steps) {
        if (core::Status st = changePolicy(step, true); !st) {
            problems += "\n  " + st.error();
        }
    }
    if (!problems.empty()) {
        return core::Error{"nothing changed: the API server refused the dry run (dryRun=All):" +
                           problems};
    }
    return {};
}

core::Status KubeApiWriter::label(const core::NamespaceLabel& label) {
    return labelNamespace(label, false);
}

core::Status KubeApiWriter::change(const core::ApplyStep& step) {
    return changePolicy(step, false);
}

}  // namespace netpolgen::cli
