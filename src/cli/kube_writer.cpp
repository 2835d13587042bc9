#include "cli/kube_writer.h"

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <random>
#include <utility>

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

std::string refText(const core::ObjectRef& ref) {
    return ref.ns + "/" + ref.name;
}

const nlohmann::json* objectField(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) {
        return nullptr;
    }
    auto it = j.find(key);
    return it != j.end() && it->is_object() ? &*it : nullptr;
}

// The backup copy of `live` (the object as the API server answered its GET), as StackRox makes
// it (kube_writer.h): only what the original says (labels, annotations, spec), none of the
// server's fields (uid, resourceVersion, managedFields, …).
nlohmann::json backupOf(const nlohmann::json& live,
                        const core::ObjectRef& ref,
                        const KubeWriteOptions& options) {
    nlohmann::json labels = nlohmann::json::object();
    nlohmann::json annotations = nlohmann::json::object();
    if (const nlohmann::json* meta = objectField(live, "metadata")) {
        if (const nlohmann::json* l = objectField(*meta, "labels")) {
            labels = *l;
        }
        if (const nlohmann::json* a = objectField(*meta, "annotations")) {
            annotations = *a;
        }
    }
    if (!options.apply_id.empty()) {
        labels[kApplyIdLabel] = options.apply_id;
    }
    if (!options.timestamp.empty()) {
        annotations[kApplyTimestampAnnotation] = options.timestamp;
    }
    annotations[kDeletedAnnotation] =
        std::string(
            "This network policy was deleted by netpolgen. It is kept here, selecting no "
            "pod because of the pod selector label ") +
        kDisableLabel + "=" + kDisableValue + ". To restore it, remove that label from " +
        "spec.podSelector.matchLabels and name the policy " + ref.name + " again.";
    annotations[kOriginalNameAnnotation] = ref.name;
    nlohmann::json spec = nlohmann::json::object();
    if (const nlohmann::json* s = objectField(live, "spec")) {
        spec = *s;
    }
    if (!spec.contains("podSelector") || !spec["podSelector"].is_object()) {
        spec["podSelector"] = nlohmann::json::object();
    }
    nlohmann::json& selector = spec["podSelector"];
    if (!selector.contains("matchLabels") || !selector["matchLabels"].is_object()) {
        selector["matchLabels"] = nlohmann::json::object();
    }
    selector["matchLabels"][kDisableLabel] = kDisableValue;
    nlohmann::json meta = {{"generateName", "deleted-" + ref.name + "-"},
                           {"namespace", ref.ns},
                           {"labels", std::move(labels)},
                           {"annotations", std::move(annotations)}};
    return {{"apiVersion", "networking.k8s.io/v1"},
            {"kind", "NetworkPolicy"},
            {"metadata", std::move(meta)},
            {"spec", std::move(spec)}};
}

std::string deleteOptions() {
    const nlohmann::json options = {
        {"kind", "DeleteOptions"}, {"apiVersion", "v1"}, {"propagationPolicy", "Background"}};
    return options.dump();
}

}  // namespace

std::string newApplyId() {
    std::random_device random;
    std::array<uint8_t, 16> bytes{};
    for (size_t i = 0; i < bytes.size(); i += 4) {
        const uint32_t r = random();
        for (size_t k = 0; k < 4; ++k) {
            bytes[i + k] = static_cast<uint8_t>(r >> (8 * k));
        }
    }
    bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);  // version 4
    bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (size_t i = 0; i < bytes.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        out += kHex[bytes[i] >> 4];
        out += kHex[bytes[i] & 0x0f];
    }
    return out;
}

// The request's answer as a status: 2xx is done; otherwise the API server's one line (and its
// HTTP status kept for refusedStatus()).
core::Status KubeApiWriter::answered(const core::Result<kube::ApiResponse>& r,
                                     const std::string& method,
                                     const std::string& path,
                                     bool not_found_is_done) {
    if (!r) {
        refused_status_ = 0;
        return core::Error{r.error()};
    }
    if ((r->status >= 200 && r->status < 300) || (not_found_is_done && r->status == 404)) {
        return {};
    }
    refused_status_ = r->status;
    return core::Error{kube::describeFailure(method, path, *r)};
}

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
        case core::ApplyAction::kDelete:
            return deletePolicy(step, dry_run);
    }
    return {};
}

// GET, POST the backup (when wanted), DELETE; a DELETE that fails removes the backup again.
core::Status KubeApiWriter::deletePolicy(const core::ApplyStep& step, bool dry_run) {
    const std::string one = policiesPath(step.ref.ns) + "/" + step.ref.name;
    std::string backup;
    if (options_.backup) {
        auto current = client_.request("GET", one);
        if (current && current->status == 404) {
            return {};  // already gone: done, nothing to back up
        }
        if (core::Status st = answered(current, "GET", one); !st) {
            return st;
        }
        const nlohmann::json live = nlohmann::json::parse(current->body, nullptr, false);
        const std::string path = withDryRun(policiesPath(step.ref.ns), dry_run);
        auto created = client_.request(
            "POST", path, backupOf(live, step.ref, options_).dump(), "application/json");
        if (core::Status st = answered(created, "POST", path); !st) {
            return core::Error{"cannot back up networkpolicy " + refText(step.ref) +
                               " before deleting it: " + st.error()};
        }
        if (!dry_run) {
            const nlohmann::json made = nlohmann::json::parse(created->body, nullptr, false);
            const nlohmann::json* meta = objectField(made, "metadata");
            if (meta == nullptr || !meta->contains("name") || !(*meta)["name"].is_string()) {
                return core::Error{"POST " + path +
                                   ": the API server's answer names no object (backup of "
                                   "networkpolicy " +
                                   refText(step.ref) + ")"};
            }
            backup = (*meta)["name"].get<std::string>();
            notes_.push_back("backed up networkpolicy " + refText(step.ref) + " as " + step.ref.ns +
                             "/" + backup);
        }
    }
    const std::string path = withDryRun(one, dry_run);
    core::Status deleted =
        answered(client_.request("DELETE", path, deleteOptions(), "application/json"),
                 "DELETE",
                 path,
                 /*not_found_is_done=*/true);
    if (!deleted) {
        if (!backup.empty()) {
            const long refused = refused_status_;
            if (core::Status st = deleteBackup(step.ref, backup); !st) {
                refused_status_ = refused;
                return core::Error{deleted.error() + "; and its backup " + step.ref.ns + "/" +
                                   backup + " could not be removed: " + st.error()};
            }
            refused_status_ = refused;
        }
        return deleted;
    }
    if (!backup.empty()) {
        backups_[step.ref] = backup;
    }
    return {};
}

core::Status KubeApiWriter::deleteBackup(const core::ObjectRef& ref, const std::string& backup) {
    const std::string path = policiesPath(ref.ns) + "/" + backup;
    core::Status st = answered(client_.request("DELETE", path, deleteOptions(), "application/json"),
                               "DELETE",
                               path,
                               /*not_found_is_done=*/true);
    if (st) {
        notes_.push_back("deleted backup networkpolicy " + ref.ns + "/" + backup);
    }
    return st;
}

core::Status KubeApiWriter::undo(const core::ApplyStep& done) {
    if (core::Status st = change(core::inverseOf(done)); !st) {
        return st;
    }
    auto it = backups_.find(done.ref);
    if (done.action != core::ApplyAction::kDelete || it == backups_.end()) {
        return {};
    }
    const std::string backup = it->second;
    backups_.erase(it);
    return deleteBackup(done.ref, backup);
}

std::vector<std::string> KubeApiWriter::takeNotes() {
    return std::exchange(notes_, {});
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
