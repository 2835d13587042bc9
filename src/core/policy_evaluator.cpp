#include "core/policy_evaluator.h"

#include <algorithm>

namespace netpolgen::core {
namespace {

bool ipBlockMatches(const IpBlock& block, const IpAddress& ip) {
    auto cidr = Cidr::parse(block.cidr);
    if (!cidr || !cidr->contains(ip)) {
        return false;
    }
    return std::none_of(block.except.begin(), block.except.end(), [&](const std::string& e) {
        auto ex = Cidr::parse(e);
        return ex && ex->contains(ip);
    });
}

}  // namespace

PolicyEvaluator::PolicyEvaluator(const Cluster& cluster,
                                 std::vector<const NetworkPolicy*> policies,
                                 EvaluatorOptions options)
    : cluster_(cluster), policies_(std::move(policies)), options_(options) {}

std::vector<const NetworkPolicy*> PolicyEvaluator::selecting(size_t workload,
                                                             PolicyType direction) const {
    const Workload& w = cluster_.workloads[workload];
    std::vector<const NetworkPolicy*> out;
    for (const NetworkPolicy* p : policies_) {
        const bool affects =
            direction == PolicyType::kIngress ? p->affectsIngress() : p->affectsEgress();
        if (affects && p->ns == w.ns && p->pod_selector.matches(w.pod_labels)) {
            out.push_back(p);
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
    const auto selected = selecting(*subject.workload, dir);
    if (selected.empty()) {
        return true;
    }
    for (const NetworkPolicy* p : selected) {
        const auto& rules = dir == PolicyType::kIngress ? p->ingress : p->egress;
        for (const PolicyRule& rule : rules) {
            const bool peer_ok =
                rule.peers.empty() ||
                std::any_of(rule.peers.begin(), rule.peers.end(), [&](const PolicyPeer& x) {
                    return peerMatches(x, peer, p->ns);
                });
            if (peer_ok && portsMatch(rule.ports, c)) {
                return true;
            }
        }
    }
    return false;
}

bool PolicyEvaluator::peerMatches(const PolicyPeer& peer,
                                  const ConnectionEnd& end,
                                  const std::string& policy_ns) const {
    if (peer.ip_block) {
        if (!end.ip || (end.workload && !options_.ipblock_matches_pods)) {
            return false;
        }
        return ipBlockMatches(*peer.ip_block, *end.ip);
    }
    if (!end.workload) {
        return false;  // selectors only ever select pods
    }
    const Workload& w = cluster_.workloads[*end.workload];
    bool ns_ok = false;
    if (!peer.namespace_selector) {
        ns_ok = w.ns == policy_ns;
    } else {
        const Namespace* ns = cluster_.findNamespace(w.ns);
        ns_ok = peer.namespace_selector->matches(ns ? ns->labels : Labels{});
    }
    const bool pod_ok = !peer.pod_selector || peer.pod_selector->matches(w.pod_labels);
    return ns_ok && pod_ok;
}

bool PolicyEvaluator::portsMatch(const std::vector<PolicyPort>& ports, const Connection& c) const {
    if (ports.empty()) {
        return true;
    }
    for (const PolicyPort& e : ports) {
        if (e.protocol != c.protocol) {
            continue;
        }
        if (!e.port) {
            return true;
        }
        if (!e.port->isNamed()) {
            const uint32_t end = e.end_port.value_or(e.port->number);
            if (e.port->number <= c.port && c.port <= end) {
                return true;
            }
            continue;
        }
        if (!c.dst.workload) {
            continue;  // a named port never matches an external destination
        }
        for (const ContainerPort& cp : cluster_.workloads[*c.dst.workload].ports) {
            if (cp.name == e.port->name && cp.protocol == c.protocol && cp.port == c.port) {
                return true;
            }
        }
    }
    return false;
}

}  // namespace netpolgen::core
