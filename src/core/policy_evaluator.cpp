#include "core/policy_evaluator.h"

#include <algorithm>

namespace netpolgen::core {
namespace {

// Go's net.IPNet.Contains: an IPv4 address is only ever inside an IPv4 range (or an IPv4-mapped
// IPv6 one, which Cidr stores the same way), an IPv6 address only inside an IPv6 range.
bool inRange(const Cidr& range, const IpAddress& ip) {
    return range.isV4() == ip.isV4() && range.contains(ip);
}

const std::vector<PolicyRule>& rulesOf(const NetworkPolicy& p, PolicyType dir) {
    return dir == PolicyType::kIngress ? p.ingress : p.egress;
}

bool hasDirection(const NetworkPolicy& p, PolicyType dir) {
    return dir == PolicyType::kIngress ? p.affectsIngress() : p.affectsEgress();
}

}  // namespace

PolicyEvaluator::PolicyEvaluator(const Cluster& cluster,
                                 std::vector<const NetworkPolicy*> policies,
                                 EvaluatorOptions options)
    : cluster_(cluster), policies_(std::move(policies)), options_(options) {
    for (size_t i = 0; i < policies_.size(); ++i) {
        const NetworkPolicy& p = *policies_[i];
        by_namespace_[p.ns].push_back(i);
        for (const auto* rules : {&p.ingress, &p.egress}) {
            for (const PolicyRule& rule : *rules) {
                for (const PolicyPeer& peer : rule.peers) {
                    if (!peer.ip_block) {
                        continue;
                    }
                    ParsedBlock parsed;
                    if (auto cidr = Cidr::parse(peer.ip_block->cidr)) {
                        parsed.cidr = *cidr;
                    }
                    for (const std::string& text : peer.ip_block->except) {
                        if (auto ex = Cidr::parse(text)) {
                            parsed.except.push_back(*ex);
                        }
                    }
                    blocks_.emplace(&*peer.ip_block, std::move(parsed));
                }
            }
        }
    }
}

const std::vector<size_t>& PolicyEvaluator::policiesIn(const std::string& ns) const {
    static const std::vector<size_t> kNone;
    auto it = by_namespace_.find(ns);
    return it == by_namespace_.end() ? kNone : it->second;
}

bool PolicyEvaluator::selects(const NetworkPolicy& p, const Workload& w, PolicyType dir) const {
    // hostNetwork pods are never selected (docs/egress-and-flavours.md §1.8): not isolated.
    return hasDirection(p, dir) && !exempt(w) && p.pod_selector.matches(w.pod_labels);
}

std::vector<const NetworkPolicy*> PolicyEvaluator::selecting(size_t workload,
                                                             PolicyType direction) const {
    const Workload& w = cluster_.workloads[workload];
    std::vector<const NetworkPolicy*> out;
    for (size_t i : policiesIn(w.ns)) {
        if (selects(*policies_[i], w, direction)) {
            out.push_back(policies_[i]);
        }
    }
    return out;
}

bool PolicyEvaluator::ingressAllowed(const Connection& c) const {
    return directionAllows(PolicyType::kIngress, c.dst, c.src, c);
}

bool PolicyEvaluator::egressAllowed(const Connection& c) const {
    return directionAllows(PolicyType::kEgress, c.src, c.dst, c);
}

bool PolicyEvaluator::directionAllows(PolicyType dir,
                                      const ConnectionEnd& subject,
                                      const ConnectionEnd& peer,
                                      const Connection& c) const {
    if (!subject.workload) {
        return true;  // external endpoints are never isolated
    }
    const Workload& w = cluster_.workloads[*subject.workload];
    bool isolated = false;
    for (size_t i : policiesIn(w.ns)) {
        const NetworkPolicy& p = *policies_[i];
        if (!selects(p, w, dir)) {
            continue;
        }
        isolated = true;
        for (const PolicyRule& rule : rulesOf(p, dir)) {
            if (ruleAdmits(rule, peer, p.ns, c)) {
                return true;
            }
        }
    }
    return !isolated;
}

bool PolicyEvaluator::ruleAdmits(const PolicyRule& rule,
                                 const ConnectionEnd& peer,
                                 const std::string& policy_ns,
                                 const Connection& c) const {
    const bool peer_ok =
        rule.peers.empty() ||
        std::any_of(rule.peers.begin(), rule.peers.end(), [&](const PolicyPeer& x) {
            return checkPeer(x, peer, policy_ns) == PeerMismatch::kMatch;
        });
    if (!peer_ok) {
        return false;
    }
    return rule.ports.empty() ||
           std::any_of(rule.ports.begin(), rule.ports.end(), [&](const PolicyPort& e) {
               return checkPort(e, c) == PortMismatch::kMatch;
           });
}

Explanation PolicyEvaluator::explain(const Connection& c) const {
    Explanation e;
    e.egress = explainDirection(PolicyType::kEgress, c.src, c.dst, c);
    e.ingress = explainDirection(PolicyType::kIngress, c.dst, c.src, c);
    e.allowed = e.egress.allowed && e.ingress.allowed;
    return e;
}

DirectionExplanation PolicyEvaluator::explainDirection(PolicyType dir,
                                                       const ConnectionEnd& subject,
                                                       const ConnectionEnd& peer,
                                                       const Connection& c) const {
    DirectionExplanation out;
    out.direction = dir;
    out.subject_in_cluster = subject.workload.has_value();
    if (!subject.workload) {
        return out;
    }
    const Workload& w = cluster_.workloads[*subject.workload];
    for (size_t i : policiesIn(w.ns)) {
        const NetworkPolicy& p = *policies_[i];
        if (!selects(p, w, dir)) {
            continue;
        }
        PolicyCheck check;
        check.policy = &p;
        const auto& rules = rulesOf(p, dir);
        for (size_t r = 0; r < rules.size(); ++r) {
            RuleCheck rc = checkRule(rules[r], r, peer, p.ns, c);
            if (rc.admits() && !out.allowed_by) {
                out.allowed_by = Admission{&p, r, rc.matched_peer, rc.matched_port};
            }
            check.rules.push_back(std::move(rc));
        }
        out.policies.push_back(std::move(check));
    }
    out.isolated = !out.policies.empty();
    out.allowed = !out.isolated || out.allowed_by.has_value();
    return out;
}

RuleCheck PolicyEvaluator::checkRule(const PolicyRule& rule,
                                     size_t index,
                                     const ConnectionEnd& peer,
                                     const std::string& policy_ns,
                                     const Connection& c) const {
    RuleCheck out;
    out.rule = index;
    out.peers.reserve(rule.peers.size());
    for (size_t j = 0; j < rule.peers.size(); ++j) {
        out.peers.push_back(checkPeer(rule.peers[j], peer, policy_ns));
        if (out.peers.back() == PeerMismatch::kMatch && !out.matched_peer) {
            out.matched_peer = j;
        }
    }
    out.ports.reserve(rule.ports.size());
    for (size_t j = 0; j < rule.ports.size(); ++j) {
        out.ports.push_back(checkPort(rule.ports[j], c));
        if (out.ports.back() == PortMismatch::kMatch && !out.matched_port) {
            out.matched_port = j;
        }
    }
    return out;
}

PeerMismatch PolicyEvaluator::checkPeer(const PolicyPeer& peer,
                                        const ConnectionEnd& end,
                                        const std::string& policy_ns) const {
    if (peer.ip_block) {
        if (!end.ip) {
            return PeerMismatch::kNoAddress;
        }
        if (end.workload && !options_.ipblock_matches_pods) {
            return PeerMismatch::kPodAddress;
        }
        auto it = blocks_.find(&*peer.ip_block);
        ParsedBlock parsed_here;
        if (it == blocks_.end()) {
            // A peer of a policy this evaluator was not built with: parse it now.
            if (auto cidr = Cidr::parse(peer.ip_block->cidr)) {
                parsed_here.cidr = *cidr;
            }
            for (const std::string& text : peer.ip_block->except) {
                if (auto ex = Cidr::parse(text)) {
                    parsed_here.except.push_back(*ex);
                }
            }
        }
        const ParsedBlock& block = it == blocks_.end() ? parsed_here : it->second;
        if (!block.cidr || !inRange(*block.cidr, *end.ip)) {
            return PeerMismatch::kNotInCidr;
        }
        for (const Cidr& ex : block.except) {
            if (inRange(ex, *end.ip)) {
                return PeerMismatch::kExcepted;
            }
        }
        return PeerMismatch::kMatch;
    }
    if (!end.workload) {
        return PeerMismatch::kNotAPod;  // selectors only ever select pods
    }
    const Workload& w = cluster_.workloads[*end.workload];
    if (exempt(w)) {
        return PeerMismatch::kHostNetwork;  // its traffic comes from the node's address
    }
    if (!peer.namespace_selector) {
        if (w.ns != policy_ns) {
            return PeerMismatch::kOtherNamespace;
        }
    } else {
        const Namespace* ns = cluster_.findNamespace(w.ns);
        static const Labels kNoLabels;
        if (!peer.namespace_selector->matches(ns != nullptr ? ns->labels : kNoLabels)) {
            return PeerMismatch::kNamespaceSelector;
        }
    }
    if (peer.pod_selector && !peer.pod_selector->matches(w.pod_labels)) {
        return PeerMismatch::kPodSelector;
    }
    return PeerMismatch::kMatch;
}

PortMismatch PolicyEvaluator::checkPort(const PolicyPort& e, const Connection& c) const {
    if (e.protocol != c.protocol) {
        return PortMismatch::kProtocol;
    }
    if (!e.port) {
        return PortMismatch::kMatch;
    }
    if (!e.port->isNamed()) {
        const uint32_t last = e.end_port.value_or(e.port->number);
        return e.port->number <= c.port && c.port <= last ? PortMismatch::kMatch
                                                          : PortMismatch::kNumber;
    }
    // A named port resolves against the destination pod (rule 28), whichever the direction.
    if (!c.dst.workload) {
        return PortMismatch::kNamedExternal;
    }
    bool named = false;
    for (const ContainerPort& cp : cluster_.workloads[*c.dst.workload].ports) {
        if (cp.name == e.port->name && cp.protocol == c.protocol) {
            if (cp.port == c.port) {
                return PortMismatch::kMatch;
            }
            named = true;
        }
    }
    return named ? PortMismatch::kNamedOtherNumber : PortMismatch::kNamedNotOnPod;
}

}  // namespace netpolgen::core
