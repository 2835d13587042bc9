// bench_connectivity: core::ConnectivityMap (the whole connectivity map: workload classes, rows per
// rule set, one connection-set id per class pair) on a synthetic cluster with policies, at several
// sizes, against a floor measured in the same run: one pass over all workload pairs reading a
// class-pair table by the pairs' class ids, the least any per-pair enumeration must do.
//
//   bench_connectivity [--workloads 1000,10000,50000] [--label-sets 2000] [--policies 5000]
//                      [--namespaces 100] [--seed 1] [--repeat 3]
//
// Each size runs in a child process, so its peak RSS (getrusage ru_maxrss) is its own. Printed per
// size: building the cluster (inputs), ConnectivityMap construction, enumerating every allowed
// workload pair in output order (forEachAllowed with a counting visitor), the floor, the ratio
// enumeration / floor, countAllowed (per class pair), peak RSS.
// A final `RESULT` line per size for scripts. Exit status 1 when the target is missed: at 10,000
// workloads, map + enumeration under 10 s and peak RSS under 2 GiB.
//
// The synthetic cluster (deterministic from the seed):
//   - `namespaces` namespaces, half of them labelled env=prod|dev, team=t<k>;
//   - `label-sets` distinct pod label sets (app=app-<l>, tier, team), each in one namespace with
//     1–3 container ports (named http/grpc/metrics/dns, TCP, one UDP);
//   - workloads spread over the label sets with a mild skew, every one with two pod IPs in 10/8;
//   - `policies` NetworkPolicies: per namespace a default-deny ingress, every other namespace a
//     default-deny egress with DNS allowed; the rest per-app ingress (from apps of the same
//     namespace on named or numbered ports, from other namespaces by name + app, from tiers with
//     In/NotIn, from ipBlocks with excepts) and per-app egress (to apps, to external /24s).
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "bench_common.h"
#include "core/cluster.h"
#include "core/connectivity.h"
#include "synth/synthetic_cluster.h"

namespace {

namespace core = netpolgen::core;
namespace nb = netpolgen::bench;

constexpr double kTargetSeconds = 10.0;
constexpr double kTargetRssMiB = 2048.0;
constexpr size_t kTargetWorkloads = 10000;

using nb::bestOf;
using nb::peakRssMiB;
using nb::Timing;

struct Args {
    std::vector<size_t> workloads = {1000, 10000, 50000};
    size_t label_sets = 2000;
    size_t policies = 5000;
    size_t namespaces = 100;
    uint64_t seed = 1;
    int repeat = 3;
};

using nb::parseNumber;

bool parseArgs(int argc, char** argv, Args& args) {
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view arg = argv[i];
        const std::string_view value = argv[i + 1];
        bool ok = false;
        if (arg == "--workloads") {
            args.workloads.clear();
            ok = true;
            std::string_view rest = value;
            while (ok && !rest.empty()) {
                const size_t comma = rest.find(',');
                size_t n = 0;
                ok = parseNumber(rest.substr(0, comma), n) && n > 0;
                args.workloads.push_back(n);
                rest =
                    comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            }
        } else if (arg == "--label-sets") {
            ok = parseNumber(value, args.label_sets) && args.label_sets > 0;
        } else if (arg == "--policies") {
            ok = parseNumber(value, args.policies);
        } else if (arg == "--namespaces") {
            ok = parseNumber(value, args.namespaces) && args.namespaces > 0;
        } else if (arg == "--seed") {
            ok = parseNumber(value, args.seed);
        } else if (arg == "--repeat") {
            ok = parseNumber(value, args.repeat) && args.repeat > 0;
        }
        if (!ok) {
            std::fprintf(stderr,
                         "usage: bench_connectivity [--workloads N,N,…] [--label-sets L] "
                         "[--policies P] [--namespaces M] [--seed S] [--repeat R]\n");
            return false;
        }
    }
    return argc % 2 == 1;
}

// ---- the synthetic cluster --------------------------------------------------------------------

core::LabelSelector labelsSelector(core::Labels labels) {
    return core::LabelSelector{std::move(labels), {}};
}

core::PolicyPort numbered(uint32_t port, core::Protocol protocol = core::Protocol::kTcp) {
    core::PolicyPort p;
    p.protocol = protocol;
    p.protocol_set = true;
    p.port = core::PortValue{port, {}};
    return p;
}

core::PolicyPort named(std::string name) {
    core::PolicyPort p;
    p.protocol_set = true;
    p.port = core::PortValue{0, std::move(name)};
    return p;
}

std::string nsName(size_t k) {
    return "team-" + std::to_string(k);
}

std::string ipText(uint32_t v) {
    return std::to_string(v >> 24) + "." + std::to_string((v >> 16) & 255U) + "." +
           std::to_string((v >> 8) & 255U) + "." + std::to_string(v & 255U);
}

struct LabelSet {
    size_t ns = 0;
    core::Labels labels;
    std::vector<core::ContainerPort> ports;
};

core::Cluster buildCluster(const Args& args, size_t workloads) {
    nb::Rng rng(args.seed);
    core::Cluster cluster;
    static const char* const kTiers[] = {"web", "api", "db", "cache"};
    for (size_t k = 0; k < args.namespaces; ++k) {
        core::Namespace ns;
        ns.name = nsName(k);
        ns.labels.emplace(std::string(core::kNamespaceNameLabel), ns.name);
        if (k % 2 == 0) {
            ns.labels.emplace("env", k % 4 == 0 ? "prod" : "dev");
            ns.labels.emplace("team", "t" + std::to_string(k % 10));
        }
        ns.declared = true;
        cluster.namespaces.push_back(std::move(ns));
    }
    std::sort(cluster.namespaces.begin(),
              cluster.namespaces.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });

    std::vector<LabelSet> sets(args.label_sets);
    static const core::ContainerPort kPorts[] = {
        {"http", 8080, core::Protocol::kTcp},
        {"grpc", 9090, core::Protocol::kTcp},
        {"metrics", 9100, core::Protocol::kTcp},
        {"dns", 53, core::Protocol::kUdp},
        {"http", 80, core::Protocol::kTcp},
        {"redis", 6379, core::Protocol::kTcp},
    };
    for (size_t l = 0; l < sets.size(); ++l) {
        LabelSet& s = sets[l];
        s.ns = l % args.namespaces;
        s.labels = {{"app", "app-" + std::to_string(l)},
                    {"tier", kTiers[rng.below(4)]},
                    {"team", "t" + std::to_string(s.ns % 10)}};
        const size_t first = rng.below(5);  // http on 8080 or on 80: named ports differ per pod
        s.ports.push_back(kPorts[first]);
        const size_t extra = rng.below(3);
        for (size_t e = 0; e < extra; ++e) {
            const auto& p = kPorts[rng.below(6)];
            if (std::none_of(s.ports.begin(), s.ports.end(), [&](const auto& q) {
                    return q.name == p.name;
                })) {
                s.ports.push_back(p);
            }
        }
    }
    for (size_t i = 0; i < workloads; ++i) {
        // Mild skew: half of the workloads on the first fifth of the label sets.
        const size_t l = rng.chance(0.5) ? rng.below(std::max<size_t>(1, sets.size() / 5))
                                         : rng.below(sets.size());
        const LabelSet& s = sets[l];
        core::Workload w;
        w.kind = core::WorkloadKind::kDeployment;
        w.ns = nsName(s.ns);
        w.name = "w-" + std::to_string(i);
        w.pod_labels = s.labels;
        w.selector = labelsSelector({{"app", s.labels.at("app")}});
        w.ports = s.ports;
        const uint32_t base = (10U << 24) | (static_cast<uint32_t>(i) * 4U + 1U);
        w.pod_ips = {core::IpAddress::fromV4(base), core::IpAddress::fromV4(base + 1)};
        cluster.workloads.push_back(std::move(w));
    }
    std::sort(cluster.workloads.begin(), cluster.workloads.end(), [](const auto& a, const auto& b) {
        return std::tie(a.ns, a.name) < std::tie(b.ns, b.name);
    });

    // Policies: per-namespace defaults first, then per-app ones until `policies`.
    auto add = [&](core::NetworkPolicy p) {
        if (cluster.policies.size() < args.policies) {
            cluster.policies.push_back({std::move(p), "synthetic"});
        }
    };
    for (size_t k = 0; k < args.namespaces; ++k) {
        core::NetworkPolicy deny;
        deny.ns = nsName(k);
        deny.name = "default-deny-ingress";
        deny.policy_types = {core::PolicyType::kIngress};
        add(std::move(deny));
        if (k % 2 == 1) {
            core::NetworkPolicy egress;
            egress.ns = nsName(k);
            egress.name = "default-deny-egress-allow-dns";
            egress.policy_types = {core::PolicyType::kEgress};
            core::PolicyPeer dns;
            dns.namespace_selector =
                labelsSelector({{std::string(core::kNamespaceNameLabel), "kube-system"}});
            egress.egress = {
                core::PolicyRule{{dns}, {numbered(53, core::Protocol::kUdp), numbered(53)}}};
            add(std::move(egress));
        }
    }
    for (size_t n = 0; cluster.policies.size() < args.policies; ++n) {
        const size_t l = rng.below(sets.size());
        const LabelSet& s = sets[l];
        core::NetworkPolicy p;
        p.ns = nsName(s.ns);
        p.name = "p-" + std::to_string(n);
        p.pod_selector = labelsSelector({{"app", s.labels.at("app")}});
        const uint64_t kind = rng.below(10);
        auto appPeer = [&](bool other_ns) {
            const LabelSet& t = sets[rng.below(sets.size())];
            core::PolicyPeer peer;
            peer.pod_selector = labelsSelector({{"app", t.labels.at("app")}});
            if (other_ns || t.ns != s.ns) {
                peer.namespace_selector =
                    labelsSelector({{std::string(core::kNamespaceNameLabel), nsName(t.ns)}});
            }
            return peer;
        };
        if (kind < 6) {  // ingress from a few apps
            p.policy_types = {core::PolicyType::kIngress};
            core::PolicyRule r;
            const size_t peers = 1 + rng.below(3);
            for (size_t k = 0; k < peers; ++k) {
                r.peers.push_back(appPeer(rng.chance(0.3)));
            }
            r.ports = {rng.chance(0.5) ? named("http") : numbered(8080)};
            if (rng.chance(0.3)) {
                r.ports.push_back(numbered(9000, core::Protocol::kTcp));
                r.ports.back().end_port = 9100;
            }
            p.ingress.push_back(std::move(r));
        } else if (kind < 7) {  // ingress from tiers, set-based
            p.policy_types = {core::PolicyType::kIngress};
            core::PolicyPeer peer;
            core::LabelSelector tier;
            tier.match_expressions.push_back(
                {"tier",
                 rng.chance(0.5) ? core::SelectorOperator::kIn : core::SelectorOperator::kNotIn,
                 {kTiers[rng.below(4)], kTiers[rng.below(4)]}});
            peer.pod_selector = std::move(tier);
            peer.namespace_selector = labelsSelector({{"env", "prod"}});
            p.ingress.push_back({{peer}, {named("grpc")}});
        } else if (kind < 8) {  // ingress from outside, with excepts
            p.policy_types = {core::PolicyType::kIngress};
            core::PolicyPeer ext;
            ext.ip_block = core::IpBlock{"0.0.0.0/0", {"10.0.0.0/8", "192.168.0.0/16"}};
            core::PolicyPeer office;
            const uint32_t net = (203U << 24) | (static_cast<uint32_t>(rng.below(256)) << 8);
            office.ip_block = core::IpBlock{ipText(net) + "/24", {}};
            p.ingress.push_back({{ext}, {numbered(443)}});
            p.ingress.push_back({{office}, {numbered(22)}});
        } else {  // egress to apps and to external /24s
            p.policy_types = {core::PolicyType::kEgress};
            core::PolicyRule to_apps;
            to_apps.peers = {appPeer(false), appPeer(true)};
            to_apps.ports = {named("http"), numbered(6379)};
            core::PolicyPeer ext;
            const uint32_t net = (52U << 24) | (static_cast<uint32_t>(rng.below(1U << 16)) << 8);
            ext.ip_block = core::IpBlock{ipText(net) + "/24", {}};
            p.egress = {std::move(to_apps), core::PolicyRule{{ext}, {numbered(443)}}};
        }
        add(std::move(p));
    }
    return cluster;
}

// ---- one size ---------------------------------------------------------------------------------

int runSize(const Args& args, size_t workloads) {
    const auto t0 = std::chrono::steady_clock::now();
    const core::Cluster cluster = buildCluster(args, workloads);
    const double build_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double rss_inputs = peakRssMiB();
    std::vector<const core::NetworkPolicy*> policies;
    for (const auto& p : cluster.policies) {
        policies.push_back(&p.policy);
    }

    // The engine: the whole map.
    std::unique_ptr<core::ConnectivityMap> map;
    const Timing map_s = bestOf(args.repeat, [&] {
        map.reset();
        map =
            std::make_unique<core::ConnectivityMap>(cluster, policies, core::ConnectivityOptions{});
    });
    const double rss_map = peakRssMiB();

    // Enumerating every allowed workload pair in output order (what a renderer does, minus the
    // text), and the count alone (per class pair).
    size_t allowed = 0;
    const Timing enum_s = bestOf(args.repeat, [&] {
        size_t n = 0;
        map->forEachAllowed([&](const core::ConnectivityPeer&,
                                const core::ConnectivityPeer&,
                                const core::ConnectionSet&) { ++n; });
        allowed = n;
    });
    size_t counted = 0;
    const Timing count_s = bestOf(args.repeat, [&] { counted = map->countAllowed(); });
    if (counted != allowed) {
        std::fprintf(stderr,
                     "bench_connectivity: countAllowed %zu != forEachAllowed %zu\n",
                     counted,
                     allowed);
        return 2;
    }

    // Floor: one pass over all workload pairs (and the External atoms), reading a class-pair
    // table through both class ids, in the same output order.
    const size_t classes = map->classCount();
    std::vector<uint32_t> table(classes * classes);
    for (size_t i = 0; i < table.size(); ++i) {
        table[i] = static_cast<uint32_t>((i * 2654435761U) >> 7) & 1U;
    }
    std::vector<uint32_t> src_class;
    std::vector<uint32_t> dst_class;
    for (const auto& p : map->sources()) {
        src_class.push_back(p.kind == core::ConnectivityPeer::Kind::kWorkload
                                ? static_cast<uint32_t>(map->workloadClass(p.workload))
                                : 0U);
    }
    for (const auto& p : map->destinations()) {
        dst_class.push_back(p.kind == core::ConnectivityPeer::Kind::kWorkload
                                ? static_cast<uint32_t>(map->workloadClass(p.workload))
                                : 0U);
    }
    size_t floor_count = 0;
    const Timing floor_s = bestOf(args.repeat, [&] {
        size_t n = 0;
        for (const uint32_t s : src_class) {
            const uint32_t* row = table.data() + size_t{s} * classes;
            for (const uint32_t d : dst_class) {
                n += row[d];
            }
        }
        floor_count = n;
    });
    const double rss_all = peakRssMiB();

    const double total = map_s.wall + enum_s.wall;
    const bool target_applies = workloads == kTargetWorkloads;
    const bool met = total < kTargetSeconds && rss_all < kTargetRssMiB;
    std::printf(
        "| %zu | %zu | %zu | %zu+%zu | %.2f | %.3f (%.3f CPU) | %.3f (%.3f CPU) | %.3f (%.3f CPU) "
        "| "
        "%.1f (%.1f CPU) | %zu | %.4f | %.0f / %.0f | %s |\n",
        workloads,
        classes,
        policies.size(),
        map->ingressAtomCount(),
        map->egressAtomCount(),
        build_s,
        map_s.wall,
        map_s.cpu,
        enum_s.wall,
        enum_s.cpu,
        floor_s.wall,
        floor_s.cpu,
        enum_s.wall / floor_s.wall,
        enum_s.cpu / floor_s.cpu,
        allowed,
        count_s.wall,
        rss_inputs,
        rss_all,
        target_applies ? (met ? "met" : "MISSED") : "—");
    std::printf(
        "RESULT workloads=%zu classes=%zu policies=%zu map_s=%.3f map_cpu_s=%.3f enum_s=%.3f "
        "enum_cpu_s=%.3f floor_s=%.3f floor_cpu_s=%.3f count_s=%.4f allowed=%zu conn_sets=%zu "
        "rss_inputs_mib=%.0f rss_map_mib=%.0f rss_mib=%.0f floor_sink=%zu\n",
        workloads,
        classes,
        policies.size(),
        map_s.wall,
        map_s.cpu,
        enum_s.wall,
        enum_s.cpu,
        floor_s.wall,
        floor_s.cpu,
        count_s.wall,
        allowed,
        map->distinctConnectionSets(),
        rss_inputs,
        rss_map,
        rss_all,
        floor_count);
    std::fflush(stdout);
    return target_applies && !met ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parseArgs(argc, argv, args)) {
        return 2;
    }
    std::printf("bench_connectivity: %zu label sets, %zu policies, %zu namespaces, best of %d\n\n",
                args.label_sets,
                args.policies,
                args.namespaces,
                args.repeat);
    std::printf(
        "| workloads | classes | policies | atoms in+out | build cluster s | ConnectivityMap s | "
        "forEachAllowed (all pairs, output order) s | floor s | forEachAllowed / floor | allowed "
        "pairs | countAllowed s | peak RSS MiB (inputs / all) | target |\n");
    std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    std::fflush(stdout);
    int status = 0;
    for (size_t workloads : args.workloads) {
        // A child per size: its peak RSS is its own.
        const pid_t pid = fork();
        if (pid == 0) {
            std::_Exit(runSize(args, workloads));
        }
        int child = 0;
        if (pid < 0 || waitpid(pid, &child, 0) < 0 || !WIFEXITED(child)) {
            std::fprintf(
                stderr, "bench_connectivity: the run at %zu workloads failed\n", workloads);
            return 2;
        }
        status = std::max(status, WEXITSTATUS(child));
    }
    return status;
}
