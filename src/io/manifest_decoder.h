// Kubernetes manifests (YAML or JSON, as `kubectl get -o yaml|json` prints) → ClusterObjects.
//
// Accepted input: one or more documents; each is an object with apiVersion and kind, or a list
// (`kind: List`, or a typed `PodList`, `NamespaceList`, … with `items`), unwrapped recursively.
// Items of a typed list may omit kind and apiVersion, as the API server itself returns them
// (`kubectl get --raw /api/v1/namespaces`): they take the list's element kind and apiVersion.
// Items of a plain `List` carry their own kind (kubectl prints it).
//
// Decoded kinds and the groups they are read from:
//   v1                          Namespace, Pod, Service, ReplicationController
//   apps, extensions            Deployment, ReplicaSet, DaemonSet (apps only: StatefulSet)
//   batch                       Job, CronJob
//   networking.k8s.io, extensions   NetworkPolicy
//   apps.openshift.io (or v1)   DeploymentConfig
//   route.openshift.io (or v1)  Route
// Other built-in kinds (ConfigMap, Secret, Ingress, RBAC, …) are skipped and counted under their
// kind; kinds of a group that is not built into Kubernetes (custom resources: cilium.io,
// crd.projectcalico.org, gateway.networking.k8s.io, …) are skipped and counted as "Kind.group",
// with one warning per kind. A kind that is unknown in a built-in group (`apps/v1 Deploymnet`) is
// an error.
//
// Typing follows the API server (sigs.k8s.io/yaml then encoding/json): quoted scalars are strings,
// labels and annotations must be strings (`enabled: true` is an error), ports must be integers
// (`containerPort: "8080"` is an error), IntOrString fields (targetPort, a NetworkPolicy port)
// take either. Null values count as absent. Unknown fields are ignored.
//
// Validation is the API server's where it matters for policies: port numbers 1–65535, protocols
// TCP/UDP/SCTP, port names (IANA_SVC_NAME, unique per container), label selectors, workload
// selectors (not empty for Deployment/ReplicaSet/StatefulSet/DaemonSet, matching the template's
// labels: a policy copies them), and NetworkPolicy validation (docs/networkpolicy-semantics.md §1
// item 5). The API server's defaulting is applied: a missing metadata.namespace is "default", a
// missing protocol is TCP (PolicyPort::protocol_set tells), Service type ClusterIP, and a
// Namespace gets its kubernetes.io/metadata.name label.
//
// Every error reads "NAME:LINE: KIND NS/NAME: FIELD.PATH: message", LINE being the line of the
// offending field, e.g.
//   a.yaml:9: NetworkPolicy shop/web: spec.ingress[0].from[0]: Required value: must specify a peer
// Every decoded object's origin is "NAME:LINE" of the object's first line.
//
// Limits: one input is at most 256 MiB (larger files are refused before being read); nesting
// depth, document count, aliases and duplicate keys as parseDocuments() (io/source_tree.h).
//
//   ClusterObjects objects;
//   ManifestStats stats;
//   if (auto st = loadManifests("cluster/", {}, objects, stats); !st) { fail(st.error()); }
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster.h"
#include "core/network_policy.h"
#include "core/result.h"
#include "io/source_tree.h"

namespace netpolgen::io {

struct ManifestOptions {
    // Count an invalid object (or an unparsable file) and go on, instead of failing on the first.
    bool skip_invalid = false;
    // Drop an invalid container port entry (e.g. `containerport:` misspelled, so no number) with a
    // warning instead of failing its object. For third-party test data only: the API server
    // rejects such objects.
    bool lenient_ports = false;
};

struct ManifestStats {
    size_t files = 0;      // texts decoded (one per decodeManifests call)
    size_t documents = 0;  // non-empty YAML documents (a JSON text is one)
    size_t objects = 0;    // objects decoded into ClusterObjects (list items included)
    // Objects not decoded: built-in kinds by kind ("ConfigMap"), custom resources by "Kind.group"
    // ("CiliumNetworkPolicy.cilium.io").
    std::map<std::string, size_t> skipped_kinds;
    size_t invalid = 0;                         // counted only with skip_invalid
    std::vector<std::string> invalid_examples;  // the first 10 messages
    std::vector<std::string> warnings;          // empty files, custom resources skipped
};

// Decodes one YAML/JSON text (multi-document; List and *List kinds with items) and appends the
// objects to `out`. `name` names the text in messages and origins. Returns the first error unless
// options.skip_invalid; an invalid object is never partly appended.
core::Status decodeManifests(std::string_view text,
                             std::string_view name,
                             const ManifestOptions& options,
                             core::ClusterObjects& out,
                             ManifestStats& stats);

// The files loadManifests reads for `path`: the path itself, or the .yaml, .yml and .json files
// below a directory, sorted. Errors: "cannot read PATH: reason", "no .yaml, .yml or .json files in
// DIR".
core::Result<std::vector<std::string>> manifestFiles(const std::string& path);

// The text of one file, read as loadManifests does: regular files only, at most 256 MiB.
// Errors: "cannot read PATH: reason".
core::Result<std::string> readManifestFile(const std::string& path);

// A file, or a directory read recursively (files ending .yaml .yml .json, sorted by path for
// determinism). Errors: "cannot read PATH: reason", "no .yaml, .yml or .json files in DIR", and
// everything decodeManifests reports.
core::Status loadManifests(const std::string& path,
                           const ManifestOptions& options,
                           core::ClusterObjects& out,
                           ManifestStats& stats);

// One NetworkPolicy object (apiVersion networking.k8s.io/* or extensions/*, kind NetworkPolicy),
// decoded and validated as above; `name` names its source in messages.
core::Result<core::NetworkPolicy> decodeNetworkPolicy(const SourceNode& object,
                                                      std::string_view name);

}  // namespace netpolgen::io
