#include "io/policy_yaml.h"

#include <string_view>

#include "io/policy_encoder.h"
#include "io/yaml_writer.h"

namespace netpolgen::io {
namespace {

constexpr size_t kStep = 2;

// Block YAML with the layout of writeYaml. A mapping that is a list item starts on the item's
// "- " line: its first key is not indented (`continue_item`).
class BlockWriter {
public:
    explicit BlockWriter(std::string& out) : out_(out) {}

    // `key:` followed by a nested block on the next lines.
    void blockKey(size_t indent, std::string_view key) {
        keyPrefix(indent, key);
        out_ += '\n';
    }
    void stringEntry(size_t indent, std::string_view key, std::string_view value) {
        keyPrefix(indent, key);
        out_ += ' ';
        appendYamlString(out_, value);
        out_ += '\n';
    }
    void numberEntry(size_t indent, std::string_view key, uint64_t value) {
        keyPrefix(indent, key);
        out_ += ' ';
        out_ += std::to_string(value);
        out_ += '\n';
    }
    // `key: {}` for an empty mapping.
    void emptyEntry(size_t indent, std::string_view key) {
        keyPrefix(indent, key);
        out_ += " {}\n";
    }
    void stringItem(size_t indent, std::string_view value) {
        startLine(indent);
        out_ += "- ";
        appendYamlString(out_, value);
        out_ += '\n';
    }
    // "- " of a list item that is a non-empty mapping; its entries follow at indent + 2.
    void mappingItem(size_t indent) {
        startLine(indent);
        out_ += "- ";
        continue_item_ = true;
    }
    void emptyItem(size_t indent) {
        startLine(indent);
        out_ += "- {}\n";
    }

private:
    void startLine(size_t indent) {
        if (continue_item_) {
            continue_item_ = false;
        } else {
            out_.append(indent, ' ');
        }
    }
    void keyPrefix(size_t indent, std::string_view key) {
        startLine(indent);
        appendYamlString(out_, key);
        out_ += ':';
    }

    std::string& out_;
    bool continue_item_ = false;
};

void writeLabels(BlockWriter& w, size_t indent, const core::Labels& labels) {
    for (const auto& [key, value] : labels) {
        w.stringEntry(indent, key, value);
    }
}

// `key:` and the selector below it, or `key: {}`.
void writeSelector(BlockWriter& w,
                   size_t indent,
                   std::string_view key,
                   const core::LabelSelector& s) {
    if (s.empty()) {
        w.emptyEntry(indent, key);
        return;
    }
    w.blockKey(indent, key);
    const size_t inner = indent + kStep;
    if (!s.match_expressions.empty()) {
        w.blockKey(inner, "matchExpressions");
        for (const core::SelectorRequirement& r : s.match_expressions) {
            w.mappingItem(inner);
            w.stringEntry(inner + kStep, "key", r.key);
            w.stringEntry(inner + kStep, "operator", core::selectorOperatorName(r.op));
            if (!r.values.empty()) {
                w.blockKey(inner + kStep, "values");
                for (const std::string& v : r.values) {
                    w.stringItem(inner + kStep, v);
                }
            }
        }
    }
    if (!s.match_labels.empty()) {
        w.blockKey(inner, "matchLabels");
        writeLabels(w, inner + kStep, s.match_labels);
    }
}

void writePeer(BlockWriter& w, size_t indent, const core::PolicyPeer& peer) {
    if (!peer.ip_block && !peer.namespace_selector && !peer.pod_selector) {
        w.emptyItem(indent);
        return;
    }
    w.mappingItem(indent);
    const size_t inner = indent + kStep;
    if (peer.ip_block) {
        w.blockKey(inner, "ipBlock");
        w.stringEntry(inner + kStep, "cidr", peer.ip_block->cidr);
        if (!peer.ip_block->except.empty()) {
            w.blockKey(inner + kStep, "except");
            for (const std::string& cidr : peer.ip_block->except) {
                w.stringItem(inner + kStep, cidr);
            }
        }
    }
    if (peer.namespace_selector) {
        writeSelector(w, inner, "namespaceSelector", *peer.namespace_selector);
    }
    if (peer.pod_selector) {
        writeSelector(w, inner, "podSelector", *peer.pod_selector);
    }
}

void writePort(BlockWriter& w, size_t indent, const core::PolicyPort& port) {
    if (!port.port && !port.end_port && !port.protocol_set) {
        w.emptyItem(indent);
        return;
    }
    w.mappingItem(indent);
    const size_t inner = indent + kStep;
    if (port.end_port) {
        w.numberEntry(inner, "endPort", *port.end_port);
    }
    if (port.port) {
        if (port.port->isNamed()) {
            w.stringEntry(inner, "port", port.port->name);
        } else {
            w.numberEntry(inner, "port", port.port->number);
        }
    }
    if (port.protocol_set) {
        w.stringEntry(inner, "protocol", core::protocolName(port.protocol));
    }
}

void writeRule(BlockWriter& w,
               size_t indent,
               const core::PolicyRule& rule,
               std::string_view peers_key) {
    if (rule.peers.empty() && rule.ports.empty()) {
        w.emptyItem(indent);
        return;
    }
    w.mappingItem(indent);
    const size_t inner = indent + kStep;
    const auto write_peers = [&] {
        if (!rule.peers.empty()) {
            w.blockKey(inner, peers_key);
            for (const core::PolicyPeer& peer : rule.peers) {
                writePeer(w, inner, peer);
            }
        }
    };
    // Keys in byte order: "from" < "ports" < "to".
    if (peers_key < std::string_view("ports")) {
        write_peers();
    }
    if (!rule.ports.empty()) {
        w.blockKey(inner, "ports");
        for (const core::PolicyPort& port : rule.ports) {
            writePort(w, inner, port);
        }
    }
    if (peers_key > std::string_view("ports")) {
        write_peers();
    }
}

void writeRules(BlockWriter& w,
                size_t indent,
                std::string_view key,
                const std::vector<core::PolicyRule>& rules,
                std::string_view peers_key) {
    if (rules.empty()) {
        return;
    }
    w.blockKey(indent, key);
    for (const core::PolicyRule& rule : rules) {
        writeRule(w, indent, rule, peers_key);
    }
}

// Keys writeYaml would write in the explicit `? key` form: left to the generic writer.
bool hasOverlongKey(const core::NetworkPolicy& policy) {
    const auto overlong = [](const core::Labels& labels) {
        for (const auto& entry : labels) {
            // At worst every byte is written as \uXXXX, inside quotes.
            if (entry.first.size() * 6 + 2 > kYamlMaxSimpleKeyBytes) {
                return true;
            }
        }
        return false;
    };
    const auto selector_overlong = [&](const core::LabelSelector& s) {
        return overlong(s.match_labels);
    };
    if (overlong(policy.labels) || overlong(policy.annotations) ||
        selector_overlong(policy.pod_selector)) {
        return true;
    }
    for (const auto* rules : {&policy.ingress, &policy.egress}) {
        for (const core::PolicyRule& rule : *rules) {
            for (const core::PolicyPeer& peer : rule.peers) {
                if ((peer.pod_selector && selector_overlong(*peer.pod_selector)) ||
                    (peer.namespace_selector && selector_overlong(*peer.namespace_selector))) {
                    return true;
                }
            }
        }
    }
    return false;
}

}  // namespace

void appendPolicyYaml(std::string& out, const core::NetworkPolicy& policy) {
    if (hasOverlongKey(policy)) {
        out += writeYaml(policyToJson(policy));
        return;
    }
    BlockWriter w(out);
    out += "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n";
    if (!policy.annotations.empty()) {
        w.blockKey(kStep, "annotations");
        writeLabels(w, 2 * kStep, policy.annotations);
    }
    if (!policy.labels.empty()) {
        w.blockKey(kStep, "labels");
        writeLabels(w, 2 * kStep, policy.labels);
    }
    w.stringEntry(kStep, "name", policy.name);
    w.stringEntry(kStep, "namespace", policy.ns);
    out += "spec:\n";
    writeRules(w, kStep, "egress", policy.egress, "to");
    writeRules(w, kStep, "ingress", policy.ingress, "from");
    writeSelector(w, kStep, "podSelector", policy.pod_selector);
    if (!policy.policy_types.empty()) {
        w.blockKey(kStep, "policyTypes");
        for (const core::PolicyType type : policy.policy_types) {
            w.stringItem(kStep, type == core::PolicyType::kIngress ? "Ingress" : "Egress");
        }
    }
}

}  // namespace netpolgen::io
