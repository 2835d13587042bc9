#include "synth/synthetic_cluster.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

#include "core/cluster_builder.h"
#include "core/cluster_index.h"

namespace netpolgen::bench {
namespace {

constexpr std::array<std::string_view, 24> kTeams = {
    "payments",  "checkout", "catalog", "search",    "identity", "ledger",  "shipping", "ads",
    "analytics", "platform", "billing", "inventory", "orders",   "pricing", "reviews",  "mobile",
    "partners",  "fraud",    "media",   "notify",    "support",  "loyalty", "growth",   "data"};
constexpr std::array<std::string_view, 4> kTiers = {"frontend", "backend", "data", "edge"};
constexpr std::array<std::string_view, 3> kEnvs = {"prod", "staging", "canary"};
constexpr std::array<std::string_view, 16> kRoles = {"api",
                                                     "web",
                                                     "worker",
                                                     "gateway",
                                                     "db",
                                                     "cache",
                                                     "queue",
                                                     "indexer",
                                                     "router",
                                                     "grpc",
                                                     "auth",
                                                     "cron",
                                                     "stream",
                                                     "export",
                                                     "import",
                                                     "proxy"};

uint64_t mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

std::string namespaceName(size_t i) {
    std::string name(kTeams[i % kTeams.size()]);
    if (i >= kTeams.size()) {
        name += "-" + std::to_string(i / kTeams.size());
    }
    return name;
}

core::Labels labelSet(size_t j) {
    const size_t teams = kTeams.size();
    core::Labels labels;
    labels.emplace("team", std::string(kTeams[j % teams]));
    labels.emplace("tier", std::string(kTiers[(j / teams) % kTiers.size()]));
    labels.emplace("env", std::string(kEnvs[(j / (teams * kTiers.size())) % kEnvs.size()]));
    const size_t base = teams * kTiers.size() * kEnvs.size();
    if (j >= base) {
        labels.emplace("shard", "s" + std::to_string(j / base));
    }
    return labels;
}

core::ContainerPort port(std::string name,
                         uint32_t number,
                         core::Protocol protocol = core::Protocol::kTcp) {
    return core::ContainerPort{std::move(name), number, protocol};
}

// 1–3 container ports: a main port by role, sometimes a metrics port, a few UDP ports.
std::vector<core::ContainerPort> portsFor(uint64_t h) {
    std::vector<core::ContainerPort> ports;
    const uint64_t r = h % 100;
    if (r < 50) {
        ports.push_back(port("http", 8080));
    } else if (r < 70) {
        ports.push_back(port("grpc", 9090));
    } else if (r < 78) {
        ports.push_back(port("postgres", 5432));
    } else if (r < 85) {
        ports.push_back(port("redis", 6379));
    } else if (r < 90) {
        ports.push_back(port("kafka", 9092));
    } else if (r < 94) {
        ports.push_back(port("mysql", 3306));
    } else if (r < 97) {
        ports.push_back(port("https", 8443));
    } else {
        ports.push_back(port("statsd", 8125, core::Protocol::kUdp));
    }
    if ((h >> 8) % 10 < 3) {
        ports.push_back(port("metrics", 9100));
    }
    if ((h >> 16) % 100 < 3) {
        ports.push_back(port("syslog", 5514, core::Protocol::kUdp));
    }
    return ports;
}

core::Service serviceFor(const core::Workload& w, size_t index, uint64_t h) {
    core::Service svc;
    svc.ns = w.ns;
    svc.name = w.name;
    svc.selector = core::Labels{{"app", w.name}};
    const uint64_t r = h % 100;
    svc.type = r < 2 ? "NodePort" : r < 3 ? "LoadBalancer" : "ClusterIP";
    for (const auto& cp : w.ports) {
        if (cp.name == "metrics" && w.ports.size() > 1) {
            continue;
        }
        core::ServicePort sp;
        sp.name = cp.name;
        sp.protocol = cp.protocol;
        if (cp.name == "http") {
            sp.port = 80;
            sp.target_port = core::PortValue{0, "http"};
        } else {
            sp.port = cp.port;
            sp.target_port = core::PortValue{cp.port, {}};
        }
        if (svc.type != "ClusterIP") {
            sp.node_port = 30000 + static_cast<uint32_t>((index * 7 + svc.ports.size()) % 2768);
        }
        svc.ports.push_back(std::move(sp));
    }
    svc.cluster_ips.push_back(core::IpAddress::fromV4(serviceIpV4(index)));
    return svc;
}

core::NetworkPolicy defaultDeny(const std::string& ns) {
    core::NetworkPolicy p;
    p.ns = ns;
    p.name = "default-deny-ingress";
    p.policy_types = {core::PolicyType::kIngress};
    return p;
}

// allow-<name>: the workload's pods admit the frontend tier of their namespace on the main port.
core::NetworkPolicy perApp(const core::Workload& w) {
    core::NetworkPolicy p;
    p.ns = w.ns;
    p.name = "allow-" + w.name;
    p.pod_selector.match_labels.emplace("app", w.name);
    p.policy_types = {core::PolicyType::kIngress};
    core::PolicyRule rule;
    core::PolicyPeer peer;
    peer.pod_selector = core::LabelSelector{{{"tier", "frontend"}}, {}};
    rule.peers.push_back(std::move(peer));
    core::PolicyPort pp;
    pp.protocol = w.ports.front().protocol;
    pp.protocol_set = true;
    pp.port = core::PortValue{w.ports.front().port, {}};
    rule.ports.push_back(pp);
    p.ingress.push_back(std::move(rule));
    return p;
}

// A policy an earlier run generated: what --delete-existing generated replaces.
core::NetworkPolicy previouslyGenerated(const core::Workload& w) {
    core::NetworkPolicy p;
    p.ns = w.ns;
    p.name = std::string(core::kGeneratedNamePrefix) + w.name + "-old";
    p.labels.emplace(std::string(core::kGeneratedLabelKey), "true");
    p.pod_selector.match_labels.emplace("app", w.name);
    p.policy_types = {core::PolicyType::kIngress};
    return p;
}

core::ClusterObjects buildObjects(const SynthOptions& o, Rng& rng) {
    core::ClusterObjects objects;
    for (size_t i = 0; i < o.namespaces; ++i) {
        core::Namespace ns;
        ns.name = namespaceName(i);
        ns.labels.emplace("team", std::string(kTeams[i % kTeams.size()]));
        ns.labels.emplace("env", std::string(kEnvs[(i / kTeams.size()) % kEnvs.size()]));
        ns.origin = "synthetic";
        objects.namespaces.push_back(std::move(ns));
    }
    const size_t label_sets = std::max<size_t>(1, o.label_sets);
    for (size_t i = 0; i < o.workloads; ++i) {
        const uint64_t h = mix(o.seed ^ (i * 0x2545f4914f6cdd1dULL));
        core::Workload w;
        // Mild skew: the first namespaces hold more workloads.
        const size_t ns = std::min(
            o.namespaces - 1,
            static_cast<size_t>(static_cast<double>(o.namespaces) * std::pow(rng.uniform(), 1.3)));
        w.ns = objects.namespaces[ns].name;
        w.name = std::string(kRoles[h % kRoles.size()]) + "-" + std::to_string(i);
        const uint64_t kind = (h >> 20) % 100;
        w.kind = kind < 85   ? core::WorkloadKind::kDeployment
                 : kind < 95 ? core::WorkloadKind::kStatefulSet
                             : core::WorkloadKind::kDaemonSet;
        w.selector = core::LabelSelector{{{"app", w.name}}, {}};
        w.pod_labels = labelSet(rng.below(label_sets));
        w.pod_labels.emplace("app", w.name);
        w.ports = portsFor(h >> 24);
        w.origin = "synthetic";
        objects.workloads.push_back(std::move(w));
    }
    // Services: a services_ratio share of the workloads, in a random order.
    std::vector<size_t> order(o.workloads);
    for (size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    for (size_t i = order.size(); i > 1; --i) {
        std::swap(order[i - 1], order[rng.below(i)]);
    }
    const size_t services = std::min(
        o.workloads,
        static_cast<size_t>(std::llround(o.services_ratio * static_cast<double>(o.workloads))));
    for (size_t k = 0; k < services; ++k) {
        objects.services.push_back(serviceFor(objects.workloads[order[k]], k, rng.next()));
        objects.services.back().origin = "synthetic";
    }
    // Policies: default-deny in ~5 % of the namespaces (never the first, the biggest), per-app
    // policies for ~2 % of the workloads, a few leftovers of an earlier generation.
    for (size_t i = 1; i < o.namespaces; ++i) {
        if (mix(o.seed + i * 31) % 100 < 5) {
            objects.policies.push_back({defaultDeny(objects.namespaces[i].name), "synthetic"});
        }
    }
    for (const auto& w : objects.workloads) {
        const uint64_t r = rng.below(1000);
        if (r < 20) {
            objects.policies.push_back({perApp(w), "synthetic"});
        } else if (r < 25) {
            objects.policies.push_back({previouslyGenerated(w), "synthetic"});
        }
    }
    return objects;
}

// Distinct callers per destination rank: min(cap, c * rank^-a), summing to `total` exactly.
std::vector<size_t> calleeDegrees(size_t n, size_t total, size_t cap, double a) {
    std::vector<double> weight(n);
    for (size_t r = 0; r < n; ++r) {
        weight[r] = std::pow(static_cast<double>(r + 1), -a);
    }
    auto sum_for = [&](double c) {
        double s = 0;
        for (double w : weight) {
            s += std::min(static_cast<double>(cap), std::floor(c * w));
        }
        return s;
    };
    // At c = cap * n^a every rank reaches the cap, and cap * n >= total (checked by the caller).
    double lo = 0;
    double hi = static_cast<double>(cap) * std::pow(static_cast<double>(n), a) +
                static_cast<double>(total) + 1;
    for (int i = 0; i < 200 && hi - lo > 1e-6 * hi; ++i) {
        const double mid = (lo + hi) / 2;
        (sum_for(mid) < static_cast<double>(total) ? lo : hi) = mid;
    }
    std::vector<size_t> degree(n);
    size_t sum = 0;
    for (size_t r = 0; r < n; ++r) {
        degree[r] = std::min(cap, static_cast<size_t>(std::floor(lo * weight[r])));
        sum += degree[r];
    }
    // sum_for(lo) < total: top up the rounding remainder, hubs first.
    for (size_t r = 0; sum < total; r = (r + 1) % n) {
        if (degree[r] < cap) {
            ++degree[r];
            ++sum;
        }
    }
    return degree;
}

// The port a caller uses: the main port mostly, the others sometimes.
const core::ContainerPort& callerPort(const core::Workload& w, Rng& rng) {
    if (w.ports.size() == 1 || rng.chance(0.85)) {
        return w.ports.front();
    }
    return w.ports[1 + rng.below(w.ports.size() - 1)];
}

}  // namespace

core::Result<SynthModel> buildSyntheticModel(const SynthOptions& o) {
    if (o.workloads == 0 || o.namespaces == 0) {
        return core::Error{"--workloads and --namespaces must be at least 1"};
    }
    Rng rng(o.seed);
    SynthModel model;
    std::vector<std::string> warnings;
    model.cluster = core::buildCluster(buildObjects(o, rng), warnings);
    const core::Cluster& cluster = model.cluster;
    const size_t n = cluster.workloads.size();
    model.replicas.resize(n);
    for (size_t i = 0; i < n; ++i) {
        model.replicas[i] = static_cast<uint8_t>(1 + mix(o.seed ^ (i << 20)) % 3);
    }

    // internet → every exposed port of an exposed workload.
    std::vector<core::EdgeKey>& edges = model.edges;
    const core::ClusterIndex index(cluster);
    std::vector<bool> exposed(n, false);
    for (size_t s = 0; s < cluster.services.size(); ++s) {
        const core::Service& svc = cluster.services[s];
        if (!svc.isExternallyExposed()) {
            continue;
        }
        for (size_t w : index.selectedBy(s)) {
            exposed[w] = true;
            for (const auto& sp : svc.ports) {
                uint32_t target = sp.target_port.number != 0 ? sp.target_port.number : sp.port;
                for (const auto& cp : cluster.workloads[w].ports) {
                    if (sp.target_port.isNamed() && cp.name == sp.target_port.name) {
                        target = cp.port;
                    }
                }
                edges.push_back(
                    {core::kInternetEntity, core::workloadEntity(w), target, sp.protocol});
            }
        }
    }
    // Without exposed workloads there is still a tail of outside traffic: into a few workloads.
    if (edges.empty() && o.external_ratio > 0) {
        for (size_t k = 0; k < std::max<size_t>(1, n / 100); ++k) {
            const size_t w = rng.below(n);
            if (!exposed[w]) {
                exposed[w] = true;
                const auto& cp = cluster.workloads[w].ports.front();
                edges.push_back(
                    {core::kInternetEntity, core::workloadEntity(w), cp.port, cp.protocol});
            }
        }
    }
    model.internet_edges = edges.size();
    model.exposed_workloads = static_cast<size_t>(std::count(exposed.begin(), exposed.end(), true));
    // internal (node) → the metrics port, else the main port, of ~1 % of the workloads.
    for (size_t w = 0; w < n; ++w) {
        if (mix(o.seed * 7 + w) % 100 == 0) {
            const auto& ports = cluster.workloads[w].ports;
            const core::ContainerPort& cp =
                ports.back().name == "metrics" ? ports.back() : ports.front();
            edges.push_back({core::kInternalEntity, core::workloadEntity(w), cp.port, cp.protocol});
        }
    }
    model.internal_edges = edges.size() - model.internet_edges;

    // Callees: every workload but the batch-like ones (cron-*, worker-*), which nobody calls; in a
    // random rank order, each with its Zipf number of distinct callers.
    std::vector<size_t> rank;
    for (size_t i = 0; i < n; ++i) {
        const std::string& name = cluster.workloads[i].name;
        if (name.rfind("cron-", 0) != 0 && name.rfind("worker-", 0) != 0) {
            rank.push_back(i);
        }
    }
    if (rank.empty()) {
        rank.push_back(0);
    }
    for (size_t i = rank.size(); i > 1; --i) {
        std::swap(rank[i - 1], rank[rng.below(i)]);
    }
    const size_t callees = rank.size();
    const size_t cap = std::max<size_t>(1, (n - 1) / 2);  // rejection sampling succeeds ≥ 1/2
    const size_t most = edges.size() + (n < 2 ? 0 : cap * callees);
    const size_t wanted = o.edges != 0 ? o.edges : std::min(10 * n, most);
    if (edges.size() > wanted) {
        return core::Error{"--edges " + std::to_string(wanted) + " is below the " +
                           std::to_string(edges.size()) +
                           " edges from outside the cluster and from nodes; ask for more edges"};
    }
    if (wanted > most) {
        return core::Error{"--edges " + std::to_string(wanted) + " is more than " +
                           std::to_string(n) + " workloads can carry (at most " +
                           std::to_string(most) + ")"};
    }
    const size_t workload_edges = wanted - edges.size();
    model.workload_edges = workload_edges;

    // Namespace ranges of the sorted workloads.
    std::vector<size_t> ns_begin(n);
    std::vector<size_t> ns_end(n);
    for (size_t b = 0; b < n;) {
        size_t e = b;
        while (e < n && cluster.workloads[e].ns == cluster.workloads[b].ns) {
            ++e;
        }
        for (size_t k = b; k < e; ++k) {
            ns_begin[k] = b;
            ns_end[k] = e;
        }
        b = e;
    }

    const std::vector<size_t> degree =
        n < 2 ? std::vector<size_t>(callees, 0)
              : calleeDegrees(callees, workload_edges, cap, o.zipf_exponent);
    std::vector<uint32_t> taken(n, 0);  // taken[src] == stamp: src already calls this callee
    edges.reserve(wanted);
    for (size_t r = 0; r < callees; ++r) {
        const size_t dst = rank[r];
        const uint32_t stamp = static_cast<uint32_t>(r + 1);
        const core::Workload& wl = cluster.workloads[dst];
        const size_t local = ns_end[dst] - ns_begin[dst] - 1;  // possible callers in the namespace
        size_t local_taken = 0;
        taken[dst] = stamp;  // no self-calls
        model.max_callers = std::max(model.max_callers, degree[r]);
        for (size_t k = 0; k < degree[r]; ++k) {
            size_t src = n;
            if (local_taken < local && rng.chance(o.same_namespace)) {
                for (int attempt = 0; attempt < 8 && src == n; ++attempt) {
                    const size_t c = ns_begin[dst] + rng.below(local + 1);
                    if (taken[c] != stamp) {
                        src = c;
                    }
                }
            }
            while (src == n) {
                const size_t c = rng.below(n);
                if (taken[c] != stamp) {
                    src = c;
                }
            }
            taken[src] = stamp;
            if (src >= ns_begin[dst] && src < ns_end[dst]) {
                ++local_taken;
            }
            const core::ContainerPort& cp = callerPort(wl, rng);
            edges.push_back(
                {core::workloadEntity(src), core::workloadEntity(dst), cp.port, cp.protocol});
        }
    }
    for (size_t i = edges.size(); i > 1; --i) {
        std::swap(edges[i - 1], edges[rng.below(i)]);
    }
    return model;
}

core::FlowGraph buildFlowGraph(const SynthModel& model, uint64_t seed, core::Timestamp base_time) {
    Rng rng(seed ^ 0x5eedf10e5ULL);
    core::FlowGraph graph;
    constexpr uint64_t kWeek = 7 * 86400;
    for (const core::EdgeKey& key : model.edges) {
        const auto first = base_time + static_cast<core::Timestamp>(rng.below(kWeek));
        const uint64_t count = 1 + rng.below(rng.chance(0.1) ? 1000 : 10);
        graph.add(key, count, first);
        graph.add(key, 1, first + static_cast<core::Timestamp>(rng.below(3600)));
    }
    return graph;
}

std::string podTemplateHash(size_t workload) {
    static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    uint64_t h = mix(workload * 0x9e3779b97f4a7c15ULL + 1);
    std::string out(9, 'b');
    for (char& c : out) {
        c = kAlphabet[h % kAlphabet.size()];
        h /= kAlphabet.size();
    }
    return out;
}

std::string podSuffix(size_t workload, size_t replica) {
    static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    uint64_t h = mix(workload * 131 + replica + 0x51ed);
    std::string out(5, 'b');
    for (char& c : out) {
        c = kAlphabet[h % kAlphabet.size()];
        h /= kAlphabet.size();
    }
    return out;
}

uint32_t podIpV4(size_t workload, size_t replica) {
    const uint32_t k = static_cast<uint32_t>((workload * 4 + replica) & 0x7fffff);
    return (10u << 24) | (128u << 16) | k;  // 10.128.0.0/9
}

uint32_t serviceIpV4(size_t service) {
    const uint32_t k = static_cast<uint32_t>(service & 0xfffff);
    return (10u << 24) | (96u << 16) | k;  // 10.96.0.0/12
}

size_t nodeOf(size_t workload, size_t replica, size_t nodes) {
    return static_cast<size_t>(mix(workload * 17 + replica) % std::max<size_t>(1, nodes));
}

}  // namespace netpolgen::bench
