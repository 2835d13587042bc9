// `netpolgen ingest` (store_commands.h): each input read once — hashed, parsed, resolved and
// aggregated per (day, edge) in one pass — then stored in one transaction.
#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "cli/app.h"
#include "cli/ingest_batch.h"
#include "cli/inputs.h"
#include "cli/progress.h"
#include "cli/sha256.h"
#include "cli/store_commands.h"
#include "cli/store_inputs.h"
#include "cli/summary.h"
#include "cli/time_window.h"
#include "core/cluster_index.h"
#include "io/time_text.h"

namespace netpolgen::cli {
namespace {

using Clock = std::chrono::steady_clock;

// What a failed input gets: its message, and the exit status (bad input or a failing store).
struct Failure {
    std::string message;
    int status = kExitBadInput;
};

// The size of a regular file, for the progress percentage; 0 when unknown (stdin, a pipe).
uint64_t fileSize(const std::string& path) {
    struct stat st {};
    if (path == "-" || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        return 0;
    }
    return static_cast<uint64_t>(st.st_size);
}

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

// The cluster the flows are resolved against: --cluster files, else the latest snapshot.
core::Result<std::unique_ptr<LoadedInputs>> loadIngestCluster(const IngestCommandOptions& o,
                                                              store::Store& store,
                                                              std::ostream& err) {
    if (!o.cluster_paths.empty() || o.live.wanted()) {
        InputOptions inputs;
        inputs.cluster_paths = o.cluster_paths;
        inputs.skip_invalid = o.skip_invalid;
        if (auto st = addLiveCluster(o.live, inputs, err, o.quiet); !st) {
            return core::Error{st.error()};
        }
        return loadInputs(inputs);
    }
    auto snapshot = loadLatestSnapshot(store, o.cluster_name);
    if (!snapshot) {
        return core::Error{o.db + ": " + snapshot.error()};
    }
    auto loaded = std::make_unique<LoadedInputs>();
    loaded->cluster = std::move(snapshot->cluster);
    loaded->manifest_stats = std::move(snapshot->stats);
    loaded->warnings = std::move(snapshot->warnings);
    return loaded;
}

// One input read into day buckets, with its digest.
struct ReadInput {
    io::FlowReadStats stats;
    core::AggregationStats aggregation;
    std::string digest;
    uint64_t raw_bytes = 0;
};

core::Result<ReadInput> readInput(const IngestCommandOptions& o,
                                  const std::string& path,
                                  const core::ClusterIndex& index,
                                  const core::IpTenancies& tenancies,
                                  core::BucketedFlowGraph& buckets,
                                  ProgressLine& progress) {
    auto hash = Sha256::create();
    if (!hash) {
        return core::Error{hash.error()};
    }
    ReadInput in;
    io::FlowReadOptions read_options;
    read_options.format = o.flow_format;
    read_options.skip_invalid = o.skip_invalid;
    // The digest covers the bytes as read (before decompression), hashed in the read loop. On a
    // cached file that costs the same as a separate pass (bench_ingest_hash, BENCHMARKS.md), but
    // it also works on stdin and reads an uncached file from disk once.
    read_options.on_raw_bytes = [&](std::string_view block) {
        hash->update(block);
        in.raw_bytes += block.size();
    };
    read_options.on_progress = [&](const io::FlowReadStats& s) {
        progress.update(in.raw_bytes, s.lines, s.bytes);
    };
    core::FlowAggregator aggregator(index, {}, buckets);
    aggregator.rejectUnresolved(o.strict);
    aggregator.useTenancies(&tenancies);
    if (core::Status st =
            io::readFlowFile(path,
                             read_options,
                             in.stats,
                             [&](const core::FlowObservation& f) { return aggregator.add(f); });
        !st) {
        return core::Error{st.error() + " (--skip-invalid counts and skips such lines)"};
    }
    in.aggregation = aggregator.stats();
    in.digest = hash->hexDigest();
    return in;
}

// "  skipped: …" for what the summary line does not say, or nothing.
std::string skippedNote(const ReadInput& in) {
    const auto& f = in.stats;
    const auto& a = in.aggregation;
    std::string out;
    const uint64_t skipped = f.skipped_replies + f.skipped_not_initial + f.skipped_duplicates +
                             f.skipped_dropped + f.skipped_non_flow;
    if (skipped > 0) {
        out += fmt::format(
            "  {} lines skipped (replies, non-opening TCP segments, duplicate "
            "observation points, dropped, non-flow lines)\n",
            skipped);
    }
    if (a.dst_not_workload > 0) {
        out += fmt::format("  {} flows to destinations that are no workload left out\n",
                           a.dst_not_workload);
    }
    appendUnresolved(out, a);
    if (f.invalid > 0) {
        out += fmt::format("  {} invalid flow lines skipped (--skip-invalid)\n", f.invalid);
        for (const auto& example : f.invalid_examples) {
            out += "    " + example + "\n";
        }
    }
    return out;
}

// Seconds spent reading (parse, resolve, aggregate, batch) and storing (one transaction).
struct Timings {
    double read = 0;
    double store = 0;
};

std::string storedLine(const std::string& path,
                       const ReadInput& in,
                       const store::IngestRecord& record,
                       const IngestBatchStats& batch,
                       const Timings& t) {
    const double lines = static_cast<double>(in.stats.lines);
    const double mb = static_cast<double>(in.stats.bytes) / 1e6;
    return fmt::format(
        "{}: {} lines, {} flows, {} edges over {} day{}{} ({} day buckets) in {:.2f} s: read in "
        "{:.2f} s ({} lines/s, {:.1f} MB/s), stored in {:.2f} s\n",
        path,
        in.stats.lines,
        record.flows,
        batch.edges,
        batch.days,
        batch.days == 1 ? "" : "s",
        batch.undated ? " and undated" : "",
        batch.day_buckets,
        t.read + t.store,
        t.read,
        humanCount(t.read > 0 ? lines / t.read : 0),
        t.read > 0 ? mb / t.read : 0.0,
        t.store);
}

// When the cluster's earlier ingest of `record`'s digest was recorded ("an earlier run" if it is
// gone meanwhile).
core::Result<std::string> earlierIngestTime(store::Store& store,
                                            const store::IngestRecord& record) {
    auto records = store.ingests(record.cluster);
    if (!records) {
        return core::Error{records.error()};
    }
    std::string when = "an earlier run";
    for (const auto& r : *records) {
        if (r.digest == record.digest) {
            when = io::formatRfc3339(r.ingested_at);
        }
    }
    return when;
}

// Reads, aggregates and stores one input; the lines to print, or a failure.
struct IngestOutcome {
    std::string text;
    std::optional<Failure> failure;
};

IngestOutcome ingestOne(const IngestCommandOptions& o,
                        const std::string& path,
                        const core::Cluster& cluster,
                        const core::ClusterIndex& index,
                        const core::IpTenancies& tenancies,
                        store::Store& store,
                        core::Timestamp now,
                        std::ostream& err) {
    const auto start = Clock::now();
    ProgressLine progress(err, progressWanted(o.progress, err), path, fileSize(path));
    core::BucketedFlowGraph buckets(store::kSecondsPerDay);
    auto in = readInput(o, path, index, tenancies, buckets, progress);
    if (!in) {
        return {"", Failure{in.error()}};
    }
    // An empty input records nothing: it is almost always a failed export.
    if (in->stats.records == 0) {
        const std::string message = path + ": no flow lines (empty input)";
        if (!o.skip_invalid) {
            return {"", Failure{message}};
        }
        return {message + ", skipped\n", std::nullopt};
    }
    store::IngestRecord record{o.cluster_name,
                               in->digest,
                               path,
                               in->raw_bytes,
                               in->stats.lines,
                               0,
                               now,
                               skipCounts(in->stats, in->aggregation)};
    IngestBatchStats batch_stats;
    store::IngestBatch batch = makeIngestBatch(cluster, buckets, std::move(record), batch_stats);
    buckets = core::BucketedFlowGraph(store::kSecondsPerDay);  // free it before the store works
    Timings timings;
    timings.read = secondsSince(start);
    // Read before the store works: the time of the ingest a replace takes back is gone after.
    std::string earlier;
    if (o.force) {
        auto when = earlierIngestTime(store, batch.record);
        if (!when) {
            return {"", Failure{o.db + ": " + when.error(), kExitFailure}};
        }
        earlier = std::move(*when);
    }
    progress.status(fmt::format("storing {} day buckets", humanCount(batch.edges.size())));
    auto stored =
        store.ingest(batch, o.force ? store::IngestMode::kReplace : store::IngestMode::kOnce);
    progress.clear();
    timings.store = secondsSince(start) - timings.read;
    if (!stored) {
        return {"", Failure{o.db + ": " + stored.error(), kExitFailure}};
    }
    switch (*stored) {
        case store::IngestOutcome::kAlreadyIngested: {
            auto when = earlierIngestTime(store, batch.record);
            if (!when) {
                return {"", Failure{o.db + ": " + when.error(), kExitFailure}};
            }
            return {fmt::format("{}: already ingested on {} (sha256 {}), skipped (--force replaces "
                                "that ingest)\n",
                                path,
                                *when,
                                batch.record.digest),
                    std::nullopt};
        }
        case store::IngestOutcome::kNotReplaceable:
            return {"",
                    Failure{fmt::format("{}: ingested on {} (sha256 {}) by a netpolgen older than "
                                        "store schema 4, which kept no record of what each ingest "
                                        "added: --force cannot replace it exactly; nothing changed",
                                        path,
                                        earlier,
                                        batch.record.digest)}};
        case store::IngestOutcome::kReplaced:
            return {fmt::format("{}: replaced the ingest of {} (sha256 {})\n",
                                path,
                                earlier,
                                batch.record.digest) +
                        storedLine(path, *in, batch.record, batch_stats, timings) +
                        skippedNote(*in),
                    std::nullopt};
        case store::IngestOutcome::kStored:
            break;
    }
    return {storedLine(path, *in, batch.record, batch_stats, timings) + skippedNote(*in),
            std::nullopt};
}

}  // namespace

int runIngest(const IngestCommandOptions& o, std::ostream& err) {
    auto now = resolveNow(o.now);
    if (!now) {
        err << "netpolgen: " << now.error() << "\n";
        return kExitBadInput;
    }
    // Without --cluster the store must hold a snapshot already: do not create an empty one.
    auto store =
        o.cluster_paths.empty() && !o.live.wanted() ? openExistingStoreAt(o.db) : openStoreAt(o.db);
    if (!store) {
        err << "netpolgen: " << store.error() << "\n";
        return kExitBadInput;
    }
    auto inputs = loadIngestCluster(o, **store, err);
    if (!inputs) {
        err << "netpolgen: " << inputs.error() << "\n";
        return kExitBadInput;
    }
    const core::ClusterIndex index((*inputs)->cluster);
    // Which pod held an address when, as `serve` watching the cluster recorded it: flows naming
    // only addresses resolve to the pod of their time.
    auto stored_tenancies = (*store)->ipTenancies(o.cluster_name);
    if (!stored_tenancies) {
        err << "netpolgen: " << o.db << ": " << stored_tenancies.error() << "\n";
        return kExitFailure;
    }
    core::IpTenancies tenancies;
    for (auto& t : *stored_tenancies) {
        tenancies.add(std::move(t));
    }
    // Inputs are independent ingests: those before a failing one stay stored.
    for (const auto& path : o.flow_paths) {
        IngestOutcome outcome =
            ingestOne(o, path, (*inputs)->cluster, index, tenancies, **store, *now, err);
        if (outcome.failure) {
            err << "netpolgen: " << outcome.failure->message << "\n";
            return outcome.failure->status;
        }
        if (!o.quiet) {
            err << outcome.text << std::flush;
        }
    }
    return kExitOk;
}

}  // namespace netpolgen::cli
