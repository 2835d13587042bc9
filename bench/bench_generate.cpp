// bench_generate: core::generatePolicies and io::modificationToYaml on a synthetic cluster built in
// memory (bench/synth/synthetic_cluster.h), as a ratio to a floor measured in the same run: copying
// and sorting the graph's edges alone (FlowGraph::sortedByDestination), which the generator must do
// at least once.
//
//   bench_generate [--workloads 10000] [--edges 1000000] [--namespaces 100] [--label-sets 200]
//                  [--seed 1] [--repeat 3] [--only-generate]
//
// Prints a markdown table: best-of-N wall time of each step, its ratio to the floor, and the peak
// RSS (getrusage ru_maxrss) after each step. Exit status 1 when a target is missed:
// generation under 2 s and peak RSS under 1 GiB at 10,000 workloads and 1,000,000 edges.
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "bench_common.h"
#include "core/generator.h"
#include "io/policy_encoder.h"
#include "synth/synthetic_cluster.h"

namespace {

namespace core = netpolgen::core;
namespace nb = netpolgen::bench;

constexpr double kTargetSeconds = 2.0;
constexpr double kTargetRssMiB = 1024.0;

using nb::bestOf;
using nb::cpuSeconds;
using nb::parseNumber;
using nb::peakRssMiB;
using nb::Timing;

struct Args {
    nb::SynthOptions synth;
    int repeat = 3;
    bool only_generate = false;  // --only-generate: for profilers, skip the floor and the YAML
};

bool parseArgs(int argc, char** argv, Args& args) {
    args.synth.workloads = 10000;
    args.synth.edges = 1000000;
    args.synth.namespaces = 100;
    args.synth.label_sets = 200;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--only-generate") {
            args.only_generate = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "bench_generate: %s needs a value\n", argv[i]);
            return false;
        }
        const std::string_view value = argv[++i];
        bool ok = false;
        if (auto synth = nb::parseSynthOption(arg, value, args.synth)) {
            ok = *synth;
        } else if (arg == "--repeat") {
            ok = parseNumber(value, args.repeat) && args.repeat > 0;
        }
        if (!ok) {
            std::fprintf(stderr,
                         "bench_generate: bad option %.*s %.*s\n"
                         "usage: bench_generate [--workloads N] [--edges E] [--namespaces M] "
                         "[--label-sets L] [--seed S] [--repeat R] [--only-generate]\n",
                         static_cast<int>(arg.size()),
                         arg.data(),
                         static_cast<int>(value.size()),
                         value.data());
            return false;
        }
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parseArgs(argc, argv, args)) {
        return 2;
    }
    const auto inputs = nb::buildSynthInputs(args.synth, "bench_generate");
    if (!inputs) {
        return 2;
    }
    const auto& model = inputs->model;
    const core::FlowGraph& graph = inputs->graph;
    const double build_seconds = inputs->build_seconds;
    const double rss_inputs = peakRssMiB();
    const core::Cluster& cluster = model.cluster;
    std::printf(
        "input: %zu workloads in %zu namespaces, %zu services, %zu existing policies, "
        "%zu distinct edges (biggest hub: %zu callers); built in %.2f s\n",
        cluster.workloads.size(),
        cluster.namespaces.size(),
        cluster.services.size(),
        cluster.policies.size(),
        graph.size(),
        model.max_callers,
        build_seconds);

    // Floor: copy and sort the edges, as the generator's first step does.
    size_t sink = 0;
    const Timing floor_s = args.only_generate ? Timing{1, 1} : bestOf(args.repeat, [&] {
        sink += graph.sortedByDestination().size();
    });
    const double rss_floor = peakRssMiB();

    core::GenerateOptions options;
    core::Generation generation;
    const Timing generate_s = bestOf(args.repeat, [&] {
        generation = core::Generation{};  // the previous run's result does not count twice
        auto result = core::generatePolicies(cluster, graph, options);
        if (!result) {
            std::fprintf(stderr, "bench_generate: %s\n", result.error().c_str());
            std::exit(2);
        }
        generation = std::move(*result);
    });
    const double rss_generate = peakRssMiB();

    if (args.only_generate) {
        std::printf(
            "core::generatePolicies: %.3f s wall, %.3f s CPU (best of %d), peak RSS %.0f MiB\n",
            generate_s.wall,
            generate_s.cpu,
            args.repeat,
            rss_generate);
        return 0;
    }
    size_t yaml_bytes = 0;
    const Timing yaml_s = bestOf(args.repeat, [&] {
        yaml_bytes = 0;
        yaml_bytes = netpolgen::io::modificationToYaml(generation.modification).size();
    });
    const double rss_yaml = peakRssMiB();

    size_t rules = 0;
    size_t peers = 0;
    for (const auto& p : generation.modification.apply) {
        rules += p.ingress.size();
        for (const auto& r : p.ingress) {
            peers += r.peers.size();
        }
    }
    std::printf(
        "output: %zu policies, %zu rules, %zu peers, %zu skipped, %zu open rules, "
        "%.1f MB of YAML\n\n",
        generation.modification.apply.size(),
        rules,
        peers,
        generation.report.skipped.size(),
        generation.report.open_rules.size(),
        static_cast<double>(yaml_bytes) / 1e6);

    std::printf(
        "| step (best of %d) | wall time | ratio to floor | CPU time | ratio to floor | "
        "peak RSS after |\n",
        args.repeat);
    std::printf("|---|---:|---:|---:|---:|---:|\n");
    std::printf(
        "| inputs: synthetic cluster + flow graph (untimed setup) | %.3f s | | | | %.0f MiB |\n",
        build_seconds,
        rss_inputs);
    auto row = [&](const char* what, const Timing& t, double rss) {
        nb::printTimingRow(what, t, floor_s, rss);
    };
    row("floor: FlowGraph::sortedByDestination", floor_s, rss_floor);
    row("core::generatePolicies", generate_s, rss_generate);
    row("io::modificationToYaml", yaml_s, rss_yaml);

    const bool time_ok = generate_s.wall < kTargetSeconds;
    const bool rss_ok = rss_yaml < kTargetRssMiB;
    std::printf(
        "\ntargets (%zu workloads, %zu edges): generatePolicies < %.0f s wall: %s (%.3f s); "
        "peak RSS < %.0f MiB: %s (%.0f MiB)\n",
        cluster.workloads.size(),
        graph.size(),
        kTargetSeconds,
        time_ok ? "met" : "MISSED",
        generate_s.wall,
        kTargetRssMiB,
        rss_ok ? "met" : "MISSED",
        rss_yaml);
    std::printf(
        "RESULT floor_s=%.4f generate_s=%.4f yaml_s=%.4f floor_cpu_s=%.4f generate_cpu_s=%.4f "
        "yaml_cpu_s=%.4f rss_mib=%.0f inputs_rss_mib=%.0f edges=%zu workloads=%zu sink=%zu\n",
        floor_s.wall,
        generate_s.wall,
        yaml_s.wall,
        floor_s.cpu,
        generate_s.cpu,
        yaml_s.cpu,
        rss_yaml,
        rss_inputs,
        graph.size(),
        cluster.workloads.size(),
        sink);
    return time_ok && rss_ok ? 0 : 1;
}
