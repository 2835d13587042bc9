#include "io/manifest_workloads.h"

#include <string>
#include <utility>

#include "core/kubernetes_names.h"
#include "core/label_selector.h"
#include "io/manifest_meta.h"

namespace netpolgen::io::detail {

using core::quotedText;

namespace {

// Labels as the API server prints a map in a message, at most a few of them.
std::string shownLabels(const core::Labels& labels) {
    constexpr size_t kShown = 4;
    std::string out = "{";
    size_t i = 0;
    for (const auto& [key, value] : labels) {
        if (i == kShown) {
            out += ", ...";
            break;
        }
        out += (i++ > 0 ? ", " : "") + quotedText(key) + ": " + quotedText(value);
    }
    return out + "}";
}

// The API server's checks that make a workload's selector select its own pods: a Deployment,
// ReplicaSet, StatefulSet or DaemonSet may not have an empty selector (it would select every pod
// of the namespace, and so would a policy built from it), and every selector must match the
// template's labels.
bool checkWorkloadSelector(ObjectContext& c,
                           const SourceNode& spec,
                           std::string_view path,
                           const core::Workload& w) {
    if (!w.selector) {
        return true;
    }
    const bool needs_selector =
        w.kind == core::WorkloadKind::kDeployment || w.kind == core::WorkloadKind::kReplicaSet ||
        w.kind == core::WorkloadKind::kStatefulSet || w.kind == core::WorkloadKind::kDaemonSet;
    if (w.selector->empty()) {
        if (!needs_selector) {
            return true;
        }
        std::string kind(core::workloadKindName(w.kind));
        std::transform(kind.begin(), kind.end(), kind.begin(), [](unsigned char ch) {
            return static_cast<char>(std::tolower(ch));
        });
        return c.fail(*present(spec, "selector"),
                      child(path, "selector"),
                      "Invalid value: {}: empty selector is invalid for " + kind);
    }
    const SourceNode* tmpl = present(spec, "template");
    if (tmpl == nullptr || w.selector->matches(w.pod_labels)) {
        return true;
    }
    const SourceNode* md = present(*tmpl, "metadata");
    const SourceNode* labels = md != nullptr ? present(*md, "labels") : nullptr;
    return c.fail(labels != nullptr ? *labels : *tmpl,
                  child(path, "template.metadata.labels"),
                  "Invalid value: " + shownLabels(w.pod_labels) +
                      ": `selector` does not match template `labels`");
}

}  // namespace

bool decodeNamespace(ObjectContext& c, const SourceNode& obj, core::Namespace& out) {
    ObjectMeta m;
    if (!decodeMetadata(c, obj, false, m)) {
        return false;
    }
    out.name = m.name;
    out.labels = std::move(m.labels);
    // The API server sets (and overwrites) this label on every namespace.
    out.labels[std::string(core::kNamespaceNameLabel)] = m.name;
    out.declared = true;
    return true;
}

bool decodeWorkload(ObjectContext& c,
                    const SourceNode& obj,
                    core::WorkloadKind kind,
                    core::Workload& out) {
    ObjectMeta m;
    if (!decodeMetadata(c, obj, true, m)) {
        return false;
    }
    out.kind = kind;
    out.ns = std::move(m.ns);
    out.name = std::move(m.name);
    out.owners = std::move(m.owners);
    const SourceNode* spec = nullptr;
    if (!mapField(c, obj, "spec", "spec", spec)) {
        return false;
    }
    if (spec == nullptr) {
        return true;
    }
    std::string path = "spec";
    if (kind == core::WorkloadKind::kCronJob) {
        const SourceNode* job_template = nullptr;
        if (!mapField(c, *spec, "jobTemplate", "spec.jobTemplate", job_template)) {
            return false;
        }
        if (job_template == nullptr) {
            return true;
        }
        if (!mapField(c, *job_template, "spec", "spec.jobTemplate.spec", spec)) {
            return false;
        }
        if (spec == nullptr) {
            return true;
        }
        path = "spec.jobTemplate.spec";
    }
    if (const SourceNode* selector = present(*spec, "selector")) {
        const std::string spath = child(path, "selector");
        if (kind == core::WorkloadKind::kReplicationController ||
            kind == core::WorkloadKind::kDeploymentConfig) {
            core::Labels labels;
            if (!stringMap(c, *selector, spath, labels)) {
                return false;
            }
            if (auto problem = core::selectorFromLabels(labels).validate()) {
                // "matchLabels: Invalid value: …": the map itself is the selector here.
                const size_t colon = problem->find(": ");
                return c.fail(*selector,
                              spath,
                              colon == std::string::npos ? *problem : problem->substr(colon + 2));
            }
            // An empty map is defaulted to the template's labels by the API server.
            if (!labels.empty()) {
                out.selector = core::selectorFromLabels(labels);
            }
        } else {
            core::LabelSelector s;
            if (!decodeSelector(c, *selector, spath, s)) {
                return false;
            }
            out.selector = std::move(s);
        }
    }
    if (!decodePodTemplate(c, *spec, child(path, "template"), out)) {
        return false;
    }
    return checkWorkloadSelector(c, *spec, path, out);
}

bool decodePod(ObjectContext& c, const SourceNode& obj, core::Pod& out) {
    ObjectMeta m;
    if (!decodeMetadata(c, obj, true, m)) {
        return false;
    }
    out.ns = std::move(m.ns);
    out.name = std::move(m.name);
    out.labels = std::move(m.labels);
    out.owners = std::move(m.owners);
    const SourceNode* spec = nullptr;
    if (!mapField(c, obj, "spec", "spec", spec)) {
        return false;
    }
    if (spec != nullptr && (!decodeHostNetwork(c, *spec, "spec", out.host_network) ||
                            !decodeContainerPorts(c, *spec, "spec", out.ports))) {
        return false;
    }
    const SourceNode* status = nullptr;
    if (!mapField(c, obj, "status", "status", status)) {
        return false;
    }
    if (status == nullptr) {
        return true;
    }
    if (const SourceNode* ip = present(*status, "podIP")) {
        if (!decodeIp(c, *ip, "status.podIP", out.ips)) {
            return false;
        }
    }
    const SourceNode* ips = nullptr;
    if (!listField(c, *status, "podIPs", "status.podIPs", ips)) {
        return false;
    }
    if (ips != nullptr) {
        for (size_t i = 0; i < ips->children.size(); ++i) {
            const SourceNode& item = ips->children[i];
            const std::string ipath = indexed("status.podIPs", i);
            if (!item.isMapping()) {
                return typeError(c, item, ipath, "map");
            }
            if (const SourceNode* ip = present(item, "ip")) {
                if (!decodeIp(c, *ip, child(ipath, "ip"), out.ips)) {
                    return false;
                }
            }
        }
    }
    dedupeStable(out.ips);
    return true;
}

}  // namespace netpolgen::io::detail
