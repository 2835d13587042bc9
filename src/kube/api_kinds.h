// The kinds netpolgen reads from an API server: those io/manifest_decoder.h decodes, where they
// are served, and what their lists are called. Shared by the one-shot reader
// (kube/cluster_reader.h) and the watching cache (kube/cluster_watch.h).
#pragma once

#include <iterator>
#include <string>
#include <string_view>

namespace netpolgen::kube {

struct ApiKind {
    const char* prefix;       // "/api/v1", "/apis/apps/v1"
    const char* resource;     // "deployments"
    const char* kind;         // "Deployment"
    const char* api_version;  // "apps/v1"
    bool namespaced;
    bool optional;  // a 403/404 is a warning, not an error (kinds a cluster may not serve)
};

// In the order a `kubectl get … -o json` dump lists them.
inline constexpr ApiKind kApiKinds[] = {
    {"/api/v1", "namespaces", "Namespace", "v1", false, false},
    {"/api/v1", "pods", "Pod", "v1", true, false},
    {"/api/v1", "services", "Service", "v1", true, false},
    {"/api/v1", "replicationcontrollers", "ReplicationController", "v1", true, true},
    {"/apis/apps/v1", "deployments", "Deployment", "apps/v1", true, false},
    {"/apis/apps/v1", "statefulsets", "StatefulSet", "apps/v1", true, false},
    {"/apis/apps/v1", "daemonsets", "DaemonSet", "apps/v1", true, false},
    {"/apis/apps/v1", "replicasets", "ReplicaSet", "apps/v1", true, false},
    {"/apis/batch/v1", "jobs", "Job", "batch/v1", true, false},
    {"/apis/batch/v1", "cronjobs", "CronJob", "batch/v1", true, false},
    {"/apis/networking.k8s.io/v1",
     "networkpolicies",
     "NetworkPolicy",
     "networking.k8s.io/v1",
     true,
     false},
};
// readNetworkPolicies (kube/cluster_reader.h) reads the last one alone.
static_assert(std::string_view(kApiKinds[std::size(kApiKinds) - 1].resource) == "networkpolicies");

// OpenShift's, read only where discovery (GET /apis) shows their group version.
inline constexpr ApiKind kOpenShiftKinds[] = {
    {"/apis/route.openshift.io/v1", "routes", "Route", "route.openshift.io/v1", true, true},
    {"/apis/apps.openshift.io/v1",
     "deploymentconfigs",
     "DeploymentConfig",
     "apps.openshift.io/v1",
     true,
     true},
};

// "/apis/apps/v1/deployments": the kind's path over all namespaces.
inline std::string clusterPath(const ApiKind& kind) {
    return std::string(kind.prefix) + "/" + kind.resource;
}

}  // namespace netpolgen::kube
