// FlowObservation: one observed connection as a decoder reads it, before it is resolved against
// the cluster. Decoders (src/io) fill it from canonical JSON Lines or Hubble flows and hand it to a
// FlowAggregator (core/flow_aggregator.h), which resolves both ends and adds it to the graph.
//
// All string_views point into the decoder's buffer and are valid only during the call that
// receives the observation: consumers copy or intern what they keep.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "core/protocol.h"

namespace netpolgen::core {

// Unix seconds; kUndated when the flow carries no time.
using Timestamp = int64_t;
inline constexpr Timestamp kUndated = std::numeric_limits<int64_t>::min();

struct FlowEndpoint {
    enum class Kind : uint8_t {
        kUnknown,   // nothing usable was given
        kWorkload,  // ns + name (+ optional workload_kind); Hubble: name, pod, labels and ip
                    // as far as given (ns may come from the labels only)
        kIp,        // an address, resolved against pod and Service IPs
        kCidr,      // an external range: always an external source
        kInternet,  // outside the cluster
        kInternal,  // in the cluster but no workload: node, host network, another cluster
    };
    Kind kind = Kind::kUnknown;
    std::string_view ns;
    std::string_view name;
    std::string_view workload_kind;  // "Deployment", … or empty when not known
    std::string_view pod;            // pod name when known (Hubble pod_name)
    // Hubble Endpoint.labels as the raw JSON text of the array's elements, quotes and escapes
    // included ("\"k8s:app=x\",\"k8s:io.kubernetes.pod.namespace=shop\""); resolved against pod
    // selectors only when neither a workload nor a pod name resolves (core/endpoint_resolver.h).
    std::string_view labels;
    std::string_view ip;    // the endpoint's address when known
    std::string_view cidr;  // kCidr only
    // The one text the endpoint was decoded from, when one text says all of it (a canonical
    // "src"/"dst", unescaped): equal texts are equal endpoints, so consumers may resolve each
    // distinct text once (core/flow_aggregator.h). Empty otherwise (Hubble endpoints).
    std::string_view text;
};

struct FlowObservation {
    FlowEndpoint src;
    FlowEndpoint dst;
    uint32_t port = 0;  // destination (container) port; 0 = unknown
    Protocol protocol = Protocol::kTcp;
    Timestamp time = kUndated;
    uint64_t count = 1;
};

}  // namespace netpolgen::core
