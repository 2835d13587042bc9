// Property: on random clusters and random NetworkPolicies, core::PolicyEvaluator agrees with a
// brute-force, pod-by-pod evaluator of docs/networkpolicy-semantics.md §8 written here from the
// document alone (own selector matching, own address arithmetic, own defaulting). Policies are
// generated as a model, written as YAML and decoded by io::decodeNetworkPolicy for the evaluator,
// so defaulting (policyTypes, protocol) goes through the real decoder while the brute force reads
// the model. Deterministic seeds; every case prints its seed and policies on failure.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/cluster_builder.h"
#include "core/policy_evaluator.h"
#include "io/manifest_decoder.h"
#include "io/source_tree.h"

namespace netpolgen {
namespace {

// --- the model -------------------------------------------------------------------------------

using LabelMap = std::map<std::string, std::string>;

enum class Op { kIn, kNotIn, kExists, kDoesNotExist };

struct MExpr {
    std::string key;
    Op op = Op::kIn;
    std::vector<std::string> values;
};

struct MSelector {
    LabelMap labels;
    std::vector<MExpr> exprs;
};

// An address: IPv4 in the low 32 bits of lo, or IPv6 as hi:lo.
struct MIp {
    bool v6 = false;
    uint64_t hi = 0;
    uint64_t lo = 0;
};

struct MCidr {
    MIp base;  // may carry host bits (they are ignored)
    int len = 0;
};

struct MBlock {
    MCidr cidr;
    std::vector<MCidr> except;
};

struct MPeer {
    std::optional<MSelector> pod;
    std::optional<MSelector> ns;
    std::optional<MBlock> block;
};

// Protocols: 0 TCP, 1 UDP, 2 SCTP.
struct MPort {
    std::optional<int> protocol;  // absent: TCP
    std::optional<int> number;
    std::optional<std::string> name;
    std::optional<int> end;
};

enum class Form { kAbsent, kEmpty, kList };

struct MRule {
    Form peers_form = Form::kAbsent;
    std::vector<MPeer> peers;
    Form ports_form = Form::kAbsent;
    std::vector<MPort> ports;
};

struct MPolicy {
    std::string ns;
    std::string name;
    MSelector selector;
    Form types_form = Form::kAbsent;
    std::vector<std::string> types;
    Form ingress_form = Form::kAbsent;
    std::vector<MRule> ingress;
    Form egress_form = Form::kAbsent;
    std::vector<MRule> egress;
};

struct MContainerPort {
    std::string name;
    int number = 0;
    int protocol = 0;
};

struct MWorkload {
    std::string ns;
    std::string name;
    LabelMap labels;
    std::vector<MContainerPort> ports;
};

struct MPod {
    size_t workload = 0;
    MIp ip;
};

struct MNamespace {
    std::string name;
    LabelMap labels;  // including kubernetes.io/metadata.name
};

struct Model {
    std::vector<MNamespace> namespaces;
    std::vector<MWorkload> workloads;
    std::vector<MPod> pods;
    std::vector<MPolicy> policies;
};

// An end of a connection: a pod (by index) or an outside address.
struct MEnd {
    std::optional<size_t> pod;
    MIp ip;
};

// --- the brute force (docs/networkpolicy-semantics.md §8) -----------------------------------

bool exprMatches(const MExpr& e, const LabelMap& labels) {
    auto it = labels.find(e.key);
    const bool has = it != labels.end();
    bool in_values = false;
    if (has) {
        for (const auto& v : e.values) {
            in_values = in_values || v == it->second;
        }
    }
    switch (e.op) {
        case Op::kIn:
            return has && in_values;
        case Op::kNotIn:
            return !has || !in_values;
        case Op::kExists:
            return has;
        case Op::kDoesNotExist:
            return !has;
    }
    return false;
}

bool selectorMatches(const MSelector& s, const LabelMap& labels) {
    for (const auto& [k, v] : s.labels) {
        auto it = labels.find(k);
        if (it == labels.end() || it->second != v) {
            return false;
        }
    }
    for (const auto& e : s.exprs) {
        if (!exprMatches(e, labels)) {
            return false;
        }
    }
    return true;
}

bool cidrContains(const MCidr& c, const MIp& ip) {
    if (c.base.v6 != ip.v6) {
        return false;
    }
    if (!ip.v6) {
        const uint32_t mask = c.len == 0 ? 0u : ~0u << (32 - c.len);
        return (static_cast<uint32_t>(ip.lo) & mask) == (static_cast<uint32_t>(c.base.lo) & mask);
    }
    const int hi_bits = std::min(c.len, 64);
    const int lo_bits = std::max(c.len - 64, 0);
    const uint64_t hi_mask = hi_bits == 0 ? 0 : ~0ULL << (64 - hi_bits);
    const uint64_t lo_mask = lo_bits == 0 ? 0 : ~0ULL << (64 - lo_bits);
    return (ip.hi & hi_mask) == (c.base.hi & hi_mask) && (ip.lo & lo_mask) == (c.base.lo & lo_mask);
}

class BruteForce {
public:
    BruteForce(const Model& m, bool ipblock_matches_pods)
        : m_(m), ipblock_matches_pods_(ipblock_matches_pods) {}

    bool allowed(const MEnd& src, const MEnd& dst, int protocol, int port) const {
        return directionOk(false, src, dst, dst, protocol, port) &&
               directionOk(true, dst, src, dst, protocol, port);
    }

    // Whether a pod is isolated for a direction.
    bool isolated(bool ingress, const MEnd& subject) const {
        return subject.pod && !selectingPolicies(ingress, *subject.pod).empty();
    }

private:
    // policyTypes as the API server defaults them (rule 2).
    static bool hasType(const MPolicy& p, bool ingress) {
        if (p.types_form == Form::kList && !p.types.empty()) {
            const char* want = ingress ? "Ingress" : "Egress";
            for (const auto& t : p.types) {
                if (t == want) {
                    return true;
                }
            }
            return false;
        }
        return ingress || (p.egress_form == Form::kList && !p.egress.empty());
    }

    std::vector<const MPolicy*> selectingPolicies(bool ingress, size_t pod) const {
        const MWorkload& w = m_.workloads[m_.pods[pod].workload];
        std::vector<const MPolicy*> out;
        for (const auto& p : m_.policies) {
            if (p.ns == w.ns && hasType(p, ingress) && selectorMatches(p.selector, w.labels)) {
                out.push_back(&p);
            }
        }
        return out;
    }

    const LabelMap& namespaceLabels(const std::string& name) const {
        for (const auto& ns : m_.namespaces) {
            if (ns.name == name) {
                return ns.labels;
            }
        }
        static const LabelMap kNone;
        return kNone;
    }

    bool peerMatches(const MPeer& x, const MEnd& peer, const std::string& policy_ns) const {
        if (x.block) {
            if (peer.pod && !ipblock_matches_pods_) {
                return false;
            }
            if (!cidrContains(x.block->cidr, peer.ip)) {
                return false;
            }
            for (const auto& e : x.block->except) {
                if (cidrContains(e, peer.ip)) {
                    return false;
                }
            }
            return true;
        }
        if (!peer.pod) {
            return false;
        }
        const MWorkload& w = m_.workloads[m_.pods[*peer.pod].workload];
        const bool ns_ok = x.ns ? selectorMatches(*x.ns, namespaceLabels(w.ns)) : w.ns == policy_ns;
        const bool pod_ok = !x.pod || selectorMatches(*x.pod, w.labels);
        return ns_ok && pod_ok;
    }

    bool portsMatch(const MRule& r, const MEnd& dst, int protocol, int port) const {
        if (r.ports_form != Form::kList || r.ports.empty()) {
            return true;
        }
        for (const auto& e : r.ports) {
            if (e.protocol.value_or(0) != protocol) {
                continue;
            }
            if (!e.number && !e.name) {
                return true;
            }
            if (e.number && *e.number <= port && port <= e.end.value_or(*e.number)) {
                return true;
            }
            if (e.name && dst.pod) {
                const MWorkload& w = m_.workloads[m_.pods[*dst.pod].workload];
                for (const auto& cp : w.ports) {
                    if (cp.name == *e.name && cp.protocol == protocol && cp.number == port) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    bool directionOk(bool ingress,
                     const MEnd& subject,
                     const MEnd& peer,
                     const MEnd& dst,
                     int protocol,
                     int port) const {
        if (!subject.pod) {
            return true;
        }
        const auto policies = selectingPolicies(ingress, *subject.pod);
        if (policies.empty()) {
            return true;
        }
        for (const MPolicy* p : policies) {
            const auto& rules = ingress ? p->ingress : p->egress;
            const Form form = ingress ? p->ingress_form : p->egress_form;
            if (form != Form::kList) {
                continue;
            }
            for (const MRule& r : rules) {
                bool peer_ok = r.peers_form != Form::kList || r.peers.empty();
                for (const auto& x : r.peers) {
                    peer_ok = peer_ok || peerMatches(x, peer, p->ns);
                }
                if (peer_ok && portsMatch(r, dst, protocol, port)) {
                    return true;
                }
            }
        }
        return false;
    }

    const Model& m_;
    bool ipblock_matches_pods_;
};

// --- random generation -----------------------------------------------------------------------

class Gen {
public:
    explicit Gen(uint32_t seed) : rng_(seed) {}

    int below(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
    bool chance(int percent) { return below(100) < percent; }
    template <typename T>
    const T& pick(const std::vector<T>& v) {
        return v[static_cast<size_t>(below(static_cast<int>(v.size())))];
    }

    LabelMap labels() {
        LabelMap out;
        for (const std::string key : {"app", "tier", "env"}) {
            if (chance(60)) {
                out[key] = pick(values_);
            }
        }
        return out;
    }

    MSelector selector(bool for_namespace) {
        MSelector s;
        if (chance(30)) {
            return s;  // {}
        }
        const std::vector<std::string>& keys = for_namespace ? ns_keys_ : pod_keys_;
        const int n_labels = below(2);
        for (int i = 0; i < n_labels; ++i) {
            const std::string key = pick(keys);
            s.labels[key] = key == "kubernetes.io/metadata.name" ? "ns" + std::to_string(below(3))
                                                                 : pick(values_);
        }
        const int n_exprs = below(3) == 0 ? 1 : 0;
        for (int i = 0; i < n_exprs; ++i) {
            MExpr e;
            e.key = pick(keys);
            e.op = static_cast<Op>(below(4));
            if (e.op == Op::kIn || e.op == Op::kNotIn) {
                const int n = 1 + below(2);
                for (int j = 0; j < n; ++j) {
                    e.values.push_back(e.key == "kubernetes.io/metadata.name"
                                           ? "ns" + std::to_string(below(3))
                                           : pick(values_));
                }
            }
            s.exprs.push_back(std::move(e));
        }
        return s;
    }

    // Pods live in 10.1.0.0/16; outside addresses in 10.2/16, 192.168/16, 8.8.8.0/24 or
    // 2001:db8::/32.
    MIp podIp(size_t index) {
        return {false, 0, (10u << 24) | (1u << 16) | static_cast<uint32_t>(index + 1)};
    }
    MIp outsideIp() {
        switch (below(4)) {
            case 0:
                return {false, 0, (10u << 24) | (2u << 16) | static_cast<uint32_t>(below(256))};
            case 1:
                return {false,
                        0,
                        (192u << 24) | (168u << 16) | static_cast<uint32_t>(below(4) << 8) |
                            static_cast<uint32_t>(below(256))};
            case 2:
                return {false, 0, (8u << 24) | (8u << 16) | (8u << 8) | 8u};
            default:
                return {true,
                        0x20010db800000000ULL | static_cast<uint64_t>(below(4)),
                        static_cast<uint64_t>(below(16))};
        }
    }

    MCidr cidrAround(const MIp& ip) {
        MCidr c;
        c.base = ip;
        if (ip.v6) {
            c.len = pick(std::vector<int>{0, 16, 32, 48, 64, 100, 128});
        } else {
            c.len = pick(std::vector<int>{0, 8, 15, 16, 20, 24, 28, 32});
        }
        if (chance(50)) {
            // Mask the host bits: canonical form.
            c.base = maskTo(ip, c.len);
        }
        return c;
    }

    // A strict subset of `outer`: a longer prefix inside it.
    std::optional<MCidr> exceptOf(const MCidr& outer, const MIp& hint) {
        const int max = outer.base.v6 ? 128 : 32;
        if (outer.len >= max) {
            return std::nullopt;
        }
        MCidr e;
        e.len = outer.len + 1 + below(max - outer.len);
        // Inside `outer`: its prefix bits, then the hint's bits (often an address we use).
        MIp base = hint.v6 == outer.base.v6 ? hint : outer.base;
        const MIp outer_masked = maskTo(outer.base, outer.len);
        const MIp host = hostBits(base, outer.len);
        e.base = {outer.base.v6, outer_masked.hi | host.hi, outer_masked.lo | host.lo};
        return e;
    }

    MIp anyAddress(const Model& m) {
        if (!m.pods.empty() && chance(40)) {
            return pick(m.pods).ip;
        }
        return outsideIp();
    }

    MPeer peer(const Model& m) {
        MPeer p;
        const int kind = below(5);
        if (kind == 0) {
            p.pod = selector(false);
        } else if (kind == 1) {
            p.ns = selector(true);
        } else if (kind == 2) {
            p.pod = selector(false);
            p.ns = selector(true);
        } else {
            MBlock b;
            const MIp around = anyAddress(m);
            b.cidr = cidrAround(around);
            const int n_except = below(3);
            for (int i = 0; i < n_except; ++i) {
                if (auto e = exceptOf(b.cidr, anyAddress(m))) {
                    b.except.push_back(*e);
                }
            }
            p.block = std::move(b);
        }
        return p;
    }

    MPort port() {
        MPort e;
        if (chance(60)) {
            e.protocol = below(3);
        }
        const int kind = below(4);
        if (kind == 1 || kind == 2) {
            e.number = pick(numbers_);
            if (kind == 2) {
                e.end = *e.number + pick(std::vector<int>{0, 5, 1000});
            }
        } else if (kind == 3) {
            e.name = pick(names_);
        }
        return e;
    }

    MRule rule(const Model& m) {
        MRule r;
        r.peers_form = static_cast<Form>(below(3));
        if (r.peers_form == Form::kList) {
            const int n = below(3);
            for (int i = 0; i < n; ++i) {
                r.peers.push_back(peer(m));
            }
        }
        r.ports_form = static_cast<Form>(below(3));
        if (r.ports_form == Form::kList) {
            const int n = below(3);
            for (int i = 0; i < n; ++i) {
                r.ports.push_back(port());
            }
        }
        return r;
    }

    Model model() {
        Model m;
        const int n_ns = 1 + below(3);
        for (int i = 0; i < n_ns; ++i) {
            MNamespace ns;
            ns.name = "ns" + std::to_string(i);
            if (chance(60)) {
                ns.labels["team"] = pick(values_);
            }
            if (chance(40)) {
                ns.labels["env"] = pick(values_);
            }
            ns.labels["kubernetes.io/metadata.name"] = ns.name;
            m.namespaces.push_back(std::move(ns));
        }
        const int n_workloads = 1 + below(6);
        for (int i = 0; i < n_workloads; ++i) {
            MWorkload w;
            w.ns = "ns" + std::to_string(below(n_ns));
            w.name = "w" + std::to_string(i);
            w.labels = labels();
            std::vector<std::string> names = names_;
            const int n_ports = below(4);
            for (int j = 0; j < n_ports && !names.empty(); ++j) {
                const size_t at = static_cast<size_t>(below(static_cast<int>(names.size())));
                if (names[at] != "nope") {
                    w.ports.push_back({names[at], pick(numbers_), below(3)});
                }
                names.erase(names.begin() + static_cast<long>(at));
            }
            const int n_pods = 1 + below(3);
            for (int j = 0; j < n_pods; ++j) {
                m.pods.push_back({static_cast<size_t>(i), podIp(m.pods.size())});
            }
            m.workloads.push_back(std::move(w));
        }
        const int n_policies = below(6);
        for (int i = 0; i < n_policies; ++i) {
            MPolicy p;
            p.ns = "ns" + std::to_string(below(n_ns));
            p.name = "p" + std::to_string(i);
            p.selector = selector(false);
            p.types_form = static_cast<Form>(below(3));
            if (p.types_form == Form::kList) {
                p.types = pick(std::vector<std::vector<std::string>>{
                    {"Ingress"}, {"Egress"}, {"Ingress", "Egress"}, {"Egress", "Ingress"}});
            }
            p.ingress_form = static_cast<Form>(below(3));
            if (p.ingress_form == Form::kList) {
                const int n = below(3);
                for (int j = 0; j < n; ++j) {
                    p.ingress.push_back(rule(m));
                }
            }
            p.egress_form = static_cast<Form>(below(3));
            if (p.egress_form == Form::kList) {
                const int n = below(3);
                for (int j = 0; j < n; ++j) {
                    p.egress.push_back(rule(m));
                }
            }
            m.policies.push_back(std::move(p));
        }
        return m;
    }

    MEnd end(const Model& m) {
        if (chance(75)) {
            const size_t pod = static_cast<size_t>(below(static_cast<int>(m.pods.size())));
            return {pod, m.pods[pod].ip};
        }
        return {std::nullopt, outsideIp()};
    }

    int protocol() { return below(3); }
    int connectionPort() { return pick(std::vector<int>{53, 80, 81, 443, 8080, 8085, 9090, 9100}); }

    static MIp maskTo(const MIp& ip, int len) {
        if (!ip.v6) {
            const uint32_t mask = len == 0 ? 0u : ~0u << (32 - len);
            return {false, 0, static_cast<uint32_t>(ip.lo) & mask};
        }
        const int hi_bits = std::min(len, 64);
        const int lo_bits = std::max(len - 64, 0);
        return {true,
                ip.hi & (hi_bits == 0 ? 0 : ~0ULL << (64 - hi_bits)),
                ip.lo & (lo_bits == 0 ? 0 : ~0ULL << (64 - lo_bits))};
    }
    static MIp hostBits(const MIp& ip, int len) {
        const MIp net = maskTo(ip, len);
        return {ip.v6, ip.hi & ~net.hi, (ip.lo & ~net.lo) & (ip.v6 ? ~0ULL : 0xffffffffULL)};
    }

private:
    std::mt19937 rng_;
    std::vector<std::string> values_ = {"a", "b", "c"};
    std::vector<std::string> pod_keys_ = {"app", "tier", "env"};
    std::vector<std::string> ns_keys_ = {"team", "env", "kubernetes.io/metadata.name"};
    std::vector<std::string> names_ = {"http", "dns", "metrics", "nope"};
    std::vector<int> numbers_ = {53, 80, 443, 8080, 9090};
};

// --- model → YAML and cluster ----------------------------------------------------------------

std::string ipText(const MIp& ip) {
    if (!ip.v6) {
        const auto v = static_cast<uint32_t>(ip.lo);
        return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 255) + "." +
               std::to_string((v >> 8) & 255) + "." + std::to_string(v & 255);
    }
    std::string out;
    static constexpr char kHex[] = "0123456789abcdef";
    for (int i = 0; i < 8; ++i) {
        const uint64_t word = i < 4 ? ip.hi : ip.lo;
        const auto group = static_cast<unsigned>((word >> (16 * (3 - i % 4))) & 0xffff);
        if (i > 0) {
            out += ':';
        }
        std::string g;
        for (int s = 12; s >= 0; s -= 4) {
            g += kHex[(group >> s) & 15];
        }
        out += g;
    }
    return out;
}

std::string cidrText(const MCidr& c) {
    return ipText(c.base) + "/" + std::to_string(c.len);
}

std::string selectorYaml(const MSelector& s) {
    std::string out = "{";
    if (!s.labels.empty()) {
        out += "matchLabels: {";
        bool first = true;
        for (const auto& [k, v] : s.labels) {
            out += (first ? "" : ", ") + k + ": " + v;
            first = false;
        }
        out += "}";
    }
    if (!s.exprs.empty()) {
        out += std::string(s.labels.empty() ? "" : ", ") + "matchExpressions: [";
        for (size_t i = 0; i < s.exprs.size(); ++i) {
            const MExpr& e = s.exprs[i];
            static constexpr std::array<const char*, 4> kOps = {
                "In", "NotIn", "Exists", "DoesNotExist"};
            out += std::string(i > 0 ? ", " : "") + "{key: " + e.key +
                   ", operator: " + kOps[static_cast<size_t>(e.op)];
            if (!e.values.empty()) {
                out += ", values: [";
                for (size_t j = 0; j < e.values.size(); ++j) {
                    out += (j > 0 ? ", " : "") + e.values[j];
                }
                out += "]";
            }
            out += "}";
        }
        out += "]";
    }
    return out + "}";
}

std::string peerYaml(const MPeer& p) {
    if (p.block) {
        std::string out = "{ipBlock: {cidr: \"" + cidrText(p.block->cidr) + "\"";
        if (!p.block->except.empty()) {
            out += ", except: [";
            for (size_t i = 0; i < p.block->except.size(); ++i) {
                out += std::string(i > 0 ? ", " : "") + "\"" + cidrText(p.block->except[i]) + "\"";
            }
            out += "]";
        }
        return out + "}}";
    }
    std::string out = "{";
    if (p.pod) {
        out += "podSelector: " + selectorYaml(*p.pod);
    }
    if (p.ns) {
        out += std::string(p.pod ? ", " : "") + "namespaceSelector: " + selectorYaml(*p.ns);
    }
    return out + "}";
}

std::string portYaml(const MPort& e) {
    static constexpr std::array<const char*, 3> kProtocols = {"TCP", "UDP", "SCTP"};
    std::vector<std::string> fields;
    if (e.protocol) {
        fields.push_back(std::string("protocol: ") + kProtocols[static_cast<size_t>(*e.protocol)]);
    }
    if (e.number) {
        fields.push_back("port: " + std::to_string(*e.number));
    }
    if (e.name) {
        fields.push_back("port: " + *e.name);
    }
    if (e.end) {
        fields.push_back("endPort: " + std::to_string(*e.end));
    }
    std::string out = "{";
    for (size_t i = 0; i < fields.size(); ++i) {
        out += (i > 0 ? ", " : "") + fields[i];
    }
    return out + "}";
}

std::string rulesYaml(const std::string& key,
                      const std::string& peers_key,
                      Form form,
                      const std::vector<MRule>& rules) {
    if (form == Form::kAbsent) {
        return "";
    }
    if (form == Form::kEmpty || rules.empty()) {
        return "  " + key + ": []\n";
    }
    std::string out = "  " + key + ":\n";
    for (const MRule& r : rules) {
        std::vector<std::string> fields;
        if (r.peers_form == Form::kEmpty) {
            fields.push_back(peers_key + ": []");
        } else if (r.peers_form == Form::kList) {
            std::string list = peers_key + ": [";
            for (size_t i = 0; i < r.peers.size(); ++i) {
                list += (i > 0 ? ", " : "") + peerYaml(r.peers[i]);
            }
            fields.push_back(list + "]");
        }
        if (r.ports_form == Form::kEmpty) {
            fields.push_back("ports: []");
        } else if (r.ports_form == Form::kList) {
            std::string list = "ports: [";
            for (size_t i = 0; i < r.ports.size(); ++i) {
                list += (i > 0 ? ", " : "") + portYaml(r.ports[i]);
            }
            fields.push_back(list + "]");
        }
        std::string item = "  - {";
        for (size_t i = 0; i < fields.size(); ++i) {
            item += (i > 0 ? ", " : "") + fields[i];
        }
        out += item + "}\n";
    }
    return out;
}

std::string policyYaml(const MPolicy& p) {
    std::string out =
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " + p.name +
        ", namespace: " + p.ns + "}\nspec:\n  podSelector: " + selectorYaml(p.selector) + "\n";
    if (p.types_form == Form::kEmpty) {
        out += "  policyTypes: []\n";
    } else if (p.types_form == Form::kList) {
        out += "  policyTypes: [";
        for (size_t i = 0; i < p.types.size(); ++i) {
            out += (i > 0 ? ", " : "") + p.types[i];
        }
        out += "]\n";
    }
    out += rulesYaml("ingress", "from", p.ingress_form, p.ingress);
    out += rulesYaml("egress", "to", p.egress_form, p.egress);
    return out;
}

core::IpAddress toAddress(const MIp& ip) {
    return ip.v6 ? core::IpAddress::fromBits(ip.hi, ip.lo)
                 : core::IpAddress::fromV4(static_cast<uint32_t>(ip.lo));
}

struct Built {
    core::Cluster cluster;
    std::vector<size_t> workload_index;  // model workload → cluster workload
    std::vector<core::NetworkPolicy> policies;
    std::string policies_text;  // for failure messages
};

Built build(const Model& m) {
    Built b;
    core::ClusterObjects objects;
    for (const auto& ns : m.namespaces) {
        core::Namespace n;
        n.name = ns.name;
        for (const auto& [k, v] : ns.labels) {
            n.labels[k] = v;
        }
        objects.namespaces.push_back(std::move(n));
    }
    for (size_t i = 0; i < m.workloads.size(); ++i) {
        const MWorkload& mw = m.workloads[i];
        core::Workload w;
        w.ns = mw.ns;
        w.name = mw.name;
        for (const auto& [k, v] : mw.labels) {
            w.pod_labels[k] = v;
        }
        static constexpr std::array<core::Protocol, 3> kProtocols = {
            core::Protocol::kTcp, core::Protocol::kUdp, core::Protocol::kSctp};
        for (const auto& cp : mw.ports) {
            w.ports.push_back({cp.name,
                               static_cast<uint32_t>(cp.number),
                               kProtocols[static_cast<size_t>(cp.protocol)]});
        }
        for (const auto& pod : m.pods) {
            if (pod.workload == i) {
                w.pod_ips.push_back(toAddress(pod.ip));
            }
        }
        objects.workloads.push_back(std::move(w));
    }
    std::vector<std::string> warnings;
    b.cluster = core::buildCluster(std::move(objects), warnings);
    for (const auto& mw : m.workloads) {
        for (size_t j = 0; j < b.cluster.workloads.size(); ++j) {
            if (b.cluster.workloads[j].ns == mw.ns && b.cluster.workloads[j].name == mw.name) {
                b.workload_index.push_back(j);
            }
        }
    }
    for (const auto& p : m.policies) {
        const std::string text = policyYaml(p);
        b.policies_text += "---\n" + text;
        auto docs = io::parseDocuments(text, {});
        EXPECT_TRUE(docs.ok()) << (docs.ok() ? "" : docs.error()) << "\n" << text;
        if (!docs.ok()) {
            continue;
        }
        auto decoded = io::decodeNetworkPolicy((*docs)[0], "model.yaml");
        EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error()) << "\n" << text;
        if (decoded.ok()) {
            b.policies.push_back(std::move(*decoded));
        }
    }
    return b;
}

core::ConnectionEnd toEnd(const Model& m, const Built& b, const MEnd& e) {
    core::ConnectionEnd out;
    out.ip = toAddress(e.ip);
    if (e.pod) {
        out.workload = b.workload_index[m.pods[*e.pod].workload];
    }
    return out;
}

std::string endText(const Model& m, const MEnd& e) {
    if (!e.pod) {
        return ipText(e.ip);
    }
    const MWorkload& w = m.workloads[m.pods[*e.pod].workload];
    return w.ns + "/" + w.name + "@" + ipText(e.ip);
}

constexpr uint32_t kCases = 1500;
constexpr int kConnectionsPerCase = 40;

TEST(PolicyProperty, EvaluatorAgreesWithPodByPodBruteForce) {
    static constexpr std::array<core::Protocol, 3> kProtocols = {
        core::Protocol::kTcp, core::Protocol::kUdp, core::Protocol::kSctp};
    size_t allowed_count = 0;
    size_t denied_count = 0;
    for (uint32_t seed = 1; seed <= kCases; ++seed) {
        Gen gen(seed);
        const Model m = gen.model();
        const Built b = build(m);
        ASSERT_EQ(b.policies.size(), m.policies.size()) << "seed " << seed;
        ASSERT_EQ(b.workload_index.size(), m.workloads.size()) << "seed " << seed;
        std::vector<const core::NetworkPolicy*> pointers;
        for (const auto& p : b.policies) {
            pointers.push_back(&p);
        }
        for (const bool matches_pods : {true, false}) {
            core::EvaluatorOptions options;
            options.ipblock_matches_pods = matches_pods;
            const core::PolicyEvaluator eval(b.cluster, pointers, options);
            const BruteForce brute(m, matches_pods);
            Gen conn_gen(seed * 7919u + (matches_pods ? 1u : 2u));
            for (int i = 0; i < kConnectionsPerCase; ++i) {
                const MEnd src = conn_gen.end(m);
                const MEnd dst = conn_gen.end(m);
                const int protocol = conn_gen.protocol();
                const int port = conn_gen.connectionPort();
                const core::Connection c{toEnd(m, b, src),
                                         toEnd(m, b, dst),
                                         kProtocols[static_cast<size_t>(protocol)],
                                         static_cast<uint32_t>(port)};
                const bool expected = brute.allowed(src, dst, protocol, port);
                const bool actual = eval.allowed(c);
                (expected ? allowed_count : denied_count) += 1;
                const auto explanation = eval.explain(c);
                const bool consistent = explanation.allowed == actual &&
                                        explanation.ingress.isolated == brute.isolated(true, dst) &&
                                        explanation.egress.isolated == brute.isolated(false, src);
                if (expected != actual || !consistent) {
                    ADD_FAILURE() << "seed " << seed << " ipblock_matches_pods=" << matches_pods
                                  << ": " << endText(m, src) << " -> " << endText(m, dst) << " "
                                  << core::protocolName(c.protocol) << "/" << port
                                  << ": brute force " << expected << ", evaluator " << actual
                                  << ", explain " << explanation.allowed << "\n"
                                  << b.policies_text;
                    return;
                }
            }
        }
    }
    // The generator must produce both outcomes in quantity, or the property says little.
    EXPECT_GT(allowed_count, kCases * 10);
    EXPECT_GT(denied_count, kCases * 10);
}

}  // namespace
}  // namespace netpolgen
