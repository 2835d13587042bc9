// A Hubble Endpoint object (Flow.source, Flow.destination) as the flow decoder reads it: the
// labels array (reserved:…, cidr:… and k8s:… labels decide the kind of endpoint, the raw text is
// kept for core::EndpointResolver), the workloads array, the numeric identity, and the mapping of
// what was read onto a core::FlowEndpoint (a pod, the internet, internal, or an address). Internal
// to io (the flow line decoder); the array readers are inline, since they run for every endpoint.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string_view>
#include <utility>

#include "core/flow.h"
#include "io/flow_json_fields.h"
#include "io/flow_keys.h"

namespace netpolgen::io::detail {

// Everything read from one Hubble Endpoint object.
struct HubbleEndpoint {
    std::string_view ns;
    std::string_view pod;
    std::string_view workload_name;
    std::string_view workload_kind;
    std::string_view labels;  // the raw text of the labels array's elements (in the line)
    uint64_t identity = 0;
    bool k8s_labels = false;  // some label is a k8s:… label: the endpoint is a pod
    bool world = false;       // reserved:world, reserved:world-ipv4, reserved:world-ipv6
    bool internal = false;    // reserved:host, remote-node, kube-apiserver, health, init, …
    bool cidr = false;        // a cidr:… label
};

// A pod: what identifies it is passed on as read (workload, pod name, labels), and the
// cluster-aware resolution is left to core::EndpointResolver. Otherwise an entity or an address.
// Fills `ep` (cleared first); `ip` is the address from Flow.IP.
void hubbleEndpoint(const HubbleEndpoint& e, std::string_view ip, core::FlowEndpoint& ep);

// Endpoint.labels: the reserved:… and cidr:… labels decide the kind of endpoint; the raw text is
// compared without unescaping (these labels never hold escapes). The raw text of all the elements
// is kept for core::EndpointResolver, which parses it only for pods no name resolves.
inline ErrorCode labelsArray(Value& value,
                             HubbleEndpoint& ep,
                             FieldProblem& problem,
                             std::string_view name) {
    return withArray(value, problem, name, [&](simdjson::ondemand::array& array) {
        ErrorCode e = simdjson::SUCCESS;
        const char* first = nullptr;
        const char* end = nullptr;
        for (auto element : array) {
            Value label_value;
            if ((e = std::move(element).get(label_value)) != simdjson::SUCCESS) {
                return e;
            }
            simdjson::ondemand::raw_json_string raw;
            e = label_value.get_raw_json_string().get(raw);
            if (e == simdjson::INCORRECT_TYPE) {
                problem.set(Problem::kNotString, name);
                continue;
            }
            if (e != simdjson::SUCCESS) {
                return e;
            }
            const char* s = raw.raw();
            first = first == nullptr ? s - 1 : first;
            end = rawStringEnd(s);
            if (s[0] == 'k' && rawStartsWith(s, "k8s:")) {
                ep.k8s_labels = true;
            } else if (s[0] == 'r' && rawStartsWith(s, "reserved:")) {
                constexpr size_t kReservedPrefix = 9;
                const char* r = s + kReservedPrefix;
                // reserved:world, and since Cilium 1.15 reserved:world-ipv4 / reserved:world-ipv6.
                if (rawStartsWith(r, "world") && (r[5] == '"' || r[5] == '-')) {
                    ep.world = true;
                } else if (rawEquals(r, "host") || rawEquals(r, "remote-node") ||
                           rawEquals(r, "kube-apiserver") || rawEquals(r, "health") ||
                           rawEquals(r, "init") || rawEquals(r, "ingress") ||
                           rawEquals(r, "unmanaged")) {
                    ep.internal = true;
                }
            } else if (s[0] == 'c' && rawStartsWith(s, "cidr:")) {
                ep.cidr = true;
            }
        }
        if (first != nullptr) {
            ep.labels = std::string_view(first, static_cast<size_t>(end - first));
        }
        return simdjson::SUCCESS;
    });
}

// Endpoint.workloads: the first one is the pod's top-level controller.
inline ErrorCode workloadsArray(Value& value,
                                HubbleEndpoint& ep,
                                FieldProblem& problem,
                                std::string_view name) {
    return withArray(value, problem, name, [&](simdjson::ondemand::array& array) {
        for (auto element : array) {
            Value workload;
            if (ErrorCode e = std::move(element).get(workload); e != simdjson::SUCCESS) {
                return e;
            }
            // Only the first element; the rest of the array is skipped by the enclosing object.
            return forEachField(workload, problem, name, [&](FlowKey k, Value& v) {
                if (k == FlowKey::kName) {
                    return readString(v, ep.workload_name, problem, name);
                }
                if (k == FlowKey::kKind) {
                    return readString(v, ep.workload_kind, problem, name);
                }
                return simdjson::SUCCESS;
            });
        }
        return simdjson::SUCCESS;
    });
}

}  // namespace netpolgen::io::detail
