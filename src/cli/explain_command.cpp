#include "cli/explain_command.h"

#include <CLI/CLI.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string_view>
#include <utility>

#include "cli/app.h"
#include "cli/output_file.h"
#include "core/cluster_index.h"
#include "core/ip_address.h"
#include "core/policy_evaluator.h"
#include "io/manifest_decoder.h"

namespace netpolgen::cli {
namespace {

using nlohmann::json;

constexpr size_t kMaxWarningsShown = 5;

// One end of the connection as the user named it, resolved against the snapshot.
struct Endpoint {
    core::ConnectionEnd end;
    std::string name;  // "ns/name" of the workload, or the address
    std::string
        describe;  // "Deployment shop/web, pod IP 10.0.0.7", "8.8.8.8 (outside the cluster)"
};

// What the explanation is rendered from.
struct Context {
    const core::Cluster& cluster;
    const core::Connection& connection;
    const Endpoint& src;
    const Endpoint& dst;
    bool ipblock_matches_pods = true;
};

std::string workloadText(const core::Workload& w) {
    return std::string(core::workloadKindName(w.kind)) + " " + w.ns + "/" + w.name;
}

std::string policyName(const core::NetworkPolicy& p) {
    return p.ns + "/" + p.name;
}

core::Result<Endpoint> resolveAddress(const core::ClusterIndex& index,
                                      std::string_view flag,
                                      std::string_view text,
                                      const core::IpAddress& ip) {
    const core::Cluster& cluster = index.cluster();
    if (auto service = index.findServiceIp(ip)) {
        const core::Service& s = cluster.services[*service];
        return core::Error{std::string(flag) + " " + std::string(text) +
                           ": the cluster IP of Service " + s.ns + "/" + s.name +
                           "; policies see the backend pod and its container port (name the "
                           "workload or a pod IP, and the target port)"};
    }
    Endpoint e;
    e.end.ip = ip;
    e.name = std::string(text);  // as the user wrote it (toString does not compress IPv6)
    if (auto w = index.findPodIp(ip)) {
        e.end.workload = *w;
        e.describe = workloadText(cluster.workloads[*w]) + ", pod IP " + e.name;
    } else {
        e.describe = e.name + " (outside the cluster)";
    }
    return e;
}

// A pod named as such (a standalone pod, or a pod by its own name) carries its IP, for ipBlocks,
// when the snapshot knows exactly one pod of its workload (pod_ips are not kept per pod).
void attachSinglePodIp(const core::Workload& w, Endpoint& e) {
    if (w.pod_names.size() == 1 && !w.pod_ips.empty()) {
        e.end.ip = w.pod_ips.front();
        e.describe += ", pod IP " + w.pod_ips.front().toString();
    }
}

// NS/NAME, NS/KIND/NAME or an IP address (see explain_command.h).
core::Result<Endpoint> resolveEndpoint(const core::ClusterIndex& index,
                                       std::string_view flag,
                                       std::string_view text) {
    const std::string shown = std::string(flag) + " \"" + std::string(text) + "\"";
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos) {
        auto ip = core::IpAddress::parse(text);
        if (!ip) {
            return core::Error{shown + ": expected NAMESPACE/NAME or an IP address"};
        }
        return resolveAddress(index, flag, text, *ip);
    }
    if (core::IpAddress::parse(text.substr(0, slash))) {
        return core::Error{shown + ": expected one IP address, not a CIDR"};
    }
    const std::string_view ns = text.substr(0, slash);
    std::string_view name = text.substr(slash + 1);
    std::string_view kind;
    if (const size_t second = name.find('/'); second != std::string_view::npos) {
        kind = name.substr(0, second);
        name = name.substr(second + 1);
    }
    if (ns.empty() || name.empty() || name.find('/') != std::string_view::npos) {
        return core::Error{shown +
                           ": expected NAMESPACE/NAME, NAMESPACE/KIND/NAME or an IP address"};
    }
    const core::Cluster& cluster = index.cluster();
    Endpoint e;
    auto found = index.findWorkload(ns, name, kind);
    if (found) {
        e.end.workload = *found;
        e.name = std::string(ns) + "/" + std::string(name);
        e.describe = workloadText(cluster.workloads[*found]);
        if (cluster.workloads[*found].kind == core::WorkloadKind::kPod) {
            attachSinglePodIp(cluster.workloads[*found], e);
        }
        return e;
    }
    const bool ambiguous = found.error().rfind("ambiguous", 0) == 0;
    if (!ambiguous && kind.empty()) {
        if (auto pod = index.findPod(ns, name)) {
            e.end.workload = *pod;
            e.name = cluster.workloads[*pod].ns + "/" + cluster.workloads[*pod].name;
            e.describe = "pod " + std::string(ns) + "/" + std::string(name) + " of " +
                         workloadText(cluster.workloads[*pod]);
            attachSinglePodIp(cluster.workloads[*pod], e);
            return e;
        }
        return core::Error{
            shown + ": unknown workload: no workload, standalone pod or pod named \"" +
            std::string(ns) + "/" + std::string(name) + "\" in the cluster snapshot"};
    }
    return core::Error{std::string(flag) + ": " + found.error()};
}

// ---------------------------------------------------------------------------------------------
// Texts

std::string joined(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
        out += (i > 0 ? std::string(sep) : std::string()) + items[i];
    }
    return out;
}

// kubectl's selector notation: {app=web,tier in (a,b),!legacy}; {} selects everything.
std::string selectorText(const core::LabelSelector& s) {
    std::vector<std::string> parts;
    for (const auto& [key, value] : s.match_labels) {
        parts.push_back(key + "=" + value);
    }
    for (const auto& r : s.match_expressions) {
        switch (r.op) {
            case core::SelectorOperator::kIn:
                parts.push_back(r.key + " in (" + joined(r.values, ",") + ")");
                break;
            case core::SelectorOperator::kNotIn:
                parts.push_back(r.key + " notin (" + joined(r.values, ",") + ")");
                break;
            case core::SelectorOperator::kExists:
                parts.push_back(r.key);
                break;
            case core::SelectorOperator::kDoesNotExist:
                parts.push_back("!" + r.key);
                break;
        }
    }
    return "{" + joined(parts, ",") + "}";
}

std::string peerText(const core::PolicyPeer& p) {
    if (p.ip_block) {
        std::string out = "ipBlock " + p.ip_block->cidr;
        if (!p.ip_block->except.empty()) {
            out += " except " + joined(p.ip_block->except, ",");
        }
        return out;
    }
    std::vector<std::string> parts;
    if (p.namespace_selector) {
        parts.push_back("namespaceSelector " + selectorText(*p.namespace_selector));
    }
    if (p.pod_selector) {
        parts.push_back("podSelector " + selectorText(*p.pod_selector));
    }
    return joined(parts, " + ");
}

std::string portText(const core::PolicyPort& e) {
    std::string out(core::protocolName(e.protocol));
    if (!e.port) {
        return out + " (every port)";
    }
    if (e.port->isNamed()) {
        return out + "/" + e.port->name;
    }
    out += "/" + std::to_string(e.port->number);
    if (e.end_port) {
        out += "-" + std::to_string(*e.end_port);
    }
    return out;
}

std::string_view peerCode(core::PeerMismatch m) {
    switch (m) {
        case core::PeerMismatch::kMatch:
            return "match";
        case core::PeerMismatch::kNotInCidr:
            return "not-in-cidr";
        case core::PeerMismatch::kExcepted:
            return "excepted";
        case core::PeerMismatch::kNoAddress:
            return "no-address";
        case core::PeerMismatch::kPodAddress:
            return "pod-address";
        case core::PeerMismatch::kNotAPod:
            return "not-a-pod";
        case core::PeerMismatch::kOtherNamespace:
            return "other-namespace";
        case core::PeerMismatch::kNamespaceSelector:
            return "namespace-selector";
        case core::PeerMismatch::kPodSelector:
            return "pod-selector";
        case core::PeerMismatch::kHostNetwork:
            return "host-network";
    }
    return "unknown";
}

std::string_view portCode(core::PortMismatch m) {
    switch (m) {
        case core::PortMismatch::kMatch:
            return "match";
        case core::PortMismatch::kProtocol:
            return "protocol";
        case core::PortMismatch::kNumber:
            return "number";
        case core::PortMismatch::kNamedExternal:
            return "named-external";
        case core::PortMismatch::kNamedNotOnPod:
            return "named-not-on-pod";
        case core::PortMismatch::kNamedOtherNumber:
            return "named-other-number";
    }
    return "unknown";
}

// Why a peer does not match `peer_end` (the other end, seen from the policy's subject).
std::string peerReason(const Context& ctx,
                       core::PeerMismatch m,
                       const Endpoint& peer_end,
                       const core::NetworkPolicy& policy) {
    const std::string ip = peer_end.end.ip ? peer_end.end.ip->toString() : std::string();
    const core::Workload* w =
        peer_end.end.workload ? &ctx.cluster.workloads[*peer_end.end.workload] : nullptr;
    switch (m) {
        case core::PeerMismatch::kMatch:
            return "matches";
        case core::PeerMismatch::kNotInCidr:
            return ip + " is outside it";
        case core::PeerMismatch::kExcepted:
            return ip + " is excepted";
        case core::PeerMismatch::kNoAddress:
            return "no IP given for " + peer_end.name;
        case core::PeerMismatch::kPodAddress:
            return ip + " is a pod IP (--ipblock-matches-pods=false)";
        case core::PeerMismatch::kNotAPod:
            return ip + " is not a pod";
        case core::PeerMismatch::kOtherNamespace:
            return peer_end.name + " is not in namespace " + policy.ns;
        case core::PeerMismatch::kNamespaceSelector:
            return "namespace " + (w != nullptr ? w->ns : std::string()) + " does not match";
        case core::PeerMismatch::kPodSelector:
            return "labels of " + peer_end.name + " do not match";
        case core::PeerMismatch::kHostNetwork:
            return peer_end.name +
                   " uses the node's network (hostNetwork): selectors never match it";
    }
    return "no match";
}

std::string portReason(const Context& ctx, core::PortMismatch m, const core::PolicyPort& e) {
    const core::Connection& c = ctx.connection;
    const std::string conn =
        std::string(core::protocolName(c.protocol)) + "/" + std::to_string(c.port);
    switch (m) {
        case core::PortMismatch::kMatch:
            return "matches";
        case core::PortMismatch::kProtocol:
            return "not " + std::string(core::protocolName(c.protocol));
        case core::PortMismatch::kNumber:
            return conn + " is outside it";
        case core::PortMismatch::kNamedExternal:
            return "a named port never matches an address outside the cluster";
        case core::PortMismatch::kNamedNotOnPod:
            return ctx.dst.name + " has no " + std::string(core::protocolName(c.protocol)) +
                   " port named \"" + (e.port ? e.port->name : std::string()) + "\"";
        case core::PortMismatch::kNamedOtherNumber: {
            std::vector<std::string> numbers;
            if (ctx.connection.dst.workload && e.port) {
                for (const auto& cp : ctx.cluster.workloads[*ctx.connection.dst.workload].ports) {
                    if (cp.name == e.port->name && cp.protocol == c.protocol) {
                        numbers.push_back(std::to_string(cp.port));
                    }
                }
            }
            return "\"" + (e.port ? e.port->name : std::string()) + "\" is port " +
                   joined(numbers, ",") + " on " + ctx.dst.name;
        }
    }
    return "no match";
}

const std::vector<core::PolicyRule>& rulesOf(const core::NetworkPolicy& p, core::PolicyType dir) {
    return dir == core::PolicyType::kIngress ? p.ingress : p.egress;
}

std::string ruleLabel(core::PolicyType dir, size_t rule) {
    return std::string(dir == core::PolicyType::kIngress ? "ingress[" : "egress[") +
           std::to_string(rule) + "]";
}

std::string_view peersKey(core::PolicyType dir) {
    return dir == core::PolicyType::kIngress ? "from" : "to";
}

std::string ruleLine(const Context& ctx,
                     const core::DirectionExplanation& d,
                     const core::NetworkPolicy& policy,
                     const core::RuleCheck& rc,
                     const Endpoint& peer_end) {
    const core::PolicyRule& rule = rulesOf(policy, d.direction)[rc.rule];
    std::string line = "  " + policyName(policy) + " " + ruleLabel(d.direction, rc.rule) + ": ";
    if (rc.admits()) {
        line += "admits (";
        line += rc.matched_peer
                    ? std::string(peersKey(d.direction)) + "[" + std::to_string(*rc.matched_peer) +
                          "] " + peerText(rule.peers[*rc.matched_peer])
                    : "every peer";
        line += ", ";
        line += rc.matched_port ? "ports[" + std::to_string(*rc.matched_port) + "] " +
                                      portText(rule.ports[*rc.matched_port])
                                : "every port";
        return line + ")";
    }
    std::vector<std::string> why;
    if (!rc.peerMatches()) {
        std::vector<std::string> peers;
        for (size_t j = 0; j < rc.peers.size(); ++j) {
            peers.push_back(std::string(peersKey(d.direction)) + "[" + std::to_string(j) + "] " +
                            peerText(rule.peers[j]) + ": " +
                            peerReason(ctx, rc.peers[j], peer_end, policy));
        }
        why.push_back("peer mismatch (" + joined(peers, "; ") + ")");
    }
    if (!rc.portMatches()) {
        std::vector<std::string> ports;
        for (size_t j = 0; j < rc.ports.size(); ++j) {
            ports.push_back("ports[" + std::to_string(j) + "] " + portText(rule.ports[j]) + ": " +
                            portReason(ctx, rc.ports[j], rule.ports[j]));
        }
        why.push_back("port mismatch (" + joined(ports, "; ") + ")");
    }
    return line + joined(why, ", and ");
}

std::string directionText(const Context& ctx, const core::DirectionExplanation& d) {
    const bool ingress = d.direction == core::PolicyType::kIngress;
    const Endpoint& subject = ingress ? ctx.dst : ctx.src;
    const Endpoint& peer_end = ingress ? ctx.src : ctx.dst;
    std::string out = std::string(ingress ? "ingress to " : "egress from ") + subject.name + ": ";
    if (!d.subject_in_cluster) {
        return out + "allowed, outside the cluster (never isolated)\n";
    }
    if (!d.isolated) {
        return out + "allowed, not isolated (no policy selects it for " +
               (ingress ? "ingress" : "egress") + ")\n";
    }
    std::vector<std::string> names;
    for (const auto& pc : d.policies) {
        names.push_back(policyName(*pc.policy));
    }
    if (d.allowed_by) {
        const core::Admission& a = *d.allowed_by;
        out += "allowed by " + policyName(*a.policy) + " " + ruleLabel(d.direction, a.rule);
    } else {
        out += "DENIED, no rule admits it";
    }
    out += "; isolated by " + joined(names, ", ") + "\n";
    for (const auto& pc : d.policies) {
        if (pc.rules.empty()) {
            out += "  " + policyName(*pc.policy) + ": no " + (ingress ? "ingress" : "egress") +
                   " rules (admits nothing)\n";
            continue;
        }
        for (const auto& rc : pc.rules) {
            out += ruleLine(ctx, d, *pc.policy, rc, peer_end) + "\n";
        }
    }
    return out;
}

bool missesAnAddress(const core::DirectionExplanation& d) {
    for (const auto& pc : d.policies) {
        for (const auto& rc : pc.rules) {
            for (auto m : rc.peers) {
                if (m == core::PeerMismatch::kNoAddress) {
                    return true;
                }
            }
        }
    }
    return false;
}

std::string renderText(const Context& ctx, const core::Explanation& e) {
    const core::Connection& c = ctx.connection;
    std::string out = std::string(e.allowed ? "ALLOWED" : "DENIED") + ": " + ctx.src.name + " -> " +
                      ctx.dst.name + " " + std::string(core::protocolName(c.protocol)) + "/" +
                      std::to_string(c.port) + "\n";
    out += "  source:      " + ctx.src.describe + "\n";
    out += "  destination: " + ctx.dst.describe + "\n";
    out += directionText(ctx, e.egress);
    out += directionText(ctx, e.ingress);
    if (missesAnAddress(e.egress) || missesAnAddress(e.ingress)) {
        out +=
            "note: ipBlock peers match addresses only; give a pod IP instead of NAMESPACE/NAME to "
            "match them\n";
    }
    if (c.src.workload && c.dst.workload && *c.src.workload == *c.dst.workload) {
        out +=
            "note: source and destination are the same workload: this is traffic between its pods; "
            "a pod's traffic to itself is not subject to policies\n";
    }
    return out;
}

json endpointJson(const Context& ctx, const Endpoint& e) {
    json out = json::object();
    if (e.end.workload) {
        const core::Workload& w = ctx.cluster.workloads[*e.end.workload];
        out["workload"] = w.ns + "/" + w.name;
        out["kind"] = std::string(core::workloadKindName(w.kind));
    } else {
        out["workload"] = nullptr;
    }
    out["ip"] = e.end.ip ? json(e.end.ip->toString()) : json(nullptr);
    return out;
}

json directionJson(const Context& ctx, const core::DirectionExplanation& d) {
    const bool ingress = d.direction == core::PolicyType::kIngress;
    json out = json::object();
    out["subject"] = (ingress ? ctx.dst : ctx.src).name;
    out["inCluster"] = d.subject_in_cluster;
    out["isolated"] = d.isolated;
    out["allowed"] = d.allowed;
    json names = json::array();
    json rules = json::array();
    for (const auto& pc : d.policies) {
        names.push_back(policyName(*pc.policy));
        for (const auto& rc : pc.rules) {
            json peers = json::array();
            for (size_t j = 0; j < rc.peers.size(); ++j) {
                const bool match = rc.peers[j] == core::PeerMismatch::kMatch;
                peers.push_back({{"peer", j},
                                 {"match", match},
                                 {"reason", match ? json(nullptr) : json(peerCode(rc.peers[j]))}});
            }
            json ports = json::array();
            for (size_t j = 0; j < rc.ports.size(); ++j) {
                const bool match = rc.ports[j] == core::PortMismatch::kMatch;
                ports.push_back({{"port", j},
                                 {"match", match},
                                 {"reason", match ? json(nullptr) : json(portCode(rc.ports[j]))}});
            }
            rules.push_back({{"policy", policyName(*pc.policy)},
                             {"rule", rc.rule},
                             {"admits", rc.admits()},
                             {"peerMatch", rc.peerMatches()},
                             {"portMatch", rc.portMatches()},
                             {"peers", std::move(peers)},
                             {"ports", std::move(ports)}});
        }
    }
    out["policies"] = std::move(names);
    if (d.allowed_by) {
        const core::Admission& a = *d.allowed_by;
        out["allowedBy"] = {{"policy", policyName(*a.policy)},
                            {"rule", a.rule},
                            {"peer", a.peer ? json(*a.peer) : json(nullptr)},
                            {"port", a.port ? json(*a.port) : json(nullptr)}};
    } else {
        out["allowedBy"] = nullptr;
    }
    out["rules"] = std::move(rules);
    return out;
}

std::string renderJson(const Context& ctx, const core::Explanation& e) {
    const core::Connection& c = ctx.connection;
    json out = {
        {"allowed", e.allowed},
        {"connection",
         {{"src", endpointJson(ctx, ctx.src)},
          {"dst", endpointJson(ctx, ctx.dst)},
          {"protocol", std::string(core::protocolName(c.protocol))},
          {"port", c.port}}},
        {"ipblockMatchesPods", ctx.ipblock_matches_pods},
        {"egress", directionJson(ctx, e.egress)},
        {"ingress", directionJson(ctx, e.ingress)},
    };
    return out.dump(2) + "\n";
}

// ---------------------------------------------------------------------------------------------
// Policies: the cluster's, with --policies files added or replacing by namespace/name.

struct PolicySet {
    std::vector<core::PolicyObject> extra;  // from --policies files
    std::vector<const core::NetworkPolicy*> all;
    size_t replaced = 0;
};

core::Status loadPolicies(const ExplainCommandOptions& o,
                          const core::Cluster& cluster,
                          PolicySet& set,
                          std::vector<std::string>& warnings) {
    for (const std::string& path : o.policy_paths) {
        core::ClusterObjects objects;
        io::ManifestStats stats;
        if (core::Status st = io::loadManifests(path, {}, objects, stats); !st) {
            return core::Error{"--policies: " + st.error()};
        }
        if (objects.policies.empty()) {
            return core::Error{"--policies " + path + ": no NetworkPolicy objects"};
        }
        const size_t others = objects.namespaces.size() + objects.workloads.size() +
                              objects.pods.size() + objects.services.size() + objects.routes.size();
        if (others > 0) {
            warnings.push_back("--policies " + path + ": " + std::to_string(others) +
                               " objects that are not NetworkPolicies ignored");
        }
        for (auto& p : objects.policies) {
            set.extra.push_back(std::move(p));
        }
    }
    using Key = std::pair<std::string_view, std::string_view>;
    std::map<Key, const core::NetworkPolicy*> merged;
    for (const auto& p : cluster.policies) {
        merged[{p.policy.ns, p.policy.name}] = &p.policy;
    }
    const std::map<Key, const core::NetworkPolicy*> from_cluster = merged;
    std::set<Key> replaced;
    for (const auto& p : set.extra) {
        const Key key{p.policy.ns, p.policy.name};
        if (from_cluster.count(key) != 0) {
            replaced.insert(key);
        }
        merged[key] = &p.policy;  // a later file wins
    }
    set.replaced = replaced.size();
    for (const auto& [key, p] : merged) {
        set.all.push_back(p);
    }
    return {};
}

}  // namespace

CLI::App* addExplainCommand(CLI::App& app, ExplainCommandOptions& o) {
    CLI::App* cmd = app.add_subcommand(
        "explain", "Explain whether NetworkPolicies allow one connection, and why");
    cmd->add_option("--cluster,-c",
                    o.inputs.cluster_paths,
                    "Manifests: YAML/JSON file or directory (repeatable)");
    addLiveClusterOptions(*cmd, o.live);
    cmd->add_option(
        "--policies",
        o.policy_paths,
        "NetworkPolicies to add, replacing the cluster's by namespace/name (repeatable)");
    cmd->add_option("--src", o.src, "Source: NAMESPACE/NAME, NAMESPACE/KIND/NAME or an IP address")
        ->required();
    cmd->add_option("--dst", o.dst, "Destination: NAMESPACE/NAME, NAMESPACE/KIND/NAME or an IP")
        ->required();
    cmd->add_option("--port", o.port, "Destination (container) port, 1-65535")->required();
    cmd->add_option("--protocol", o.protocol, "TCP, UDP or SCTP")->default_str("TCP");
    cmd->add_option("--format", o.format, "Output format: txt or json")
        ->check(CLI::IsMember({"txt", "json"}))
        ->default_str("txt");
    cmd->add_option("--ipblock-matches-pods",
                    o.ipblock_matches_pods,
                    "Whether ipBlocks match pod IPs (true: upstream Kubernetes; false: "
                    "netpol-analyzer)")
        ->default_str("true");
    cmd->add_option("--host-network-exempt",
                    o.host_network_exempt,
                    "Whether hostNetwork pods are neither isolated nor selected by policies (true: "
                    "common implementations; false: netpol-analyzer)")
        ->default_str("true");
    cmd->add_option("--output,-o", o.output, "Write to FILE (atomically) instead of stdout");
    return cmd;
}

int runExplain(const ExplainCommandOptions& o, std::ostream& out, std::ostream& err) {
    auto fail = [&](const std::string& message) {
        err << "netpolgen: " << message << "\n";
        return kExitBadInput;
    };
    if (o.port < 1 || o.port > 65535) {
        return fail("--port " + std::to_string(o.port) + ": must be between 1 and 65535");
    }
    const auto protocol = core::parseProtocol(o.protocol);
    if (!protocol || !core::isPolicyProtocol(*protocol)) {
        return fail("--protocol \"" + o.protocol + "\": must be TCP, UDP or SCTP");
    }
    if (o.format != "txt" && o.format != "json") {
        return fail("--format must be txt or json");
    }
    InputOptions input_options = o.inputs;
    input_options.flow_paths.clear();
    if (auto st = addLiveCluster(o.live, input_options, err, false); !st) {
        return fail(st.error());
    }
    auto inputs = loadInputs(input_options);
    if (!inputs) {
        return fail(inputs.error());
    }
    const core::Cluster& cluster = (*inputs)->cluster;
    std::vector<std::string> warnings = (*inputs)->warnings;
    PolicySet policies;
    if (core::Status st = loadPolicies(o, cluster, policies, warnings); !st) {
        return fail(st.error());
    }
    const core::ClusterIndex index(cluster);
    auto src = resolveEndpoint(index, "--src", o.src);
    if (!src) {
        return fail(src.error());
    }
    auto dst = resolveEndpoint(index, "--dst", o.dst);
    if (!dst) {
        return fail(dst.error());
    }
    core::EvaluatorOptions evaluator_options;
    evaluator_options.ipblock_matches_pods = o.ipblock_matches_pods;
    evaluator_options.host_network_exempt = o.host_network_exempt;
    const core::PolicyEvaluator evaluator(cluster, policies.all, evaluator_options);
    const core::Connection connection{src->end, dst->end, *protocol, static_cast<uint32_t>(o.port)};
    const core::Explanation explanation = evaluator.explain(connection);

    const Context ctx{cluster, connection, *src, *dst, o.ipblock_matches_pods};
    std::string text =
        o.format == "json" ? renderJson(ctx, explanation) : renderText(ctx, explanation);
    if (o.format == "txt" && !o.policy_paths.empty()) {
        text += "policies: " + std::to_string(policies.all.size()) + " (" +
                std::to_string(policies.extra.size()) + " from --policies, " +
                std::to_string(policies.replaced) + " of them replacing the cluster's)\n";
    }
    if (core::Status st = writeOutput(o.output, text, out); !st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitFailure;
    }
    for (size_t i = 0; i < warnings.size() && i < kMaxWarningsShown; ++i) {
        err << "netpolgen: warning: " << warnings[i] << "\n";
    }
    if (warnings.size() > kMaxWarningsShown) {
        err << "netpolgen: warning: ... and " << warnings.size() - kMaxWarningsShown << " more\n";
    }
    return kExitOk;
}

}  // namespace netpolgen::cli
