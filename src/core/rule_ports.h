// What the rules of a NetworkPolicy allow on ports, shared by the connectivity engine and the
// exposure analysis: a rule's port list as a connection set with its named ports apart, named
// ports resolved against a workload's container ports, and rules picked by direction index.
// Internal to core.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "core/cluster.h"
#include "core/connection_set.h"
#include "core/network_policy.h"

namespace netpolgen::core::detail {

// Direction indexes of per-direction arrays ([ingress, egress]).
constexpr size_t kIngress = 0;
constexpr size_t kEgress = 1;

// Named port entries of a rule (protocol, name), sorted and unique.
using NamedPorts = std::vector<std::pair<Protocol, std::string>>;

// The ports of `ports` whose container port name and protocol match a named entry.
ConnectionSet resolveNamed(const NamedPorts& named, const std::vector<ContainerPort>& ports);

// The numbered and portless entries of a port list as a set; its named entries are added to
// `named` (sorted, unique). An empty list is every port of every protocol.
ConnectionSet staticPorts(const std::vector<PolicyPort>& ports, NamedPorts& named);

// Whether the policy isolates that direction, and the rules it has for it.
bool affects(const NetworkPolicy& p, size_t dir);
const std::vector<PolicyRule>& rulesOf(const NetworkPolicy& p, size_t dir);

}  // namespace netpolgen::core::detail
