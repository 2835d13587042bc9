#include "io/manifest_kinds.h"

#include <array>
#include <string_view>

namespace netpolgen::io::detail {

namespace {

// API groups served by a plain Kubernetes API server (no CRD, no aggregated API).
constexpr std::array<std::string_view, 25> kBuiltinGroups = {
    "",
    "admission.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "extensions",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "storagemigration.k8s.io",
};

}  // namespace

bool isBuiltinGroup(std::string_view group) {
    return contains(kBuiltinGroups, group);
}

bool isDecodedKind(std::string_view kind) {
    static constexpr std::array<std::string_view, 13> kDecoded = {
        "Namespace",
        "Pod",
        "Service",
        "ReplicationController",
        "Deployment",
        "ReplicaSet",
        "DaemonSet",
        "StatefulSet",
        "Job",
        "CronJob",
        "NetworkPolicy",
        "DeploymentConfig",
        "Route",
    };
    return contains(kDecoded, kind);
}

bool groupServes(std::string_view kind, std::string_view group) {
    if (kind == "Namespace" || kind == "Pod" || kind == "Service" ||
        kind == "ReplicationController") {
        return group.empty();
    }
    if (kind == "Deployment" || kind == "ReplicaSet" || kind == "DaemonSet") {
        return group == "apps" || group == "extensions";
    }
    if (kind == "StatefulSet") {
        return group == "apps";
    }
    if (kind == "Job" || kind == "CronJob") {
        return group == "batch";
    }
    if (kind == "NetworkPolicy") {
        return group == "networking.k8s.io" || group == "extensions";
    }
    if (kind == "DeploymentConfig") {
        return group == "apps.openshift.io" || group.empty();
    }
    if (kind == "Route") {
        return group == "route.openshift.io" || group.empty();
    }
    return false;
}

bool isListKind(std::string_view kind) {
    return kind.size() >= 4 && kind.substr(kind.size() - 4) == "List";
}

}  // namespace netpolgen::io::detail
