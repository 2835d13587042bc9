#include "io/manifest_decoder.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace netpolgen::io {
namespace {

namespace fs = std::filesystem;
using core::Protocol;
using core::SelectorOperator;

struct Decoded {
    core::Status status;
    core::ClusterObjects objects;
    ManifestStats stats;
};

Decoded decode(std::string_view text, bool skip_invalid = false) {
    Decoded d;
    ManifestOptions options;
    options.skip_invalid = skip_invalid;
    d.status = decodeManifests(text, "t.yaml", options, d.objects, d.stats);
    return d;
}

// The error of a text that must not decode.
std::string errorOf(std::string_view text) {
    Decoded d = decode(text);
    EXPECT_FALSE(d.status.ok()) << "decoded without error:\n" << text;
    return d.status.ok() ? std::string() : d.status.error();
}

// A NetworkPolicy in namespace shop named np around a spec (lines start at line 6).
std::string policyWith(std::string_view spec) {
    return "apiVersion: networking.k8s.io/v1\n"
           "kind: NetworkPolicy\n"
           "metadata: {name: np, namespace: shop}\n"
           "spec:\n"
           "  podSelector: {}\n" +
           std::string(spec);
}

// A Deployment web in namespace shop whose single container has these ports (line 12 on).
std::string deploymentWithPorts(std::string_view ports) {
    return "apiVersion: apps/v1\n"
           "kind: Deployment\n"
           "metadata: {name: web, namespace: shop}\n"
           "spec:\n"
           "  selector: {matchLabels: {app: web}}\n"
           "  template:\n"
           "    metadata: {labels: {app: web}}\n"
           "    spec:\n"
           "      containers:\n"
           "      - name: main\n"
           "        ports:\n" +
           std::string(ports);
}

// --- kinds ----------------------------------------------------------------------------------

TEST(ManifestDecoder, NamespaceGetsItsNameLabel) {
    Decoded d = decode(R"(apiVersion: v1
kind: Namespace
metadata:
  name: shop
  namespace: ignored
  labels:
    team: payments
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    ASSERT_EQ(d.objects.namespaces.size(), 1u);
    const core::Namespace& ns = d.objects.namespaces[0];
    EXPECT_EQ(ns.name, "shop");
    EXPECT_TRUE(ns.declared);
    EXPECT_EQ(ns.origin, "t.yaml:1");
    EXPECT_EQ(ns.labels,
              (core::Labels{{"team", "payments"}, {"kubernetes.io/metadata.name", "shop"}}));
}

TEST(ManifestDecoder, DeploymentSelectorTemplateAndPorts) {
    Decoded d = decode(R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
    matchExpressions:
    - {key: tier, operator: NotIn, values: [db]}
    - {key: canary, operator: DoesNotExist}
  template:
    metadata:
      labels: {app: web, tier: front}
    spec:
      initContainers:
      - name: proxy
        ports:
        - {containerPort: 15001, name: proxy-admin}
      containers:
      - name: main
        ports:
        - containerPort: 8080
          name: http
        - containerPort: 53
          protocol: UDP
      - name: sidecar
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    ASSERT_EQ(d.objects.workloads.size(), 1u);
    const core::Workload& w = d.objects.workloads[0];
    EXPECT_EQ(w.kind, core::WorkloadKind::kDeployment);
    EXPECT_EQ(w.ns, "default");
    EXPECT_EQ(w.name, "web");
    EXPECT_EQ(w.origin, "t.yaml:1");
    ASSERT_TRUE(w.selector.has_value());
    EXPECT_EQ(w.selector->match_labels, (core::Labels{{"app", "web"}}));
    ASSERT_EQ(w.selector->match_expressions.size(), 2u);
    EXPECT_EQ(w.selector->match_expressions[0],
              (core::SelectorRequirement{"tier", SelectorOperator::kNotIn, {"db"}}));
    EXPECT_EQ(w.selector->match_expressions[1],
              (core::SelectorRequirement{"canary", SelectorOperator::kDoesNotExist, {}}));
    EXPECT_EQ(w.pod_labels, (core::Labels{{"app", "web"}, {"tier", "front"}}));
    EXPECT_EQ(w.ports,
              (std::vector<core::ContainerPort>{{"http", 8080, Protocol::kTcp},
                                                {"", 53, Protocol::kUdp},
                                                {"proxy-admin", 15001, Protocol::kTcp}}));
    EXPECT_TRUE(w.owners.empty());
    EXPECT_EQ(d.stats.objects, 1u);
}

TEST(ManifestDecoder, EveryWorkloadKind) {
    const std::vector<std::pair<std::string, core::WorkloadKind>> kinds = {
        {"apps/v1 StatefulSet", core::WorkloadKind::kStatefulSet},
        {"apps/v1 DaemonSet", core::WorkloadKind::kDaemonSet},
        {"extensions/v1beta1 DaemonSet", core::WorkloadKind::kDaemonSet},
        {"apps/v1 ReplicaSet", core::WorkloadKind::kReplicaSet},
        {"extensions/v1beta1 Deployment", core::WorkloadKind::kDeployment},
        {"batch/v1 Job", core::WorkloadKind::kJob},
    };
    for (const auto& [api_kind, kind] : kinds) {
        const std::string api = api_kind.substr(0, api_kind.find(' '));
        const std::string k = api_kind.substr(api_kind.find(' ') + 1);
        Decoded d = decode("apiVersion: " + api + "\nkind: " + k + R"(
metadata:
  name: w
  namespace: ns1
spec:
  selector: {matchLabels: {app: w}}
  template:
    metadata: {labels: {app: w}}
    spec:
      containers:
      - ports: [{containerPort: 9000, name: metrics}]
)");
        ASSERT_TRUE(d.status.ok()) << api_kind << ": " << d.status.error();
        ASSERT_EQ(d.objects.workloads.size(), 1u) << api_kind;
        const core::Workload& w = d.objects.workloads[0];
        EXPECT_EQ(w.kind, kind) << api_kind;
        EXPECT_EQ(w.ns, "ns1");
        EXPECT_EQ(w.selector, core::selectorFromLabels({{"app", "w"}})) << api_kind;
        EXPECT_EQ(w.pod_labels, (core::Labels{{"app", "w"}})) << api_kind;
        EXPECT_EQ(w.ports, (std::vector<core::ContainerPort>{{"metrics", 9000, Protocol::kTcp}}));
    }
}

TEST(ManifestDecoder, OwnerReferencesOfWorkloadsAndPods) {
    Decoded d = decode(R"(apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-7d9c
  namespace: shop
  ownerReferences:
  - {apiVersion: apps/v1, kind: Deployment, name: web, uid: 1, controller: true}
spec:
  selector: {matchLabels: {app: web, pod-template-hash: 7d9c}}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-7d9c-abcde
  namespace: shop
  labels: {app: web, pod-template-hash: 7d9c}
  ownerReferences:
  - {kind: ReplicaSet, name: web-7d9c, controller: true}
  - {kind: ConfigMap, name: extra}
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    ASSERT_EQ(d.objects.workloads.size(), 1u);
    EXPECT_EQ(d.objects.workloads[0].owners,
              (std::vector<core::OwnerRef>{{"Deployment", "web", true}}));
    ASSERT_EQ(d.objects.pods.size(), 1u);
    EXPECT_EQ(d.objects.pods[0].owners,
              (std::vector<core::OwnerRef>{{"ReplicaSet", "web-7d9c", true},
                                           {"ConfigMap", "extra", false}}));
    EXPECT_EQ(d.objects.pods[0].origin, "t.yaml:11");
}

TEST(ManifestDecoder, CronJobUsesItsJobTemplate) {
    Decoded d = decode(R"(apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: ops}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      selector: {matchLabels: {job: nightly}}
      template:
        metadata: {labels: {job: nightly}}
        spec:
          containers: [{name: c, ports: [{containerPort: 8443, name: https}]}]
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    ASSERT_EQ(d.objects.workloads.size(), 1u);
    const core::Workload& w = d.objects.workloads[0];
    EXPECT_EQ(w.kind, core::WorkloadKind::kCronJob);
    EXPECT_EQ(w.selector, core::selectorFromLabels({{"job", "nightly"}}));
    EXPECT_EQ(w.pod_labels, (core::Labels{{"job", "nightly"}}));
    EXPECT_EQ(w.ports, (std::vector<core::ContainerPort>{{"https", 8443, Protocol::kTcp}}));
}

TEST(ManifestDecoder, ReplicationControllerAndDeploymentConfigHavePlainSelectors) {
    Decoded d = decode(R"(apiVersion: v1
kind: ReplicationController
metadata: {name: legacy}
spec:
  selector: {app: legacy}
  template:
    metadata: {labels: {app: legacy}}
---
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: dc, namespace: os}
spec:
  selector: {deploymentconfig: dc}
  template:
    metadata: {labels: {deploymentconfig: dc}}
    spec: {containers: [{name: c, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: defaulted}
spec:
  template:
    metadata: {labels: {app: defaulted}}
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    ASSERT_EQ(d.objects.workloads.size(), 3u);
    EXPECT_EQ(d.objects.workloads[0].kind, core::WorkloadKind::kReplicationController);
    EXPECT_EQ(d.objects.workloads[0].selector, core::selectorFromLabels({{"app", "legacy"}}));
    EXPECT_EQ(d.objects.workloads[1].kind, core::WorkloadKind::kDeploymentConfig);
    EXPECT_EQ(d.objects.workloads[1].ns, "os");
    EXPECT_EQ(d.objects.workloads[1].selector,
              core::selectorFromLabels({{"deploymentconfig", "dc"}}));
    EXPECT_EQ(d.objects.workloads[1].ports.size(), 1u);
    // No selector: the policy falls back to the pod labels (Workload::policySelector).
    EXPECT_FALSE(d.objects.workloads[2].selector.has_value());
    EXPECT_EQ(d.objects.workloads[2].policySelector(),
              core::selectorFromLabels({{"app", "defaulted"}}));
}

TEST(ManifestDecoder, PodLabelsPortsAndIps) {
    Decoded d = decode(R"(apiVersion: v1
kind: Pod
metadata:
  name: client
  namespace: shop
  labels: {app: client, version: "2"}
spec:
  containers:
  - name: c
    ports:
    - {containerPort: 7070, name: grpc}
    - {containerPort: 5353, protocol: SCTP}
status:
  podIP: 10.244.1.7
  podIPs:
  - ip: 10.244.1.7
  - ip: fd00::7
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    ASSERT_EQ(d.objects.pods.size(), 1u);
    const core::Pod& p = d.objects.pods[0];
    EXPECT_EQ(p.labels, (core::Labels{{"app", "client"}, {"version", "2"}}));
    EXPECT_EQ(p.ports,
              (std::vector<core::ContainerPort>{{"grpc", 7070, Protocol::kTcp},
                                                {"", 5353, Protocol::kSctp}}));
    ASSERT_EQ(p.ips.size(), 2u);
    EXPECT_EQ(p.ips[0].toString(), "10.244.1.7");
    EXPECT_FALSE(p.ips[1].isV4());
}

TEST(ManifestDecoder, ServicePortsTargetPortsAndClusterIps) {
    Decoded d = decode(R"(apiVersion: v1
kind: Service
metadata: {name: frontend, namespace: shop}
spec:
  type: NodePort
  selector: {app: frontend}
  clusterIP: 10.96.0.10
  clusterIPs: [10.96.0.10, "fd00::10"]
  ports:
  - {name: http, port: 80, targetPort: http, nodePort: 30080}
  - {name: metrics, port: 9090, targetPort: 9091, protocol: TCP}
  - {name: dns, port: 53, protocol: UDP}
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec:
  clusterIP: None
  ports: [{port: 5432, targetPort: 0}]
---
apiVersion: v1
kind: Service
metadata: {name: external}
spec: {type: ExternalName, externalName: db.example.com}
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    ASSERT_EQ(d.objects.services.size(), 3u);
    const core::Service& s = d.objects.services[0];
    EXPECT_EQ(s.type, "NodePort");
    EXPECT_TRUE(s.isExternallyExposed());
    EXPECT_EQ(s.selector, (core::Labels{{"app", "frontend"}}));
    ASSERT_EQ(s.ports.size(), 3u);
    EXPECT_EQ(s.ports[0].name, "http");
    EXPECT_EQ(s.ports[0].port, 80u);
    EXPECT_EQ(s.ports[0].target_port, (core::PortValue{0, "http"}));
    EXPECT_EQ(s.ports[0].node_port, 30080u);
    EXPECT_EQ(s.ports[1].target_port, (core::PortValue{9091, ""}));
    EXPECT_EQ(s.ports[2].protocol, Protocol::kUdp);
    EXPECT_EQ(s.ports[2].target_port, (core::PortValue{}));  // same as port
    ASSERT_EQ(s.cluster_ips.size(), 2u);
    EXPECT_EQ(s.cluster_ips[0].toString(), "10.96.0.10");

    const core::Service& headless = d.objects.services[1];
    EXPECT_EQ(headless.type, "ClusterIP");
    EXPECT_EQ(headless.ns, "default");
    EXPECT_FALSE(headless.selector.has_value());
    EXPECT_TRUE(headless.cluster_ips.empty());
    EXPECT_EQ(headless.ports[0].target_port, (core::PortValue{}));
    EXPECT_EQ(d.objects.services[2].type, "ExternalName");
}

TEST(ManifestDecoder, OpenShiftRoute) {
    Decoded d = decode(R"(apiVersion: route.openshift.io/v1
kind: Route
metadata: {name: shop, namespace: web}
spec:
  host: shop.example.com
  to: {kind: Service, name: frontend, weight: 90}
  alternateBackends:
  - {kind: Service, name: frontend-canary, weight: 10}
  port: {targetPort: http}
---
apiVersion: route.openshift.io/v1
kind: Route
metadata: {name: api, namespace: web}
spec:
  to: {name: api}
  port: {targetPort: 8443}
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    ASSERT_EQ(d.objects.routes.size(), 2u);
    EXPECT_EQ(d.objects.routes[0].services,
              (std::vector<std::string>{"frontend", "frontend-canary"}));
    EXPECT_EQ(d.objects.routes[0].target_port, (core::PortValue{0, "http"}));
    EXPECT_EQ(d.objects.routes[1].services, (std::vector<std::string>{"api"}));
    EXPECT_EQ(d.objects.routes[1].target_port, (core::PortValue{8443, ""}));
}

TEST(ManifestDecoder, NetworkPolicyInFull) {
    Decoded d = decode(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: api-allow
  namespace: shop
  labels: {owner: sec}
  annotations: {note: "reviewed"}
spec:
  podSelector:
    matchLabels: {app: api}
  policyTypes: [Ingress, Egress]
  ingress:
  - from:
    - namespaceSelector:
        matchExpressions:
        - {key: team, operator: In, values: [a, b]}
      podSelector: {}
    - ipBlock:
        cidr: 10.0.0.0/8
        except: [10.1.0.0/16, 10.2.3.0/24]
    ports:
    - {protocol: TCP, port: 8000, endPort: 8100}
    - {port: http}
    - {protocol: UDP}
  - {}
  egress:
  - to: [{podSelector: {matchLabels: {app: db}}}]
    ports: [{port: 5432, protocol: SCTP}]
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    ASSERT_EQ(d.objects.policies.size(), 1u);
    EXPECT_EQ(d.objects.policies[0].origin, "t.yaml:1");
    const core::NetworkPolicy& np = d.objects.policies[0].policy;
    EXPECT_EQ(np.ns, "shop");
    EXPECT_EQ(np.name, "api-allow");
    EXPECT_EQ(np.labels, (core::Labels{{"owner", "sec"}}));
    EXPECT_EQ(np.annotations, (core::Labels{{"note", "reviewed"}}));
    EXPECT_EQ(np.pod_selector, core::selectorFromLabels({{"app", "api"}}));
    EXPECT_EQ(
        np.policy_types,
        (std::vector<core::PolicyType>{core::PolicyType::kIngress, core::PolicyType::kEgress}));
    EXPECT_TRUE(np.has_egress_key);
    ASSERT_EQ(np.ingress.size(), 2u);
    const core::PolicyRule& rule = np.ingress[0];
    ASSERT_EQ(rule.peers.size(), 2u);
    ASSERT_TRUE(rule.peers[0].namespace_selector.has_value());
    EXPECT_EQ(
        rule.peers[0].namespace_selector->match_expressions,
        (std::vector<core::SelectorRequirement>{{"team", SelectorOperator::kIn, {"a", "b"}}}));
    ASSERT_TRUE(rule.peers[0].pod_selector.has_value());
    EXPECT_TRUE(rule.peers[0].pod_selector->empty());
    EXPECT_FALSE(rule.peers[0].ip_block.has_value());
    EXPECT_EQ(rule.peers[1].ip_block,
              (core::IpBlock{"10.0.0.0/8", {"10.1.0.0/16", "10.2.3.0/24"}}));
    EXPECT_FALSE(rule.peers[1].pod_selector.has_value());
    ASSERT_EQ(rule.ports.size(), 3u);
    EXPECT_EQ(rule.ports[0],
              (core::PolicyPort{Protocol::kTcp, true, core::PortValue{8000, ""}, 8100}));
    EXPECT_EQ(rule.ports[1],
              (core::PolicyPort{Protocol::kTcp, false, core::PortValue{0, "http"}, std::nullopt}));
    EXPECT_EQ(rule.ports[2], (core::PolicyPort{Protocol::kUdp, true, std::nullopt, std::nullopt}));
    EXPECT_EQ(np.ingress[1], core::PolicyRule{});
    ASSERT_EQ(np.egress.size(), 1u);
    EXPECT_EQ(np.egress[0].ports[0].protocol, Protocol::kSctp);
    EXPECT_TRUE(np.affectsIngress());
    EXPECT_TRUE(np.affectsEgress());
}

TEST(ManifestDecoder, PolicyTypesAbsentPresentAndEgressKey) {
    Decoded d = decode(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: no-types}
spec:
  podSelector:
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: empty-egress}
spec:
  podSelector: {matchLabels: null}
  egress: []
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-rules}
spec:
  podSelector: {}
  egress: [{}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-only}
spec:
  policyTypes: [Egress]
  ingress: [{}]
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    ASSERT_EQ(d.objects.policies.size(), 4u);
    const core::NetworkPolicy& no_types = d.objects.policies[0].policy;
    EXPECT_EQ(no_types.ns, "default");
    EXPECT_TRUE(no_types.policy_types.empty());
    EXPECT_TRUE(no_types.pod_selector.empty());
    EXPECT_FALSE(no_types.has_egress_key);
    EXPECT_TRUE(no_types.affectsIngress());
    EXPECT_FALSE(no_types.affectsEgress());

    const core::NetworkPolicy& empty_egress = d.objects.policies[1].policy;
    EXPECT_TRUE(empty_egress.has_egress_key);
    EXPECT_TRUE(empty_egress.egress.empty());
    EXPECT_FALSE(empty_egress.affectsEgress());

    const core::NetworkPolicy& egress_rules = d.objects.policies[2].policy;
    EXPECT_TRUE(egress_rules.has_egress_key);
    EXPECT_TRUE(egress_rules.affectsEgress());
    EXPECT_TRUE(egress_rules.affectsIngress());

    const core::NetworkPolicy& egress_only = d.objects.policies[3].policy;
    EXPECT_EQ(egress_only.policy_types, (std::vector<core::PolicyType>{core::PolicyType::kEgress}));
    EXPECT_FALSE(egress_only.affectsIngress());
    EXPECT_EQ(egress_only.ingress.size(), 1u);
}

// --- lists and documents --------------------------------------------------------------------

TEST(ManifestDecoder, KubectlJsonList) {
    Decoded d = decode(R"({
  "apiVersion": "v1",
  "kind": "List",
  "items": [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
    {"apiVersion": "apps/v1", "kind": "Deployment",
     "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
     "spec": {"selector": {"matchLabels": {"app": "web"}},
              "template": {"metadata": {"labels": {"app": "web"}},
                           "spec": {"containers": [{"name": "w", "ports": [{"containerPort": 80}]}]}}}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}},
    {"apiVersion": "v1", "kind": "List", "items": [
      {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
       "metadata": {"name": "deny", "namespace": "shop"}, "spec": {"podSelector": {}}}
    ]}
  ],
  "metadata": {"resourceVersion": ""}
})");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    EXPECT_EQ(d.stats.documents, 1u);
    EXPECT_EQ(d.stats.objects, 3u);
    ASSERT_EQ(d.objects.namespaces.size(), 1u);
    ASSERT_EQ(d.objects.workloads.size(), 1u);
    EXPECT_EQ(d.objects.workloads[0].origin, "t.yaml:6");
    EXPECT_EQ(d.objects.workloads[0].ports.size(), 1u);
    ASSERT_EQ(d.objects.policies.size(), 1u);
    EXPECT_EQ(d.objects.policies[0].origin, "t.yaml:13");
    EXPECT_EQ(d.stats.skipped_kinds, (std::map<std::string, size_t>{{"ConfigMap", 1}}));
}

TEST(ManifestDecoder, TypedListItemsTakeTheListKind) {
    // What the API server returns (and netpol-analyzer's test data keeps): items without kind.
    Decoded d = decode(R"({
  "apiVersion": "v1",
  "kind": "PodList",
  "items": [
    {"metadata": {"name": "a", "namespace": "x", "labels": {"app": "a"}},
     "status": {"podIP": "10.0.0.1"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"}}
  ]
}
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    ASSERT_EQ(d.objects.pods.size(), 2u);
    EXPECT_EQ(d.objects.pods[0].name, "a");
    EXPECT_EQ(d.objects.pods[0].ns, "x");
    EXPECT_EQ(d.objects.pods[0].ips.size(), 1u);
    EXPECT_EQ(d.objects.pods[1].ns, "default");

    Decoded yaml = decode(R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicyList
items:
- metadata: {name: one}
  spec: {podSelector: {}}
- metadata: {name: two}
---
apiVersion: v1
kind: NamespaceList
items: null
)");
    ASSERT_TRUE(yaml.status.ok()) << yaml.status.error();
    EXPECT_EQ(yaml.objects.policies.size(), 2u);
    EXPECT_EQ(yaml.stats.documents, 2u);
}

TEST(ManifestDecoder, PlainListItemWithoutKindIsAnError) {
    EXPECT_EQ(
        errorOf(R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: ok}
- apiVersion: v1
  metadata: {name: lost}
)"),
        "t.yaml:7: object lost: kind: Required value: every object needs apiVersion and kind");
    EXPECT_EQ(errorOf("apiVersion: v1\nkind: List\nitems: {a: 1}\n"),
              "t.yaml:3: List <no name>: items: Invalid type: expected list, got map");
}

TEST(ManifestDecoder, MultiDocumentYamlKeepsOrderAndLines) {
    Decoded d = decode(R"(# cluster dump
---
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
...
---
apiVersion: v1
kind: Namespace
metadata: {name: c}
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    ASSERT_EQ(d.objects.namespaces.size(), 3u);
    EXPECT_EQ(d.objects.namespaces[0].origin, "t.yaml:3");
    EXPECT_EQ(d.objects.namespaces[1].origin, "t.yaml:8");
    EXPECT_EQ(d.objects.namespaces[2].name, "c");
    EXPECT_EQ(d.stats.documents, 3u);
    EXPECT_EQ(d.stats.files, 1u);
}

TEST(ManifestDecoder, EmptyFilesWarnWithoutObjects) {
    for (std::string_view text : {"", "# only a comment\n", "---\n---\n"}) {
        Decoded d = decode(text);
        ASSERT_TRUE(d.status.ok()) << d.status.error();
        EXPECT_EQ(d.stats.objects, 0u);
        EXPECT_EQ(d.stats.documents, 0u);
        EXPECT_EQ(d.stats.warnings,
                  (std::vector<std::string>{"t.yaml: no Kubernetes objects (empty file)"}));
    }
}

// --- kinds skipped, unknown kinds -----------------------------------------------------------

TEST(ManifestDecoder, BuiltinKindsAreSkippedAndCounted) {
    Decoded d = decode(R"(apiVersion: v1
kind: ConfigMap
metadata: {name: a}
data: {enabled: "true"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: b}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: c}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: d}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
---
apiVersion: v1
kind: Secret
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    EXPECT_EQ(d.stats.objects, 0u);
    EXPECT_EQ(d.stats.skipped_kinds,
              (std::map<std::string, size_t>{{"ClusterRoleBinding", 1},
                                             {"ConfigMap", 2},
                                             {"EndpointSlice", 1},
                                             {"Ingress", 1},
                                             {"Secret", 1}}));
    EXPECT_TRUE(d.stats.warnings.empty());
}

TEST(ManifestDecoder, CustomResourcesAreSkippedWithOneWarningPerKind) {
    Decoded d = decode(R"(apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: a}
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: b}
---
apiVersion: crd.projectcalico.org/v1
kind: NetworkPolicy
metadata: {name: calico}
spec: {selector: all()}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
)");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    EXPECT_TRUE(d.objects.policies.empty());  // a Calico NetworkPolicy is not a Kubernetes one
    EXPECT_EQ(d.stats.skipped_kinds,
              (std::map<std::string, size_t>{{"CiliumNetworkPolicy.cilium.io", 2},
                                             {"NetworkPolicy.crd.projectcalico.org", 1},
                                             {"VirtualService.networking.istio.io", 1}}));
    ASSERT_EQ(d.stats.warnings.size(), 3u);
    EXPECT_EQ(d.stats.warnings[0],
              "t.yaml:1: skipped CiliumNetworkPolicy (cilium.io/v2): not a built-in Kubernetes "
              "kind; objects of this kind are ignored");
}

TEST(ManifestDecoder, UnknownKindInBuiltinGroupIsAnError) {
    EXPECT_EQ(
        errorOf("apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: web, namespace: shop}\n"),
        "t.yaml:2: Deploymnet shop/web: unknown kind \"Deploymnet\" in apiVersion apps/v1");
    // A decoded kind in a group that does not serve it.
    EXPECT_EQ(errorOf("apiVersion: apps/v1\nkind: Pod\nmetadata: {name: p}\n"),
              "t.yaml:2: Pod default/p: unknown kind \"Pod\" in apiVersion apps/v1");
}

// --- object-level validation ----------------------------------------------------------------

TEST(ManifestDecoder, MissingTypeAndMetadata) {
    EXPECT_EQ(errorOf("kind: Pod\nmetadata: {name: p}\n"),
              "t.yaml:1: Pod default/p: apiVersion: Required value: every object needs apiVersion "
              "and kind");
    EXPECT_EQ(
        errorOf("apiVersion: v1\nmetadata: {name: p, namespace: ns}\n"),
        "t.yaml:1: object ns/p: kind: Required value: every object needs apiVersion and kind");
    EXPECT_EQ(errorOf("apiVersion: v1\nkind: Service\nspec: {}\n"),
              "t.yaml:1: Service default/<no name>: metadata: Required value");
    EXPECT_EQ(errorOf("apiVersion: v1\nkind: Service\nmetadata:\n  namespace: shop\n"),
              "t.yaml:4: Service shop/<no name>: metadata.name: Required value: name or "
              "generateName is required");
    EXPECT_EQ(errorOf("apiVersion: a/b/c\nkind: Pod\nmetadata: {name: p}\n"),
              "t.yaml:1: Pod default/p: apiVersion: Invalid value: \"a/b/c\": must be VERSION or "
              "GROUP/VERSION");
}

TEST(ManifestDecoder, DocumentsMustBeObjects) {
    EXPECT_EQ(
        errorOf("- a\n- b\n"),
        "t.yaml:1: expected a Kubernetes object (a map with apiVersion and kind), got a list");
    EXPECT_EQ(
        errorOf("---\nhello\n"),
        "t.yaml:2: expected a Kubernetes object (a map with apiVersion and kind), got a scalar "
        "\"hello\"");
    EXPECT_EQ(errorOf("metadata: {name: x}\n"),
              "t.yaml:1: object x: kind: Required value: every object needs apiVersion and kind");
}

TEST(ManifestDecoder, ParseErrorsNameFileLineAndColumn) {
    const std::string error = errorOf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n");
    EXPECT_EQ(error.rfind("t.yaml:", 0), 0u) << error;
    EXPECT_NE(error.find(":5:"), std::string::npos) << error;
    EXPECT_EQ(errorOf("a: 1\na: 2\n").rfind("t.yaml:2:1: ", 0), 0u);
}

TEST(ManifestDecoder, LabelValuesMustBeStrings) {
    EXPECT_EQ(
        errorOf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    enabled: true\n"),
        "t.yaml:6: Pod default/p: metadata.labels[enabled]: Invalid type: expected string, got "
        "bool true (quote it to make it a string: \"true\")");
    EXPECT_EQ(errorOf("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {port: 80}\n"),
              "t.yaml:5: Pod default/p: metadata.labels[port]: Invalid type: expected string, got "
              "integer 80 (quote it to make it a string: \"80\")");
    EXPECT_EQ(errorOf(deploymentWithPorts("        - containerPort: 80\n") +
                      "---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
                      "spec: {selector: {version: 1.5}}\n"),
              "t.yaml:17: Service default/s: spec.selector[version]: Invalid type: expected "
              "string, got number 1.5 (quote it to make it a string: \"1.5\")");
    // Quoted, they are strings.
    Decoded d = decode(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {a: 'true', b: \"80\"}\n");
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    EXPECT_EQ(d.objects.pods[0].labels, (core::Labels{{"a", "true"}, {"b", "80"}}));
}

TEST(ManifestDecoder, ContainerPortValidation) {
    EXPECT_EQ(errorOf(deploymentWithPorts("        - containerPort: \"8080\"\n")),
              "t.yaml:12: Deployment shop/web: spec.template.spec.containers[0].ports[0]."
              "containerPort: Invalid type: expected integer, got string \"8080\"");
    EXPECT_EQ(errorOf(deploymentWithPorts("        - containerPort: 70000\n")),
              "t.yaml:12: Deployment shop/web: spec.template.spec.containers[0].ports[0]."
              "containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive");
    EXPECT_EQ(errorOf(deploymentWithPorts("        - {name: http, containerPort: 0}\n")),
              "t.yaml:12: Deployment shop/web: spec.template.spec.containers[0].ports[0]."
              "containerPort: Required value");
    EXPECT_EQ(errorOf(deploymentWithPorts("        - {name: http}\n")),
              "t.yaml:12: Deployment shop/web: spec.template.spec.containers[0].ports[0]."
              "containerPort: Required value");
    EXPECT_EQ(errorOf(deploymentWithPorts("        - {containerPort: 80, protocol: ICMP}\n")),
              "t.yaml:12: Deployment shop/web: spec.template.spec.containers[0].ports[0].protocol: "
              "Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"");
    EXPECT_EQ(errorOf(deploymentWithPorts("        - {containerPort: 80, protocol: tcp}\n")),
              "t.yaml:12: Deployment shop/web: spec.template.spec.containers[0].ports[0].protocol: "
              "Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"");
    EXPECT_EQ(errorOf(deploymentWithPorts("        - {containerPort: 80, name: Http}\n")),
              "t.yaml:12: Deployment shop/web: spec.template.spec.containers[0].ports[0].name: "
              "Invalid value: \"Http\": must contain only alpha-numeric characters (a-z, 0-9), and "
              "hyphens (-)");
    EXPECT_EQ(errorOf(deploymentWithPorts("        - {containerPort: 80, name: http}\n"
                                          "        - {containerPort: 81, name: http}\n")),
              "t.yaml:13: Deployment shop/web: spec.template.spec.containers[0].ports[1].name: "
              "Duplicate value: \"http\"");
}

TEST(ManifestDecoder, ServicePortValidation) {
    const std::string head =
        "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: ns1}\nspec:\n  ports:\n";
    EXPECT_EQ(
        errorOf(head + "  - {port: 0}\n"),
        "t.yaml:6: Service ns1/s: spec.ports[0].port: Invalid value: 0: must be between 1 and "
        "65535, inclusive");
    EXPECT_EQ(errorOf(head + "  - {targetPort: 80}\n"),
              "t.yaml:6: Service ns1/s: spec.ports[0].port: Required value");
    EXPECT_EQ(
        errorOf(head + "  - {port: 80, nodePort: 70000}\n"),
        "t.yaml:6: Service ns1/s: spec.ports[0].nodePort: Invalid value: 70000: must be between "
        "1 and 65535, inclusive");
    EXPECT_EQ(errorOf(head + "  - {port: 80, targetPort: 65536}\n"),
              "t.yaml:6: Service ns1/s: spec.ports[0].targetPort: Invalid value: 65536: must be "
              "between 1 and 65535, inclusive");
    EXPECT_EQ(errorOf(head + "  - {port: 80, targetPort: \"8080\"}\n"),
              "t.yaml:6: Service ns1/s: spec.ports[0].targetPort: Invalid value: \"8080\": must "
              "contain at least one letter (a-z)");
    EXPECT_EQ(errorOf(head + "  - {port: 80, protocol: HTTP}\n"),
              "t.yaml:6: Service ns1/s: spec.ports[0].protocol: Unsupported value: \"HTTP\": "
              "supported values: \"SCTP\", \"TCP\", \"UDP\"");
    EXPECT_EQ(errorOf("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: Public}\n"),
              "t.yaml:4: Service default/s: spec.type: Unsupported value: \"Public\": supported "
              "values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"");
    EXPECT_EQ(
        errorOf(
            "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {clusterIP: 10.0.0.300}\n"),
        "t.yaml:4: Service default/s: spec.clusterIP: Invalid value: \"10.0.0.300\": must be "
        "a valid IP address");
}

TEST(ManifestDecoder, LabelSelectorValidation) {
    const std::string head =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n"
        "  selector:\n    matchExpressions:\n    - {key: a, operator: Exists}\n";
    EXPECT_EQ(errorOf(head + "    - {key: tier, operator: Equals, values: [x]}\n"),
              "t.yaml:8: Deployment shop/web: spec.selector.matchExpressions[1].operator: Invalid "
              "value: \"Equals\": not a valid selector operator");
    EXPECT_EQ(errorOf(head + "    - {key: tier, operator: In}\n"),
              "t.yaml:8: Deployment shop/web: spec.selector.matchExpressions[1].values: Required "
              "value: must be specified when `operator` is 'In' or 'NotIn'");
    EXPECT_EQ(errorOf(head + "    - {key: tier, operator: NotIn, values: []}\n"),
              "t.yaml:8: Deployment shop/web: spec.selector.matchExpressions[1].values: Required "
              "value: must be specified when `operator` is 'In' or 'NotIn'");
    EXPECT_EQ(errorOf(head + "    - {key: tier, operator: DoesNotExist, values: [x]}\n"),
              "t.yaml:8: Deployment shop/web: spec.selector.matchExpressions[1].values: Forbidden: "
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    EXPECT_EQ(errorOf(head + "    - {key: tier, operator: In, values: [1]}\n"),
              "t.yaml:8: Deployment shop/web: spec.selector.matchExpressions[1].values[0]: Invalid "
              "type: expected string, got integer 1 (quote it to make it a string: \"1\")");
    EXPECT_EQ(
        errorOf(policyWith("  ingress:\n  - from:\n    - podSelector:\n        matchExpressions:\n"
                           "        - {key: app, operator: Exists, values: [x]}\n")),
        "t.yaml:10: NetworkPolicy shop/np: spec.ingress[0].from[0].podSelector."
        "matchExpressions[0].values: Forbidden: may not be specified when `operator` is "
        "'Exists' or 'DoesNotExist'");
}

TEST(ManifestDecoder, WorkloadSelectorMustSelectItsTemplate) {
    // An empty selector would become `podSelector: {}`: every pod of the namespace.
    EXPECT_EQ(errorOf("apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: "
                      "kube-system}\nspec:\n  selector: {}\n"),
              "t.yaml:5: DaemonSet kube-system/agent: spec.selector: Invalid value: {}: empty "
              "selector is invalid for daemonset");
    EXPECT_EQ(errorOf(R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: api, tier: front}
)"),
              "t.yaml:8: Deployment shop/web: spec.template.metadata.labels: Invalid value: "
              "{\"app\": \"api\", \"tier\": \"front\"}: `selector` does not match template "
              "`labels`");
    EXPECT_EQ(errorOf(R"(apiVersion: v1
kind: ReplicationController
metadata: {name: rc}
spec:
  selector: {app: rc}
  template: {metadata: {}}
)"),
              "t.yaml:6: ReplicationController default/rc: spec.template.metadata.labels: Invalid "
              "value: {}: `selector` does not match template `labels`");
    EXPECT_EQ(errorOf(R"(apiVersion: batch/v1
kind: CronJob
metadata: {name: cj}
spec:
  jobTemplate:
    spec:
      selector: {matchExpressions: [{key: job, operator: Exists}]}
      template: {metadata: {labels: {app: cj}}}
)"),
              "t.yaml:8: CronJob default/cj: spec.jobTemplate.spec.template.metadata.labels: "
              "Invalid value: {\"app\": \"cj\"}: `selector` does not match template `labels`");
}

// --- NetworkPolicy validation (docs/networkpolicy-semantics.md §1 item 5) --------------------

TEST(ManifestDecoder, PolicyPeersMustBeSpecified) {
    EXPECT_EQ(errorOf(policyWith("  ingress:\n  - from:\n    - {}\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].from[0]: Required value: must "
              "specify a peer");
    EXPECT_EQ(errorOf(policyWith("  egress:\n  - to:\n    - podSelector: null\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.egress[0].to[0]: Required value: must specify "
              "a peer");
    EXPECT_EQ(
        errorOf(policyWith("  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.0/8}\n"
                           "      namespaceSelector: {}\n")),
        "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].from[0]: Forbidden: may not specify "
        "both ipBlock and another peer");
    // An empty peer list and an empty rule are valid (they allow everything).
    Decoded d = decode(policyWith("  ingress:\n  - from: []\n  - {}\n"));
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    EXPECT_EQ(d.objects.policies[0].policy.ingress.size(), 2u);
}

TEST(ManifestDecoder, PolicyIpBlockValidation) {
    const std::string head = "  ingress:\n  - from:\n    - ipBlock:\n";
    EXPECT_EQ(
        errorOf(policyWith(head + "        cidr: 10.0.0.0/33\n")),
        "t.yaml:9: NetworkPolicy shop/np: spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "
        "\"10.0.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
    EXPECT_EQ(
        errorOf(policyWith(head + "        except: [10.0.0.0/16]\n")),
        "t.yaml:9: NetworkPolicy shop/np: spec.ingress[0].from[0].ipBlock.cidr: Required value");
    EXPECT_EQ(
        errorOf(policyWith(head + "        cidr: 10.0.0.0/8\n        except: [11.0.0.0/16]\n")),
        "t.yaml:10: NetworkPolicy shop/np: spec.ingress[0].from[0].ipBlock.except[0]: Invalid "
        "value: \"11.0.0.0/16\": must be a strict subset of `cidr`");
    EXPECT_EQ(
        errorOf(policyWith(head + "        cidr: 10.0.0.0/8\n        except:\n"
                                  "        - 10.1.0.0/16\n        - 10.0.0.0/8\n")),
        "t.yaml:12: NetworkPolicy shop/np: spec.ingress[0].from[0].ipBlock.except[1]: Invalid "
        "value: \"10.0.0.0/8\": must be a strict subset of `cidr`");
    EXPECT_EQ(
        errorOf(policyWith(head + "        cidr: 10.0.0.0/8\n        except: [\"10.1.0.0/ab\"]\n")),
        "t.yaml:10: NetworkPolicy shop/np: spec.ingress[0].from[0].ipBlock.except[0]: Invalid "
        "value: \"10.1.0.0/ab\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
        "2001:db8::/64)");
    EXPECT_EQ(
        errorOf(policyWith(head + "        cidr: 10.0.0.0/8\n        except: [\"::/64\"]\n")),
        "t.yaml:10: NetworkPolicy shop/np: spec.ingress[0].from[0].ipBlock.except[0]: Invalid "
        "value: \"::/64\": must be a strict subset of `cidr`");
    // Host bits are ignored, as the API server's legacy validation does.
    Decoded d = decode(policyWith(head + "        cidr: 192.168.242.213/24\n"));
    ASSERT_TRUE(d.status.ok()) << d.status.error();
}

TEST(ManifestDecoder, PolicyPortValidation) {
    const std::string head = "  ingress:\n  - ports:\n";
    EXPECT_EQ(
        errorOf(policyWith(head + "    - port: 70000\n")),
        "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].port: Invalid value: 70000: "
        "must be between 1 and 65535, inclusive");
    EXPECT_EQ(errorOf(policyWith(head + "    - port: 0\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].port: Invalid value: 0: "
              "must be between 1 and 65535, inclusive");
    EXPECT_EQ(errorOf(policyWith(head + "    - {protocol: ICMP, port: 80}\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].protocol: Unsupported "
              "value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\"");
    EXPECT_EQ(
        errorOf(policyWith(head + "    - {endPort: 90}\n")),
        "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].endPort: Invalid value: 90: "
        "may not be specified when `port` is not specified");
    EXPECT_EQ(
        errorOf(policyWith(head + "    - {port: http, endPort: 90}\n")),
        "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].endPort: Invalid value: 90: "
        "may not be specified when `port` is non-numeric");
    EXPECT_EQ(
        errorOf(policyWith(head + "    - {port: 100, endPort: 90}\n")),
        "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].endPort: Invalid value: 90: "
        "must be greater than or equal to `port`");
    EXPECT_EQ(errorOf(policyWith(head + "    - {port: 100, endPort: 65536}\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].endPort: Invalid value: "
              "65536: must be between 1 and 65535, inclusive");
    EXPECT_EQ(errorOf(policyWith(head + "    - {port: \"8080\"}\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].port: Invalid value: "
              "\"8080\": must contain at least one letter (a-z)");
    EXPECT_EQ(errorOf(policyWith(head + "    - {port: a-very-long-port-name}\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].port: Invalid value: "
              "\"a-very-long-port-name\": must be no more than 15 characters");
    EXPECT_EQ(errorOf(policyWith(head + "    - {port: web--api}\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].port: Invalid value: "
              "\"web--api\": must not contain consecutive hyphens");
    EXPECT_EQ(errorOf(policyWith(head + "    - {port: -web}\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].port: Invalid value: "
              "\"-web\": must not begin or end with a hyphen");
    EXPECT_EQ(errorOf(policyWith(head + "    - {port: true}\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].port: Invalid type: "
              "expected integer or string, got bool true");
    EXPECT_EQ(errorOf(policyWith("  egress:\n  - ports:\n    - {port: 53, protocol: udp}\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.egress[0].ports[0].protocol: Unsupported "
              "value: \"udp\": supported values: \"TCP\", \"UDP\", \"SCTP\"");
}

TEST(ManifestDecoder, PolicyValidationFollowsTheApiServersOrderAndWording) {
    const std::string head = "  ingress:\n  - ports:\n";
    // An empty name fails IsValidPortName's charset check first.
    EXPECT_EQ(errorOf(policyWith(head + "    - {port: \"\"}\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].port: Invalid value: "
              "\"\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
    // endPort on a named port is reported before the name itself.
    EXPECT_EQ(
        errorOf(policyWith(head + "    - {port: Bad_Name, endPort: 90}\n")),
        "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].endPort: Invalid value: 90: "
        "may not be specified when `port` is non-numeric");
    // Ports are validated before peers, rules before policyTypes.
    EXPECT_EQ(errorOf(policyWith("  ingress:\n  - from: [{}]\n    ports: [{port: 0}]\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].ports[0].port: Invalid value: 0: "
              "must be between 1 and 65535, inclusive");
    EXPECT_EQ(errorOf(policyWith("  policyTypes: [Bad]\n  ingress: [{from: [{}]}]\n")),
              "t.yaml:7: NetworkPolicy shop/np: spec.ingress[0].from[0]: Required value: must "
              "specify a peer");
    // Leading zeros: strict validation's message.
    EXPECT_EQ(errorOf(policyWith("  ingress:\n  - from:\n    - ipBlock: {cidr: 010.0.0.0/8}\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].from[0].ipBlock.cidr: Invalid "
              "value: \"010.0.0.0/8\": must not have leading 0s in IP or prefix length");
    EXPECT_EQ(errorOf(policyWith("  ingress:\n  - from:\n    - ipBlock: {cidr: 10.0.0.300/8}\n")),
              "t.yaml:8: NetworkPolicy shop/np: spec.ingress[0].from[0].ipBlock.cidr: Invalid "
              "value: \"10.0.0.300/8\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or "
              "2001:db8::/64)");
    // Defaults rather than errors: no protocol is TCP, no policyTypes is [Ingress].
    Decoded d = decode(policyWith(head + "    - {port: 53}\n"));
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    EXPECT_EQ(d.objects.policies[0].policy.ingress[0].ports[0].protocol, Protocol::kTcp);
    EXPECT_FALSE(d.objects.policies[0].policy.ingress[0].ports[0].protocol_set);
    EXPECT_TRUE(d.objects.policies[0].policy.affectsIngress());
    EXPECT_FALSE(d.objects.policies[0].policy.affectsEgress());
}

TEST(ManifestDecoder, PolicyTypesValidation) {
    EXPECT_EQ(errorOf(policyWith("  policyTypes: [Ingress, Egres]\n")),
              "t.yaml:6: NetworkPolicy shop/np: spec.policyTypes[1]: Unsupported value: \"Egres\": "
              "supported values: \"Ingress\", \"Egress\"");
    EXPECT_EQ(errorOf(policyWith("  policyTypes: [Ingress, Egress, Ingress]\n")),
              "t.yaml:6: NetworkPolicy shop/np: spec.policyTypes: Invalid value: [\"Ingress\", "
              "\"Egress\", \"Ingress\"]: may not specify more than two policyTypes");
}

TEST(ManifestDecoder, DecodeNetworkPolicyFromANode) {
    auto docs = parseDocuments(policyWith("  ingress: [{ports: [{port: 443}]}]\n"), {});
    ASSERT_TRUE(docs.ok()) << docs.error();
    auto np = decodeNetworkPolicy((*docs)[0], "cli.yaml");
    ASSERT_TRUE(np.ok()) << np.error();
    EXPECT_EQ(np->name, "np");
    EXPECT_EQ(np->ingress[0].ports[0].port, (core::PortValue{443, ""}));

    auto bad = parseDocuments(policyWith("  ingress: [{from: [{}]}]\n"), {});
    ASSERT_TRUE(bad.ok());
    auto err = decodeNetworkPolicy((*bad)[0], "cli.yaml");
    ASSERT_FALSE(err.ok());
    EXPECT_EQ(err.error(),
              "cli.yaml:6: NetworkPolicy shop/np: spec.ingress[0].from[0]: Required value: must "
              "specify a peer");

    auto other = parseDocuments("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", {});
    ASSERT_TRUE(other.ok());
    auto wrong = decodeNetworkPolicy((*other)[0], "cli.yaml");
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error(),
              "cli.yaml:2: Pod default/p: expected kind NetworkPolicy in apiVersion "
              "networking.k8s.io/v1, "
              "got \"Pod\" in apiVersion v1");
}

// --- skip_invalid ---------------------------------------------------------------------------

TEST(ManifestDecoder, SkipInvalidCountsAndGoesOn) {
    std::string text;
    for (int i = 0; i < 12; ++i) {
        text += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: bad" + std::to_string(i) +
                "}\nspec: {containers: [{ports: [{containerPort: 0}]}]}\n";
    }
    text += "---\napiVersion: v1\nkind: Pod\nmetadata: {name: good}\n";
    text += "---\napiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: typo}\n";
    Decoded strict = decode(text);
    ASSERT_FALSE(strict.status.ok());
    EXPECT_EQ(
        strict.status.error(),
        "t.yaml:5: Pod default/bad0: spec.containers[0].ports[0].containerPort: Required value");

    Decoded d = decode(text, true);
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    EXPECT_EQ(d.stats.invalid, 13u);
    ASSERT_EQ(d.stats.invalid_examples.size(), 10u);
    EXPECT_EQ(
        d.stats.invalid_examples[9],
        "t.yaml:50: Pod default/bad9: spec.containers[0].ports[0].containerPort: Required value");
    ASSERT_EQ(d.objects.pods.size(), 1u);  // invalid objects are never partly kept
    EXPECT_EQ(d.objects.pods[0].name, "good");
    EXPECT_EQ(d.stats.objects, 1u);

    Decoded unparsable = decode("a: [\n", true);
    ASSERT_TRUE(unparsable.status.ok());
    EXPECT_EQ(unparsable.stats.invalid, 1u);
}

// --- files and directories ------------------------------------------------------------------

class ManifestFiles : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("netpolgen-manifest-test-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    void write(const std::string& relative, const std::string& text) {
        fs::create_directories((dir_ / relative).parent_path());
        std::ofstream(dir_ / relative) << text;
    }

    fs::path dir_;
};

TEST_F(ManifestFiles, DirectoriesAreReadRecursivelyInPathOrder) {
    write("b.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n");
    write("a/z.json", R"({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "az"}})");
    write("a/c.yml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: ac}\n");
    write("README.md", "not a manifest: [");
    write("kustomize/notes.txt", "ignored");
    core::ClusterObjects out;
    ManifestStats stats;
    auto st = loadManifests(dir_.string(), {}, out, stats);
    ASSERT_TRUE(st.ok()) << st.error();
    EXPECT_EQ(stats.files, 3u);
    ASSERT_EQ(out.namespaces.size(), 3u);
    EXPECT_EQ(out.namespaces[0].name, "ac");
    EXPECT_EQ(out.namespaces[1].name, "az");
    EXPECT_EQ(out.namespaces[2].name, "b");
    EXPECT_EQ(out.namespaces[0].origin, (dir_ / "a/c.yml").string() + ":1");
}

TEST_F(ManifestFiles, ErrorsNameThePath) {
    core::ClusterObjects out;
    ManifestStats stats;
    const std::string missing = (dir_ / "missing.yaml").string();
    auto st = loadManifests(missing, {}, out, stats);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error(), "cannot read " + missing + ": No such file or directory");

    write("docs/readme.txt", "x");
    st = loadManifests(dir_.string(), {}, out, stats);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error(), "no .yaml, .yml or .json files in " + dir_.string());

    write("bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {a: 1}}\n");
    const std::string bad = (dir_ / "bad.yaml").string();
    st = loadManifests(bad, {}, out, stats);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error(),
              bad +
                  ":3: Pod default/p: metadata.labels[a]: Invalid type: expected string, got "
                  "integer 1 (quote it to make it a string: \"1\")");

    const std::string fifo = (dir_ / "pipe.yaml").string();
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    st = loadManifests(fifo, {}, out, stats);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error(), "cannot read " + fifo + ": not a regular file");
}

TEST_F(ManifestFiles, FilesOver256MiBAreRefusedUnread) {
    const fs::path big = dir_ / "big.yaml";
    std::ofstream(big).put('a');
    fs::resize_file(big, (uintmax_t{256} << 20) + 1);  // sparse: nothing is written
    core::ClusterObjects out;
    ManifestStats stats;
    auto st = loadManifests(big.string(), {}, out, stats);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(
        st.error(),
        "cannot read " + big.string() + ": larger than 256 MiB, the limit for one manifest file");
}

TEST_F(ManifestFiles, EmptyFileInADirectory) {
    write("empty.yaml", "");
    core::ClusterObjects out;
    ManifestStats stats;
    auto st = loadManifests(dir_.string(), {}, out, stats);
    ASSERT_TRUE(st.ok()) << st.error();
    EXPECT_EQ(stats.objects, 0u);
    ASSERT_EQ(stats.warnings.size(), 1u);
    EXPECT_EQ(stats.warnings[0],
              (dir_ / "empty.yaml").string() + ": no Kubernetes objects (empty file)");
}

// --- shared sample apps and netpol-analyzer conformance manifests ---------------------------

std::vector<fs::path> subdirectories(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (entry.is_directory() && entry.path().filename().string()[0] != '_') {
            out.push_back(entry.path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

TEST(ManifestDecoderShared, SampleAppsDecode) {
    const fs::path samples = fs::path(NETPOLGEN_SHARED_DIR) / "samples";
    size_t policies = 0;
    size_t workloads = 0;
    for (const fs::path& app : subdirectories(samples)) {
        core::ClusterObjects out;
        ManifestStats stats;
        auto st = loadManifests(app.string(), {}, out, stats);
        ASSERT_TRUE(st.ok()) << st.error();
        EXPECT_EQ(stats.invalid, 0u);
        EXPECT_GT(out.workloads.size(), 0u) << app;
        EXPECT_GT(out.services.size(), 0u) << app;
        workloads += out.workloads.size();
        policies += out.policies.size();
    }
    EXPECT_EQ(workloads, 32u);  // bookinfo 6, online-boutique 12, sock-shop 14
    EXPECT_EQ(policies, 26u);   // the network-policies/ folders
}

TEST(ManifestDecoderShared, ConformanceManifestsDecode) {
    const fs::path root = fs::path(NETPOLGEN_SHARED_DIR) / "conformance" / "netpol-analyzer";
    // Two upstream cases misspell `containerport: 3535`, so the port has no containerPort, which
    // the API server rejects ("Required value"); netpol-analyzer ignores the port instead.
    const std::map<std::string, std::string> invalid = {
        {"netpol_named_port_test", "manifests/pods.yaml"},
        {"netpol_named_port_test_2", "manifests/pods.yaml"},
    };
    size_t cases = 0;
    for (const fs::path& dir : subdirectories(root)) {
        const fs::path manifests = dir / "manifests";
        if (!fs::is_directory(manifests)) {
            continue;
        }
        ++cases;
        core::ClusterObjects out;
        ManifestStats stats;
        auto st = loadManifests(manifests.string(), {}, out, stats);
        auto it = invalid.find(dir.filename().string());
        if (it == invalid.end()) {
            ASSERT_TRUE(st.ok()) << st.error();
            EXPECT_GT(stats.objects, 0u) << dir;
            EXPECT_TRUE(stats.warnings.empty()) << dir << ": " << stats.warnings[0];
            continue;
        }
        ASSERT_FALSE(st.ok()) << dir;
        EXPECT_EQ(st.error(),
                  (dir / it->second).string() +
                      ":31: Deployment helloworld/pod-a: spec.template.spec.containers[0].ports[1]."
                      "containerPort: Required value");
    }
    EXPECT_EQ(cases, 68u);
}

}  // namespace
}  // namespace netpolgen::io
