// `netpolgen ingests` (store_commands.h): what each ingest of a cluster read, stored and skipped.
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/store_commands.h"
#include "cli/store_inputs.h"
#include "cli/text_table.h"
#include "io/time_text.h"
#include "store/store.h"

namespace netpolgen::cli {
namespace {

using nlohmann::json;

// Enough of the digest to tell inputs apart and to find them with grep.
constexpr size_t kDigestPrefix = 12;

// "invalid 3, unknown-workload 2"; "-" when nothing was skipped, "?" when the ingest predates
// skip counts (store schema 4).
std::string skippedText(const store::IngestRecord& r) {
    if (!r.replaceable) {
        return "?";
    }
    std::string out;
    for (const store::SkipCount& s : r.skipped) {
        out += fmt::format("{}{} {}", out.empty() ? "" : ", ", s.reason, s.count);
    }
    return out.empty() ? "-" : out;
}

std::string ingestsTable(const std::vector<store::IngestRecord>& records) {
    std::vector<std::vector<std::string>> rows{
        {"TIME", "SHA256", "LINES", "FLOWS", "SKIPPED", "INPUT"}};
    bool old = false;
    for (const store::IngestRecord& r : records) {
        rows.push_back({io::formatRfc3339(r.ingested_at),
                        // A followed file or a Kafka group (collect) has no digest: its key
                        // names it.
                        r.digest.starts_with("follow:")  ? std::string("(followed)")
                        : r.digest.starts_with("kafka:") ? std::string("(kafka)")
                                                         : r.digest.substr(0, kDigestPrefix),
                        std::to_string(r.lines),
                        std::to_string(r.flows),
                        skippedText(r),
                        r.source});
        old = old || !r.replaceable;
    }
    std::string out = alignedTable(rows);
    if (old) {
        out +=
            "? ingested before store schema 4: skip counts unknown, and `ingest --force` cannot "
            "replace it\n";
    }
    return out;
}

std::string ingestsJson(const std::string& cluster,
                        const std::vector<store::IngestRecord>& records) {
    json list = json::array();
    for (const store::IngestRecord& r : records) {
        json skipped = json::object();
        for (const store::SkipCount& s : r.skipped) {
            skipped[s.reason] = s.count;
        }
        list.push_back({{"time", io::formatRfc3339(r.ingested_at)},
                        {"input", r.source},
                        {"sha256", r.digest},
                        {"bytes", r.bytes},
                        {"lines", r.lines},
                        {"flows", r.flows},
                        {"skipped", r.replaceable ? skipped : json(nullptr)},
                        {"replaceable", r.replaceable}});
    }
    return json{{"cluster", cluster}, {"ingests", std::move(list)}}.dump(2) + "\n";
}

}  // namespace

int runIngests(const IngestsCommandOptions& o, std::ostream& out, std::ostream& err) {
    auto store = openExistingStoreAt(o.db);
    if (!store) {
        err << "netpolgen: " << store.error() << "\n";
        return kExitBadInput;
    }
    auto records = (*store)->ingests(o.cluster_name);
    if (!records) {
        err << "netpolgen: " << o.db << ": " << records.error() << "\n";
        return kExitFailure;
    }
    if (records->empty()) {
        err << fmt::format(
            "netpolgen: {}: cluster \"{}\" has no ingests (--cluster-name names the cluster)\n",
            o.db,
            o.cluster_name);
        return kExitBadInput;
    }
    out << (o.format == "json" ? ingestsJson(o.cluster_name, *records) : ingestsTable(*records));
    return kExitOk;
}

}  // namespace netpolgen::cli
