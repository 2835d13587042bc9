// Manifest kinds and API groups: which kinds the decoder reads, which built-in kinds it skips
// quietly, which group serves a kind, and List kinds. Internal to io (manifest_decoder.cpp).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string_view>

namespace netpolgen::io::detail {

// Built-in kinds that carry nothing a policy needs: skipped and counted.
inline constexpr std::array<std::string_view, 64> kSkippedBuiltinKinds = {
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

bool isBuiltinGroup(std::string_view group);

bool isDecodedKind(std::string_view kind);

// Whether `group` serves `kind` among the kinds decoded here. OpenShift 3 served
// DeploymentConfig and Route in the legacy core group too.
bool groupServes(std::string_view kind, std::string_view group);

bool isListKind(std::string_view kind);

}  // namespace netpolgen::io::detail
