// Cluster: the snapshot the generator and the analyzer work on.
//
// Built by buildCluster() (core/cluster_builder.h) from the objects a decoder read: pods are folded
// into their top-level workload, standalone pods become workloads of kind Pod, and every namespace
// that is mentioned exists, with at least its kubernetes.io/metadata.name label.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/ip_address.h"
#include "core/label_selector.h"
#include "core/labels.h"
#include "core/network_policy.h"
#include "core/protocol.h"

namespace netpolgen::core {

inline constexpr std::string_view kNamespaceNameLabel = "kubernetes.io/metadata.name";

// Where an object came from, for messages: "manifests/shop.yaml:12".
using Origin = std::string;

struct ObjectRef {
    std::string ns;
    std::string name;
    auto operator<=>(const ObjectRef&) const = default;
};

enum class WorkloadKind : uint8_t {
    kDeployment,
    kStatefulSet,
    kDaemonSet,
    kReplicaSet,
    kJob,
    kCronJob,
    kReplicationController,
    kDeploymentConfig,
    kPod,
};

std::string_view workloadKindName(WorkloadKind kind);
std::optional<WorkloadKind> parseWorkloadKind(std::string_view kind);

struct OwnerRef {
    std::string kind;
    std::string name;
    bool controller = false;
    auto operator<=>(const OwnerRef&) const = default;
};

struct ContainerPort {
    std::string name;
    uint32_t port = 0;
    Protocol protocol = Protocol::kTcp;
    auto operator<=>(const ContainerPort&) const = default;
};

struct Namespace {
    std::string name;
    Labels labels;
    bool declared = false;  // a Namespace object was read (else synthesised)
    Origin origin;
};

struct Workload {
    WorkloadKind kind = WorkloadKind::kDeployment;
    std::string ns;
    std::string name;
    // spec.selector (the job template's for a CronJob, the selector map of a
    // ReplicationController); nothing for pods or when the manifest has none.
    std::optional<LabelSelector> selector;
    Labels pod_labels;  // the pod template's labels, or a standalone pod's own labels
    std::vector<ContainerPort> ports;
    std::vector<IpAddress> pod_ips;
    std::vector<std::string> pod_names;
    // A Deployment's pod-template-hash values, one per ReplicaSet of it in the snapshot: Hubble
    // flows without `workloads` name pods `<deployment>-<hash>-<suffix>`, and the hash tells a
    // Deployment's pods from a same-named DaemonSet's or Job's. Empty when no ReplicaSet was read.
    std::vector<std::string> template_hashes;
    std::vector<OwnerRef> owners;  // before buildCluster: the object's own ownerReferences
    // spec.hostNetwork of its pods: they share the node's network namespace, which
    // NetworkPolicies do not isolate (docs/networkpolicy-semantics.md), so none is generated.
    bool host_network = false;
    Origin origin;

    // The selector a policy uses for this workload: its own selector, else its pod labels
    // (docs/stackrox-generator.md §2.6).
    LabelSelector policySelector() const {
        return selector ? *selector : selectorFromLabels(pod_labels);
    }
};

struct Pod {
    std::string ns;
    std::string name;
    Labels labels;
    std::vector<IpAddress> ips;
    std::vector<ContainerPort> ports;
    std::vector<OwnerRef> owners;
    bool host_network = false;  // spec.hostNetwork
    Origin origin;
};

struct ServicePort {
    std::string name;
    uint32_t port = 0;
    PortValue target_port;  // number 0 and no name: same as port
    Protocol protocol = Protocol::kTcp;
    uint32_t node_port = 0;
};

struct Service {
    std::string ns;
    std::string name;
    std::string type = "ClusterIP";
    std::optional<Labels> selector;  // absent or empty: selects no pods
    std::vector<ServicePort> ports;
    std::vector<IpAddress> cluster_ips;
    Origin origin;

    bool isExternallyExposed() const { return type == "NodePort" || type == "LoadBalancer"; }
};

// An OpenShift Route: exposes the pods behind its Services to the outside.
struct Route {
    std::string ns;
    std::string name;
    std::vector<std::string> services;  // spec.to and spec.alternateBackends of kind Service
    std::optional<PortValue> target_port;
    Origin origin;
};

struct PolicyObject {
    NetworkPolicy policy;
    Origin origin;
};

// What a decoder read, before ownership is resolved.
struct ClusterObjects {
    std::vector<Namespace> namespaces;
    std::vector<Workload> workloads;
    std::vector<Pod> pods;
    std::vector<Service> services;
    std::vector<Route> routes;
    std::vector<PolicyObject> policies;
};

struct Cluster {
    std::vector<Namespace> namespaces;  // sorted by name
    std::vector<Workload> workloads;    // top-level only, sorted by (ns, kind, name)
    std::vector<Service> services;
    std::vector<Route> routes;
    std::vector<PolicyObject> policies;  // sorted by (ns, name)

    const Namespace* findNamespace(std::string_view name) const;
};

}  // namespace netpolgen::core
