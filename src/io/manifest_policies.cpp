#include "io/manifest_policies.h"

#include <string>
#include <utility>

#include "core/ip_address.h"
#include "core/kubernetes_names.h"
#include "core/label_selector.h"
#include "core/protocol.h"
#include "io/manifest_meta.h"

namespace netpolgen::io::detail {

using core::quotedText;

namespace {

// Why core::Cidr::parse refused `text`, in the API server's words. IPv4 octets with leading zeros
// ("010.0.0.0/8") are refused with strict validation's message (legacy validation read them as
// decimal; netip and current servers reject them).
std::string cidrProblem(std::string_view text) {
    const size_t slash = text.find('/');
    const std::string_view ip = text.substr(0, slash);
    if (slash != std::string_view::npos && ip.find(':') == std::string_view::npos) {
        std::string stripped;
        size_t start = 0;
        while (start <= ip.size()) {
            size_t dot = ip.find('.', start);
            std::string_view octet =
                ip.substr(start, dot == std::string_view::npos ? dot : dot - start);
            while (octet.size() > 1 && octet.front() == '0') {
                octet.remove_prefix(1);
            }
            stripped += std::string(octet);
            if (dot == std::string_view::npos) {
                break;
            }
            stripped += '.';
            start = dot + 1;
        }
        if (stripped != ip && core::Cidr::parse(stripped + std::string(text.substr(slash)))) {
            return "must not have leading 0s in IP or prefix length";
        }
    }
    return std::string(kBadCidr);
}

bool decodeIpBlock(ObjectContext& c,
                   const SourceNode& n,
                   std::string_view path,
                   core::IpBlock& out) {
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    const std::string cidr_path = child(path, "cidr");
    if (!stringField(c, n, "cidr", cidr_path, out.cidr)) {
        return false;
    }
    if (out.cidr.empty()) {
        return c.fail(n, cidr_path, "Required value");
    }
    auto cidr = core::Cidr::parse(out.cidr);
    if (!cidr) {
        return c.fail(*present(n, "cidr"),
                      cidr_path,
                      "Invalid value: " + quotedText(out.cidr) + ": " + cidrProblem(out.cidr));
    }
    const bool cidr_v6 = out.cidr.find(':') != std::string::npos;
    const SourceNode* except = nullptr;
    const std::string except_path = child(path, "except");
    if (!listField(c, n, "except", except_path, except)) {
        return false;
    }
    if (except == nullptr) {
        return true;
    }
    for (size_t i = 0; i < except->children.size(); ++i) {
        const SourceNode& item = except->children[i];
        const std::string ipath = indexed(except_path, i);
        std::string text;
        if (!stringValue(c, item, ipath, text)) {
            return false;
        }
        auto inner = core::Cidr::parse(text);
        if (!inner) {
            return c.fail(
                item, ipath, "Invalid value: " + quotedText(text) + ": " + cidrProblem(text));
        }
        const bool inner_v6 = text.find(':') != std::string::npos;
        if (inner_v6 != cidr_v6 || !cidr->containsCidr(*inner) ||
            inner->prefix() <= cidr->prefix()) {
            return c.fail(
                item,
                ipath,
                "Invalid value: " + quotedText(text) + ": must be a strict subset of `cidr`");
        }
        out.except.push_back(std::move(text));
    }
    return true;
}

bool decodePeer(ObjectContext& c,
                const SourceNode& n,
                std::string_view path,
                core::PolicyPeer& out) {
    if (isNullNode(n)) {
        // A null list item is a zero-value peer, which selects nothing.
        return c.fail(n, path, "Required value: must specify a peer");
    }
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    if (const SourceNode* ps = present(n, "podSelector")) {
        if (!decodeSelector(c, *ps, child(path, "podSelector"), out.pod_selector.emplace())) {
            return false;
        }
    }
    if (const SourceNode* ns = present(n, "namespaceSelector")) {
        if (!decodeSelector(
                c, *ns, child(path, "namespaceSelector"), out.namespace_selector.emplace())) {
            return false;
        }
    }
    if (const SourceNode* ib = present(n, "ipBlock")) {
        if (!decodeIpBlock(c, *ib, child(path, "ipBlock"), out.ip_block.emplace())) {
            return false;
        }
    }
    const int count = static_cast<int>(out.pod_selector.has_value()) +
                      static_cast<int>(out.namespace_selector.has_value()) +
                      static_cast<int>(out.ip_block.has_value());
    if (count == 0) {
        return c.fail(n, path, "Required value: must specify a peer");
    }
    if (count > 1 && out.ip_block) {
        return c.fail(n, path, "Forbidden: may not specify both ipBlock and another peer");
    }
    return true;
}

bool decodePolicyPort(ObjectContext& c,
                      const SourceNode& n,
                      std::string_view path,
                      core::PolicyPort& out) {
    if (isNullNode(n)) {
        return true;  // a zero-value port: every TCP port
    }
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    if (!protocolField(
            c, n, child(path, "protocol"), out.protocol, &out.protocol_set, kPolicyProtocols)) {
        return false;
    }
    const SourceNode* port = present(n, "port");
    const std::string port_path = child(path, "port");
    IntOrString value;
    if (port != nullptr) {
        if (!intOrStringValue(c, *port, port_path, value)) {
            return false;
        }
        if (value.numeric) {
            if (!validPort(value.number)) {
                return c.fail(*port,
                              port_path,
                              "Invalid value: " + std::to_string(value.number) + ": " +
                                  std::string(kPortRange));
            }
            out.port = core::PortValue{static_cast<uint32_t>(value.number), {}};
        }
    }
    const SourceNode* end = present(n, "endPort");
    const std::string end_path = child(path, "endPort");
    int64_t end_port = 0;
    if (end != nullptr && !intValue(c, *end, end_path, end_port)) {
        return false;
    }
    const std::string shown_end = "Invalid value: " + std::to_string(end_port) + ": ";
    if (port != nullptr && !value.numeric) {
        // The API server checks endPort before the name.
        if (end != nullptr) {
            return c.fail(
                *end, end_path, shown_end + "may not be specified when `port` is non-numeric");
        }
        if (auto problem = portNameProblem(value.name)) {
            return c.fail(
                *port, port_path, "Invalid value: " + quotedText(value.name) + ": " + *problem);
        }
        out.port = core::PortValue{0, value.name};
    }
    if (end == nullptr) {
        return true;
    }
    if (port == nullptr) {
        return c.fail(
            *end, end_path, shown_end + "may not be specified when `port` is not specified");
    }
    if (end_port < value.number) {
        return c.fail(*end, end_path, shown_end + "must be greater than or equal to `port`");
    }
    if (!validPort(end_port)) {
        return c.fail(*end, end_path, shown_end + std::string(kPortRange));
    }
    out.end_port = static_cast<uint32_t>(end_port);
    return true;
}

// spec.ingress (peers under "from") or spec.egress (peers under "to").
bool decodeRules(ObjectContext& c,
                 const SourceNode& spec,
                 std::string_view key,
                 std::string_view peers_key,
                 std::vector<core::PolicyRule>& out) {
    const std::string path = child("spec", key);
    const SourceNode* rules = nullptr;
    if (!listField(c, spec, key, path, rules)) {
        return false;
    }
    if (rules == nullptr) {
        return true;
    }
    for (size_t i = 0; i < rules->children.size(); ++i) {
        const SourceNode& item = rules->children[i];
        const std::string rpath = indexed(path, i);
        core::PolicyRule rule;
        if (isNullNode(item)) {
            out.push_back(std::move(rule));  // a zero-value rule: `{}`, allows everything
            continue;
        }
        if (!item.isMapping()) {
            return typeError(c, item, rpath, "map");
        }
        // Ports first: the API server validates them before the peers.
        const SourceNode* ports = nullptr;
        const std::string ports_path = child(rpath, "ports");
        if (!listField(c, item, "ports", ports_path, ports)) {
            return false;
        }
        if (ports != nullptr) {
            for (size_t j = 0; j < ports->children.size(); ++j) {
                core::PolicyPort port;
                if (!decodePolicyPort(c, ports->children[j], indexed(ports_path, j), port)) {
                    return false;
                }
                rule.ports.push_back(std::move(port));
            }
        }
        const SourceNode* peers = nullptr;
        const std::string peers_path = child(rpath, peers_key);
        if (!listField(c, item, peers_key, peers_path, peers)) {
            return false;
        }
        if (peers != nullptr) {
            for (size_t j = 0; j < peers->children.size(); ++j) {
                core::PolicyPeer peer;
                if (!decodePeer(c, peers->children[j], indexed(peers_path, j), peer)) {
                    return false;
                }
                rule.peers.push_back(std::move(peer));
            }
        }
        out.push_back(std::move(rule));
    }
    return true;
}

bool decodePolicyTypes(ObjectContext& c, const SourceNode& n, std::vector<core::PolicyType>& out) {
    const std::string path = "spec.policyTypes";
    if (!n.isSequence()) {
        return typeError(c, n, path, "list");
    }
    if (n.children.size() > 2) {
        constexpr size_t kShownItems = 4;
        std::string values = "[";
        for (size_t i = 0; i < n.children.size() && i < kShownItems; ++i) {
            values += (i > 0 ? ", " : "") + shown(n.children[i]);
        }
        if (n.children.size() > kShownItems) {
            values += ", ...";
        }
        return c.fail(
            n, path, "Invalid value: " + values + "]: may not specify more than two policyTypes");
    }
    for (size_t i = 0; i < n.children.size(); ++i) {
        const SourceNode& item = n.children[i];
        std::string text;
        if (!stringValue(c, item, indexed(path, i), text)) {
            return false;
        }
        if (text == "Ingress") {
            out.push_back(core::PolicyType::kIngress);
        } else if (text == "Egress") {
            out.push_back(core::PolicyType::kEgress);
        } else {
            return c.fail(item,
                          indexed(path, i),
                          "Unsupported value: " + quotedText(text) +
                              ": supported values: \"Ingress\", \"Egress\"");
        }
    }
    return true;
}

// A NetworkPolicy's name is a DNS-1123 subdomain and its namespace a DNS-1123 label, as the API
// server requires: names reach kubectl's argv and the stored history, so nothing else may pass.
bool checkPolicyNames(ObjectContext& c, const SourceNode& obj, const ObjectMeta& m) {
    const SourceNode* md = obj.find("metadata");
    const auto at = [&](std::string_view key) -> const SourceNode& {
        const SourceNode* n = md != nullptr ? md->find(key) : nullptr;
        return n != nullptr ? *n : (md != nullptr ? *md : obj);
    };
    if (auto problem = core::dns1123SubdomainProblem(m.name)) {
        return c.fail(at("name"), "", core::invalidValue("metadata.name", m.name, *problem));
    }
    if (auto problem = core::dns1123LabelProblem(m.ns)) {
        return c.fail(
            at("namespace"), "", core::invalidValue("metadata.namespace", m.ns, *problem));
    }
    return true;
}

}  // namespace

bool decodePolicy(ObjectContext& c, const SourceNode& obj, core::NetworkPolicy& out) {
    ObjectMeta m;
    if (!decodeMetadata(c, obj, true, m) || !checkPolicyNames(c, obj, m)) {
        return false;
    }
    out.ns = std::move(m.ns);
    out.name = std::move(m.name);
    out.labels = std::move(m.labels);
    out.annotations = std::move(m.annotations);
    const SourceNode* spec = nullptr;
    if (!mapField(c, obj, "spec", "spec", spec)) {
        return false;
    }
    if (spec == nullptr) {
        return true;
    }
    if (const SourceNode* ps = present(*spec, "podSelector")) {
        if (!decodeSelector(c, *ps, "spec.podSelector", out.pod_selector)) {
            return false;
        }
    }
    out.has_egress_key = spec->find("egress") != nullptr;
    if (!decodeRules(c, *spec, "ingress", "from", out.ingress) ||
        !decodeRules(c, *spec, "egress", "to", out.egress)) {
        return false;
    }
    // policyTypes last, as ValidateNetworkPolicySpec checks them.
    const SourceNode* types = present(*spec, "policyTypes");
    return types == nullptr || decodePolicyTypes(c, *types, out.policy_types);
}

}  // namespace netpolgen::io::detail
