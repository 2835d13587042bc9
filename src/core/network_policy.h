// NetworkPolicy: the networking.k8s.io/v1 object, as a value type.
//
// Optional members keep "absent" apart from "empty" where Kubernetes distinguishes them
// (a peer's podSelector, a port's port). Rule lists treat absent and empty alike, as the API does.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/label_selector.h"
#include "core/labels.h"
#include "core/protocol.h"

namespace netpolgen::core {

// IntOrString port of a NetworkPolicyPort: a number or an IANA service name.
struct PortValue {
    uint32_t number = 0;  // used when name is empty
    std::string name;

    bool isNamed() const { return !name.empty(); }
    auto operator<=>(const PortValue&) const = default;
};

struct PolicyPort {
    Protocol protocol = Protocol::kTcp;  // defaulted to TCP when absent
    bool protocol_set = false;           // whether the manifest named the protocol
    std::optional<PortValue> port;       // absent: every port of the protocol
    std::optional<uint32_t> end_port;

    auto operator<=>(const PolicyPort&) const = default;
};

struct IpBlock {
    std::string cidr;
    std::vector<std::string> except;

    auto operator<=>(const IpBlock&) const = default;
};

struct PolicyPeer {
    std::optional<LabelSelector> pod_selector;
    std::optional<LabelSelector> namespace_selector;
    std::optional<IpBlock> ip_block;

    auto operator<=>(const PolicyPeer&) const = default;
};

// One ingress or egress rule. An empty peer list means every source or destination; an empty
// port list means every port.
struct PolicyRule {
    std::vector<PolicyPeer> peers;
    std::vector<PolicyPort> ports;

    auto operator<=>(const PolicyRule&) const = default;
};

enum class PolicyType : uint8_t { kIngress = 1, kEgress = 2 };

struct NetworkPolicy {
    std::string ns;
    std::string name;
    Labels labels;
    Labels annotations;
    LabelSelector pod_selector;
    std::vector<PolicyType> policy_types;  // as written; see effectiveTypes()
    std::vector<PolicyRule> ingress;
    std::vector<PolicyRule> egress;
    bool has_egress_key = false;  // `egress:` present (for policyTypes defaulting)

    // policyTypes after API server defaulting (docs/networkpolicy-semantics.md rule 2):
    // absent → Ingress, plus Egress iff the egress list is non-empty.
    bool affectsIngress() const;
    bool affectsEgress() const;

    auto operator<=>(const NetworkPolicy&) const = default;
};

// The generator's label and name prefix (docs/stackrox-generator.md §0).
inline constexpr std::string_view kGeneratedLabelKey =
    "network-policy-generator.stackrox.io/generated";
inline constexpr std::string_view kGeneratedNamePrefix = "stackrox-generated-";

}  // namespace netpolgen::core
