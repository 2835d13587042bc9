// bench_store: builds a flow store of D days × E distinct edges a day straight through the Store
// API (no flow files), for timing `netpolgen generate --db` (bench/run.sh).
//
//   bench_store --db DB --cluster-yaml FILE --days 30 [--workloads 10000] [--edges 1000000]
//               [--namespaces 100] [--label-sets 200] [--seed 1]
//   bench_store --db DB --query 7d            time what `generate --db --since 7d` does, in steps
//
// The model is the synthetic one (synth/synthetic_cluster.h) with --edges distinct edges; FILE
// must be the cluster.yaml `netpolgen_synth` wrote for the same options (checked: the workloads
// must match, since the store names entities "ns/Kind/name"). It is stored as the snapshot of
// cluster "default". Every day of the --days days ending on 2026-12-19 (UTC) holds every edge once,
// with a count and first/last seen in that day, as one ingest (one transaction) per day.
//
// Prints one line per day and RESULT build_s=… rows=… db_mib=… now=… (the --now that makes
// `--since 7d` the last 7 days).
//
// --query D (on a store built as above): best of 3 of each step of `generate --db --since D`, in
// one process: the latest snapshot decoded and built (cli::loadLatestSnapshot), the edges loaded
// and mapped onto it (cli::loadStoredFlows: the store's part), core::generatePolicies and
// io::modificationToYaml; the generation is the floor the store's part is compared with.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "bench_common.h"
#include "cli/store_inputs.h"
#include "core/cluster_builder.h"
#include "core/generator.h"
#include "io/manifest_decoder.h"
#include "io/policy_encoder.h"
#include "io/time_text.h"
#include "store/entity_key.h"
#include "store/store.h"
#include "synth/synthetic_cluster.h"

namespace {

namespace core = netpolgen::core;
namespace nb = netpolgen::bench;
namespace store = netpolgen::store;

constexpr int64_t kLastDay = 20806;  // 2026-12-19
constexpr const char* kUsage =
    "bench_store --db DB --cluster-yaml FILE --days D [--workloads N] [--edges E] "
    "[--namespaces M] [--label-sets L] [--seed S]";

struct Args {
    nb::SynthOptions synth;
    std::string db;
    std::string cluster_yaml;
    int64_t days = 30;
    std::string query;  // a duration: time generate --db --since QUERY instead of building
};

bool parseArgs(int argc, char** argv, Args& args) {
    args.synth.workloads = 10000;
    args.synth.edges = 1000000;
    args.synth.namespaces = 100;
    args.synth.label_sets = 200;
    const bool ok =
        nb::parseOptions(argc,
                         argv,
                         "bench_store",
                         kUsage,
                         [&](std::string_view arg, std::string_view value) -> std::optional<bool> {
                             if (auto synth = nb::parseSynthOption(arg, value, args.synth)) {
                                 return synth;
                             }
                             if (arg == "--db") {
                                 args.db = std::string(value);
                                 return !value.empty();
                             }
                             if (arg == "--cluster-yaml") {
                                 args.cluster_yaml = std::string(value);
                                 return !value.empty();
                             }
                             if (arg == "--days") {
                                 return nb::parseNumber(value, args.days) && args.days > 0;
                             }
                             if (arg == "--query") {
                                 args.query = std::string(value);
                                 return netpolgen::io::parseDuration(value).ok();
                             }
                             return std::nullopt;
                         });
    if (ok && (args.db.empty() || (args.cluster_yaml.empty() && args.query.empty()))) {
        std::fprintf(
            stderr, "bench_store: --db and --cluster-yaml are required\nusage: %s\n", kUsage);
        return false;
    }
    return ok;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The model's cluster and the one decoded from FILE must name the same workloads.
bool sameWorkloads(const core::Cluster& model, const std::string& yaml, const std::string& name) {
    core::ClusterObjects objects;
    netpolgen::io::ManifestStats stats;
    if (auto st = netpolgen::io::decodeManifests(yaml, name, {}, objects, stats); !st) {
        std::fprintf(stderr, "bench_store: %s\n", st.error().c_str());
        return false;
    }
    std::vector<std::string> warnings;
    const core::Cluster decoded = core::buildCluster(std::move(objects), warnings);
    if (decoded.workloads.size() != model.workloads.size()) {
        return false;
    }
    for (size_t i = 0; i < decoded.workloads.size(); ++i) {
        const auto id = core::workloadEntity(i);
        if (store::entityName(decoded, id) != store::entityName(model, id)) {
            return false;
        }
    }
    return true;
}

// A cheap, deterministic mix of (edge, day) for counts and times.
uint64_t mix(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

store::IngestBatch dayBatch(const nb::SynthModel& model,
                            const std::vector<std::string>& names,
                            int64_t day) {
    store::IngestBatch batch;
    batch.record = {"default",
                    "bench-store-day-" + std::to_string(day),
                    "bench_store",
                    0,
                    model.edges.size(),
                    0,
                    (day + 1) * store::kSecondsPerDay};
    batch.entities = names;
    batch.edges.reserve(model.edges.size());
    for (size_t i = 0; i < model.edges.size(); ++i) {
        const core::EdgeKey& k = model.edges[i];
        const uint64_t h = mix(i * 1000003 + static_cast<uint64_t>(day));
        const core::Timestamp first = day * store::kSecondsPerDay + static_cast<int64_t>(h % 43200);
        const core::Timestamp last = first + static_cast<int64_t>((h >> 20) % 43200);
        const uint64_t count = 1 + (h >> 40) % 20;
        batch.edges.push_back({day, {k.src, k.dst, k.port, k.protocol, count, first, last}});
        batch.record.flows += count;
    }
    return batch;
}

double fileMiB(const std::string& path) {
    double total = 0;
    for (const char* suffix : {"", "-wal"}) {
        struct stat st {};
        if (::stat((path + suffix).c_str(), &st) == 0) {
            total += static_cast<double>(st.st_size);
        }
    }
    return total / (1 << 20);
}

// The steps of `generate --db --since D --now (last day + 1)`, each timed best of 3.
int query(const Args& args) {
    namespace cli = netpolgen::cli;
    auto opened = store::openStore(args.db);
    if (!opened) {
        std::fprintf(stderr, "bench_store: %s\n", opened.error().c_str());
        return 1;
    }
    const core::Timestamp now = (kLastDay + 1) * store::kSecondsPerDay;
    const core::TimeWindow window{now - *netpolgen::io::parseDuration(args.query), std::nullopt};
    auto fail = [](const std::string& message) {
        std::fprintf(stderr, "bench_store: %s\n", message.c_str());
        std::exit(1);
    };
    std::optional<cli::LoadedSnapshot> snapshot;
    const nb::Timing snapshot_t = nb::bestOf(3, [&] {
        auto s = cli::loadLatestSnapshot(**opened, "default");
        if (!s) {
            fail(s.error());
        }
        snapshot = std::move(*s);
    });
    std::optional<cli::StoredFlows> flows;
    const nb::Timing load_t = nb::bestOf(3, [&] {
        flows.reset();  // the previous run's graph is not part of this one's peak
        auto f = cli::loadStoredFlows(**opened, "default", window, false, snapshot->cluster);
        if (!f) {
            fail(f.error());
        }
        flows = std::move(*f);
    });
    core::Generation generation;
    const nb::Timing generate_t = nb::bestOf(3, [&] {
        auto g = core::generatePolicies(snapshot->cluster, flows->graph, {});
        if (!g) {
            fail(g.error());
        }
        generation = std::move(*g);
    });
    size_t yaml_bytes = 0;
    const nb::Timing yaml_t = nb::bestOf(
        3, [&] { yaml_bytes = netpolgen::io::modificationToYaml(generation.modification).size(); });
    std::printf("generate --db --since %s: %zu edges, %zu policies, %.0f MB of YAML\n\n",
                args.query.c_str(),
                flows->graph.size(),
                generation.modification.apply.size(),
                static_cast<double>(yaml_bytes) / 1e6);
    std::printf("| step (best of 3) | wall | ratio to floor | CPU | ratio to floor | peak RSS |\n");
    std::printf("|---|---:|---:|---:|---:|---:|\n");
    const double rss = nb::peakRssMiB();
    nb::printTimingRow("latest snapshot decoded and built", snapshot_t, generate_t, rss);
    nb::printTimingRow("edges loaded and mapped (loadStoredFlows)", load_t, generate_t, rss);
    nb::printTimingRow("floor: core::generatePolicies", generate_t, generate_t, rss);
    nb::printTimingRow("io::modificationToYaml", yaml_t, generate_t, rss);
    std::printf(
        "RESULT snapshot_s=%.3f load_s=%.3f generate_s=%.3f yaml_s=%.3f snapshot_cpu_s=%.3f "
        "load_cpu_s=%.3f generate_cpu_s=%.3f yaml_cpu_s=%.3f edges=%zu\n",
        snapshot_t.wall,
        load_t.wall,
        generate_t.wall,
        yaml_t.wall,
        snapshot_t.cpu,
        load_t.cpu,
        generate_t.cpu,
        yaml_t.cpu,
        flows->graph.size());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parseArgs(argc, argv, args)) {
        return 2;
    }
    if (!args.query.empty()) {
        return query(args);
    }
    const auto start = std::chrono::steady_clock::now();
    auto model = nb::buildSyntheticModel(args.synth);
    if (!model) {
        std::fprintf(stderr, "bench_store: %s\n", model.error().c_str());
        return 2;
    }
    const std::string yaml = readFile(args.cluster_yaml);
    if (!sameWorkloads(model->cluster, yaml, args.cluster_yaml)) {
        std::fprintf(stderr,
                     "bench_store: %s does not hold the model's workloads: write it with "
                     "netpolgen_synth and the same --workloads/--namespaces/--label-sets/--seed\n",
                     args.cluster_yaml.c_str());
        return 2;
    }
    auto opened = store::openStore(args.db);
    if (!opened) {
        std::fprintf(stderr, "bench_store: %s\n", opened.error().c_str());
        return 1;
    }
    store::Store& db = **opened;
    const int64_t first_day = kLastDay - args.days + 1;
    if (auto id = db.putSnapshot(
            {0, "default", first_day * store::kSecondsPerDay, {{args.cluster_yaml, yaml}}});
        !id) {
        std::fprintf(stderr, "bench_store: %s\n", id.error().c_str());
        return 1;
    }
    std::vector<std::string> names;
    for (core::EntityId id = 0; id < core::workloadEntity(model->cluster.workloads.size()); ++id) {
        names.push_back(store::entityName(model->cluster, id));
    }
    for (int64_t day = first_day; day <= kLastDay; ++day) {
        const auto day_start = std::chrono::steady_clock::now();
        const store::IngestBatch batch = dayBatch(*model, names, day);
        auto stored = db.ingest(batch);
        if (!stored) {
            std::fprintf(stderr,
                         "bench_store: day %lld: %s\n",
                         static_cast<long long>(day),
                         stored.error().c_str());
            return 1;
        }
        std::printf(
            "day %s: %zu edges stored in %.2f s\n",
            netpolgen::io::formatRfc3339(day * store::kSecondsPerDay).substr(0, 10).c_str(),
            batch.edges.size(),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - day_start).count());
        std::fflush(stdout);
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("RESULT build_s=%.1f rows=%zu db_mib=%.0f now=%s\n",
                seconds,
                static_cast<size_t>(args.days) * model->edges.size(),
                fileMiB(args.db),
                netpolgen::io::formatRfc3339((kLastDay + 1) * store::kSecondsPerDay).c_str());
    return 0;
}
