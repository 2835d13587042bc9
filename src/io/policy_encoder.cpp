#include "io/policy_encoder.h"

#include <algorithm>
#include <span>
#include <thread>

#include "io/policy_yaml.h"
#include "io/yaml_writer.h"

namespace netpolgen::io {
namespace {

using nlohmann::json;

json portToJson(const core::PolicyPort& port) {
    json out = json::object();
    if (port.port) {
        if (port.port->isNamed()) {
            out["port"] = port.port->name;
        } else {
            out["port"] = port.port->number;
        }
    }
    if (port.end_port) {
        out["endPort"] = *port.end_port;
    }
    if (port.protocol_set) {
        out["protocol"] = std::string(core::protocolName(port.protocol));
    }
    return out;
}

json peerToJson(const core::PolicyPeer& peer) {
    json out = json::object();
    if (peer.ip_block) {
        json block = {{"cidr", peer.ip_block->cidr}};
        if (!peer.ip_block->except.empty()) {
            block["except"] = peer.ip_block->except;
        }
        out["ipBlock"] = block;
    }
    if (peer.namespace_selector) {
        out["namespaceSelector"] = selectorToJson(*peer.namespace_selector);
    }
    if (peer.pod_selector) {
        out["podSelector"] = selectorToJson(*peer.pod_selector);
    }
    return out;
}

json ruleToJson(const core::PolicyRule& rule, const char* peers_key) {
    json out = json::object();
    if (!rule.peers.empty()) {
        json peers = json::array();
        for (const auto& p : rule.peers) {
            peers.push_back(peerToJson(p));
        }
        out[peers_key] = std::move(peers);
    }
    if (!rule.ports.empty()) {
        json ports = json::array();
        for (const auto& p : rule.ports) {
            ports.push_back(portToJson(p));
        }
        out["ports"] = std::move(ports);
    }
    return out;
}

json rulesToJson(const std::vector<core::PolicyRule>& rules, const char* peers_key) {
    json out = json::array();
    for (const auto& r : rules) {
        out.push_back(ruleToJson(r, peers_key));
    }
    return out;
}

json labelsToJson(const core::Labels& labels) {
    json out = json::object();
    for (const auto& [k, v] : labels) {
        out[k] = v;
    }
    return out;
}

}  // namespace

json selectorToJson(const core::LabelSelector& selector) {
    json out = json::object();
    if (!selector.match_expressions.empty()) {
        json exprs = json::array();
        for (const auto& r : selector.match_expressions) {
            json e = {{"key", r.key}, {"operator", std::string(core::selectorOperatorName(r.op))}};
            if (!r.values.empty()) {
                e["values"] = r.values;
            }
            exprs.push_back(std::move(e));
        }
        out["matchExpressions"] = std::move(exprs);
    }
    if (!selector.match_labels.empty()) {
        out["matchLabels"] = labelsToJson(selector.match_labels);
    }
    return out;
}

json policyToJson(const core::NetworkPolicy& policy) {
    json metadata = {{"name", policy.name}, {"namespace", policy.ns}};
    if (!policy.labels.empty()) {
        metadata["labels"] = labelsToJson(policy.labels);
    }
    if (!policy.annotations.empty()) {
        metadata["annotations"] = labelsToJson(policy.annotations);
    }
    json spec = {{"podSelector", selectorToJson(policy.pod_selector)}};
    if (!policy.ingress.empty()) {
        spec["ingress"] = rulesToJson(policy.ingress, "from");
    }
    if (!policy.egress.empty()) {
        spec["egress"] = rulesToJson(policy.egress, "to");
    }
    if (!policy.policy_types.empty()) {
        json types = json::array();
        for (auto t : policy.policy_types) {
            types.push_back(t == core::PolicyType::kIngress ? "Ingress" : "Egress");
        }
        spec["policyTypes"] = std::move(types);
    }
    return {{"apiVersion", "networking.k8s.io/v1"},
            {"kind", "NetworkPolicy"},
            {"metadata", std::move(metadata)},
            {"spec", std::move(spec)}};
}

namespace {

// The documents of `policies` through `encode`, one scratch buffer reused for each document.
void encodeDocuments(std::string& out,
                     std::span<const core::NetworkPolicy> policies,
                     YamlEncoder encode) {
    std::string document;
    for (const auto& policy : policies) {
        document = "---\n";
        appendPolicyYaml(document, policy);
        encode(out, document);
    }
}

// The documents of `policies`, in order, in parts. Above a few thousand policies (124 MB of YAML
// at 10,000 workloads) the parts are written by threads: joined, the bytes are the same.
std::vector<std::string> encodeDocumentParts(const std::vector<core::NetworkPolicy>& policies,
                                             YamlEncoder encode) {
    constexpr size_t kParallelAbove = 2000;
    const size_t hardware = std::thread::hardware_concurrency();
    const size_t threads =
        policies.size() <= kParallelAbove ? 1 : std::clamp<size_t>(hardware, 1, 4);
    const std::span<const core::NetworkPolicy> all(policies);
    const size_t chunk = (policies.size() + threads - 1) / threads;
    std::vector<std::string> parts(threads);
    std::vector<std::thread> workers;
    for (size_t t = 1; t < threads; ++t) {
        const size_t first = std::min(t * chunk, policies.size());
        const auto slice = all.subspan(first, std::min(chunk, policies.size() - first));
        workers.emplace_back(
            [&parts, slice, t, encode] { encodeDocuments(parts[t], slice, encode); });
    }
    encodeDocuments(parts[0], all.subspan(0, std::min(chunk, policies.size())), encode);
    for (std::thread& worker : workers) {
        worker.join();
    }
    return parts;
}

void appendAsIs(std::string& out, std::string_view text) {
    out.append(text);
}

std::string yamlHead(const core::Modification& m) {
    std::string out;
    for (const auto& ref : m.to_delete) {
        out += "# kubectl -n " + ref.ns + " delete networkpolicy " + ref.name + "\n";
    }
    for (const auto& label : m.namespace_labels) {
        out += "# kubectl label namespace " + label.ns + " " + label.key + "=" + label.value + "\n";
    }
    if (m.apply.empty() && m.to_delete.empty()) {
        out += "# No policies need to be created or deleted.\n";
    }
    return out;
}

}  // namespace

EncodedYaml modificationToEncodedYaml(const core::Modification& m, YamlEncoder encode) {
    return {yamlHead(m), encodeDocumentParts(m.apply, encode)};
}

std::vector<std::string> modificationYamlParts(const core::Modification& m) {
    EncodedYaml yaml = modificationToEncodedYaml(m, appendAsIs);
    std::vector<std::string> parts;
    parts.reserve(yaml.parts.size() + 1);
    parts.push_back(std::move(yaml.head));
    for (std::string& part : yaml.parts) {
        parts.push_back(std::move(part));
    }
    return parts;
}

namespace {

std::string joined(std::vector<std::string> parts) {
    size_t total = 0;
    for (const std::string& part : parts) {
        total += part.size();
    }
    std::string out = std::move(parts.front());
    out.reserve(total);
    for (size_t i = 1; i < parts.size(); ++i) {
        out += parts[i];
        parts[i] = std::string();
    }
    return out;
}

}  // namespace

std::string modificationToYaml(const core::Modification& m) {
    return joined(modificationYamlParts(m));
}

std::string modificationToJson(const core::Modification& m) {
    return joined(modificationJsonParts(m));
}

}  // namespace netpolgen::io
