#include "io/policy_json.h"

#include <array>
#include <nlohmann/json.hpp>
#include <string_view>

#include "io/policy_encoder.h"

namespace netpolgen::io {
namespace {

constexpr size_t kStep = 2;
constexpr size_t kPartBytes = size_t{4} << 20;

// A JSON string as nlohmann's serializer writes it with ensure_ascii off.
void appendJsonString(std::string& out, std::string_view s) {
    for (const char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            // Checked and written by nlohmann itself: invalid UTF-8 throws as before.
            out += nlohmann::json(s).dump();
            return;
        }
    }
    // The two-character escapes, in the order of their letters; other bytes below 0x20 as \u00XX.
    constexpr std::string_view kEscaped = "\"\\\b\f\n\r\t";
    constexpr std::string_view kLetters = "\"\\bfnrt";
    constexpr std::string_view kHex = "0123456789abcdef";
    out += '"';
    for (const char c : s) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && c != '"' && c != '\\') {
            out += c;
        } else if (const size_t at = kEscaped.find(c); at != std::string_view::npos) {
            out += '\\';
            out += kLetters[at];
        } else {
            out += "\\u00";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        }
    }
    out += '"';
}

// The layout of dump(2): each member or element on its own line, `{}` and `[]` when empty. The
// caller writes object keys in alphabetical order, as nlohmann's std::map keeps them.
class JsonWriter {
public:
    JsonWriter(std::string& out, size_t indent) : out_(out), base_(indent) {}

    void beginObject() { open('{'); }
    void endObject() { close('}'); }
    void beginArray() { open('['); }
    void endArray() { close(']'); }

    // `"key": ` of the next member.
    void key(std::string_view k) {
        item();
        appendJsonString(out_, k);
        out_ += ": ";
        pending_value_ = true;
    }
    void string(std::string_view s) {
        item();
        appendJsonString(out_, s);
    }
    void number(uint64_t n) {
        item();
        std::array<char, 24> digits{};
        size_t i = digits.size();
        do {
            digits[--i] = static_cast<char>('0' + n % 10);
            n /= 10;
        } while (n != 0);
        out_.append(digits.data() + i, digits.size() - i);
    }
    void stringMember(std::string_view k, std::string_view s) {
        key(k);
        string(s);
    }
    void numberMember(std::string_view k, uint64_t n) {
        key(k);
        number(n);
    }

private:
    // Before a value: nothing after a key, else the separator and the indentation of an element.
    void item() {
        if (pending_value_) {
            pending_value_ = false;
            return;
        }
        if (depth_ == 0) {
            return;
        }
        out_ += empty_[depth_] ? "\n" : ",\n";
        empty_[depth_] = false;
        out_.append(base_ + depth_ * kStep, ' ');
    }
    void open(char bracket) {
        item();
        out_ += bracket;
        ++depth_;
        empty_[depth_] = true;
    }
    void close(char bracket) {
        if (!empty_[depth_]) {
            out_ += '\n';
            out_.append(base_ + (depth_ - 1) * kStep, ' ');
        }
        --depth_;
        out_ += bracket;
    }

    static constexpr size_t kMaxDepth = 16;  // a policy is 10 levels deep
    std::string& out_;
    size_t base_;
    size_t depth_ = 0;
    bool pending_value_ = false;
    std::array<bool, kMaxDepth + 1> empty_{};
};

void writeLabels(JsonWriter& w, const core::Labels& labels) {
    w.beginObject();
    for (const auto& [key, value] : labels) {
        w.stringMember(key, value);
    }
    w.endObject();
}

void writeSelector(JsonWriter& w, const core::LabelSelector& s) {
    w.beginObject();
    if (!s.match_expressions.empty()) {
        w.key("matchExpressions");
        w.beginArray();
        for (const core::SelectorRequirement& r : s.match_expressions) {
            w.beginObject();
            w.stringMember("key", r.key);
            w.stringMember("operator", core::selectorOperatorName(r.op));
            if (!r.values.empty()) {
                w.key("values");
                w.beginArray();
                for (const std::string& v : r.values) {
                    w.string(v);
                }
                w.endArray();
            }
            w.endObject();
        }
        w.endArray();
    }
    if (!s.match_labels.empty()) {
        w.key("matchLabels");
        writeLabels(w, s.match_labels);
    }
    w.endObject();
}

void writePeer(JsonWriter& w, const core::PolicyPeer& peer) {
    w.beginObject();
    if (peer.ip_block) {
        w.key("ipBlock");
        w.beginObject();
        w.stringMember("cidr", peer.ip_block->cidr);
        if (!peer.ip_block->except.empty()) {
            w.key("except");
            w.beginArray();
            for (const std::string& cidr : peer.ip_block->except) {
                w.string(cidr);
            }
            w.endArray();
        }
        w.endObject();
    }
    if (peer.namespace_selector) {
        w.key("namespaceSelector");
        writeSelector(w, *peer.namespace_selector);
    }
    if (peer.pod_selector) {
        w.key("podSelector");
        writeSelector(w, *peer.pod_selector);
    }
    w.endObject();
}

void writePort(JsonWriter& w, const core::PolicyPort& port) {
    w.beginObject();
    if (port.end_port) {
        w.numberMember("endPort", *port.end_port);
    }
    if (port.port) {
        if (port.port->isNamed()) {
            w.stringMember("port", port.port->name);
        } else {
            w.numberMember("port", port.port->number);
        }
    }
    if (port.protocol_set) {
        w.stringMember("protocol", core::protocolName(port.protocol));
    }
    w.endObject();
}

void writeRule(JsonWriter& w, const core::PolicyRule& rule, std::string_view peers_key) {
    w.beginObject();
    const auto write_peers = [&] {
        if (!rule.peers.empty()) {
            w.key(peers_key);
            w.beginArray();
            for (const core::PolicyPeer& peer : rule.peers) {
                writePeer(w, peer);
            }
            w.endArray();
        }
    };
    // Keys in byte order: "from" < "ports" < "to".
    if (peers_key < std::string_view("ports")) {
        write_peers();
    }
    if (!rule.ports.empty()) {
        w.key("ports");
        w.beginArray();
        for (const core::PolicyPort& port : rule.ports) {
            writePort(w, port);
        }
        w.endArray();
    }
    if (peers_key > std::string_view("ports")) {
        write_peers();
    }
    w.endObject();
}

void writeRules(JsonWriter& w,
                std::string_view key,
                const std::vector<core::PolicyRule>& rules,
                std::string_view peers_key) {
    if (rules.empty()) {
        return;
    }
    w.key(key);
    w.beginArray();
    for (const core::PolicyRule& rule : rules) {
        writeRule(w, rule, peers_key);
    }
    w.endArray();
}

void writePolicy(JsonWriter& w, const core::NetworkPolicy& policy) {
    w.beginObject();
    w.stringMember("apiVersion", "networking.k8s.io/v1");
    w.stringMember("kind", "NetworkPolicy");
    w.key("metadata");
    w.beginObject();
    if (!policy.annotations.empty()) {
        w.key("annotations");
        writeLabels(w, policy.annotations);
    }
    if (!policy.labels.empty()) {
        w.key("labels");
        writeLabels(w, policy.labels);
    }
    w.stringMember("name", policy.name);
    w.stringMember("namespace", policy.ns);
    w.endObject();
    w.key("spec");
    w.beginObject();
    writeRules(w, "egress", policy.egress, "to");
    writeRules(w, "ingress", policy.ingress, "from");
    w.key("podSelector");
    writeSelector(w, policy.pod_selector);
    if (!policy.policy_types.empty()) {
        w.key("policyTypes");
        w.beginArray();
        for (const core::PolicyType type : policy.policy_types) {
            w.string(type == core::PolicyType::kIngress ? "Ingress" : "Egress");
        }
        w.endArray();
    }
    w.endObject();
    w.endObject();
}

}  // namespace

void appendPolicyJson(std::string& out, const core::NetworkPolicy& policy, size_t indent) {
    JsonWriter w(out, indent);
    writePolicy(w, policy);
}

std::vector<std::string> modificationJsonParts(const core::Modification& m) {
    std::vector<std::string> parts(1);
    // The "apply" items are written into a part that starts anew past kPartBytes; everything else
    // is small.
    const auto part = [&]() -> std::string& {
        if (parts.back().size() >= kPartBytes) {
            parts.emplace_back();
            parts.back().reserve(kPartBytes + (kPartBytes >> 2));
        }
        return parts.back();
    };
    std::string& head = parts.back();
    head.reserve(kPartBytes + (kPartBytes >> 2));
    if (m.apply.empty()) {
        head += "{\n  \"apply\": [],\n";
    } else {
        head += "{\n  \"apply\": [\n";
        for (size_t i = 0; i < m.apply.size(); ++i) {
            std::string& out = part();
            out.append(2 * kStep, ' ');
            appendPolicyJson(out, m.apply[i], 2 * kStep);
            out += i + 1 < m.apply.size() ? ",\n" : "\n";
        }
        part() += "  ],\n";
    }
    std::string& out = part();
    out += "  \"namespaceLabels\": ";
    {
        JsonWriter w(out, kStep);
        w.beginArray();
        for (const core::NamespaceLabel& label : m.namespace_labels) {
            w.beginObject();
            w.key("labels");
            w.beginObject();
            w.stringMember(label.key, label.value);
            w.endObject();
            w.stringMember("namespace", label.ns);
            w.endObject();
        }
        w.endArray();
    }
    out += ",\n  \"toDelete\": ";
    {
        JsonWriter w(out, kStep);
        w.beginArray();
        for (const core::ObjectRef& ref : m.to_delete) {
            w.beginObject();
            w.stringMember("name", ref.name);
            w.stringMember("namespace", ref.ns);
            w.endObject();
        }
        w.endArray();
    }
    out += "\n}\n";
    return parts;
}

}  // namespace netpolgen::io
