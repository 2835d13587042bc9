// Backend-independent edge handling shared by the SQLite and PostgreSQL stores (private to
// src/store): checking and merging an ingest batch into the rows both schemas store, the window
// rule of loadEdges, and turning rows keyed by database ids into an EdgeSet.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace netpolgen::store::detail {

// One edge_days row (cluster implied), entities as database ids.
struct DayRow {
    int64_t day = kUndatedDay;
    int64_t src = 0;
    int64_t dst = 0;
    uint32_t port = 0;
    uint8_t protocol = 0;
    uint64_t count = 0;
    std::optional<int64_t> first_seen;  // nullopt exactly when day == kUndatedDay
    std::optional<int64_t> last_seen;
};

// One edge_totals row: the sum over all day buckets of an edge.
struct TotalRow {
    int64_t src = 0;
    int64_t dst = 0;
    uint32_t port = 0;
    uint8_t protocol = 0;
    uint64_t count = 0;  // dated and undated flows
    std::optional<int64_t> first_seen;
    std::optional<int64_t> last_seen;
    uint64_t undated_count = 0;
};

struct PreparedEdges {
    std::vector<DayRow> days;      // sorted by (day, src, dst, port, protocol), keys unique
    std::vector<TotalRow> totals;  // sorted by (src, dst, port, protocol), keys unique
};

// Checks what the store cannot repair later: record fields, entity indices in range, and that a
// dated bucket's first/last seen lie in its day.
core::Status validateBatch(const IngestBatch& batch);

// The batch's edges with entity indices replaced by database ids (`entity_ids[i]` for
// batch.entities[i]). Rows that collide after the mapping (a name listed twice) are merged.
PreparedEdges prepareEdges(const IngestBatch& batch, const std::vector<int64_t>& entity_ids);

// No window, or `since` alone without windowed counts: one edge_totals row per edge answers
// exactly (see EdgeSet in store.h).
bool answeredByTotals(const EdgeQuery& query);

// Days of the buckets a window can touch: [dayOf(since), dayOf(until)], open ends widened.
struct DayRange {
    int64_t first = kUndatedDay + 1;
    int64_t last = INT64_MAX;
};
DayRange daysOf(const core::TimeWindow& window);

// A dated bucket belongs to the window when the interval of its flows [first, last] meets it.
bool bucketInWindow(const core::TimeWindow& window, int64_t first_seen, int64_t last_seen);

// One edge as read from a table, entities as database ids.
struct RawEdge {
    int64_t src = 0;
    int64_t dst = 0;
    uint32_t port = 0;
    uint8_t protocol = 0;
    uint64_t count = 0;
    core::Timestamp first_seen = core::kUndated;
    core::Timestamp last_seen = core::kUndated;
};

// Collects edges keyed by database ids; finish() maps the ids to names and dense indices.
//
// Day buckets are merged (count +=, first min, last max) as sorted runs: the rows of one day
// come sorted by key from the primary key, and each day's run is merged into the sorted result
// in one sequential pass. A hash table over a million edges costs a cache miss per row instead,
// which was the larger part of loadEdges over 7M bucket rows.
class EdgeSetBuilder {
public:
    // A row whose key no other row of this builder has (edge_totals).
    void addUnique(const RawEdge& e) { unique_.push_back(e); }
    // A day bucket. Rows of one day must come together (ORDER BY day); within a day, rows
    // sorted by (src, dst, port, protocol) are cheapest.
    void addBucket(int64_t day, const RawEdge& e);

    // `names`: (id, name) of every entity the rows reference (more are fine). Entities in the
    // result are those referenced, in ascending id order; edges sorted by (src, dst, port,
    // protocol) of those indices, so the result does not depend on the order rows came in.
    core::Result<EdgeSet> finish(std::vector<std::pair<int64_t, std::string>> names);

private:
    void mergeRun();

    std::vector<RawEdge> unique_;
    std::vector<RawEdge> merged_;  // sorted by key, keys unique
    std::vector<RawEdge> run_;     // the current day's rows
    std::optional<int64_t> run_day_;
};

// The total of several rows that share a key into `into`.
void mergeInto(TotalRow& into, const TotalRow& row);

// --- re-ingest (IngestMode::kReplace) ---

// The ingest a cluster already has for a digest.
struct EarlierIngest {
    int64_t id = 0;
    bool replaceable = false;  // recorded at schema 4 or later: its contributions are kept
};

// What Store::ingest does given the earlier ingest of the batch's digest: kStored (none),
// kAlreadyIngested, kNotReplaceable (both: write nothing) or kReplaced (take it back, then store).
IngestOutcome outcomeOver(const std::optional<EarlierIngest>& earlier, IngestMode mode);

// Sorts (day, edge) keys by edge, then day: the keys of one edge become neighbours.
void sortByEdge(std::vector<DayRow>& rows);
bool sameEdge(const DayRow& a, const DayRow& b);

// The ingests of a cluster with their skip counts, in one statement: both backends append
// " WHERE i.cluster = <param>" and kIngestListOrder. Columns: id, cluster, digest, source, bytes,
// lines, flows, ingested_at, replaceable, reason, count (the last two NULL without skip counts).
inline constexpr std::string_view kIngestListSql =
    "SELECT i.id, i.cluster, i.digest, i.source, i.bytes, i.lines, i.flows, i.ingested_at, "
    "i.replaceable, s.reason, s.count FROM ingests i LEFT JOIN ingest_skips s "
    "ON s.ingest_id = i.id";
inline constexpr std::string_view kIngestListOrder = " ORDER BY i.id, s.seq";

// The latest snapshot's id (Store::latestSnapshotId); parameter 1: the cluster.
inline constexpr std::string_view kLatestSnapshotIdSql =
    "SELECT id FROM snapshots WHERE cluster = $1 ORDER BY taken_at DESC, id DESC LIMIT 1";

// Adds a skip count to a followed source's record: to its row of that reason, else as a new row
// with the next seq. Parameters: 1 ingest id, 2 reason, 3 count (the same text on both backends).
inline constexpr std::string_view kAddFollowSkipSql =
    "INSERT INTO ingest_skips(ingest_id, seq, reason, count) SELECT CAST($1 AS BIGINT), "
    "coalesce((SELECT seq FROM ingest_skips WHERE ingest_id = $1 AND reason = CAST($2 AS TEXT)), "
    "(SELECT coalesce(max(seq) + 1, 0) FROM ingest_skips WHERE ingest_id = $1)), "
    "CAST($2 AS TEXT), CAST($3 AS BIGINT) WHERE true "  // WHERE: SQLite's upsert-after-SELECT rule
    "ON CONFLICT (ingest_id, seq) DO UPDATE SET count = ingest_skips.count + excluded.count";

// Rows of kIngestListSql into records: a row of the same id as the one before adds a skip count.
class IngestListBuilder {
public:
    void add(int64_t id, IngestRecord record, std::optional<SkipCount> skip);
    std::vector<IngestRecord> finish() { return std::move(records_); }

private:
    std::vector<IngestRecord> records_;
    std::optional<int64_t> last_id_;
};

}  // namespace netpolgen::store::detail
