// PolicyEvaluator: is a connection allowed by a set of NetworkPolicies, and why? The reference
// algorithm of docs/networkpolicy-semantics.md §8, evaluated for workloads (all pods of a workload
// share its pod-template labels and container ports) and addresses outside the cluster.
//
//   PolicyEvaluator eval(cluster, policies);
//   eval.allowed({src, dst, Protocol::kTcp, 8080})   // egress of src AND ingress of dst
//   Explanation e = eval.explain(connection);       // which policies isolate, which rule admits
//
// A connection end is a workload, optionally with one of its pod IPs, or an IP outside the
// cluster. ipBlock peers match addresses only: a workload given without an IP never matches one
// (PeerMismatch::kNoAddress). Pod IPs match ipBlocks unless EvaluatorOptions says otherwise
// (rule 22). An ipBlock matches addresses of its own family only, as Go's net.IPNet does: an IPv6
// block such as ::/0 never matches an IPv4 address.
//
// Cost: construction indexes the policies by namespace and parses every ipBlock once; one
// evaluation then visits the policies of the two namespaces concerned only. The cluster and the
// policies must outlive the evaluator and stay where they are (parsed ipBlocks are keyed by
// address). Thread-compatible: const methods may run concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/cluster.h"
#include "core/ip_address.h"

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
    uint32_t port = 0;  // the destination (container) port
};

struct EvaluatorOptions {
    // Upstream Kubernetes: an ipBlock matches pod IPs too (rule 22). netpol-analyzer: false.
    bool ipblock_matches_pods = true;
    // hostNetwork pods neither isolated nor matched by selectors (see ConnectivityOptions).
    bool host_network_exempt = true;
};

// Why one peer of a rule does not match the other end of the connection (kMatch: it does).
enum class PeerMismatch : uint8_t {
    kMatch,
    kNotInCidr,          // ipBlock: the address is outside `cidr` (or of the other family)
    kExcepted,           // ipBlock: the address is inside one of the `except` ranges
    kNoAddress,          // ipBlock: the end is a workload given without an IP
    kPodAddress,         // ipBlock: the address is a pod's, and ipBlocks do not match pods
    kNotAPod,            // selectors: the end is outside the cluster (selectors select pods only)
    kOtherNamespace,     // podSelector without namespaceSelector: not the policy's namespace
    kNamespaceSelector,  // namespaceSelector does not match the namespace's labels
    kPodSelector,        // podSelector does not match the pod's labels
    kHostNetwork,        // selectors: the pods use the node's network (hostNetwork), never selected
};

// Why one port entry of a rule does not match the connection (kMatch: it does).
enum class PortMismatch : uint8_t {
    kMatch,
    kProtocol,          // the entry's protocol (TCP when absent) is another one
    kNumber,            // the port is not the entry's number or not in [port, endPort]
    kNamedExternal,     // a named port never matches a destination outside the cluster
    kNamedNotOnPod,     // the destination has no container port of that name and protocol
    kNamedOtherNumber,  // the name is another number on the destination
};

// One rule of a policy, checked against the connection.
struct RuleCheck {
    size_t rule = 0;                     // index in the policy's ingress or egress list
    std::vector<PeerMismatch> peers;     // per peer; empty: the rule lists none (every peer)
    std::vector<PortMismatch> ports;     // per port entry; empty: every protocol and port
    std::optional<size_t> matched_peer;  // the first matching peer
    std::optional<size_t> matched_port;  // the first matching port entry

    bool peerMatches() const { return peers.empty() || matched_peer.has_value(); }
    bool portMatches() const { return ports.empty() || matched_port.has_value(); }
    bool admits() const { return peerMatches() && portMatches(); }
    bool operator==(const RuleCheck&) const = default;
};

// A policy that isolates the subject for the direction, with each of its rules checked.
struct PolicyCheck {
    const NetworkPolicy* policy = nullptr;
    std::vector<RuleCheck> rules;  // empty: the policy admits nothing in this direction
    bool operator==(const PolicyCheck&) const = default;
};

// The rule that admits the connection in one direction.
struct Admission {
    const NetworkPolicy* policy = nullptr;
    size_t rule = 0;
    std::optional<size_t> peer;  // nothing: the rule lists no peers (every peer)
    std::optional<size_t> port;  // nothing: the rule lists no ports (every port)
    bool operator==(const Admission&) const = default;
};

// One direction: egress of the source, or ingress of the destination.
struct DirectionExplanation {
    PolicyType direction = PolicyType::kIngress;
    bool subject_in_cluster = false;    // false: an address outside the cluster, never isolated
    bool isolated = false;              // at least one policy selects the subject for the direction
    bool allowed = true;                // not isolated, or some rule admits the connection
    std::vector<PolicyCheck> policies;  // the isolating policies, in the evaluator's order
    std::optional<Admission> allowed_by;  // the first admitting rule, when isolated and allowed
    bool operator==(const DirectionExplanation&) const = default;
};

struct Explanation {
    bool allowed = true;           // egress.allowed && ingress.allowed
    DirectionExplanation egress;   // of the source
    DirectionExplanation ingress;  // of the destination
    bool operator==(const Explanation&) const = default;
};

class PolicyEvaluator {
public:
    // Policies are evaluated in the given order (explanations list them in it).
    PolicyEvaluator(const Cluster& cluster,
                    std::vector<const NetworkPolicy*> policies,
                    EvaluatorOptions options = {});

    bool allowed(const Connection& c) const { return egressAllowed(c) && ingressAllowed(c); }
    bool ingressAllowed(const Connection& c) const;
    bool egressAllowed(const Connection& c) const;
    // Policies that select the workload for a direction (empty: not isolated).
    std::vector<const NetworkPolicy*> selecting(size_t workload, PolicyType direction) const;

    // Everything behind allowed(c): isolation per direction and every rule of every isolating
    // policy checked. explain(c).allowed == allowed(c).
    Explanation explain(const Connection& c) const;

    // The per-peer and per-port checks behind a rule (exposed for tests and tools).
    PeerMismatch checkPeer(const PolicyPeer& peer,
                           const ConnectionEnd& end,
                           const std::string& policy_ns) const;
    PortMismatch checkPort(const PolicyPort& entry, const Connection& c) const;

private:
    struct ParsedBlock {
        std::optional<Cidr> cidr;  // nothing: unparsable (never matches)
        std::vector<Cidr> except;
    };

    const std::vector<size_t>& policiesIn(const std::string& ns) const;
    bool selects(const NetworkPolicy& p, const Workload& w, PolicyType dir) const;
    // A hostNetwork workload that policies neither isolate nor select (options_).
    bool exempt(const Workload& w) const { return w.host_network && options_.host_network_exempt; }
    bool directionAllows(PolicyType dir,
                         const ConnectionEnd& subject,
                         const ConnectionEnd& peer,
                         const Connection& c) const;
    DirectionExplanation explainDirection(PolicyType dir,
                                          const ConnectionEnd& subject,
                                          const ConnectionEnd& peer,
                                          const Connection& c) const;
    RuleCheck checkRule(const PolicyRule& rule,
                        size_t index,
                        const ConnectionEnd& peer,
                        const std::string& policy_ns,
                        const Connection& c) const;
    bool ruleAdmits(const PolicyRule& rule,
                    const ConnectionEnd& peer,
                    const std::string& policy_ns,
                    const Connection& c) const;

    const Cluster& cluster_;
    std::vector<const NetworkPolicy*> policies_;
    EvaluatorOptions options_;
    std::map<std::string, std::vector<size_t>, std::less<>> by_namespace_;  // → policies_ indices
    std::unordered_map<const IpBlock*, ParsedBlock> blocks_;
};

}  // namespace netpolgen::core
