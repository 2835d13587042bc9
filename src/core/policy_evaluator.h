// PolicyEvaluator: is a connection allowed by a set of NetworkPolicies? The reference algorithm of
// docs/networkpolicy-semantics.md §8, evaluated for workloads (all pods of a workload share its
// pod-template labels) and external addresses.
//
//   PolicyEvaluator eval(cluster, policies);
//   eval.allowed({src, dst, Protocol::kTcp, 8080})   // egress of src AND ingress of dst
#pragma once

#include <optional>
#include <vector>

#include "core/cluster.h"

namespace netpolgen::core {

// A workload of the cluster (optionally one of its pod IPs), or an address outside of it.
struct ConnectionEnd {
    std::optional<size_t> workload;
    std::optional<IpAddress> ip;
};

struct Connection {
    ConnectionEnd src;
    ConnectionEnd dst;
    Protocol protocol = Protocol::kTcp;
    uint32_t port = 0;
};

struct EvaluatorOptions {
    // Upstream Kubernetes: an ipBlock matches pod IPs too (rule 22). netpol-analyzer: false.
    bool ipblock_matches_pods = true;
};

class PolicyEvaluator {
public:
    PolicyEvaluator(const Cluster& cluster,
                    std::vector<const NetworkPolicy*> policies,
                    EvaluatorOptions options = {});

    bool allowed(const Connection& c) const { return egressAllowed(c) && ingressAllowed(c); }
    bool ingressAllowed(const Connection& c) const;
    bool egressAllowed(const Connection& c) const;
    // Policies that select the workload for a direction (empty: not isolated).
    std::vector<const NetworkPolicy*> selecting(size_t workload, PolicyType direction) const;

private:
    bool directionAllows(PolicyType dir,
                         const ConnectionEnd& subject,
                         const ConnectionEnd& peer,
                         const Connection& c) const;
    bool peerMatches(const PolicyPeer& peer,
                     const ConnectionEnd& end,
                     const std::string& policy_ns) const;
    bool portsMatch(const std::vector<PolicyPort>& ports, const Connection& c) const;

    const Cluster& cluster_;
    std::vector<const NetworkPolicy*> policies_;
    EvaluatorOptions options_;
};

}  // namespace netpolgen::core
