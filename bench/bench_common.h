// What the benchmark programs share: best-of-N wall and CPU time, peak RSS, option parsing, and
// the synthetic inputs built in memory. Header only; bench/bench_*.cpp are standalone programs.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>

#include "synth/synthetic_cluster.h"

namespace netpolgen::bench {

// Peak resident set size of this process so far.
inline double peakRssMiB() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// User + system CPU time of this process so far.
inline double cpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// The best of `repeat` runs of a step: wall time, and CPU time (user + system), which other
// processes on a busy machine disturb less.
struct Timing {
    double wall = 1e300;
    double cpu = 1e300;
};

inline Timing bestOf(int repeat, const std::function<void()>& step) {
    Timing best;
    for (int i = 0; i < repeat; ++i) {
        const double cpu_start = cpuSeconds();
        const auto start = std::chrono::steady_clock::now();
        step();
        best.wall = std::min(
            best.wall,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        best.cpu = std::min(best.cpu, cpuSeconds() - cpu_start);
    }
    return best;
}

// One row of the markdown table the benchmarks print: | what | wall | ratio | CPU | ratio | RSS |.
inline void printTimingRow(const char* what, const Timing& t, const Timing& floor, double rss_mib) {
    std::printf("| %s | %.3f s | %.2f | %.3f s | %.2f | %.0f MiB |\n",
                what,
                t.wall,
                t.wall / floor.wall,
                t.cpu,
                t.cpu / floor.cpu,
                rss_mib);
}

// The whole of `text` as a number.
template <typename T>
bool parseNumber(std::string_view text, T& out) {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
}

// Parses "--name value" pairs. `apply(name, value)` returns nothing for an unknown name, else
// whether the value is valid. On the first problem prints "PROGRAM: bad option …" and `usage`.
inline bool parseOptions(
    int argc,
    char** argv,
    const char* program,
    const char* usage,
    const std::function<std::optional<bool>(std::string_view, std::string_view)>& apply) {
    for (int i = 1; i < argc; i += 2) {
        const char* value = i + 1 < argc ? argv[i + 1] : "";
        const std::optional<bool> ok = i + 1 < argc ? apply(argv[i], value) : std::nullopt;
        if (!ok || !*ok) {
            std::fprintf(
                stderr, "%s: bad option %s %s\nusage: %s\n", program, argv[i], value, usage);
            return false;
        }
    }
    return true;
}

// Applies one of the synthetic model's options (--workloads, --edges, --namespaces, --label-sets,
// --seed) to `options`: nothing when `arg` is none of them, else whether `value` is valid.
inline std::optional<bool> parseSynthOption(std::string_view arg,
                                            std::string_view value,
                                            SynthOptions& options) {
    if (arg == "--workloads") {
        return parseNumber(value, options.workloads) && options.workloads > 0;
    }
    if (arg == "--edges") {
        return parseNumber(value, options.edges) && options.edges > 0;
    }
    if (arg == "--namespaces") {
        return parseNumber(value, options.namespaces) && options.namespaces > 0;
    }
    if (arg == "--label-sets") {
        return parseNumber(value, options.label_sets) && options.label_sets > 0;
    }
    if (arg == "--seed") {
        return parseNumber(value, options.seed);
    }
    return std::nullopt;
}

// The synthetic model and its flow graph (edges dated in the week from 2026-11-20), and how long
// building them took.
struct SynthInputs {
    SynthModel model;
    core::FlowGraph graph;
    double build_seconds = 0;
};

// Errors are printed as "PROGRAM: message".
inline std::optional<SynthInputs> buildSynthInputs(const SynthOptions& options,
                                                   const char* program) {
    constexpr core::Timestamp kWeekStart = 1795132800;  // 2026-11-20T00:00:00Z
    const auto start = std::chrono::steady_clock::now();
    auto model = buildSyntheticModel(options);
    if (!model) {
        std::fprintf(stderr, "%s: %s\n", program, model.error().c_str());
        return std::nullopt;
    }
    SynthInputs out{std::move(*model), {}, 0};
    out.graph = buildFlowGraph(out.model, options.seed, kWeekStart);
    out.build_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
}

}  // namespace netpolgen::bench
