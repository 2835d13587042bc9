// bench_replay: core::replayFlows, every observed edge judged under the current and the proposed
// policies, on a synthetic cluster built in memory (bench/synth/synthetic_cluster.h), as a ratio to
// a floor measured in the same run: one pass over the graph's edges with a hash lookup each
// (FlowGraph::find), the least any per-edge judgement must do.
//
//   bench_replay [--workloads 10000] [--edges 1000000] [--namespaces 100] [--label-sets 200]
//                [--policies 5000] [--seed 1] [--repeat 3]
//
// The policies: the synthetic cluster's own (default-deny, per-app, leftovers), and the generator's
// policies for the same traffic. The cluster holds `--policies` of them (its own plus the first
// generated ones, by namespace and name); the modification adds the rest. So the proposed set is
// the current one plus the rest of the generated policies, whose peer lists are as long as the
// callers of their workloads (thousands for the hubs).
//
// Prints a markdown table: best-of-N wall and CPU time of each step, the ratio to the floor, and
// the peak RSS; for reference, core::PolicyEvaluator on a sample of the edges, extrapolated. Exit
// status 1 when the target is missed: replay under 2 s at 10,000 workloads, 5,000 policies and
// 1,000,000 edges.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "bench_common.h"
#include "core/generator.h"
#include "core/policy_evaluator.h"
#include "core/simulation.h"
#include "synth/synthetic_cluster.h"

namespace {

namespace core = netpolgen::core;
namespace nb = netpolgen::bench;

constexpr double kTargetSeconds = 2.0;

struct Args {
    nb::SynthOptions synth;
    size_t policies = 5000;
    int repeat = 3;
};

bool parseArgs(int argc, char** argv, Args& args) {
    args.synth.workloads = 10000;
    args.synth.edges = 1000000;
    args.synth.namespaces = 100;
    args.synth.label_sets = 200;
    return nb::parseOptions(
        argc,
        argv,
        "bench_replay",
        "bench_replay [--workloads N] [--edges E] [--namespaces M] [--label-sets L] "
        "[--policies P] [--seed S] [--repeat R]",
        [&](std::string_view arg, std::string_view value) -> std::optional<bool> {
            if (auto synth = nb::parseSynthOption(arg, value, args.synth)) {
                return synth;
            }
            if (arg == "--policies") {
                return nb::parseNumber(value, args.policies);
            }
            if (arg == "--repeat") {
                return nb::parseNumber(value, args.repeat) && args.repeat > 0;
            }
            return std::nullopt;
        });
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parseArgs(argc, argv, args)) {
        return 2;
    }
    auto inputs = nb::buildSynthInputs(args.synth, "bench_replay");
    if (!inputs) {
        return 2;
    }
    const auto build_start = std::chrono::steady_clock::now();
    const core::FlowGraph& graph = inputs->graph;
    core::Cluster& cluster = inputs->model.cluster;
    auto generation = core::generatePolicies(cluster, graph, {});
    if (!generation) {
        std::fprintf(stderr, "bench_replay: %s\n", generation.error().c_str());
        return 2;
    }
    // The cluster keeps its own policies and takes generated ones up to --policies; the
    // modification holds the rest.
    core::Modification modification;
    for (auto& p : generation->modification.apply) {
        if (cluster.policies.size() < args.policies) {
            cluster.policies.push_back({std::move(p), "generated"});
        } else {
            modification.apply.push_back(std::move(p));
        }
    }
    const core::PolicyPlan plan = core::planModification(cluster, modification);
    if (!plan.errors.empty()) {
        std::fprintf(stderr, "bench_replay: %s\n", plan.errors.front().c_str());
        return 2;
    }
    const auto before = plan.before();
    const auto after = plan.after();
    const double build_seconds =
        inputs->build_seconds +
        std::chrono::duration<double>(std::chrono::steady_clock::now() - build_start).count();
    const double rss_inputs = nb::peakRssMiB();
    size_t peers = 0;
    for (const core::NetworkPolicy* p : after) {
        for (const auto& r : p->ingress) {
            peers += r.peers.size();
        }
    }
    std::printf(
        "input: %zu workloads in %zu namespaces, %zu distinct edges; %zu current policies, "
        "%zu proposed (%zu peers); built in %.2f s\n",
        cluster.workloads.size(),
        cluster.namespaces.size(),
        graph.size(),
        before.size(),
        after.size(),
        peers,
        build_seconds);

    // Floor: one pass over the edges, one hash lookup each.
    uint64_t sink = 0;
    const nb::Timing floor_s = nb::bestOf(args.repeat, [&] {
        for (const auto& [key, stats] : graph.edges()) {
            const core::EdgeStats* found = graph.find(key);
            sink += found != nullptr ? found->count : 0;
        }
    });
    const double rss_floor = nb::peakRssMiB();

    core::ReplayResult result;
    const nb::Timing replay_s = nb::bestOf(args.repeat, [&] {
        result = core::ReplayResult{};
        result = core::replayFlows(cluster, before, cluster, after, graph, {});
    });
    const double rss_replay = nb::peakRssMiB();

    // Reference: core::PolicyEvaluator (one selector match per policy and per peer) on a sample
    // of the edges, extrapolated; this is what the compiled replay saves.
    constexpr size_t kEvaluatorSample = 200;
    const size_t sample = std::min(kEvaluatorSample, graph.size());
    const core::PolicyEvaluator old_eval(cluster, before);
    const core::PolicyEvaluator new_eval(cluster, after);
    auto end = [&](core::EntityId id) {
        core::ConnectionEnd e;
        if (id == core::kInternetEntity) {
            e.ip = *core::IpAddress::parse(core::kInternetReplayAddress);
        } else if (id != core::kInternalEntity) {
            e.workload = core::workloadIndex(id);
            const auto& ips = cluster.workloads[*e.workload].pod_ips;
            if (!ips.empty()) {
                e.ip = ips.front();
            }
        }
        return e;
    };
    const nb::Timing evaluator_s = nb::bestOf(1, [&] {
        for (size_t i = 0; i < sample; ++i) {
            const core::EdgeKey& key = graph.edges()[i].first;
            const core::Connection c{end(key.src), end(key.dst), key.protocol, key.port};
            sink += old_eval.allowed(c) ? 1 : 0;
            sink += new_eval.allowed(c) ? 1 : 0;
        }
    });
    const double scale = static_cast<double>(graph.size()) / static_cast<double>(sample);
    const nb::Timing evaluator_all{evaluator_s.wall * scale, evaluator_s.cpu * scale};

    std::printf("verdicts:");
    for (size_t v = 0; v < core::kReplayVerdicts; ++v) {
        const auto verdict = static_cast<core::ReplayVerdict>(v);
        std::printf("%s %s %llu edges",
                    v == 0 ? "" : ",",
                    std::string(core::replayVerdictName(verdict)).c_str(),
                    static_cast<unsigned long long>(result.total(verdict).edges));
    }
    std::printf(
        "\n\n| step (best of %d) | wall time | ratio to floor | CPU time | ratio to floor | "
        "peak RSS after |\n|---|---:|---:|---:|---:|---:|\n",
        args.repeat);
    std::printf(
        "| inputs: synthetic cluster, flow graph, generated policies (untimed) | %.3f s | | "
        "| | %.0f MiB |\n",
        build_seconds,
        rss_inputs);
    auto row = [&](const char* what, const nb::Timing& t, double rss) {
        nb::printTimingRow(what, t, floor_s, rss);
    };
    row("floor: one FlowGraph::find per edge", floor_s, rss_floor);
    row("core::replayFlows (compile both sets, judge every edge before and after)",
        replay_s,
        rss_replay);
    const std::string reference = "reference: core::PolicyEvaluator on " + std::to_string(sample) +
                                  " edges, extrapolated to all";
    row(reference.c_str(), evaluator_all, rss_replay);
    const bool met = replay_s.wall < kTargetSeconds;
    std::printf(
        "\ntarget (%zu workloads, %zu current policies, %zu edges): replayFlows < %.0f s wall: "
        "%s (%.3f s)\n",
        cluster.workloads.size(),
        before.size(),
        graph.size(),
        kTargetSeconds,
        met ? "met" : "MISSED",
        replay_s.wall);
    std::printf(
        "RESULT floor_s=%.4f replay_s=%.4f floor_cpu_s=%.4f replay_cpu_s=%.4f evaluator_s=%.1f "
        "rss_mib=%.0f "
        "edges=%zu workloads=%zu policies_before=%zu policies_after=%zu sink=%llu\n",
        floor_s.wall,
        replay_s.wall,
        floor_s.cpu,
        replay_s.cpu,
        evaluator_all.wall,
        rss_replay,
        graph.size(),
        cluster.workloads.size(),
        before.size(),
        after.size(),
        static_cast<unsigned long long>(sink));
    return met ? 0 : 1;
}
