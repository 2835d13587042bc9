// Random NetworkPolicies for the encoder tests (policy_yaml_test.cpp, policy_json_test.cpp): every
// field, empty collections, and strings that need quoting or escaping. A pure function of the seed.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "core/network_policy.h"

namespace netpolgen::io::test_policies {

using core::LabelSelector;
using core::NetworkPolicy;
using core::PolicyPeer;
using core::PolicyPort;
using core::PolicyRule;

class RandomPolicies {
public:
    explicit RandomPolicies(uint32_t seed) : rng_(seed) {}

    NetworkPolicy policy() {
        NetworkPolicy p;
        p.ns = text();
        p.name = text();
        p.labels = labels();
        p.annotations = labels();
        p.pod_selector = selector();
        for (int i = below(3); i > 0; --i) {
            p.policy_types.push_back(below(2) ? core::PolicyType::kIngress
                                              : core::PolicyType::kEgress);
        }
        p.ingress = rules();
        p.egress = rules();
        return p;
    }

    // The parts, for tests that build other objects from them.
    int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

    // Plain names, and strings YAML would read as something else or cannot hold plainly.
    std::string text() {
        static const std::vector<std::string> kTexts = {"web",        "app.kubernetes.io/name",
                                                        "true",       "80",
                                                        "null",       "y",
                                                        "",           " lead",
                                                        "trail ",     "a: b",
                                                        "#x",         "- x",
                                                        "x #y",       "10.0.0.0/8",
                                                        "0x1F",       "caf\xc3\xa9",
                                                        "tab\there",  "line\nbreak",
                                                        "quote\"d",   "\xff\xfe",
                                                        "2024-01-01", "...",
                                                        "{x}",        "~"};
        if (below(3) == 0) {
            return kTexts[static_cast<size_t>(below(static_cast<int>(kTexts.size())))];
        }
        return "n" + std::to_string(below(50));
    }
    core::Labels labels() {
        core::Labels out;
        for (int i = below(4); i > 0; --i) {
            out[text()] = text();
        }
        return out;
    }
    LabelSelector selector() {
        LabelSelector s;
        s.match_labels = labels();
        for (int i = below(3); i > 0; --i) {
            core::SelectorRequirement r;
            r.key = text();
            r.op = static_cast<core::SelectorOperator>(below(4));
            for (int v = below(3); v > 0; --v) {
                r.values.push_back(text());
            }
            s.match_expressions.push_back(std::move(r));
        }
        return s;
    }
    PolicyPeer peer() {
        PolicyPeer peer;
        if (below(3) == 0) {
            peer.ip_block = core::IpBlock{text(), {}};
            for (int i = below(3); i > 0; --i) {
                peer.ip_block->except.push_back(text());
            }
        }
        if (below(2)) {
            peer.namespace_selector = selector();
        }
        if (below(2)) {
            peer.pod_selector = selector();
        }
        return peer;
    }
    PolicyPort port() {
        PolicyPort port;
        port.protocol = static_cast<core::Protocol>(below(4));
        port.protocol_set = below(2) == 0;
        if (below(3)) {
            port.port = below(3) ? core::PortValue{static_cast<uint32_t>(below(65536)), ""}
                                 : core::PortValue{0, text()};
        }
        if (below(4) == 0) {
            port.end_port = static_cast<uint32_t>(below(65536));
        }
        return port;
    }
    std::vector<PolicyRule> rules() {
        std::vector<PolicyRule> out(static_cast<size_t>(below(4)));
        for (PolicyRule& rule : out) {
            for (int i = below(4); i > 0; --i) {
                rule.peers.push_back(peer());
            }
            for (int i = below(4); i > 0; --i) {
                rule.ports.push_back(port());
            }
        }
        return out;
    }

    std::mt19937 rng_;
};

}  // namespace netpolgen::io::test_policies
