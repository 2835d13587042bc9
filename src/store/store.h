// Store: where netpolgen keeps what outlives one command — observed traffic aggregated by day,
// cluster snapshots, and the history of applied modifications with their undo.
//
// One interface, two backends with one schema: SQLite (default, a file) and PostgreSQL (teams,
// `postgresql://…`). Every write is one transaction, so a process killed at any moment leaves
// either all of an ingest or apply or none of it.
//
// Entities are stored by name, not by the dense ids of one cluster snapshot, because workloads come
// and go between snapshots: "internet", "internal", or "ns/Kind/name" (see entity_key.h).
//
//   auto store = openStore("netpolgen.db");            // or "postgresql://user@host/db"
//   if (!store) return Error{store.error()};
//   auto outcome = (*store)->ingest(batch);            // kStored or kAlreadyIngested
//   outcome = (*store)->ingest(batch, IngestMode::kReplace);  // kReplaced: the earlier one is gone
//   auto edges = (*store)->loadEdges({.cluster = "prod", .window = {.since = t}});
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/flow.h"
#include "core/flow_aggregator.h"
#include "core/ip_tenancy.h"
#include "core/protocol.h"
#include "core/result.h"

namespace netpolgen::store {

// Flows are bucketed by UTC day: day = floor(time / 86400). Undated flows (StackRox's "still
// active") go to kUndatedDay and are part of every time window; prune never removes them.
inline constexpr int64_t kSecondsPerDay = 86400;
inline constexpr int64_t kUndatedDay = INT64_MIN;
int64_t dayOf(core::Timestamp time);  // kUndatedDay for core::kUndated

// One aggregated edge. src/dst index the entity names of the batch or result that holds it.
struct EdgeRow {
    uint32_t src = 0;
    uint32_t dst = 0;
    uint32_t port = 0;
    core::Protocol protocol = core::Protocol::kTcp;
    uint64_t count = 0;
    core::Timestamp first_seen = core::kUndated;  // within the bucket (ingest) or window (load)
    core::Timestamp last_seen = core::kUndated;
};

struct BucketedEdge {
    int64_t day = kUndatedDay;
    EdgeRow edge;
};

// Lines or flows of an input that were not stored, and why ("invalid", "dropped",
// "unknown-workload", …: the ingest command names the reasons; the store keeps any).
struct SkipCount {
    std::string reason;
    uint64_t count = 0;
    bool operator==(const SkipCount&) const = default;
};

// What one `netpolgen ingest` read. The digest (hex SHA-256 of the input bytes) makes ingesting
// the same input twice a no-op, unless it replaces the earlier ingest (IngestMode::kReplace).
struct IngestRecord {
    std::string cluster;
    std::string digest;
    std::string source;  // path as given, "-" for stdin
    uint64_t bytes = 0;
    uint64_t lines = 0;
    uint64_t flows = 0;  // sum of the counts of `edges`: checked by the consistency test
    core::Timestamp ingested_at = 0;
    std::vector<SkipCount> skipped = {};  // reasons with a count > 0, in the order given
    // Read back only: false for an ingest recorded before schema version 4, whose contributions
    // to the edges were not kept, so it cannot be replaced exactly.
    bool replaceable = true;
};

struct IngestBatch {
    IngestRecord record;
    std::vector<std::string> entities;  // names; EdgeRow::src/dst index this
    std::vector<BucketedEdge> edges;    // at most one row per (day, src, dst, port, protocol)
};

// kOnce: an input already ingested (same cluster and digest) is left as it is. kReplace: its
// earlier ingest is taken back exactly, then the batch is stored, in one transaction.
enum class IngestMode { kOnce, kReplace };

enum class IngestOutcome {
    kStored,
    kAlreadyIngested,  // kOnce: nothing changed
    kReplaced,         // kReplace: the earlier ingest of the digest was taken back first
    kNotReplaceable,   // kReplace: the earlier ingest predates schema 4; nothing changed
};

struct EdgeQuery {
    std::string cluster;
    core::TimeWindow window;  // both open: everything stored
    // false (the default, what `generate` needs): a window with `since` alone is answered from one
    // totals row per edge — fast, exact membership, but count/first/last over everything stored.
    // true: always read the day buckets, so count/first/last are those of the window (slower:
    // one row per edge and day). Windows with `until` always read the day buckets.
    bool windowed_counts = false;
};

// Edges of a window, merged over days: one row per (src, dst, port, protocol).
//
// Membership: an edge is in when it has undated flows, or a day bucket whose flows [first, last]
// meet the window, i.e. last >= since and first <= until. That is exact to the second (some flow
// lies in [since, until]) except when since and until fall on one UTC day: then an edge seen
// before and after the window on that day but not inside it is also in.
//
// count, first_seen, last_seen:
// - no window, or `since` alone without windowed_counts: over everything stored for the edge
//   (first/last of its dated flows; kUndated when it has only undated flows);
// - otherwise: over the buckets that are in (above) — whole days at the window's ends, so first
//   may be before `since` and last after `until` on the boundary days — plus its undated flows.
// Entities are only those the edges reference; edges are sorted by (src, dst, port, protocol).
struct EdgeSet {
    std::vector<std::string> entities;
    std::vector<EdgeRow> edges;
};

struct PruneResult {
    uint64_t buckets_removed = 0;  // (day, edge) rows
    uint64_t flows_removed = 0;    // sum of their counts
};

// Where a followed file stands (`collect --follow`, collect/file_follower.h): which file — its
// device and inode, and `head`, a hash of its first line that tells a truncated or reused file
// from the one read before — and the byte offset after the last line whose flows are stored.
struct FileCursor {
    uint64_t device = 0;
    uint64_t inode = 0;
    std::string head;  // empty while the file has no complete first line
    uint64_t offset = 0;
    bool operator==(const FileCursor&) const = default;
};

// Where one stream of a streamed source stands: for `collect --hubble-relay` a node, at the time
// (Unix nanoseconds) of its newest stored flow; for `collect --kafka` a topic partition, at the
// offset of the next message to read.
struct StreamPosition {
    std::string stream;
    int64_t position = 0;
    bool operator==(const StreamPosition&) const = default;
};

// A stream's move in one commit: `expected` is the position this collector read from the store
// (nothing: the stream had none), so a commit of a collector that lost the stream to another one
// (a Kafka rebalance) writes nothing.
struct StreamAdvance {
    std::string stream;
    std::optional<int64_t> expected;
    int64_t position = 0;
};

// True when every advanced stream stands in `stored` (sorted by stream) at its `expected`.
bool streamsStandAt(const std::vector<StreamPosition>& stored,
                    const std::vector<StreamAdvance>& advances);

// What the store holds of one followed source: its cursor, and the heads of the files (rotated
// away, plain or .gz) already read to their end, which are not read again; for a streamed source,
// the positions of its streams.
struct FollowState {
    std::optional<FileCursor> cursor;     // nothing: the source was never committed
    std::vector<std::string> done;        // sorted
    std::vector<StreamPosition> streams;  // sorted by stream
};

// One commit of a followed source, in one transaction with the flows it read since the last one.
// The source is one ingest record (cluster, digest = the source's key): its bytes, lines, flows and
// skip counts grow by the batch record's, and its contributions to the (day, edge) buckets are
// kept as any ingest's (so `ingest --force` and prune stay exact).
struct FollowCommit {
    IngestBatch batch;                   // record: what was read since the last commit
    std::optional<FileCursor> expected;  // the stored cursor this commit continues from
    // Where reading stands after these flows; nothing for a streamed source (no file cursor is
    // written, and `expected` must be nothing).
    std::optional<FileCursor> cursor;
    std::vector<std::string> done;       // heads of files read to their end since
    std::vector<std::string> forget;     // done heads of files no longer there: dropped
    std::vector<StreamAdvance> streams;  // streamed sources: the streams these flows moved
};

// A cluster snapshot: the manifest files as read, so they decode again with their own line numbers.
struct SnapshotFile {
    std::string path;
    std::string content;
};

struct Snapshot {
    int64_t id = 0;  // assigned by the store
    std::string cluster;
    core::Timestamp taken_at = 0;
    std::vector<SnapshotFile> files;
    // Pod address tenancies opened or closed since the previous snapshot (a watched cluster,
    // kube/cluster_watch.h): written with the snapshot, each keyed by (address, namespace, pod,
    // since), so a tenancy written open and later closed is one row. Not read back with the
    // snapshot: Store::ipTenancies has all of them.
    std::vector<core::IpTenancy> tenancies = {};
    // When > 0: once this snapshot is stored, only the cluster's `keep_latest` newest snapshots
    // are kept (in the same transaction). A watched cluster stores one a minute: the cluster's
    // history is in its applies and tenancies, not in old snapshots.
    size_t keep_latest = 0;
};

// How an ApplyRecord's modification and undo are written. The store keeps the text as given; the
// history (store/cluster_history.h) decodes it.
enum class RecordEncoding : uint8_t {
    kJson,  // io::modificationToJson, read back in the structured form only (schema 3 on)
    kYaml,  // io::modificationToYaml with "# kubectl" comment lines: records of schema 1 and 2
};

// "json" or "yaml": the values of the stores' encoding column.
std::string_view encodingName(RecordEncoding encoding);
RecordEncoding encodingOf(std::string_view name);  // anything but "yaml" is kJson

// One applied modification and the modification that undoes it (docs/stackrox-generator.md §5).
struct ApplyRecord {
    int64_t id = 0;  // assigned by the store, increasing
    std::string cluster;
    core::Timestamp applied_at = 0;
    std::string user;
    std::string modification;  // as applied, in `encoding`
    std::string undo;
    std::string action;                 // "apply" or "revert"
    std::optional<int64_t> reverts_to;  // revert: the state before this apply id
    bool via_kubectl = false;           // netpolgen ran kubectl, or only recorded
    RecordEncoding encoding = RecordEncoding::kJson;
};

// What recordApply did: recorded the apply as `id`, or nothing because the cluster's latest
// record is no longer the one the caller planned on (another apply or revert came first).
struct RecordOutcome {
    std::optional<int64_t> id;  // nothing: a conflict
    int64_t latest_id = 0;      // the cluster's latest record id when the write was decided
};

// A notifier created through the HTTP API (notifiers from `serve --notifiers FILE` are not
// stored). `definition` is its JSON in the shape of one entry of a notifier file
// (notify/notifier_config.h), secrets included: the notifier needs them to send, and only the API
// layer decides what is shown. The store does not interpret it.
struct NotifierRecord {
    std::string id;
    std::string definition;
};

// Over all clusters.
struct StoreSummary {
    int schema_version = 0;
    uint64_t entities = 0;
    uint64_t edge_buckets = 0;  // (day, edge) rows, the undated bucket included
    uint64_t flows = 0;         // sum of all counts still stored (after prunes)
    uint64_t ingests = 0;
    uint64_t snapshots = 0;
    uint64_t applies = 0;
    std::optional<int64_t> first_day;  // dated buckets only
    std::optional<int64_t> last_day;
};

class Store {
public:
    virtual ~Store() = default;

    // Adds the edges and the record in one transaction, unless this cluster already has an
    // ingest with the same digest: then kOnce changes nothing, and kReplace first takes back what
    // that ingest contributed — its (day, edge) counts subtracted, a bucket's first/last seen and
    // an edge's totals recomputed from the contributions that remain, rows left with nothing
    // deleted, its record and skip counts deleted — so the store ends as if only the other
    // ingests and this batch had been stored (pruned days stay pruned). Each ingest's (day, edge)
    // rows are kept for this (ingest_edges) until prune removes their day.
    core::Result<IngestOutcome> ingest(const IngestBatch& batch) {
        return ingest(batch, IngestMode::kOnce);
    }
    virtual core::Result<IngestOutcome> ingest(const IngestBatch& batch, IngestMode mode) = 0;
    // A followed source's cursor and done files (digest: the source's key, FollowCommit).
    virtual core::Result<FollowState> followState(const std::string& cluster,
                                                  const std::string& digest) = 0;
    // Stores the batch's edges, adds its counts to the source's ingest record (created by the
    // first commit), and moves the cursor and the stream positions, in one transaction — so a
    // process killed at any moment leaves flows and positions in step. false, writing nothing,
    // when the stored cursor is not `expected`, or a stream's stored position is not its
    // `expected` (another collector of the same source moved it).
    virtual core::Result<bool> commitFollow(const FollowCommit& commit) = 0;
    // Oldest first, with their skip counts.
    virtual core::Result<std::vector<IngestRecord>> ingests(const std::string& cluster) = 0;
    virtual core::Result<EdgeSet> loadEdges(const EdgeQuery& query) = 0;
    // Removes dated day buckets entirely before `before` (a bucket goes when its whole day does:
    // (day + 1) * 86400 <= before). Undated flows are never pruned.
    virtual core::Result<PruneResult> prune(const std::string& cluster, core::Timestamp before) = 0;

    virtual core::Result<int64_t> putSnapshot(const Snapshot& snapshot) = 0;
    // The snapshot with the greatest taken_at (on a tie, the one stored last), files in the order
    // given; nothing when the cluster has none. Contents come back byte for byte.
    virtual core::Result<std::optional<Snapshot>> latestSnapshot(const std::string& cluster) = 0;
    // The id of the snapshot latestSnapshot would give, without its files: a collector checks it
    // to learn that a newer snapshot exists.
    virtual core::Result<std::optional<int64_t>> latestSnapshotId(const std::string& cluster) = 0;
    // Every pod address tenancy stored for the cluster, by address then since.
    virtual core::Result<std::vector<core::IpTenancy>> ipTenancies(const std::string& cluster) = 0;

    // Records `record` if the latest record of its cluster is still `expected_latest_id` (0: the
    // cluster has none), in one transaction that other writers of the cluster wait for: of several
    // callers that planned on the same history, exactly one records, the others get a conflict
    // (RecordOutcome without id) and nothing is written. Refuses an action other than "apply" or
    // "revert", and a reverts_to that is no apply id.
    virtual core::Result<RecordOutcome> recordApply(const ApplyRecord& record,
                                                    int64_t expected_latest_id) = 0;
    // Oldest first (in the order recorded, whatever applied_at says).
    virtual core::Result<std::vector<ApplyRecord>> history(const std::string& cluster) = 0;

    // Notifiers created through the API, ordered by id.
    virtual core::Result<std::vector<NotifierRecord>> notifiers() = 0;
    // Adds `record`; false, writing nothing, when a notifier with its id exists.
    virtual core::Result<bool> createNotifier(const NotifierRecord& record) = 0;
    // Replaces the definition of the notifier `record.id` if it is still `expected` (what the
    // caller read and built the new definition from), in one statement; false, writing nothing,
    // when there is no such notifier or another writer changed it meanwhile.
    virtual core::Result<bool> replaceNotifierIf(const NotifierRecord& record,
                                                 const std::string& expected) = 0;
    // false when there is no notifier `id`.
    virtual core::Result<bool> deleteNotifier(const std::string& id) = 0;

    virtual core::Result<StoreSummary> summary() = 0;
};

// The schema version this build writes. A store with a newer version is refused (never modified);
// an older one is migrated forward in one transaction.
inline constexpr int kSchemaVersion = 7;

// `location`: a file path (SQLite, created when missing) or a `postgresql://` / `postgres://` URI
// (libpq syntax; connect_timeout defaults to 10 s). Errors start with the location, a URI without
// its password: "FILE: not a netpolgen store: file is not a database", "…: not a netpolgen store
// (application_id 0x…)", "…: store schema version 7 is newer than this netpolgen (4); upgrade
// netpolgen", "URI: cannot connect: <libpq's message>", "FILE: cannot write: disk full".
// A Store is one connection: use it from one thread at a time; open one per thread or process
// (writers to one SQLite file queue for up to 30 s, PostgreSQL writers to one cluster take turns).
core::Result<std::unique_ptr<Store>> openStore(const std::string& location);

}  // namespace netpolgen::store
