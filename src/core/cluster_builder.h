// buildCluster: turns the objects a decoder read into the Cluster the engine works on.
//
// Ownership follows DESIGN.md decision 4: a pod belongs to its top-level workload, found through
// ownerReferences up to the top (Pod → ReplicaSet → Deployment, Pod → Job → CronJob), else through
// the first workload of its namespace whose selector matches the pod's labels, else a workload
// named after its (missing) controller owner; a pod without owners is a standalone workload of
// kind Pod. Every namespace that anything mentions exists afterwards,
// and every namespace carries kubernetes.io/metadata.name=<name>, as the API server ensures.
#pragma once

#include <string>
#include <vector>

#include "core/cluster.h"

namespace netpolgen::core {

// `warnings` receives what a user should know (a pod whose owner is missing, …).
Cluster buildCluster(ClusterObjects objects, std::vector<std::string>& warnings);

// True for namespaces StackRox never generates into (docs/stackrox-generator.md §2.2): `stackrox`,
// and names matching ^kube.|^openshift.*|^redhat.*|^istio-system$ except `openshift-operators`.
bool isProtectedNamespace(std::string_view ns);

}  // namespace netpolgen::core
