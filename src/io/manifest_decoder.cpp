#include "io/manifest_decoder.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <system_error>
#include <utility>

#include "core/ip_address.h"
#include "core/kubernetes_names.h"
#include "core/label_selector.h"
#include "core/protocol.h"

namespace netpolgen::io {
namespace {

using core::Error;
using core::quotedText;
using core::shortText;
using core::Status;

constexpr size_t kMaxFileBytes = size_t{256} << 20;
constexpr size_t kMaxInvalidExamples = 10;
constexpr std::string_view kPortRange = "must be between 1 and 65535, inclusive";
constexpr std::string_view kBadCidr =
    "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";
// field.NotSupported lists values in the order the validator passes them: sorted for container and
// Service ports (sets.List), as written in ValidateNetworkPolicyPort for NetworkPolicy ports.
constexpr std::string_view kSortedProtocols = "\"SCTP\", \"TCP\", \"UDP\"";
constexpr std::string_view kPolicyProtocols = "\"TCP\", \"UDP\", \"SCTP\"";

// ---------------------------------------------------------------------------------------------
// Kinds and groups

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

// Built-in kinds that carry nothing a policy needs: skipped and counted.
constexpr std::array<std::string_view, 64> kSkippedBuiltinKinds = {
    "APIService",
    "Binding",
    "CSIDriver",
    "CSINode",
    "CSIStorageCapacity",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ClusterTrustBundle",
    "ComponentStatus",
    "ConfigMap",
    "ControllerRevision",
    "CustomResourceDefinition",
    "DeviceClass",
    "EndpointSlice",
    "Endpoints",
    "Event",
    "Eviction",
    "FlowSchema",
    "HorizontalPodAutoscaler",
    "IPAddress",
    "Ingress",
    "IngressClass",
    "Lease",
    "LeaseCandidate",
    "LimitRange",
    "LocalSubjectAccessReview",
    "MutatingAdmissionPolicy",
    "MutatingAdmissionPolicyBinding",
    "MutatingWebhookConfiguration",
    "Node",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "PodDisruptionBudget",
    "PodSecurityPolicy",
    "PodTemplate",
    "PriorityClass",
    "PriorityLevelConfiguration",
    "RangeAllocation",
    "ResourceClaim",
    "ResourceClaimTemplate",
    "ResourceQuota",
    "ResourceSlice",
    "Role",
    "RoleBinding",
    "RuntimeClass",
    "Scale",
    "Secret",
    "SelfSubjectAccessReview",
    "SelfSubjectReview",
    "SelfSubjectRulesReview",
    "ServiceAccount",
    "ServiceCIDR",
    "StorageClass",
    "StorageVersion",
    "StorageVersionMigration",
    "SubjectAccessReview",
    "TokenRequest",
    "TokenReview",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
    "VolumeAttributesClass",
};

template <size_t N>
bool contains(const std::array<std::string_view, N>& set, std::string_view value) {
    return std::find(set.begin(), set.end(), value) != set.end();
}

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

// Whether `group` serves `kind` among the kinds decoded here. OpenShift 3 served
// DeploymentConfig and Route in the legacy core group too.
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

// ---------------------------------------------------------------------------------------------
// Scalar typing, as encoding/json sees the JSON that sigs.k8s.io/yaml makes of a YAML node.

enum class ValueType : uint8_t { kNull, kBool, kInteger, kNumber, kString, kMap, kList };

// YAML 1.1 float forms (go-yaml v2 ignores underscores), and integers too large for int64.
bool looksNumeric(std::string_view text) {
    std::string s;
    for (char ch : text) {
        if (ch != '_') {
            s += ch;
        }
    }
    static constexpr std::array<std::string_view, 12> kSpecial = {
        ".inf",
        ".Inf",
        ".INF",
        "+.inf",
        "+.Inf",
        "+.INF",
        "-.inf",
        "-.Inf",
        "-.INF",
        ".nan",
        ".NaN",
        ".NAN",
    };
    if (contains(kSpecial, s)) {
        return true;
    }
    size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        ++i;
    }
    auto digit = [&](size_t at) { return at < s.size() && s[at] >= '0' && s[at] <= '9'; };
    size_t mantissa_digits = 0;
    while (digit(i)) {
        ++i;
        ++mantissa_digits;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (digit(i)) {
            ++i;
            ++mantissa_digits;
        }
    }
    if (mantissa_digits == 0) {
        return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            ++i;
        }
        if (!digit(i)) {
            return false;
        }
        while (digit(i)) {
            ++i;
        }
    }
    return i == s.size();
}

ValueType typeOf(const SourceNode& n) {
    if (n.isMapping()) {
        return ValueType::kMap;
    }
    if (n.isSequence()) {
        return ValueType::kList;
    }
    if (n.quoted) {
        return ValueType::kString;
    }
    if (isNull(n)) {
        return ValueType::kNull;
    }
    if (asBool(n)) {
        return ValueType::kBool;
    }
    if (asInteger(n)) {
        return ValueType::kInteger;
    }
    if (looksNumeric(n.value)) {
        return ValueType::kNumber;
    }
    return ValueType::kString;
}

std::string_view typeName(ValueType t) {
    switch (t) {
        case ValueType::kNull:
            return "null";
        case ValueType::kBool:
            return "bool";
        case ValueType::kInteger:
            return "integer";
        case ValueType::kNumber:
            return "number";
        case ValueType::kString:
            return "string";
        case ValueType::kMap:
            return "map";
        case ValueType::kList:
            return "list";
    }
    return "value";
}

// A node's value as the API server prints it in "Invalid value: …": strings quoted.
std::string shown(const SourceNode& n) {
    switch (typeOf(n)) {
        case ValueType::kMap:
            return "{...}";
        case ValueType::kList:
            return "[...]";
        case ValueType::kString:
            return quotedText(n.value);
        default:
            return shortText(n.value);
    }
}

// ---------------------------------------------------------------------------------------------
// Per-object context: names the object in messages and keeps the first error.

struct ObjectContext {
    std::string_view file;
    std::string kind;  // as written, or the list's element kind
    std::string ns;    // empty for cluster-scoped objects
    std::string name;
    uint32_t line = 0;  // of the object's start
    std::optional<std::string> error;
    bool lenient_ports = false;                    // ManifestOptions::lenient_ports
    std::vector<std::string>* warnings = nullptr;  // where lenient_ports reports what it drops

    std::string describe() const {
        std::string out = kind.empty() ? "object" : shortText(kind);
        out += ' ';
        if (!ns.empty()) {
            out += shortText(ns) + "/";
        }
        out += name.empty() ? "<no name>" : shortText(name);
        return out;
    }

    // Records "FILE:LINE: KIND NS/NAME: PATH: MESSAGE" (the first one only). Returns false so
    // callers can `return c.fail(…)`.
    bool fail(uint32_t at_line, std::string_view path, std::string_view message) {
        if (!error) {
            std::string text =
                std::string(file) + ":" + std::to_string(at_line) + ": " + describe();
            text += ": ";
            if (!path.empty()) {
                text += std::string(path) + ": ";
            }
            text += message;
            error = std::move(text);
        }
        return false;
    }
    bool fail(const SourceNode& at, std::string_view path, std::string_view message) {
        return fail(at.line != 0 ? at.line : line, path, message);
    }
    // The recorded error (every failing decode step records one; this never invents another).
    std::string message() const {
        return error ? *error : std::string(file) + ":" + std::to_string(line) + ": " + describe();
    }
};

std::string child(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

std::string indexed(std::string_view path, size_t i) {
    return std::string(path) + "[" + std::to_string(i) + "]";
}

std::string keyed(std::string_view path, std::string_view key) {
    return std::string(path) + "[" + shortText(key) + "]";
}

bool isNullNode(const SourceNode& n) {
    return n.isScalar() && isNull(n);
}

// The value under `key`, or nullptr when the key is absent or its value is null.
const SourceNode* present(const SourceNode& map, std::string_view key) {
    if (!map.isMapping()) {
        return nullptr;
    }
    const SourceNode* n = map.find(key);
    if (n == nullptr || isNullNode(*n)) {
        return nullptr;
    }
    return n;
}

bool typeError(ObjectContext& c,
               const SourceNode& n,
               std::string_view path,
               std::string_view expected) {
    const ValueType t = typeOf(n);
    std::string message =
        "Invalid type: expected " + std::string(expected) + ", got " + std::string(typeName(t));
    if (n.isScalar()) {
        message += " " + shown(n);
    }
    if (expected == "string" &&
        (t == ValueType::kBool || t == ValueType::kInteger || t == ValueType::kNumber)) {
        message += " (quote it to make it a string: " + quotedText(n.value) + ")";
    }
    return c.fail(n, path, message);
}

// `out` is the mapping under `key`, or nullptr when absent or null; anything else is an error.
bool mapField(ObjectContext& c,
              const SourceNode& parent,
              std::string_view key,
              std::string_view path,
              const SourceNode*& out) {
    out = present(parent, key);
    if (out != nullptr && !out->isMapping()) {
        const SourceNode& bad = *out;
        out = nullptr;
        return typeError(c, bad, path, "map");
    }
    return true;
}

bool listField(ObjectContext& c,
               const SourceNode& parent,
               std::string_view key,
               std::string_view path,
               const SourceNode*& out) {
    out = present(parent, key);
    if (out != nullptr && !out->isSequence()) {
        const SourceNode& bad = *out;
        out = nullptr;
        return typeError(c, bad, path, "list");
    }
    return true;
}

bool stringValue(ObjectContext& c, const SourceNode& n, std::string_view path, std::string& out) {
    if (typeOf(n) != ValueType::kString) {
        return typeError(c, n, path, "string");
    }
    out = n.value;
    return true;
}

// Leaves `out` unchanged when the key is absent or null.
bool stringField(ObjectContext& c,
                 const SourceNode& parent,
                 std::string_view key,
                 std::string_view path,
                 std::string& out) {
    const SourceNode* n = present(parent, key);
    return n == nullptr || stringValue(c, *n, path, out);
}

bool intValue(ObjectContext& c, const SourceNode& n, std::string_view path, int64_t& out) {
    if (typeOf(n) != ValueType::kInteger) {
        return typeError(c, n, path, "integer");
    }
    out = *asInteger(n);
    return true;
}

bool boolValue(ObjectContext& c, const SourceNode& n, std::string_view path, bool& out) {
    if (typeOf(n) != ValueType::kBool) {
        return typeError(c, n, path, "bool");
    }
    out = *asBool(n);
    return true;
}

// A map of strings (labels, annotations, a plain selector). Keys are strings by construction.
bool stringMap(ObjectContext& c, const SourceNode& n, std::string_view path, core::Labels& out) {
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    for (const SourceNode& entry : n.children) {
        std::string value;
        if (isNullNode(entry)) {
            // encoding/json leaves a null map value as the zero value "".
            out[entry.key] = value;
            continue;
        }
        if (!stringValue(c, entry, keyed(path, entry.key), value)) {
            return false;
        }
        out[entry.key] = std::move(value);
    }
    return true;
}

bool stringList(ObjectContext& c,
                const SourceNode& n,
                std::string_view path,
                std::vector<std::string>& out) {
    if (!n.isSequence()) {
        return typeError(c, n, path, "list");
    }
    for (size_t i = 0; i < n.children.size(); ++i) {
        std::string value;
        if (!stringValue(c, n.children[i], indexed(path, i), value)) {
            return false;
        }
        out.push_back(std::move(value));
    }
    return true;
}

// IntOrString: a plain integer is a number, a string is a name.
struct IntOrString {
    bool numeric = false;
    int64_t number = 0;
    std::string name;
};

bool intOrStringValue(ObjectContext& c,
                      const SourceNode& n,
                      std::string_view path,
                      IntOrString& out) {
    const ValueType t = typeOf(n);
    if (t == ValueType::kInteger) {
        out.numeric = true;
        out.number = *asInteger(n);
        return true;
    }
    if (t == ValueType::kString) {
        out.numeric = false;
        out.name = n.value;
        return true;
    }
    return typeError(c, n, path, "integer or string");
}

bool validPort(int64_t n) {
    return n >= 1 && n <= 65535;
}

// IANA_SVC_NAME (RFC 6335), the API server's IsValidPortName: the first problem, or nothing.
std::optional<std::string> portNameProblem(std::string_view name) {
    constexpr std::string_view kCharset =
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
    if (name.size() > 15) {
        return "must be no more than 15 characters";
    }
    if (name.empty()) {
        return std::string(kCharset);  // the charset regexp needs one character
    }
    bool letter = false;
    for (char ch : name) {
        const bool lower = ch >= 'a' && ch <= 'z';
        if (!lower && !(ch >= '0' && ch <= '9') && ch != '-') {
            return std::string(kCharset);
        }
        letter = letter || lower;
    }
    if (!letter) {
        return "must contain at least one letter (a-z)";
    }
    if (name.find("--") != std::string_view::npos) {
        return "must not contain consecutive hyphens";
    }
    if (name.front() == '-' || name.back() == '-') {
        return "must not begin or end with a hyphen";
    }
    return std::nullopt;
}

// protocol: TCP (default), UDP or SCTP, spelled exactly so (the API server is case-sensitive).
bool protocolField(ObjectContext& c,
                   const SourceNode& parent,
                   std::string_view path,
                   core::Protocol& out,
                   bool* set,
                   std::string_view supported = kSortedProtocols) {
    const SourceNode* n = present(parent, "protocol");
    if (n == nullptr) {
        return true;
    }
    std::string text;
    if (!stringValue(c, *n, path, text)) {
        return false;
    }
    if (text == "TCP") {
        out = core::Protocol::kTcp;
    } else if (text == "UDP") {
        out = core::Protocol::kUdp;
    } else if (text == "SCTP") {
        out = core::Protocol::kSctp;
    } else {
        return c.fail(*n,
                      path,
                      "Unsupported value: " + quotedText(text) +
                          ": supported values: " + std::string(supported));
    }
    if (set != nullptr) {
        *set = true;
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// Shared pieces: metadata, label selectors, pod templates.

struct ObjectMeta {
    std::string ns;
    std::string name;
    core::Labels labels;
    core::Labels annotations;
    std::vector<core::OwnerRef> owners;
};

bool decodeOwners(ObjectContext& c, const SourceNode& n, std::vector<core::OwnerRef>& out) {
    const std::string path = "metadata.ownerReferences";
    if (!n.isSequence()) {
        return typeError(c, n, path, "list");
    }
    for (size_t i = 0; i < n.children.size(); ++i) {
        const SourceNode& item = n.children[i];
        const std::string ipath = indexed(path, i);
        if (!item.isMapping()) {
            return typeError(c, item, ipath, "map");
        }
        core::OwnerRef ref;
        if (!stringField(c, item, "kind", child(ipath, "kind"), ref.kind) ||
            !stringField(c, item, "name", child(ipath, "name"), ref.name)) {
            return false;
        }
        if (ref.kind.empty()) {
            return c.fail(
                item, child(ipath, "kind"), "Invalid value: \"\": kind must not be empty");
        }
        if (ref.name.empty()) {
            return c.fail(
                item, child(ipath, "name"), "Invalid value: \"\": name must not be empty");
        }
        if (const SourceNode* ctl = present(item, "controller")) {
            if (!boolValue(c, *ctl, child(ipath, "controller"), ref.controller)) {
                return false;
            }
        }
        out.push_back(std::move(ref));
    }
    return true;
}

bool decodeMetadata(ObjectContext& c, const SourceNode& obj, bool namespaced, ObjectMeta& m) {
    const SourceNode* md = nullptr;
    if (!mapField(c, obj, "metadata", "metadata", md)) {
        return false;
    }
    if (md == nullptr) {
        return c.fail(obj, "metadata", "Required value");
    }
    if (!stringField(c, *md, "name", "metadata.name", m.name)) {
        return false;
    }
    if (m.name.empty()) {
        if (present(*md, "generateName") != nullptr) {
            return c.fail(*md,
                          "metadata.name",
                          "Required value: the object has only generateName; a snapshot needs "
                          "the name the API server gave it");
        }
        return c.fail(*md, "metadata.name", "Required value: name or generateName is required");
    }
    if (namespaced) {
        if (!stringField(c, *md, "namespace", "metadata.namespace", m.ns)) {
            return false;
        }
        if (m.ns.empty()) {
            m.ns = "default";
        }
    }
    if (const SourceNode* labels = present(*md, "labels")) {
        if (!stringMap(c, *labels, "metadata.labels", m.labels)) {
            return false;
        }
    }
    if (const SourceNode* annotations = present(*md, "annotations")) {
        if (!stringMap(c, *annotations, "metadata.annotations", m.annotations)) {
            return false;
        }
    }
    if (const SourceNode* owners = present(*md, "ownerReferences")) {
        if (!decodeOwners(c, *owners, m.owners)) {
            return false;
        }
    }
    return true;
}

// Reports a LabelSelector::validate() message ("matchExpressions.values: Required value: …")
// under `path`, with `index` inserted after matchExpressions when given.
bool failSelector(ObjectContext& c,
                  const SourceNode& at,
                  std::string_view path,
                  const std::string& message,
                  std::optional<size_t> index) {
    const size_t colon = message.find(": ");
    std::string field = colon == std::string::npos ? std::string() : message.substr(0, colon);
    const std::string rest = colon == std::string::npos ? message : message.substr(colon + 2);
    constexpr std::string_view kExpr = "matchExpressions";
    if (index && field.compare(0, kExpr.size(), kExpr) == 0) {
        field = indexed(kExpr, *index) + field.substr(kExpr.size());
    }
    return c.fail(at, field.empty() ? std::string(path) : child(path, field), rest);
}

bool decodeSelector(ObjectContext& c,
                    const SourceNode& n,
                    std::string_view path,
                    core::LabelSelector& out) {
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    if (const SourceNode* ml = present(n, "matchLabels")) {
        if (!stringMap(c, *ml, child(path, "matchLabels"), out.match_labels)) {
            return false;
        }
        if (auto problem = core::LabelSelector{out.match_labels, {}}.validate()) {
            return failSelector(c, *ml, path, *problem, std::nullopt);
        }
    }
    const SourceNode* me = nullptr;
    const std::string me_path = child(path, "matchExpressions");
    if (!listField(c, n, "matchExpressions", me_path, me)) {
        return false;
    }
    if (me == nullptr) {
        return true;
    }
    for (size_t i = 0; i < me->children.size(); ++i) {
        const SourceNode& item = me->children[i];
        const std::string ipath = indexed(me_path, i);
        if (!item.isMapping()) {
            return typeError(c, item, ipath, "map");
        }
        core::SelectorRequirement r;
        std::string op;
        if (!stringField(c, item, "key", child(ipath, "key"), r.key) ||
            !stringField(c, item, "operator", child(ipath, "operator"), op)) {
            return false;
        }
        if (const SourceNode* values = present(item, "values")) {
            if (!stringList(c, *values, child(ipath, "values"), r.values)) {
                return false;
            }
        }
        auto parsed = core::parseSelectorOperator(op);
        if (!parsed) {
            const SourceNode* op_node = present(item, "operator");
            return c.fail(op_node != nullptr ? *op_node : item,
                          child(ipath, "operator"),
                          "Invalid value: " + quotedText(op) + ": not a valid selector operator");
        }
        r.op = *parsed;
        if (auto problem = core::LabelSelector{{}, {r}}.validate()) {
            return failSelector(c, item, path, *problem, i);
        }
        out.match_expressions.push_back(std::move(r));
    }
    return true;
}

// One item of a container's `ports`.
bool decodeContainerPort(ObjectContext& c,
                         const SourceNode& port,
                         std::string_view path,
                         core::ContainerPort& out) {
    if (!port.isMapping()) {
        return typeError(c, port, path, "map");
    }
    const std::string number_path = child(path, "containerPort");
    const SourceNode* number = present(port, "containerPort");
    int64_t value = 0;
    if (number != nullptr && !intValue(c, *number, number_path, value)) {
        return false;
    }
    if (value == 0) {
        // The API server's wording for a missing (zero) containerPort.
        return c.fail(number != nullptr ? *number : port, number_path, "Required value");
    }
    if (!validPort(value)) {
        return c.fail(*number,
                      number_path,
                      "Invalid value: " + std::to_string(value) + ": " + std::string(kPortRange));
    }
    out.port = static_cast<uint32_t>(value);
    if (!stringField(c, port, "name", child(path, "name"), out.name)) {
        return false;
    }
    if (!out.name.empty()) {
        if (auto problem = portNameProblem(out.name)) {
            return c.fail(*present(port, "name"),
                          child(path, "name"),
                          "Invalid value: " + quotedText(out.name) + ": " + *problem);
        }
    }
    return protocolField(c, port, child(path, "protocol"), out.protocol, nullptr);
}

// spec.hostNetwork of a pod spec: such pods use the node's network namespace, which
// NetworkPolicies do not apply to.
bool decodeHostNetwork(ObjectContext& c,
                       const SourceNode& spec,
                       std::string_view path,
                       bool& host_network) {
    const SourceNode* value = present(spec, "hostNetwork");
    return value == nullptr || boolValue(c, *value, child(path, "hostNetwork"), host_network);
}

// Container ports of a pod spec: containers and initContainers (sidecars serve ports too).
bool decodeContainerPorts(ObjectContext& c,
                          const SourceNode& spec,
                          std::string_view path,
                          std::vector<core::ContainerPort>& out) {
    for (std::string_view list :
         {std::string_view("containers"), std::string_view("initContainers")}) {
        const SourceNode* containers = nullptr;
        const std::string cpath = child(path, list);
        if (!listField(c, spec, list, cpath, containers)) {
            return false;
        }
        if (containers == nullptr) {
            continue;
        }
        for (size_t i = 0; i < containers->children.size(); ++i) {
            const SourceNode& container = containers->children[i];
            const std::string ipath = indexed(cpath, i);
            if (!container.isMapping()) {
                return typeError(c, container, ipath, "map");
            }
            const SourceNode* ports = nullptr;
            const std::string ppath = child(ipath, "ports");
            if (!listField(c, container, "ports", ppath, ports)) {
                return false;
            }
            if (ports == nullptr) {
                continue;
            }
            std::set<std::string> names;  // unique within a container: named ports must resolve
            for (size_t j = 0; j < ports->children.size(); ++j) {
                const std::string jpath = indexed(ppath, j);
                core::ContainerPort cp;
                bool ok = decodeContainerPort(c, ports->children[j], jpath, cp);
                if (ok && !cp.name.empty() && !names.insert(cp.name).second) {
                    ok = c.fail(*present(ports->children[j], "name"),
                                child(jpath, "name"),
                                "Duplicate value: " + quotedText(cp.name));
                }
                if (!ok) {
                    if (!c.lenient_ports || c.warnings == nullptr) {
                        return false;
                    }
                    c.warnings->push_back(c.message() + " (container port dropped)");
                    c.error.reset();
                    continue;
                }
                out.push_back(std::move(cp));
            }
        }
    }
    return true;
}

// A pod template (`template` of a workload): its labels, container ports and hostNetwork.
bool decodePodTemplate(ObjectContext& c,
                       const SourceNode& parent,
                       std::string_view path,
                       core::Workload& out) {
    core::Labels& labels = out.pod_labels;
    const SourceNode* tmpl = nullptr;
    if (!mapField(c, parent, "template", path, tmpl)) {
        return false;
    }
    if (tmpl == nullptr) {
        return true;
    }
    const SourceNode* md = nullptr;
    if (!mapField(c, *tmpl, "metadata", child(path, "metadata"), md)) {
        return false;
    }
    if (md != nullptr) {
        if (const SourceNode* l = present(*md, "labels")) {
            if (!stringMap(c, *l, child(path, "metadata.labels"), labels)) {
                return false;
            }
        }
    }
    const SourceNode* spec = nullptr;
    if (!mapField(c, *tmpl, "spec", child(path, "spec"), spec)) {
        return false;
    }
    return spec == nullptr || (decodeHostNetwork(c, *spec, child(path, "spec"), out.host_network) &&
                               decodeContainerPorts(c, *spec, child(path, "spec"), out.ports));
}

bool decodeIp(ObjectContext& c,
              const SourceNode& n,
              std::string_view path,
              std::vector<core::IpAddress>& out) {
    std::string text;
    if (!stringValue(c, n, path, text)) {
        return false;
    }
    if (text.empty() || text == "None") {
        return true;
    }
    auto ip = core::IpAddress::parse(text);
    if (!ip) {
        return c.fail(
            n, path, "Invalid value: " + quotedText(text) + ": must be a valid IP address");
    }
    out.push_back(*ip);
    return true;
}

// Drops repeated values, keeping the first of each (podIP is repeated in podIPs) in O(n log n).
template <typename T>
void dedupeStable(std::vector<T>& values) {
    std::set<T> seen;
    auto end = std::remove_if(
        values.begin(), values.end(), [&](const T& v) { return !seen.insert(v).second; });
    values.erase(end, values.end());
}

// ---------------------------------------------------------------------------------------------
// Kinds

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

bool decodeServicePort(ObjectContext& c,
                       const SourceNode& n,
                       std::string_view path,
                       core::ServicePort& out) {
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    if (!stringField(c, n, "name", child(path, "name"), out.name)) {
        return false;
    }
    const SourceNode* port = present(n, "port");
    if (port == nullptr) {
        return c.fail(n, child(path, "port"), "Required value");
    }
    int64_t number = 0;
    if (!intValue(c, *port, child(path, "port"), number)) {
        return false;
    }
    if (!validPort(number)) {
        return c.fail(*port,
                      child(path, "port"),
                      "Invalid value: " + std::to_string(number) + ": " + std::string(kPortRange));
    }
    out.port = static_cast<uint32_t>(number);
    if (!protocolField(c, n, child(path, "protocol"), out.protocol, nullptr)) {
        return false;
    }
    if (const SourceNode* target = present(n, "targetPort")) {
        IntOrString value;
        const std::string tpath = child(path, "targetPort");
        if (!intOrStringValue(c, *target, tpath, value)) {
            return false;
        }
        if (value.numeric) {
            // 0 is what the API server defaults to `port`; ServicePort keeps it as "same as port".
            if (value.number != 0 && !validPort(value.number)) {
                return c.fail(*target,
                              tpath,
                              "Invalid value: " + std::to_string(value.number) + ": " +
                                  std::string(kPortRange));
            }
            out.target_port.number = static_cast<uint32_t>(value.number);
        } else if (!value.name.empty()) {
            if (auto problem = portNameProblem(value.name)) {
                return c.fail(
                    *target, tpath, "Invalid value: " + quotedText(value.name) + ": " + *problem);
            }
            out.target_port.name = value.name;
        }
    }
    if (const SourceNode* node_port = present(n, "nodePort")) {
        int64_t value = 0;
        if (!intValue(c, *node_port, child(path, "nodePort"), value)) {
            return false;
        }
        if (value != 0 && !validPort(value)) {
            return c.fail(
                *node_port,
                child(path, "nodePort"),
                "Invalid value: " + std::to_string(value) + ": " + std::string(kPortRange));
        }
        out.node_port = static_cast<uint32_t>(value);
    }
    return true;
}

bool decodeService(ObjectContext& c, const SourceNode& obj, core::Service& out) {
    ObjectMeta m;
    if (!decodeMetadata(c, obj, true, m)) {
        return false;
    }
    out.ns = std::move(m.ns);
    out.name = std::move(m.name);
    const SourceNode* spec = nullptr;
    if (!mapField(c, obj, "spec", "spec", spec)) {
        return false;
    }
    if (spec == nullptr) {
        return true;
    }
    if (!stringField(c, *spec, "type", "spec.type", out.type)) {
        return false;
    }
    if (out.type.empty()) {
        out.type = "ClusterIP";
    }
    if (out.type != "ClusterIP" && out.type != "NodePort" && out.type != "LoadBalancer" &&
        out.type != "ExternalName") {
        return c.fail(*present(*spec, "type"),
                      "spec.type",
                      "Unsupported value: " + quotedText(out.type) +
                          ": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", "
                          "\"NodePort\"");
    }
    if (const SourceNode* selector = present(*spec, "selector")) {
        core::Labels labels;
        if (!stringMap(c, *selector, "spec.selector", labels)) {
            return false;
        }
        out.selector = std::move(labels);
    }
    const SourceNode* ports = nullptr;
    if (!listField(c, *spec, "ports", "spec.ports", ports)) {
        return false;
    }
    if (ports != nullptr) {
        for (size_t i = 0; i < ports->children.size(); ++i) {
            core::ServicePort port;
            if (!decodeServicePort(c, ports->children[i], indexed("spec.ports", i), port)) {
                return false;
            }
            out.ports.push_back(std::move(port));
        }
    }
    if (const SourceNode* ip = present(*spec, "clusterIP")) {
        if (!decodeIp(c, *ip, "spec.clusterIP", out.cluster_ips)) {
            return false;
        }
    }
    const SourceNode* ips = nullptr;
    if (!listField(c, *spec, "clusterIPs", "spec.clusterIPs", ips)) {
        return false;
    }
    if (ips != nullptr) {
        for (size_t i = 0; i < ips->children.size(); ++i) {
            if (!decodeIp(c, ips->children[i], indexed("spec.clusterIPs", i), out.cluster_ips)) {
                return false;
            }
        }
    }
    dedupeStable(out.cluster_ips);
    return true;
}

// spec.to or an alternateBackends item: {kind: Service, name, weight}.
bool decodeRouteTarget(ObjectContext& c,
                       const SourceNode& n,
                       std::string_view path,
                       std::vector<std::string>& services) {
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    std::string kind = "Service";
    std::string name;
    if (!stringField(c, n, "kind", child(path, "kind"), kind) ||
        !stringField(c, n, "name", child(path, "name"), name)) {
        return false;
    }
    if (kind.empty()) {
        kind = "Service";
    }
    if (kind != "Service") {
        return c.fail(*present(n, "kind"),
                      child(path, "kind"),
                      "Unsupported value: " + quotedText(kind) + ": supported values: \"Service\"");
    }
    if (name.empty()) {
        return c.fail(n, child(path, "name"), "Required value");
    }
    services.push_back(std::move(name));
    return true;
}

bool decodeRoute(ObjectContext& c, const SourceNode& obj, core::Route& out) {
    ObjectMeta m;
    if (!decodeMetadata(c, obj, true, m)) {
        return false;
    }
    out.ns = std::move(m.ns);
    out.name = std::move(m.name);
    const SourceNode* spec = nullptr;
    if (!mapField(c, obj, "spec", "spec", spec)) {
        return false;
    }
    if (spec == nullptr) {
        return c.fail(obj, "spec.to.name", "Required value");
    }
    const SourceNode* to = present(*spec, "to");
    if (to == nullptr) {
        return c.fail(*spec, "spec.to.name", "Required value");
    }
    if (!decodeRouteTarget(c, *to, "spec.to", out.services)) {
        return false;
    }
    const SourceNode* alternates = nullptr;
    if (!listField(c, *spec, "alternateBackends", "spec.alternateBackends", alternates)) {
        return false;
    }
    if (alternates != nullptr) {
        for (size_t i = 0; i < alternates->children.size(); ++i) {
            if (!decodeRouteTarget(c,
                                   alternates->children[i],
                                   indexed("spec.alternateBackends", i),
                                   out.services)) {
                return false;
            }
        }
    }
    dedupeStable(out.services);
    const SourceNode* port = nullptr;
    if (!mapField(c, *spec, "port", "spec.port", port)) {
        return false;
    }
    if (port == nullptr) {
        return true;
    }
    const SourceNode* target = present(*port, "targetPort");
    if (target == nullptr) {
        return c.fail(*port, "spec.port.targetPort", "Required value");
    }
    IntOrString value;
    if (!intOrStringValue(c, *target, "spec.port.targetPort", value)) {
        return false;
    }
    if (value.numeric) {
        if (!validPort(value.number)) {
            return c.fail(
                *target,
                "spec.port.targetPort",
                "Invalid value: " + std::to_string(value.number) + ": " + std::string(kPortRange));
        }
        out.target_port = core::PortValue{static_cast<uint32_t>(value.number), {}};
    } else {
        if (value.name.empty()) {
            return c.fail(*target, "spec.port.targetPort", "Required value");
        }
        // A Route names the Service's port (a DNS label), not a container port: no IANA check.
        out.target_port = core::PortValue{0, value.name};
    }
    return true;
}

// ---------------------------------------------------------------------------------------------
// NetworkPolicy (docs/networkpolicy-semantics.md §1; the API server's ValidateNetworkPolicy)

// Why core::Cidr::parse refused `text`, in the API server's words. IPv4 octets with leading zeros
// ("010.0.0.0/8") are refused with strict validation's message (legacy validation read them as
// decimal; netip and current servers reject them).
std::string cidrProblem(std::string_view text) {
    const size_t slash = text.find('/');
    const std::string_view ip = text.substr(0, slash);
    if (slash != std::string_view::npos && ip.find(':') == std::string_view::npos) {
        std::string stripped;
        size_t start = 0;
        while (start <= ip.size()) {
            size_t dot = ip.find('.', start);
            std::string_view octet =
                ip.substr(start, dot == std::string_view::npos ? dot : dot - start);
            while (octet.size() > 1 && octet.front() == '0') {
                octet.remove_prefix(1);
            }
            stripped += std::string(octet);
            if (dot == std::string_view::npos) {
                break;
            }
            stripped += '.';
            start = dot + 1;
        }
        if (stripped != ip && core::Cidr::parse(stripped + std::string(text.substr(slash)))) {
            return "must not have leading 0s in IP or prefix length";
        }
    }
    return std::string(kBadCidr);
}

bool decodeIpBlock(ObjectContext& c,
                   const SourceNode& n,
                   std::string_view path,
                   core::IpBlock& out) {
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    const std::string cidr_path = child(path, "cidr");
    if (!stringField(c, n, "cidr", cidr_path, out.cidr)) {
        return false;
    }
    if (out.cidr.empty()) {
        return c.fail(n, cidr_path, "Required value");
    }
    auto cidr = core::Cidr::parse(out.cidr);
    if (!cidr) {
        return c.fail(*present(n, "cidr"),
                      cidr_path,
                      "Invalid value: " + quotedText(out.cidr) + ": " + cidrProblem(out.cidr));
    }
    const bool cidr_v6 = out.cidr.find(':') != std::string::npos;
    const SourceNode* except = nullptr;
    const std::string except_path = child(path, "except");
    if (!listField(c, n, "except", except_path, except)) {
        return false;
    }
    if (except == nullptr) {
        return true;
    }
    for (size_t i = 0; i < except->children.size(); ++i) {
        const SourceNode& item = except->children[i];
        const std::string ipath = indexed(except_path, i);
        std::string text;
        if (!stringValue(c, item, ipath, text)) {
            return false;
        }
        auto inner = core::Cidr::parse(text);
        if (!inner) {
            return c.fail(
                item, ipath, "Invalid value: " + quotedText(text) + ": " + cidrProblem(text));
        }
        const bool inner_v6 = text.find(':') != std::string::npos;
        if (inner_v6 != cidr_v6 || !cidr->containsCidr(*inner) ||
            inner->prefix() <= cidr->prefix()) {
            return c.fail(
                item,
                ipath,
                "Invalid value: " + quotedText(text) + ": must be a strict subset of `cidr`");
        }
        out.except.push_back(std::move(text));
    }
    return true;
}

bool decodePeer(ObjectContext& c,
                const SourceNode& n,
                std::string_view path,
                core::PolicyPeer& out) {
    if (isNullNode(n)) {
        // A null list item is a zero-value peer, which selects nothing.
        return c.fail(n, path, "Required value: must specify a peer");
    }
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    if (const SourceNode* ps = present(n, "podSelector")) {
        if (!decodeSelector(c, *ps, child(path, "podSelector"), out.pod_selector.emplace())) {
            return false;
        }
    }
    if (const SourceNode* ns = present(n, "namespaceSelector")) {
        if (!decodeSelector(
                c, *ns, child(path, "namespaceSelector"), out.namespace_selector.emplace())) {
            return false;
        }
    }
    if (const SourceNode* ib = present(n, "ipBlock")) {
        if (!decodeIpBlock(c, *ib, child(path, "ipBlock"), out.ip_block.emplace())) {
            return false;
        }
    }
    const int count = static_cast<int>(out.pod_selector.has_value()) +
                      static_cast<int>(out.namespace_selector.has_value()) +
                      static_cast<int>(out.ip_block.has_value());
    if (count == 0) {
        return c.fail(n, path, "Required value: must specify a peer");
    }
    if (count > 1 && out.ip_block) {
        return c.fail(n, path, "Forbidden: may not specify both ipBlock and another peer");
    }
    return true;
}

bool decodePolicyPort(ObjectContext& c,
                      const SourceNode& n,
                      std::string_view path,
                      core::PolicyPort& out) {
    if (isNullNode(n)) {
        return true;  // a zero-value port: every TCP port
    }
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    if (!protocolField(
            c, n, child(path, "protocol"), out.protocol, &out.protocol_set, kPolicyProtocols)) {
        return false;
    }
    const SourceNode* port = present(n, "port");
    const std::string port_path = child(path, "port");
    IntOrString value;
    if (port != nullptr) {
        if (!intOrStringValue(c, *port, port_path, value)) {
            return false;
        }
        if (value.numeric) {
            if (!validPort(value.number)) {
                return c.fail(*port,
                              port_path,
                              "Invalid value: " + std::to_string(value.number) + ": " +
                                  std::string(kPortRange));
            }
            out.port = core::PortValue{static_cast<uint32_t>(value.number), {}};
        }
    }
    const SourceNode* end = present(n, "endPort");
    const std::string end_path = child(path, "endPort");
    int64_t end_port = 0;
    if (end != nullptr && !intValue(c, *end, end_path, end_port)) {
        return false;
    }
    const std::string shown_end = "Invalid value: " + std::to_string(end_port) + ": ";
    if (port != nullptr && !value.numeric) {
        // The API server checks endPort before the name.
        if (end != nullptr) {
            return c.fail(
                *end, end_path, shown_end + "may not be specified when `port` is non-numeric");
        }
        if (auto problem = portNameProblem(value.name)) {
            return c.fail(
                *port, port_path, "Invalid value: " + quotedText(value.name) + ": " + *problem);
        }
        out.port = core::PortValue{0, value.name};
    }
    if (end == nullptr) {
        return true;
    }
    if (port == nullptr) {
        return c.fail(
            *end, end_path, shown_end + "may not be specified when `port` is not specified");
    }
    if (end_port < value.number) {
        return c.fail(*end, end_path, shown_end + "must be greater than or equal to `port`");
    }
    if (!validPort(end_port)) {
        return c.fail(*end, end_path, shown_end + std::string(kPortRange));
    }
    out.end_port = static_cast<uint32_t>(end_port);
    return true;
}

// spec.ingress (peers under "from") or spec.egress (peers under "to").
bool decodeRules(ObjectContext& c,
                 const SourceNode& spec,
                 std::string_view key,
                 std::string_view peers_key,
                 std::vector<core::PolicyRule>& out) {
    const std::string path = child("spec", key);
    const SourceNode* rules = nullptr;
    if (!listField(c, spec, key, path, rules)) {
        return false;
    }
    if (rules == nullptr) {
        return true;
    }
    for (size_t i = 0; i < rules->children.size(); ++i) {
        const SourceNode& item = rules->children[i];
        const std::string rpath = indexed(path, i);
        core::PolicyRule rule;
        if (isNullNode(item)) {
            out.push_back(std::move(rule));  // a zero-value rule: `{}`, allows everything
            continue;
        }
        if (!item.isMapping()) {
            return typeError(c, item, rpath, "map");
        }
        // Ports first: the API server validates them before the peers.
        const SourceNode* ports = nullptr;
        const std::string ports_path = child(rpath, "ports");
        if (!listField(c, item, "ports", ports_path, ports)) {
            return false;
        }
        if (ports != nullptr) {
            for (size_t j = 0; j < ports->children.size(); ++j) {
                core::PolicyPort port;
                if (!decodePolicyPort(c, ports->children[j], indexed(ports_path, j), port)) {
                    return false;
                }
                rule.ports.push_back(std::move(port));
            }
        }
        const SourceNode* peers = nullptr;
        const std::string peers_path = child(rpath, peers_key);
        if (!listField(c, item, peers_key, peers_path, peers)) {
            return false;
        }
        if (peers != nullptr) {
            for (size_t j = 0; j < peers->children.size(); ++j) {
                core::PolicyPeer peer;
                if (!decodePeer(c, peers->children[j], indexed(peers_path, j), peer)) {
                    return false;
                }
                rule.peers.push_back(std::move(peer));
            }
        }
        out.push_back(std::move(rule));
    }
    return true;
}

bool decodePolicyTypes(ObjectContext& c, const SourceNode& n, std::vector<core::PolicyType>& out) {
    const std::string path = "spec.policyTypes";
    if (!n.isSequence()) {
        return typeError(c, n, path, "list");
    }
    if (n.children.size() > 2) {
        constexpr size_t kShownItems = 4;
        std::string values = "[";
        for (size_t i = 0; i < n.children.size() && i < kShownItems; ++i) {
            values += (i > 0 ? ", " : "") + shown(n.children[i]);
        }
        if (n.children.size() > kShownItems) {
            values += ", ...";
        }
        return c.fail(
            n, path, "Invalid value: " + values + "]: may not specify more than two policyTypes");
    }
    for (size_t i = 0; i < n.children.size(); ++i) {
        const SourceNode& item = n.children[i];
        std::string text;
        if (!stringValue(c, item, indexed(path, i), text)) {
            return false;
        }
        if (text == "Ingress") {
            out.push_back(core::PolicyType::kIngress);
        } else if (text == "Egress") {
            out.push_back(core::PolicyType::kEgress);
        } else {
            return c.fail(item,
                          indexed(path, i),
                          "Unsupported value: " + quotedText(text) +
                              ": supported values: \"Ingress\", \"Egress\"");
        }
    }
    return true;
}

// A NetworkPolicy's name is a DNS-1123 subdomain and its namespace a DNS-1123 label, as the API
// server requires: names reach kubectl's argv and the stored history, so nothing else may pass.
bool checkPolicyNames(ObjectContext& c, const SourceNode& obj, const ObjectMeta& m) {
    const SourceNode* md = obj.find("metadata");
    const auto at = [&](std::string_view key) -> const SourceNode& {
        const SourceNode* n = md != nullptr ? md->find(key) : nullptr;
        return n != nullptr ? *n : (md != nullptr ? *md : obj);
    };
    if (auto problem = core::dns1123SubdomainProblem(m.name)) {
        return c.fail(at("name"), "", core::invalidValue("metadata.name", m.name, *problem));
    }
    if (auto problem = core::dns1123LabelProblem(m.ns)) {
        return c.fail(
            at("namespace"), "", core::invalidValue("metadata.namespace", m.ns, *problem));
    }
    return true;
}

bool decodePolicy(ObjectContext& c, const SourceNode& obj, core::NetworkPolicy& out) {
    ObjectMeta m;
    if (!decodeMetadata(c, obj, true, m) || !checkPolicyNames(c, obj, m)) {
        return false;
    }
    out.ns = std::move(m.ns);
    out.name = std::move(m.name);
    out.labels = std::move(m.labels);
    out.annotations = std::move(m.annotations);
    const SourceNode* spec = nullptr;
    if (!mapField(c, obj, "spec", "spec", spec)) {
        return false;
    }
    if (spec == nullptr) {
        return true;
    }
    if (const SourceNode* ps = present(*spec, "podSelector")) {
        if (!decodeSelector(c, *ps, "spec.podSelector", out.pod_selector)) {
            return false;
        }
    }
    out.has_egress_key = spec->find("egress") != nullptr;
    if (!decodeRules(c, *spec, "ingress", "from", out.ingress) ||
        !decodeRules(c, *spec, "egress", "to", out.egress)) {
        return false;
    }
    // policyTypes last, as ValidateNetworkPolicySpec checks them.
    const SourceNode* types = present(*spec, "policyTypes");
    return types == nullptr || decodePolicyTypes(c, *types, out.policy_types);
}

// ---------------------------------------------------------------------------------------------
// Objects and documents

struct TypeMeta {
    std::string kind;
    std::string api_version;
    std::string group;
};

// Fills the context's names for messages without judging them (types are checked later).
void describeObject(ObjectContext& c, const SourceNode& obj, std::string_view kind) {
    auto text = [](const SourceNode* n) {
        return n != nullptr && typeOf(*n) == ValueType::kString ? n->value : std::string();
    };
    c.line = obj.line;
    c.kind = std::string(kind);
    if (std::string written = text(present(obj, "kind")); !written.empty()) {
        c.kind = std::move(written);
    }
    const SourceNode* md = present(obj, "metadata");
    if (md != nullptr) {
        c.name = text(present(*md, "name"));
    }
    if (c.kind == "Namespace") {
        return;
    }
    if (md != nullptr) {
        c.ns = text(present(*md, "namespace"));
    }
    if (c.ns.empty() && isDecodedKind(c.kind)) {
        c.ns = "default";
    }
}

// kind and apiVersion, falling back to what a typed list's items inherit.
bool decodeTypeMeta(ObjectContext& c,
                    const SourceNode& obj,
                    std::string_view inherited_kind,
                    std::string_view inherited_api_version,
                    TypeMeta& out) {
    out.kind = std::string(inherited_kind);
    out.api_version = std::string(inherited_api_version);
    if (!stringField(c, obj, "kind", "kind", out.kind) ||
        !stringField(c, obj, "apiVersion", "apiVersion", out.api_version)) {
        return false;
    }
    if (out.kind.empty()) {
        return c.fail(obj, "kind", "Required value: every object needs apiVersion and kind");
    }
    if (out.api_version.empty()) {
        return c.fail(obj, "apiVersion", "Required value: every object needs apiVersion and kind");
    }
    const size_t slash = out.api_version.find('/');
    if (slash != std::string::npos) {
        out.group = out.api_version.substr(0, slash);
    }
    const bool malformed =
        slash == 0 || slash + 1 == out.api_version.size() ||
        (slash != std::string::npos && out.api_version.find('/', slash + 1) != std::string::npos);
    if (malformed) {
        const SourceNode* at = present(obj, "apiVersion");
        return c.fail(
            at != nullptr ? *at : obj,
            "apiVersion",
            "Invalid value: " + quotedText(out.api_version) + ": must be VERSION or GROUP/VERSION");
    }
    return true;
}

std::string formatParseError(std::string_view name, const std::string& message) {
    // "line L, column C: what" → "NAME:L:C: what"
    constexpr std::string_view kLine = "line ";
    constexpr std::string_view kColumn = ", column ";
    auto digitsAt = [&](size_t pos) {
        size_t end = pos;
        while (end < message.size() && message[end] >= '0' && message[end] <= '9') {
            ++end;
        }
        return end;
    };
    if (message.compare(0, kLine.size(), kLine) == 0) {
        const size_t line_end = digitsAt(kLine.size());
        if (line_end > kLine.size() && message.compare(line_end, kColumn.size(), kColumn) == 0) {
            const size_t col_start = line_end + kColumn.size();
            const size_t col_end = digitsAt(col_start);
            if (col_end > col_start && message.compare(col_end, 2, ": ") == 0) {
                return std::string(name) + ":" +
                       message.substr(kLine.size(), line_end - kLine.size()) + ":" +
                       message.substr(col_start, col_end - col_start) + ": " +
                       message.substr(col_end + 2);
            }
        }
    }
    return std::string(name) + ": " + message;
}

class Decoder {
public:
    Decoder(std::string_view name,
            const ManifestOptions& options,
            core::ClusterObjects& out,
            ManifestStats& stats)
        : name_(name), options_(options), out_(out), stats_(stats) {}

    // Decodes one document (an object or a list); false with error() set when decoding must stop.
    bool decodeDocument(const SourceNode& doc) {
        // Lists are unwrapped with an explicit stack (no recursion); items keep document order.
        std::vector<Pending> stack;
        stack.push_back({&doc, {}, {}});
        while (!stack.empty()) {
            Pending p = std::move(stack.back());
            stack.pop_back();
            std::vector<Pending> items;
            ObjectContext c{name_, {}, {}, {}, 0, std::nullopt};
            c.lenient_ports = options_.lenient_ports;
            c.warnings = &stats_.warnings;
            if (!decodeObject(c, *p.node, p.kind, p.api_version, items)) {
                if (!invalid(c.message())) {
                    return false;
                }
                continue;
            }
            for (auto it = items.rbegin(); it != items.rend(); ++it) {
                stack.push_back(std::move(*it));
            }
        }
        return true;
    }

    const std::string& error() const { return error_; }

private:
    struct Pending {
        const SourceNode* node;
        std::string kind;         // inherited from a typed list, else empty
        std::string api_version;  // likewise
    };

    // Counts an invalid object with skip_invalid (true: go on), else keeps the error (false).
    bool invalid(const std::string& message) {
        if (!options_.skip_invalid) {
            error_ = message;
            return false;
        }
        ++stats_.invalid;
        if (stats_.invalid_examples.size() < kMaxInvalidExamples) {
            stats_.invalid_examples.push_back(message);
        }
        return true;
    }

    void skip(const std::string& key, const std::string& warning) {
        size_t& count = stats_.skipped_kinds[key];
        if (count == 0 && !warning.empty()) {
            stats_.warnings.push_back(warning);
        }
        ++count;
    }

    // Decodes one object, or collects a list's items into `items`.
    bool decodeObject(ObjectContext& c,
                      const SourceNode& obj,
                      const std::string& inherited_kind,
                      const std::string& inherited_api_version,
                      std::vector<Pending>& items) {
        c.line = obj.line;
        if (!obj.isMapping()) {
            const std::string what =
                obj.isSequence() ? "a list" : (isNullNode(obj) ? "null" : "a scalar " + shown(obj));
            c.error = std::string(name_) + ":" + std::to_string(obj.line) +
                      ": expected a Kubernetes object (a map with apiVersion and kind), got " +
                      what;
            return false;
        }
        describeObject(c, obj, inherited_kind);
        TypeMeta tm;
        if (!decodeTypeMeta(c, obj, inherited_kind, inherited_api_version, tm)) {
            return false;
        }
        const std::string origin = std::string(name_) + ":" + std::to_string(obj.line);
        const bool builtin = isBuiltinGroup(tm.group);
        if (isListKind(tm.kind) && (obj.find("items") != nullptr || builtin)) {
            const SourceNode* list = nullptr;
            if (!listField(c, obj, "items", "items", list)) {
                return false;
            }
            if (list == nullptr) {
                return true;
            }
            const std::string element =
                tm.kind == "List" ? std::string() : tm.kind.substr(0, tm.kind.size() - 4);
            const std::string element_api = tm.kind == "List" ? std::string() : tm.api_version;
            for (const SourceNode& item : list->children) {
                items.push_back({&item, element, element_api});
            }
            return true;
        }
        if (isDecodedKind(tm.kind) && groupServes(tm.kind, tm.group)) {
            if (!decodeKnown(c, obj, tm.kind, origin)) {
                return false;
            }
            ++stats_.objects;
            return true;
        }
        if (builtin) {
            if (contains(kSkippedBuiltinKinds, tm.kind)) {
                skip(tm.kind, {});
                return true;
            }
            const SourceNode* at = present(obj, "kind");
            return c.fail(at != nullptr ? *at : obj,
                          "",
                          "unknown kind " + quotedText(tm.kind) + " in apiVersion " +
                              shortText(tm.api_version));
        }
        skip(tm.kind + "." + tm.group,
             origin + ": skipped " + shortText(tm.kind) + " (" + shortText(tm.api_version) +
                 "): not a built-in Kubernetes kind; objects of this kind are ignored");
        return true;
    }

    bool decodeKnown(ObjectContext& c,
                     const SourceNode& obj,
                     const std::string& kind,
                     const std::string& origin) {
        if (kind == "Namespace") {
            core::Namespace ns;
            ns.origin = origin;
            if (!decodeNamespace(c, obj, ns)) {
                return false;
            }
            out_.namespaces.push_back(std::move(ns));
        } else if (kind == "Pod") {
            core::Pod pod;
            pod.origin = origin;
            if (!decodePod(c, obj, pod)) {
                return false;
            }
            out_.pods.push_back(std::move(pod));
        } else if (kind == "Service") {
            core::Service svc;
            svc.origin = origin;
            if (!decodeService(c, obj, svc)) {
                return false;
            }
            out_.services.push_back(std::move(svc));
        } else if (kind == "Route") {
            core::Route route;
            route.origin = origin;
            if (!decodeRoute(c, obj, route)) {
                return false;
            }
            out_.routes.push_back(std::move(route));
        } else if (kind == "NetworkPolicy") {
            core::PolicyObject policy;
            policy.origin = origin;
            if (!decodePolicy(c, obj, policy.policy)) {
                return false;
            }
            out_.policies.push_back(std::move(policy));
        } else {
            auto workload_kind = core::parseWorkloadKind(kind);
            if (!workload_kind) {
                return c.fail(obj, "kind", "Unsupported value: " + quotedText(kind));
            }
            core::Workload w;
            w.origin = origin;
            if (!decodeWorkload(c, obj, *workload_kind, w)) {
                return false;
            }
            out_.workloads.push_back(std::move(w));
        }
        return true;
    }

    std::string_view name_;
    const ManifestOptions& options_;
    core::ClusterObjects& out_;
    ManifestStats& stats_;
    std::string error_;
};

// ---------------------------------------------------------------------------------------------
// Files

std::string errnoText(int err) {
    return std::error_code(err, std::generic_category()).message();
}

core::Result<std::string> readFile(const std::string& path) {
    const std::string prefix = "cannot read " + path + ": ";
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return Error{prefix + errnoText(errno)};
    }
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return Error{prefix + errnoText(errno)};
    }
    if (!S_ISREG(st.st_mode)) {
        return Error{prefix + (S_ISDIR(st.st_mode) ? errnoText(EISDIR) : "not a regular file")};
    }
    const auto too_large = [&] {
        return Error{prefix + "larger than 256 MiB, the limit for one manifest file"};
    };
    if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
        return too_large();
    }
    std::string data(static_cast<size_t>(st.st_size), '\0');
    size_t used = 0;
    for (;;) {
        if (used == data.size()) {
            // The file may have grown since fstat: read on, up to the limit.
            if (data.size() > kMaxFileBytes) {
                return too_large();
            }
            data.resize(std::min(kMaxFileBytes + 1, std::max<size_t>(data.size() * 2, 4096)));
        }
        const ssize_t n = ::read(fd, data.data() + used, data.size() - used);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return Error{prefix + errnoText(errno)};
        }
        if (n == 0) {
            break;
        }
        used += static_cast<size_t>(n);
    }
    if (used > kMaxFileBytes) {
        return too_large();
    }
    data.resize(used);
    return data;
}

bool hasManifestExtension(const std::string& file) {
    auto ends = [&](std::string_view ext) {
        return file.size() > ext.size() &&
               file.compare(file.size() - ext.size(), ext.size(), ext) == 0;
    };
    return ends(".yaml") || ends(".yml") || ends(".json");
}

core::Result<std::vector<std::string>> listManifestFiles(const std::string& dir) {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
    if (ec) {
        return Error{"cannot read " + dir + ": " + ec.message()};
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) {
            break;
        }
        const fs::path& p = it->path();
        std::error_code type_ec;
        if (it->is_directory(type_ec) || !hasManifestExtension(p.filename().string())) {
            continue;
        }
        files.push_back(p.string());
    }
    if (ec) {
        return Error{"cannot read " + dir + ": " + ec.message()};
    }
    std::sort(files.begin(), files.end());
    return files;
}

}  // namespace

core::Status decodeManifests(std::string_view text,
                             std::string_view name,
                             const ManifestOptions& options,
                             core::ClusterObjects& out,
                             ManifestStats& stats) {
    ++stats.files;
    auto docs = parseDocuments(text, ParseLimits{});
    if (!docs) {
        std::string message = formatParseError(name, docs.error());
        if (!options.skip_invalid) {
            return Error{std::move(message)};
        }
        ++stats.invalid;
        if (stats.invalid_examples.size() < kMaxInvalidExamples) {
            stats.invalid_examples.push_back(std::move(message));
        }
        return {};
    }
    if (docs->empty()) {
        stats.warnings.push_back(std::string(name) + ": no Kubernetes objects (empty file)");
        return {};
    }
    stats.documents += docs->size();
    Decoder decoder(name, options, out, stats);
    for (const SourceNode& doc : *docs) {
        if (!decoder.decodeDocument(doc)) {
            return Error{decoder.error()};
        }
    }
    return {};
}

core::Result<std::vector<std::string>> manifestFiles(const std::string& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec) {
        return Error{"cannot read " + path + ": " + ec.message()};
    }
    if (!std::filesystem::is_directory(status)) {
        return std::vector<std::string>{path};
    }
    auto listed = listManifestFiles(path);
    if (!listed) {
        return Error{listed.error()};
    }
    if (listed->empty()) {
        return Error{"no .yaml, .yml or .json files in " + path};
    }
    return listed;
}

core::Result<std::string> readManifestFile(const std::string& path) {
    return readFile(path);
}

core::Status loadManifests(const std::string& path,
                           const ManifestOptions& options,
                           core::ClusterObjects& out,
                           ManifestStats& stats) {
    auto files = manifestFiles(path);
    if (!files) {
        return Error{files.error()};
    }
    for (const std::string& file : *files) {
        auto text = readFile(file);
        if (!text) {
            return Error{text.error()};
        }
        if (auto st = decodeManifests(*text, file, options, out, stats); !st) {
            return st;
        }
    }
    return {};
}

core::Result<core::NetworkPolicy> decodeNetworkPolicy(const SourceNode& object,
                                                      std::string_view name) {
    ObjectContext c{name, {}, {}, {}, object.line, std::nullopt};
    if (!object.isMapping()) {
        return Error{std::string(name) + ":" + std::to_string(object.line) +
                     ": expected a NetworkPolicy object (a map), got " +
                     std::string(typeName(typeOf(object)))};
    }
    describeObject(c, object, "NetworkPolicy");
    TypeMeta tm;
    if (!decodeTypeMeta(c, object, {}, {}, tm)) {
        return Error{c.message()};
    }
    if (tm.kind != "NetworkPolicy" || !groupServes(tm.kind, tm.group)) {
        const SourceNode* at = present(object, "kind");
        c.fail(at != nullptr ? *at : object,
               "",
               "expected kind NetworkPolicy in apiVersion networking.k8s.io/v1, got " +
                   quotedText(tm.kind) + " in apiVersion " + shortText(tm.api_version));
        return Error{c.message()};
    }
    core::NetworkPolicy policy;
    if (!decodePolicy(c, object, policy)) {
        return Error{c.message()};
    }
    return policy;
}

}  // namespace netpolgen::io
