// netpolgen_synth: writes a deterministic synthetic cluster and its traffic for the benchmarks.
//
//   netpolgen_synth --workloads 10000 --namespaces 100 --label-sets 200 --services-ratio 0.8
//       --external-ratio 0.05 --seed 1 --out-dir /tmp/synth
//       [--edges 100000] [--canonical-lines 10000000] [--hubble-lines 1000000]
//
// writes DIR/cluster.yaml, DIR/flows.jsonl and DIR/flows.hubble.jsonl (see
// synth/synthetic_cluster.h for the model, synth/synth_output.h for the files) and prints what it
// wrote.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "synth/synth_output.h"
#include "synth/synthetic_cluster.h"

namespace {

using netpolgen::bench::FlowWriteOptions;
using netpolgen::bench::SynthOptions;
using netpolgen::bench::WriteStats;

constexpr std::string_view kUsage =
    "usage: netpolgen_synth --out-dir DIR [--workloads N] [--namespaces M] [--label-sets L]\n"
    "         [--services-ratio R] [--external-ratio R] [--seed S] [--edges E]\n"
    "         [--canonical-lines K] [--hubble-lines K] [--same-namespace P] [--zipf A]\n"
    "         [--no-cluster] [--no-canonical] [--no-hubble]\n"
    "defaults: 1000 workloads, 20 namespaces, 50 label sets, services 0.8, external 0.05, seed 1,\n"
    "          10 edges per workload, 10 canonical and 5 Hubble lines per edge.\n";

struct Args {
    SynthOptions synth;
    std::string out_dir;
    std::optional<uint64_t> canonical_lines;
    std::optional<uint64_t> hubble_lines;
    bool cluster = true;
    bool canonical = true;
    bool hubble = true;
};

template <typename T>
bool parseNumber(std::string_view text, T& out) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
}

bool parseRatio(std::string_view text, double& out) {
    // std::from_chars for double is in libstdc++ 11+.
    return parseNumber(text, out) && out >= 0 && out <= 1;
}

std::optional<std::string> parseArgs(int argc, char** argv, Args& args) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string_view value;
        bool has_value = false;
        if (auto eq = arg.find('='); eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        auto flag = [&](bool& target, bool v) {
            target = v;
            return has_value ? std::optional<std::string>(std::string(arg) + " takes no value")
                             : std::nullopt;
        };
        if (arg == "--no-cluster") {
            if (auto e = flag(args.cluster, false)) {
                return e;
            }
            continue;
        }
        if (arg == "--no-canonical") {
            if (auto e = flag(args.canonical, false)) {
                return e;
            }
            continue;
        }
        if (arg == "--no-hubble") {
            if (auto e = flag(args.hubble, false)) {
                return e;
            }
            continue;
        }
        if (arg == "-h" || arg == "--help") {
            return std::string();
        }
        if (!has_value) {
            if (i + 1 >= argc) {
                return std::string(arg) + " needs a value";
            }
            value = argv[++i];
        }
        bool ok = true;
        uint64_t n = 0;
        if (arg == "--workloads") {
            ok = parseNumber(value, args.synth.workloads) && args.synth.workloads > 0;
        } else if (arg == "--namespaces") {
            ok = parseNumber(value, args.synth.namespaces) && args.synth.namespaces > 0;
        } else if (arg == "--label-sets") {
            ok = parseNumber(value, args.synth.label_sets) && args.synth.label_sets > 0;
        } else if (arg == "--services-ratio") {
            ok = parseRatio(value, args.synth.services_ratio);
        } else if (arg == "--external-ratio") {
            ok = parseRatio(value, args.synth.external_ratio);
        } else if (arg == "--same-namespace") {
            ok = parseRatio(value, args.synth.same_namespace);
        } else if (arg == "--zipf") {
            ok = parseNumber(value, args.synth.zipf_exponent) && args.synth.zipf_exponent >= 0 &&
                 args.synth.zipf_exponent <= 4;
        } else if (arg == "--seed") {
            ok = parseNumber(value, args.synth.seed);
        } else if (arg == "--edges") {
            ok = parseNumber(value, args.synth.edges) && args.synth.edges > 0;
        } else if (arg == "--canonical-lines") {
            ok = parseNumber(value, n);
            args.canonical_lines = n;
        } else if (arg == "--hubble-lines") {
            ok = parseNumber(value, n);
            args.hubble_lines = n;
        } else if (arg == "--out-dir") {
            args.out_dir = std::string(value);
            ok = !args.out_dir.empty();
        } else {
            return "unknown option " + std::string(arg);
        }
        if (!ok) {
            return "invalid value for " + std::string(arg) + ": \"" + std::string(value) + "\"";
        }
    }
    if (args.out_dir.empty()) {
        return std::string("--out-dir is required");
    }
    return std::nullopt;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void report(std::string_view what, const std::string& path, const WriteStats& s, double seconds) {
    const bool objects = what == "cluster.yaml";
    fmt::print("{:<22} {:>12} {:<7} {:>9.1f} MB  {:6.2f} s  {:>10.0f} {}/s  {}\n",
               what,
               s.lines,
               objects ? "objects" : "lines",
               static_cast<double>(s.bytes) / 1e6,
               seconds,
               seconds > 0 ? static_cast<double>(s.lines) / seconds : 0.0,
               objects ? "objects" : "lines",
               path);
}

}  // namespace

int main(int argc, char** argv) {
    namespace nb = netpolgen::bench;
    Args args;
    if (auto problem = parseArgs(argc, argv, args)) {
        if (problem->empty()) {
            fmt::print("{}", kUsage);
            return 0;
        }
        fmt::print(stderr, "netpolgen_synth: {}\n{}", *problem, kUsage);
        return 2;
    }
    std::error_code ec;
    std::filesystem::create_directories(args.out_dir, ec);
    if (ec) {
        fmt::print(stderr, "netpolgen_synth: cannot create {}: {}\n", args.out_dir, ec.message());
        return 1;
    }

    auto start = std::chrono::steady_clock::now();
    auto model = nb::buildSyntheticModel(args.synth);
    if (!model) {
        fmt::print(stderr, "netpolgen_synth: {}\n", model.error());
        return 2;
    }
    const auto& c = model->cluster;
    fmt::print(
        "model: {} namespaces, {} workloads, {} services, {} policies; {} distinct edges "
        "({} workload→workload, {} from internet into {} workloads, {} from nodes), "
        "biggest hub {} callers ({:.2f} s)\n",
        c.namespaces.size(),
        c.workloads.size(),
        c.services.size(),
        c.policies.size(),
        model->edges.size(),
        model->workload_edges,
        model->internet_edges,
        model->exposed_workloads,
        model->internal_edges,
        model->max_callers,
        secondsSince(start));

    const uint64_t edges = model->edges.size();
    FlowWriteOptions flow_options;
    flow_options.seed = args.synth.seed;
    flow_options.external_ratio = args.synth.external_ratio;
    flow_options.base_time = nb::defaultBaseTime();
    struct Output {
        bool enabled;
        std::string_view what;
        std::string file;
        uint64_t lines;
    };
    const Output outputs[] = {
        {args.cluster, "cluster.yaml", "cluster.yaml", 0},
        {args.canonical, "flows.jsonl", "flows.jsonl", args.canonical_lines.value_or(10 * edges)},
        {args.hubble,
         "flows.hubble.jsonl",
         "flows.hubble.jsonl",
         args.hubble_lines.value_or(5 * edges)},
    };
    for (const Output& o : outputs) {
        if (!o.enabled) {
            continue;
        }
        const std::string path = (std::filesystem::path(args.out_dir) / o.file).string();
        start = std::chrono::steady_clock::now();
        flow_options.lines = o.lines;
        auto written = o.file == "cluster.yaml" ? nb::writeClusterYaml(*model, path)
                       : o.file == "flows.jsonl"
                           ? nb::writeCanonicalFlows(*model, flow_options, path)
                           : nb::writeHubbleFlows(*model, flow_options, path);
        if (!written) {
            fmt::print(stderr, "netpolgen_synth: {}\n", written.error());
            return 1;
        }
        report(o.what, path, *written, secondsSince(start));
        if (o.file != "cluster.yaml" && o.lines > 0 && o.lines < edges) {
            fmt::print(
                "  note: fewer lines than distinct edges: the file holds only part of them\n");
        }
    }
    return 0;
}
