// Writing a SynthModel to disk: the cluster as manifests, the traffic as canonical flow lines and
// as Hubble `hubble observe -o json` lines. Lines are formatted into one memory buffer that is
// flushed to the file every few MiB: nothing grows with the number of lines.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.h"
#include "synth/synthetic_cluster.h"

namespace netpolgen::bench {

struct FlowWriteOptions {
    uint64_t lines = 0;
    uint64_t seed = 1;
    double external_ratio =
        0.05;  // share of lines (after every edge was written once) from outside
    core::Timestamp base_time = 0;  // the first line's time; lines spread over the next week
};

struct WriteStats {
    uint64_t lines = 0;
    uint64_t bytes = 0;
    uint64_t connections = 0;  // Hubble: connections written (each one to several lines)
};

// cluster.yaml: Namespaces, Deployments/StatefulSets/DaemonSets, Services, NetworkPolicies.
core::Result<WriteStats> writeClusterYaml(const SynthModel& model, const std::string& path);

// One line per observation; the first `edges` lines visit every edge once, in the model's random
// order, so any prefix of at least that many lines has exactly the model's distinct edges.
core::Result<WriteStats> writeCanonicalFlows(const SynthModel& model,
                                             const FlowWriteOptions& options,
                                             const std::string& path);

// GetFlowsResponse envelopes (~900 bytes a line). A pod-to-pod TCP connection gives its SYN at both
// observation points (source node EGRESS/FROM_ENDPOINT, destination node INGRESS/TO_ENDPOINT), the
// SYN-ACK reply at both, sometimes a policy-verdict event and an established ACK segment; outside
// and node sources are seen at the destination only. The first connections visit every edge once.
core::Result<WriteStats> writeHubbleFlows(const SynthModel& model,
                                          const FlowWriteOptions& options,
                                          const std::string& path);

// Unix seconds of 2026-11-20T00:00:00Z: the default start of the synthetic week.
core::Timestamp defaultBaseTime();

}  // namespace netpolgen::bench
