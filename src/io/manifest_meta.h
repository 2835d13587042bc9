// The pieces several kinds share: object metadata (names, labels, ownerReferences), label
// selectors, pod templates with their container ports and hostNetwork, and IP addresses.
// Internal to io.
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster.h"
#include "core/ip_address.h"
#include "core/label_selector.h"
#include "io/manifest_fields.h"
#include "io/source_tree.h"

namespace netpolgen::io::detail {

// What metadata gives: namespace, name, labels, annotations, ownerReferences.
struct ObjectMeta {
    std::string ns;
    std::string name;
    core::Labels labels;
    core::Labels annotations;
    std::vector<core::OwnerRef> owners;
};

// metadata of `obj` (a name is required); `namespaced`: the kind has a namespace, "default" when
// none is given.
bool decodeMetadata(ObjectContext& c, const SourceNode& obj, bool namespaced, ObjectMeta& m);

// A LabelSelector (matchLabels, matchExpressions), checked as the API server checks it.
bool decodeSelector(ObjectContext& c,
                    const SourceNode& n,
                    std::string_view path,
                    core::LabelSelector& out);

// spec.hostNetwork of a pod spec: such pods use the node's network namespace, which
// NetworkPolicies do not apply to.
bool decodeHostNetwork(ObjectContext& c,
                       const SourceNode& spec,
                       std::string_view path,
                       bool& host_network);

// Container ports of a pod spec: containers and initContainers (sidecars serve ports too).
bool decodeContainerPorts(ObjectContext& c,
                          const SourceNode& spec,
                          std::string_view path,
                          std::vector<core::ContainerPort>& out);

// A pod template (`template` of a workload): its labels, container ports and hostNetwork.
bool decodePodTemplate(ObjectContext& c,
                       const SourceNode& parent,
                       std::string_view path,
                       core::Workload& out);

// An IP address at `path` appended to `out` ("" and "None" add nothing).
bool decodeIp(ObjectContext& c,
              const SourceNode& n,
              std::string_view path,
              std::vector<core::IpAddress>& out);

// Drops repeated values, keeping the first of each (podIP is repeated in podIPs) in O(n log n).
template <typename T>
void dedupeStable(std::vector<T>& values) {
    std::set<T> seen;
    auto end = std::remove_if(
        values.begin(), values.end(), [&](const T& v) { return !seen.insert(v).second; });
    values.erase(end, values.end());
}

}  // namespace netpolgen::io::detail
