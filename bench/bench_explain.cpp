// bench_explain: the time of one core::PolicyEvaluator::explain once the cluster is loaded, on a
// synthetic cluster built in memory (bench/synth/synthetic_cluster.h) with its policies topped up
// to --policies by a mix generated here (selectors on the shared label sets, cross-namespace
// peers, ipBlocks with except, numbered, ranged and named ports, ingress and egress).
//
//   bench_explain [--workloads 10000] [--namespaces 100] [--label-sets 2000] [--policies 5000]
//                 [--pairs 1000] [--passes 5] [--seed 1]
//
// For --pairs random connections (pod → pod with pod IPs, outside → pod, pod → outside; ports the
// destinations serve or not) it times explain(), allowed(), and a floor: one label-selector match
// loop over the policies of the destination's namespace (the least any evaluation must do). Each
// pair runs --passes times and keeps its fastest run (the machine is shared); the table gives the
// median and the 99th percentile over the pairs. Exit status 1 when explain's p99 is not under
// 5 ms.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/policy_evaluator.h"
#include "synth/synthetic_cluster.h"

namespace {

namespace core = netpolgen::core;
namespace nb = netpolgen::bench;

constexpr double kTargetMs = 5.0;

struct Args {
    nb::SynthOptions synth;
    size_t policies = 5000;
    size_t pairs = 1000;
    int passes = 5;
};

template <typename T>
bool parseNumber(std::string_view text, T& out) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
}

bool parseArgs(int argc, char** argv, Args& args) {
    args.synth.workloads = 10000;
    args.synth.namespaces = 100;
    args.synth.label_sets = 2000;
    args.synth.edges = 20000;  // the flow graph is not used here
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (i + 1 >= argc) {
            std::fprintf(stderr, "bench_explain: %s needs a value\n", argv[i]);
            return false;
        }
        const std::string_view value = argv[++i];
        bool ok = false;
        if (arg == "--workloads") {
            ok = parseNumber(value, args.synth.workloads) && args.synth.workloads > 0;
        } else if (arg == "--namespaces") {
            ok = parseNumber(value, args.synth.namespaces) && args.synth.namespaces > 0;
        } else if (arg == "--label-sets") {
            ok = parseNumber(value, args.synth.label_sets) && args.synth.label_sets > 0;
        } else if (arg == "--policies") {
            ok = parseNumber(value, args.policies);
        } else if (arg == "--pairs") {
            ok = parseNumber(value, args.pairs) && args.pairs > 0;
        } else if (arg == "--passes") {
            ok = parseNumber(value, args.passes) && args.passes > 0;
        } else if (arg == "--seed") {
            ok = parseNumber(value, args.synth.seed);
        }
        if (!ok) {
            std::fprintf(stderr,
                         "bench_explain: bad option %.*s %.*s\n"
                         "usage: bench_explain [--workloads N] [--namespaces M] [--label-sets L] "
                         "[--policies P] [--pairs K] [--passes R] [--seed S]\n",
                         static_cast<int>(arg.size()),
                         arg.data(),
                         static_cast<int>(value.size()),
                         value.data());
            return false;
        }
    }
    return true;
}

// --- extra policies --------------------------------------------------------------------------

core::LabelSelector someOf(const core::Labels& labels, nb::Rng& rng) {
    core::LabelSelector s;
    for (const auto& [key, value] : labels) {
        if (key != "app" && rng.chance(0.4)) {
            s.match_labels.emplace(key, value);
        }
    }
    if (s.match_labels.empty() && !labels.empty()) {
        s.match_labels.insert(*labels.begin());
    }
    if (rng.chance(0.15)) {
        s.match_expressions.push_back({"env", core::SelectorOperator::kNotIn, {"canary"}});
    }
    return s;
}

core::PolicyPeer randomPeer(const core::Cluster& cluster, const std::string& ns, nb::Rng& rng) {
    core::PolicyPeer peer;
    const core::Workload& other = cluster.workloads[rng.below(cluster.workloads.size())];
    const uint64_t kind = rng.below(10);
    if (kind < 4) {
        peer.pod_selector = someOf(other.pod_labels, rng);
    } else if (kind < 7) {
        peer.namespace_selector = core::LabelSelector{
            {{std::string(core::kNamespaceNameLabel), rng.chance(0.5) ? other.ns : ns}}, {}};
        peer.pod_selector = someOf(other.pod_labels, rng);
    } else if (kind < 8) {
        const core::Namespace* target = cluster.findNamespace(other.ns);
        peer.namespace_selector = someOf(target != nullptr ? target->labels : core::Labels{}, rng);
    } else {
        const uint32_t a = static_cast<uint32_t>(rng.below(256));
        core::IpBlock block;
        if (rng.chance(0.3)) {
            block.cidr = "10.128.0.0/9";  // the synthetic pod network
            block.except.push_back("10.128." + std::to_string(a) + ".0/24");
        } else {
            block.cidr = std::to_string(a) + ".0.0.0/8";
            block.except.push_back(std::to_string(a) + "." + std::to_string(rng.below(256)) +
                                   ".0.0/16");
        }
        peer.ip_block = std::move(block);
    }
    return peer;
}

core::PolicyPort randomPort(nb::Rng& rng) {
    static const std::vector<std::string> kNames = {"http", "grpc", "metrics", "postgres"};
    static const std::vector<uint32_t> kNumbers = {80, 443, 5432, 6379, 8080, 9090, 9100};
    core::PolicyPort port;
    port.protocol_set = rng.chance(0.5);
    port.protocol = rng.chance(0.1) ? core::Protocol::kUdp : core::Protocol::kTcp;
    const uint64_t kind = rng.below(10);
    if (kind < 5) {
        port.port = core::PortValue{kNumbers[rng.below(kNumbers.size())], {}};
    } else if (kind < 7) {
        const uint32_t first = 8000 + static_cast<uint32_t>(rng.below(100));
        port.port = core::PortValue{first, {}};
        port.end_port = first + static_cast<uint32_t>(rng.below(200));
    } else if (kind < 9) {
        port.port = core::PortValue{0, kNames[rng.below(kNames.size())]};
    }
    return port;
}

std::vector<core::PolicyRule> randomRules(const core::Cluster& cluster,
                                          const std::string& ns,
                                          nb::Rng& rng) {
    std::vector<core::PolicyRule> rules(1 + rng.below(3));
    for (auto& rule : rules) {
        const size_t peers = rng.below(4);
        for (size_t i = 0; i < peers; ++i) {
            rule.peers.push_back(randomPeer(cluster, ns, rng));
        }
        const size_t ports = rng.below(3);
        for (size_t i = 0; i < ports; ++i) {
            rule.ports.push_back(randomPort(rng));
        }
    }
    return rules;
}

// Policies in the namespaces of random workloads (so big namespaces get more), selecting by app,
// by a part of a shared label set, or everything.
void addPolicies(core::Cluster& cluster, size_t target, nb::Rng& rng) {
    for (size_t n = 0; cluster.policies.size() < target; ++n) {
        const core::Workload& w = cluster.workloads[rng.below(cluster.workloads.size())];
        core::NetworkPolicy p;
        p.ns = w.ns;
        p.name = "bench-" + std::to_string(n);
        const uint64_t select = rng.below(10);
        if (select < 5) {
            p.pod_selector.match_labels.emplace("app", w.name);
        } else if (select < 9) {
            p.pod_selector = someOf(w.pod_labels, rng);
        }
        const uint64_t types = rng.below(10);
        if (types < 5) {
            p.policy_types = {core::PolicyType::kIngress};
        } else if (types < 7) {
            p.policy_types = {core::PolicyType::kEgress};
        } else if (types < 9) {
            p.policy_types = {core::PolicyType::kIngress, core::PolicyType::kEgress};
        }  // else: absent, defaulted
        if (p.policy_types.empty() || p.affectsIngress()) {
            p.ingress = randomRules(cluster, w.ns, rng);
        }
        if (p.policy_types.empty() ? rng.chance(0.5) : p.affectsEgress()) {
            p.egress = randomRules(cluster, w.ns, rng);
        }
        cluster.policies.push_back({std::move(p), "bench"});
    }
    std::sort(cluster.policies.begin(), cluster.policies.end(), [](const auto& a, const auto& b) {
        return std::tie(a.policy.ns, a.policy.name) < std::tie(b.policy.ns, b.policy.name);
    });
}

// --- timing ----------------------------------------------------------------------------------

struct Stats {
    double median_us = 0;
    double p99_us = 0;
    double max_us = 0;
};

Stats statsOf(std::vector<double> us) {
    std::sort(us.begin(), us.end());
    Stats s;
    s.median_us = us[us.size() / 2];
    s.p99_us = us[std::min(us.size() - 1, (us.size() * 99) / 100)];
    s.max_us = us.back();
    return s;
}

template <typename F>
double microseconds(F&& f) {
    const auto start = std::chrono::steady_clock::now();
    f();
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
        .count();
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parseArgs(argc, argv, args)) {
        return 2;
    }
    const auto build_start = std::chrono::steady_clock::now();
    auto model = nb::buildSyntheticModel(args.synth);
    if (!model) {
        std::fprintf(stderr, "bench_explain: %s\n", model.error().c_str());
        return 2;
    }
    core::Cluster& cluster = model->cluster;
    const size_t synthetic_policies = cluster.policies.size();
    nb::Rng rng(args.synth.seed * 0x9e3779b97f4a7c15ULL + 17);
    addPolicies(cluster, args.policies, rng);
    // Pod IPs (the synthetic model leaves them to the writers): replica 0 of each workload.
    for (size_t i = 0; i < cluster.workloads.size(); ++i) {
        cluster.workloads[i].pod_ips = {core::IpAddress::fromV4(nb::podIpV4(i, 0))};
    }
    std::vector<const core::NetworkPolicy*> policies;
    std::map<std::string, std::vector<const core::NetworkPolicy*>, std::less<>> by_namespace;
    for (const auto& p : cluster.policies) {
        policies.push_back(&p.policy);
        by_namespace[p.policy.ns].push_back(&p.policy);
    }
    size_t largest = 0;
    for (const auto& [ns, list] : by_namespace) {
        largest = std::max(largest, list.size());
    }
    const double build_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();

    double construct_us = 0;
    std::optional<core::PolicyEvaluator> evaluator;
    construct_us = microseconds([&] { evaluator.emplace(cluster, policies); });

    // Random pairs.
    std::vector<core::Connection> pairs;
    const size_t n = cluster.workloads.size();
    auto podEnd = [&](size_t w) {
        return core::ConnectionEnd{w, cluster.workloads[w].pod_ips.front()};
    };
    for (size_t i = 0; i < args.pairs; ++i) {
        const uint64_t shape = rng.below(10);
        core::Connection c;
        const size_t dst = rng.below(n);
        c.src = podEnd(rng.below(n));
        c.dst = podEnd(dst);
        if (shape == 0) {
            c.src = core::ConnectionEnd{std::nullopt,
                                        core::IpAddress::fromV4(static_cast<uint32_t>(rng.next()))};
        } else if (shape == 1) {
            c.dst = core::ConnectionEnd{std::nullopt,
                                        core::IpAddress::fromV4(static_cast<uint32_t>(rng.next()))};
        }
        const auto& ports = cluster.workloads[dst].ports;
        const core::ContainerPort& cp = ports[rng.below(ports.size())];
        c.protocol = cp.protocol;
        c.port = rng.chance(0.8) ? cp.port : static_cast<uint32_t>(1 + rng.below(65535));
        pairs.push_back(c);
    }

    std::vector<double> explain_us(pairs.size(), 1e300);
    std::vector<double> allowed_us(pairs.size(), 1e300);
    std::vector<double> floor_us(pairs.size(), 1e300);
    size_t sink = 0;
    size_t allowed_count = 0;
    static const std::vector<const core::NetworkPolicy*> kNone;
    for (int pass = 0; pass < args.passes; ++pass) {
        for (size_t i = 0; i < pairs.size(); ++i) {
            const core::Connection& c = pairs[i];
            // Floor: one selector match loop over the policies of the destination's namespace.
            const size_t floor_w = c.dst.workload ? *c.dst.workload : *c.src.workload;
            const core::Workload& w = cluster.workloads[floor_w];
            auto it = by_namespace.find(w.ns);
            const auto& list = it == by_namespace.end() ? kNone : it->second;
            floor_us[i] = std::min(floor_us[i], microseconds([&] {
                                       for (const core::NetworkPolicy* p : list) {
                                           sink += p->pod_selector.matches(w.pod_labels) ? 1 : 0;
                                       }
                                   }));
            allowed_us[i] = std::min(allowed_us[i],
                                     microseconds([&] { sink += evaluator->allowed(c) ? 1 : 0; }));
            explain_us[i] = std::min(explain_us[i], microseconds([&] {
                                         const core::Explanation e = evaluator->explain(c);
                                         sink += e.ingress.policies.size();
                                         if (pass == 0 && e.allowed) {
                                             ++allowed_count;
                                         }
                                     }));
        }
    }
    const Stats explain = statsOf(explain_us);
    const Stats allowed = statsOf(allowed_us);
    const Stats floor = statsOf(floor_us);

    std::printf(
        "input: %zu workloads in %zu namespaces, %zu label sets, %zu policies (%zu from the "
        "synthetic model, the rest generated here; largest namespace: %zu policies); built in "
        "%.2f s\n"
        "PolicyEvaluator construction: %.1f ms\n"
        "%zu pairs (%zu allowed), fastest of %d passes each\n\n",
        cluster.workloads.size(),
        cluster.namespaces.size(),
        args.synth.label_sets,
        cluster.policies.size(),
        synthetic_policies,
        largest,
        build_s,
        construct_us / 1000.0,
        pairs.size(),
        allowed_count,
        args.passes);
    std::printf("| step | median µs | p99 µs | max µs | median / floor | p99 / floor |\n");
    std::printf("|---|---:|---:|---:|---:|---:|\n");
    auto row = [&](const char* name, const Stats& s) {
        std::printf("| %s | %.2f | %.2f | %.2f | %.1f | %.1f |\n",
                    name,
                    s.median_us,
                    s.p99_us,
                    s.max_us,
                    s.median_us / std::max(floor.median_us, 1e-3),
                    s.p99_us / std::max(floor.p99_us, 1e-3));
    };
    row("floor: selector loop over the destination namespace's policies", floor);
    row("PolicyEvaluator::allowed", allowed);
    row("PolicyEvaluator::explain", explain);
    const bool met = explain.p99_us < kTargetMs * 1000.0;
    std::printf("\ntarget: explain p99 < %.0f ms: %s (%.3f ms)\n",
                kTargetMs,
                met ? "met" : "MISSED",
                explain.p99_us / 1000.0);
    std::printf(
        "RESULT explain_median_us=%.2f explain_p99_us=%.2f allowed_median_us=%.2f "
        "allowed_p99_us=%.2f floor_median_us=%.2f floor_p99_us=%.2f construct_ms=%.1f sink=%zu\n",
        explain.median_us,
        explain.p99_us,
        allowed.median_us,
        allowed.p99_us,
        floor.median_us,
        floor.p99_us,
        construct_us / 1000.0,
        sink);
    return met ? 0 : 1;
}
