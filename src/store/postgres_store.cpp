#include "store/postgres_store.h"

#include <cstdlib>
#include <string_view>
#include <utility>

#include "store/edge_rows.h"
#include "store/pg_connection.h"
#include "store/row_readers.h"

namespace netpolgen::store {
namespace {

using core::Error;
using core::Result;
using core::Status;
using pg::collectRows;
using pg::Connection;
using pg::forEachRow;
using pg::Params;
using pg::PgResult;
using pg::Transaction;

// The same logical schema as the SQLite store (see sqlite_store.cpp). Numbers are BIGINT
// throughout, so binary results are always 8 bytes; snapshot contents are BYTEA (manifests as
// read, any bytes). Never edit a released script: add the next version.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO meta(key, value) VALUES ('application', 'netpolgen');
CREATE TABLE clusters(
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE entities(
  id BIGSERIAL PRIMARY KEY,
  cluster_id BIGINT NOT NULL REFERENCES clusters(id),
  name TEXT NOT NULL,
  UNIQUE(cluster_id, name)
);
CREATE TABLE edge_days(
  cluster_id BIGINT NOT NULL,
  day BIGINT NOT NULL,
  src BIGINT NOT NULL,
  dst BIGINT NOT NULL,
  port BIGINT NOT NULL,
  protocol BIGINT NOT NULL,
  count BIGINT NOT NULL,
  first_seen BIGINT,
  last_seen BIGINT,
  PRIMARY KEY(cluster_id, day, src, dst, port, protocol)
);
CREATE TABLE edge_totals(
  cluster_id BIGINT NOT NULL,
  src BIGINT NOT NULL,
  dst BIGINT NOT NULL,
  port BIGINT NOT NULL,
  protocol BIGINT NOT NULL,
  count BIGINT NOT NULL,
  first_seen BIGINT,
  last_seen BIGINT,
  undated_count BIGINT NOT NULL,
  PRIMARY KEY(cluster_id, src, dst, port, protocol)
);
CREATE TABLE ingests(
  id BIGSERIAL PRIMARY KEY,
  cluster TEXT NOT NULL,
  digest TEXT NOT NULL,
  source TEXT NOT NULL,
  bytes BIGINT NOT NULL,
  lines BIGINT NOT NULL,
  flows BIGINT NOT NULL,
  ingested_at BIGINT NOT NULL,
  UNIQUE(cluster, digest)
);
CREATE TABLE snapshots(
  id BIGSERIAL PRIMARY KEY,
  cluster TEXT NOT NULL,
  taken_at BIGINT NOT NULL
);
CREATE INDEX snapshots_latest ON snapshots(cluster, taken_at, id);
CREATE TABLE snapshot_files(
  snapshot_id BIGINT NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,
  path TEXT NOT NULL,
  content BYTEA NOT NULL,
  PRIMARY KEY(snapshot_id, seq)
);
CREATE TABLE applies(
  id BIGSERIAL PRIMARY KEY,
  cluster TEXT NOT NULL,
  applied_at BIGINT NOT NULL,
  user_name TEXT NOT NULL,
  modification_yaml TEXT NOT NULL,
  undo_yaml TEXT NOT NULL,
  action TEXT NOT NULL CHECK(action IN ('apply', 'revert')),
  reverts_to BIGINT REFERENCES applies(id),
  via_kubectl BOOLEAN NOT NULL
);
CREATE INDEX applies_by_cluster ON applies(cluster, id);
)sql";

// Version 2: notifiers created through the HTTP API (Store::createNotifier).
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE notifiers(
  id TEXT PRIMARY KEY,
  definition TEXT NOT NULL
);
)sql";

// Version 3: applies keep their modification and undo as JSON (RecordEncoding::kJson); rows
// written before keep their YAML and are marked so, to be read as they were written.
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE applies RENAME COLUMN modification_yaml TO modification;
ALTER TABLE applies RENAME COLUMN undo_yaml TO undo;
ALTER TABLE applies ADD COLUMN encoding TEXT NOT NULL DEFAULT 'yaml'
  CHECK(encoding IN ('yaml', 'json'));
ALTER TABLE applies ALTER COLUMN encoding DROP DEFAULT;
)sql";

// Version 4: what each ingest contributed to each (day, edge) bucket, so that `ingest --force`
// can take it back exactly, and its skip counts (see kSchemaV4 in sqlite_store.cpp).
constexpr std::string_view kSchemaV4 = R"sql(
CREATE TABLE ingest_edges(
  cluster_id BIGINT NOT NULL,
  src BIGINT NOT NULL,
  dst BIGINT NOT NULL,
  port BIGINT NOT NULL,
  protocol BIGINT NOT NULL,
  day BIGINT NOT NULL,
  ingest_id BIGINT NOT NULL,
  count BIGINT NOT NULL,
  first_seen BIGINT,
  last_seen BIGINT,
  PRIMARY KEY(cluster_id, src, dst, port, protocol, day, ingest_id)
);
CREATE INDEX ingest_edges_by_ingest ON ingest_edges(ingest_id);
INSERT INTO ingest_edges
  SELECT cluster_id, src, dst, port, protocol, day, 0, count, first_seen, last_seen FROM edge_days;
CREATE TABLE ingest_skips(
  ingest_id BIGINT NOT NULL REFERENCES ingests(id) ON DELETE CASCADE,
  seq BIGINT NOT NULL,
  reason TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY(ingest_id, seq)
);
ALTER TABLE ingests ADD COLUMN replaceable BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE ingests ALTER COLUMN replaceable DROP DEFAULT;
)sql";

// Version 5: pod address tenancies (see kSchemaV5 in sqlite_store.cpp).
constexpr std::string_view kSchemaV5 = R"sql(
CREATE TABLE ip_tenancies(
  cluster TEXT NOT NULL,
  ip TEXT NOT NULL,
  namespace TEXT NOT NULL,
  pod TEXT NOT NULL,
  owner_kind TEXT NOT NULL,
  owner_name TEXT NOT NULL,
  since BIGINT NOT NULL,
  until BIGINT,
  PRIMARY KEY(cluster, ip, namespace, pod, since)
);
)sql";

// Version 6: followed files (see kSchemaV6 in sqlite_store.cpp).
constexpr std::string_view kSchemaV6 = R"sql(
CREATE TABLE follow_cursors(
  ingest_id BIGINT PRIMARY KEY REFERENCES ingests(id) ON DELETE CASCADE,
  device BIGINT NOT NULL,
  inode BIGINT NOT NULL,
  head TEXT NOT NULL,
  byte_offset BIGINT NOT NULL
);
CREATE TABLE follow_done(
  ingest_id BIGINT NOT NULL REFERENCES ingests(id) ON DELETE CASCADE,
  head TEXT NOT NULL,
  PRIMARY KEY(ingest_id, head)
);
)sql";

// Version 7: streamed sources (see kSchemaV7 in sqlite_store.cpp).
constexpr std::string_view kSchemaV7 = R"sql(
CREATE TABLE stream_positions(
  ingest_id BIGINT NOT NULL REFERENCES ingests(id) ON DELETE CASCADE,
  stream TEXT NOT NULL,
  position BIGINT NOT NULL,
  PRIMARY KEY(ingest_id, stream)
);
)sql";

constexpr std::string_view kMigrations[] = {
    kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4, kSchemaV5, kSchemaV6, kSchemaV7};
static_assert(std::size(kMigrations) == kSchemaVersion, "one script per schema version");

// Advisory lock keys: (kLockSpace, kMigrationLock) for migrations, (kLockSpace, hashtext(cluster))
// for writes to one cluster's edges. "NPGN" keeps them apart from other applications' locks.
constexpr int kLockSpace = 0x4e50474e;
// (kApplyLockSpace, hashtext(cluster)): applies and reverts of one cluster take turns, apart from
// its ingests.
constexpr int kApplyLockSpace = 0x4e504150;
constexpr int kMigrationLock = 0;

constexpr std::string_view kOurTables[] = {
    "clusters", "entities", "edge_days", "edge_totals", "ingests", "snapshots", "applies"};

// Binary-format helpers: every column read here is BIGINT, TEXT, BYTEA or BOOLEAN.
Result<PgResult> query(Connection& c, const std::string& sql, const Params& p = {}) {
    return c.exec(sql, p);
}

// The schema version, 0 for a database without netpolgen tables; an error for a database that
// has tables of ours but is not a netpolgen store.
Result<int> schemaVersion(Connection& c) {
    auto meta = query(c, "SELECT to_regclass('meta') IS NOT NULL");
    if (!meta) {
        return Error{meta.error()};
    }
    if (!meta->getBool(0, 0)) {
        for (const std::string_view table : kOurTables) {
            auto found = query(c, "SELECT to_regclass($1) IS NOT NULL", Params().add(table));
            if (!found) {
                return Error{found.error()};
            }
            if (found->getBool(0, 0)) {
                return Error{c.where() + ": not a netpolgen store (it has a table " +
                             std::string(table) + " but no netpolgen meta table)"};
            }
        }
        return 0;
    }
    auto rows =
        query(c, "SELECT key, value FROM meta WHERE key IN ('application', 'schema_version')");
    if (!rows) {
        return Error{rows.error()};
    }
    std::string application;
    int version = 0;
    forEachRow(*rows, [&](const pg::Row& r) {
        const std::string value = r.columnText(1);
        if (r.columnText(0) == "application") {
            application = value;
        } else {
            version = std::atoi(value.c_str());
        }
    });
    if (application != "netpolgen") {
        return Error{c.where() + ": not a netpolgen store (table meta has application \"" +
                     application + "\")"};
    }
    return version;
}

Status checkNotNewer(Connection& c, int version) {
    if (version > kSchemaVersion) {
        return Error{c.where() + ": store schema version " + std::to_string(version) +
                     " is newer than this netpolgen (" + std::to_string(kSchemaVersion) +
                     "); upgrade netpolgen"};
    }
    return {};
}

// Checks and migrates under a transaction-scoped advisory lock, one transaction per script. A
// second process opening a new database waits for the first one's commit and then sees its
// version; checking outside the lock could see the tables of a migration committing in between.
// A database that is not ours, or newer, is only read, and the transaction rolls back.
Status migrate(Connection& c) {
    for (;;) {
        auto tx = Transaction::begin(c);
        if (!tx) {
            return Error{tx.error()};
        }
        auto lock = query(c,
                          "SELECT pg_advisory_xact_lock($1::int4, $2::int4)",
                          Params().add(int64_t{kLockSpace}).add(int64_t{kMigrationLock}));
        if (!lock) {
            return Error{lock.error()};
        }
        auto version = schemaVersion(c);
        if (!version) {
            return Error{version.error()};
        }
        if (Status st = checkNotNewer(c, *version); !st) {
            return st;
        }
        if (*version == kSchemaVersion) {
            return {};
        }
        const int target = *version + 1;
        if (Status st = c.execScript(std::string(kMigrations[target - 1])); !st) {
            return Error{c.where() + ": migration to schema version " + std::to_string(target) +
                         " failed: " + st.error()};
        }
        auto set = query(c,
                         "INSERT INTO meta(key, value) VALUES ('schema_version', $1) "
                         "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                         Params().add(std::to_string(target)));
        if (!set) {
            return Error{set.error()};
        }
        if (Status st = tx->commit(); !st) {
            return st;
        }
    }
}

void appendInt(std::string& line, int64_t v) {
    line += std::to_string(v);
}

void appendOpt(std::string& line, const std::optional<int64_t>& v) {
    if (v) {
        appendInt(line, *v);
    } else {
        line += "\\N";
    }
}

std::string copyDays(const std::vector<detail::DayRow>& rows) {
    std::string data;
    data.reserve(rows.size() * 64);
    for (const detail::DayRow& r : rows) {
        for (const int64_t v : {r.day,
                                r.src,
                                r.dst,
                                int64_t{r.port},
                                int64_t{r.protocol},
                                static_cast<int64_t>(r.count)}) {
            appendInt(data, v);
            data += '\t';
        }
        appendOpt(data, r.first_seen);
        data += '\t';
        appendOpt(data, r.last_seen);
        data += '\n';
    }
    return data;
}

std::string copyTotals(const std::vector<detail::TotalRow>& rows) {
    std::string data;
    data.reserve(rows.size() * 64);
    for (const detail::TotalRow& r : rows) {
        for (const int64_t v :
             {r.src, r.dst, int64_t{r.port}, int64_t{r.protocol}, static_cast<int64_t>(r.count)}) {
            appendInt(data, v);
            data += '\t';
        }
        appendOpt(data, r.first_seen);
        data += '\t';
        appendOpt(data, r.last_seen);
        data += '\t';
        appendInt(data, static_cast<int64_t>(r.undated_count));
        data += '\n';
    }
    return data;
}

class PostgresStore final : public Store {
public:
    explicit PostgresStore(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}

    using Store::ingest;
    Result<IngestOutcome> ingest(const IngestBatch& batch, IngestMode mode) override;
    Result<FollowState> followState(const std::string& cluster, const std::string& digest) override;
    Result<bool> commitFollow(const FollowCommit& commit) override;
    Result<std::vector<IngestRecord>> ingests(const std::string& cluster) override;
    Result<EdgeSet> loadEdges(const EdgeQuery& query) override;
    Result<PruneResult> prune(const std::string& cluster, core::Timestamp before) override;
    Result<int64_t> putSnapshot(const Snapshot& snapshot) override;
    Result<std::optional<Snapshot>> latestSnapshot(const std::string& cluster) override;
    Result<std::optional<int64_t>> latestSnapshotId(const std::string& cluster) override;
    Result<std::vector<core::IpTenancy>> ipTenancies(const std::string& cluster) override;
    Result<RecordOutcome> recordApply(const ApplyRecord& record,
                                      int64_t expected_latest_id) override;
    Result<std::vector<ApplyRecord>> history(const std::string& cluster) override;
    Result<std::vector<NotifierRecord>> notifiers() override;
    Result<bool> createNotifier(const NotifierRecord& record) override;
    Result<bool> replaceNotifierIf(const NotifierRecord& record,
                                   const std::string& expected) override;
    Result<bool> deleteNotifier(const std::string& id) override;
    Result<StoreSummary> summary() override;

private:
    Result<bool> changesOneRow(const std::string& sql, const Params& params);
    Status lockCluster(const std::string& cluster);
    Result<Transaction> beginBatch(const IngestBatch& batch);
    Result<std::optional<int64_t>> findCluster(const std::string& name);
    Result<int64_t> clusterId(const std::string& name);
    Result<std::vector<int64_t>> entityIds(int64_t cluster_id,
                                           const std::vector<std::string>& names);
    Status upsertEdges(int64_t cluster_id, const detail::PreparedEdges& edges);
    Status takeBack(int64_t ingest_id);
    Status insertIngest(int64_t cluster_id, const IngestRecord& record);
    Result<std::optional<int64_t>> findIngest(const std::string& cluster,
                                              const std::string& digest);
    Result<std::optional<FileCursor>> followCursor(int64_t ingest_id);
    Result<int64_t> addToFollowRecord(int64_t cluster_id,
                                      std::optional<int64_t> ingest_id,
                                      const IngestRecord& delta);
    Status writeFollowCursor(int64_t ingest_id, const FollowCommit& commit);
    Result<std::vector<StreamPosition>> streamPositions(int64_t ingest_id, bool lock);
    Result<bool> streamsAsExpected(std::optional<int64_t> ingest_id,
                                   const std::vector<StreamAdvance>& advances);
    Status loadRows(const std::string& select,
                    const Params& params,
                    const core::TimeWindow* filter,
                    detail::EdgeSetBuilder& out);
    Result<std::vector<std::pair<int64_t, std::string>>> entityNames(int64_t cluster_id);
    Result<PruneResult> pruneDays(int64_t cluster_id, int64_t keep_from);

    std::unique_ptr<Connection> conn_;
};

// --- ingest -------------------------------------------------------------------------------------

Status PostgresStore::lockCluster(const std::string& cluster) {
    // Ingests and prunes of one cluster take turns: the digest check sees the other's commit,
    // and upserts of the same rows never wait on each other in opposite orders (deadlock).
    auto lock = query(*conn_,
                      "SELECT pg_advisory_xact_lock($1::int4, hashtext($2))",
                      Params().add(int64_t{kLockSpace}).add(cluster));
    return lock ? Status{} : Status{Error{lock.error()}};
}

// A checked batch's write transaction, holding its cluster's lock.
Result<Transaction> PostgresStore::beginBatch(const IngestBatch& batch) {
    if (Status st = detail::validateBatch(batch); !st) {
        return Error{conn_->where() + ": " + st.error()};
    }
    auto tx = Transaction::begin(*conn_);
    if (!tx) {
        return Error{tx.error()};
    }
    if (Status st = lockCluster(batch.record.cluster); !st) {
        return Error{st.error()};
    }
    return tx;
}

Result<IngestOutcome> PostgresStore::ingest(const IngestBatch& batch, IngestMode mode) {
    auto tx = beginBatch(batch);
    if (!tx) {
        return Error{tx.error()};
    }
    auto known = query(*conn_,
                       "SELECT id, replaceable FROM ingests WHERE cluster = $1 AND digest = $2",
                       Params().add(batch.record.cluster).add(batch.record.digest));
    if (!known) {
        return Error{known.error()};
    }
    std::optional<detail::EarlierIngest> earlier;
    if (known->rows() > 0) {
        earlier = detail::EarlierIngest{known->getInt(0, 0), known->getBool(0, 1)};
    }
    const IngestOutcome outcome = detail::outcomeOver(earlier, mode);
    if (outcome == IngestOutcome::kAlreadyIngested || outcome == IngestOutcome::kNotReplaceable) {
        return outcome;  // rolls back: nothing was written
    }
    Status st = outcome == IngestOutcome::kReplaced ? takeBack(earlier->id) : Status{};
    auto cluster_id = st ? clusterId(batch.record.cluster) : Result<int64_t>(Error{st.error()});
    if (!cluster_id) {
        return Error{cluster_id.error()};
    }
    auto ids = entityIds(*cluster_id, batch.entities);
    if (!ids) {
        return Error{ids.error()};
    }
    st = upsertEdges(*cluster_id, detail::prepareEdges(batch, *ids));
    if (st) {
        st = insertIngest(*cluster_id, batch.record);
    }
    if (st) {
        st = tx->commit();
    }
    return st ? Result<IngestOutcome>(outcome) : Error{st.error()};
}

// Deletes the contributions of `ingest_id`, recomputes the buckets and totals they were part of
// from the contributions that remain (deleted and inserted again; nothing when none remains),
// and deletes the ingest's record with its skip counts.
Status PostgresStore::takeBack(int64_t ingest_id) {
    const Params p = Params().add(ingest_id);
    const Params undated = Params().add(kUndatedDay);
    const std::pair<std::string_view, const Params*> steps[] = {
        {"CREATE TEMP TABLE taken_back ON COMMIT DROP AS WITH gone AS ("
         "DELETE FROM ingest_edges WHERE ingest_id = $1 "
         "RETURNING cluster_id, src, dst, port, protocol, day) SELECT * FROM gone",
         &p},
        {"DELETE FROM edge_days d USING taken_back g WHERE d.cluster_id = g.cluster_id "
         "AND d.day = g.day AND d.src = g.src AND d.dst = g.dst AND d.port = g.port "
         "AND d.protocol = g.protocol",
         nullptr},
        {"INSERT INTO edge_days(cluster_id, day, src, dst, port, protocol, count, first_seen, "
         "last_seen) SELECT e.cluster_id, e.day, e.src, e.dst, e.port, e.protocol, "
         "sum(e.count)::int8, min(e.first_seen), max(e.last_seen) FROM ingest_edges e "
         "JOIN taken_back g USING (cluster_id, src, dst, port, protocol, day) "
         "GROUP BY e.cluster_id, e.day, e.src, e.dst, e.port, e.protocol",
         nullptr},
        {"CREATE TEMP TABLE taken_back_edges ON COMMIT DROP AS "
         "SELECT DISTINCT cluster_id, src, dst, port, protocol FROM taken_back",
         nullptr},
        {"DELETE FROM edge_totals t USING taken_back_edges g WHERE t.cluster_id = g.cluster_id "
         "AND t.src = g.src AND t.dst = g.dst AND t.port = g.port AND t.protocol = g.protocol",
         nullptr},
        {"INSERT INTO edge_totals(cluster_id, src, dst, port, protocol, count, first_seen, "
         "last_seen, undated_count) SELECT e.cluster_id, e.src, e.dst, e.port, e.protocol, "
         "sum(e.count)::int8, min(e.first_seen), max(e.last_seen), "
         "sum(CASE WHEN e.day = $1 THEN e.count ELSE 0 END)::int8 FROM ingest_edges e "
         "JOIN taken_back_edges g USING (cluster_id, src, dst, port, protocol) "
         "GROUP BY e.cluster_id, e.src, e.dst, e.port, e.protocol",
         &undated},
        {"DROP TABLE taken_back, taken_back_edges", nullptr},
        {"DELETE FROM ingests WHERE id = $1", &p},
    };
    for (const auto& [sql, params] : steps) {
        auto done = query(*conn_, std::string(sql), params ? *params : Params());
        if (!done) {
            return Error{done.error()};
        }
    }
    return {};
}

Result<std::optional<int64_t>> PostgresStore::findCluster(const std::string& name) {
    auto found = query(*conn_, "SELECT id FROM clusters WHERE name = $1", Params().add(name));
    if (!found) {
        return Error{found.error()};
    }
    return found->rows() > 0 ? std::optional<int64_t>(found->getInt(0, 0)) : std::nullopt;
}

Result<int64_t> PostgresStore::clusterId(const std::string& name) {
    auto added = query(*conn_,
                       "INSERT INTO clusters(name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                       Params().add(name));
    if (!added) {
        return Error{added.error()};
    }
    auto found = findCluster(name);
    if (!found) {
        return Error{found.error()};
    }
    return **found;
}

Result<std::vector<int64_t>> PostgresStore::entityIds(int64_t cluster_id,
                                                      const std::vector<std::string>& names) {
    std::string data;
    for (size_t i = 0; i < names.size(); ++i) {
        data += std::to_string(i);
        data += '\t';
        pg::appendCopyText(data, names[i]);
        data += '\n';
    }
    if (Status st = conn_->execScript(
            "CREATE TEMP TABLE batch_names(idx BIGINT, name TEXT) ON COMMIT DROP");
        !st) {
        return Error{st.error()};
    }
    if (Status st = conn_->copyIn("COPY batch_names FROM STDIN", data); !st) {
        return Error{st.error()};
    }
    const Params cluster = Params().add(cluster_id);
    auto added = query(*conn_,
                       "INSERT INTO entities(cluster_id, name) SELECT DISTINCT $1::int8, name "
                       "FROM batch_names ON CONFLICT (cluster_id, name) DO NOTHING",
                       cluster);
    auto ids = query(*conn_,
                     "SELECT b.idx, e.id FROM batch_names b JOIN entities e "
                     "ON e.cluster_id = $1 AND e.name = b.name",
                     cluster);
    if (!added || !ids) {
        return Error{!added ? added.error() : ids.error()};
    }
    std::vector<int64_t> out(names.size(), -1);
    forEachRow(*ids, [&](const pg::Row& r) {
        out.at(static_cast<size_t>(r.columnInt(0))) = r.columnInt(1);
    });
    return out;
}

Status PostgresStore::upsertEdges(int64_t cluster_id, const detail::PreparedEdges& edges) {
    // COPY into temporary tables, then one INSERT … ON CONFLICT per table: a round trip per
    // batch instead of per row. The batch's keys are unique (prepareEdges merged them), which
    // ON CONFLICT DO UPDATE requires.
    Status st = conn_->execScript(
        "CREATE TEMP TABLE batch_days(day BIGINT, src BIGINT, dst BIGINT, port BIGINT, "
        "protocol BIGINT, count BIGINT, first_seen BIGINT, last_seen BIGINT) ON COMMIT DROP;"
        "CREATE TEMP TABLE batch_totals(src BIGINT, dst BIGINT, port BIGINT, protocol BIGINT, "
        "count BIGINT, first_seen BIGINT, last_seen BIGINT, undated_count BIGINT) "
        "ON COMMIT DROP");
    if (st) {
        st = conn_->copyIn("COPY batch_days FROM STDIN", copyDays(edges.days));
    }
    if (st) {
        st = conn_->copyIn("COPY batch_totals FROM STDIN", copyTotals(edges.totals));
    }
    if (!st) {
        return st;
    }
    const Params cluster = Params().add(cluster_id);
    // LEAST/GREATEST skip NULLs: an edge first seen undated gets its first dated times.
    auto days = query(*conn_,
                      "INSERT INTO edge_days SELECT $1::int8, * FROM batch_days "
                      "ON CONFLICT (cluster_id, day, src, dst, port, protocol) DO UPDATE SET "
                      "count = edge_days.count + EXCLUDED.count, "
                      "first_seen = LEAST(edge_days.first_seen, EXCLUDED.first_seen), "
                      "last_seen = GREATEST(edge_days.last_seen, EXCLUDED.last_seen)",
                      cluster);
    if (!days) {
        return Error{days.error()};
    }
    auto totals = query(*conn_,
                        "INSERT INTO edge_totals SELECT $1::int8, * FROM batch_totals "
                        "ON CONFLICT (cluster_id, src, dst, port, protocol) DO UPDATE SET "
                        "count = edge_totals.count + EXCLUDED.count, "
                        "first_seen = LEAST(edge_totals.first_seen, EXCLUDED.first_seen), "
                        "last_seen = GREATEST(edge_totals.last_seen, EXCLUDED.last_seen), "
                        "undated_count = edge_totals.undated_count + EXCLUDED.undated_count",
                        cluster);
    return totals ? Status{} : Status{Error{totals.error()}};
}

// The record, its skip counts, and its contributions from batch_days (upsertEdges).
Status PostgresStore::insertIngest(int64_t cluster_id, const IngestRecord& r) {
    auto res = query(*conn_,
                     "INSERT INTO ingests(cluster, digest, source, bytes, lines, flows, "
                     "ingested_at, replaceable) VALUES ($1, $2, $3, $4, $5, $6, $7, true) "
                     "RETURNING id",
                     Params()
                         .add(r.cluster)
                         .add(r.digest)
                         .add(r.source)
                         .add(static_cast<int64_t>(r.bytes))
                         .add(static_cast<int64_t>(r.lines))
                         .add(static_cast<int64_t>(r.flows))
                         .add(r.ingested_at));
    if (!res) {
        return Error{res.error()};
    }
    const int64_t id = res->getInt(0, 0);
    std::string skips;
    for (size_t i = 0; i < r.skipped.size(); ++i) {
        skips += std::to_string(id) + '\t' + std::to_string(i) + '\t';
        pg::appendCopyText(skips, r.skipped[i].reason);
        skips += '\t' + std::to_string(r.skipped[i].count) + '\n';
    }
    if (Status st = skips.empty() ? Status{} : conn_->copyIn("COPY ingest_skips FROM STDIN", skips);
        !st) {
        return st;
    }
    auto contributions =
        query(*conn_,
              "INSERT INTO ingest_edges(cluster_id, src, dst, port, protocol, day, ingest_id, "
              "count, first_seen, last_seen) SELECT $1::int8, src, dst, port, protocol, day, "
              "$2::int8, count, first_seen, last_seen FROM batch_days",
              Params().add(cluster_id).add(id));
    return contributions ? Status{} : Status{Error{contributions.error()}};
}

// --- followed sources ---------------------------------------------------------------------------

Result<std::optional<int64_t>> PostgresStore::findIngest(const std::string& cluster,
                                                         const std::string& digest) {
    auto found = query(*conn_,
                       "SELECT id FROM ingests WHERE cluster = $1 AND digest = $2",
                       Params().add(cluster).add(digest));
    if (!found) {
        return Error{found.error()};
    }
    return found->rows() > 0 ? std::optional<int64_t>(found->getInt(0, 0)) : std::nullopt;
}

Result<std::optional<FileCursor>> PostgresStore::followCursor(int64_t ingest_id) {
    auto row = query(*conn_,
                     "SELECT device, inode, head, byte_offset FROM follow_cursors "
                     "WHERE ingest_id = $1",
                     Params().add(ingest_id));
    if (!row || row->rows() == 0) {
        return row ? Result<std::optional<FileCursor>>(std::nullopt) : Error{row.error()};
    }
    return std::optional<FileCursor>(FileCursor{static_cast<uint64_t>(row->getInt(0, 0)),
                                                static_cast<uint64_t>(row->getInt(0, 1)),
                                                row->getBytes(0, 2),
                                                static_cast<uint64_t>(row->getInt(0, 3))});
}

Result<FollowState> PostgresStore::followState(const std::string& cluster,
                                               const std::string& digest) {
    auto tx = Transaction::begin(*conn_);
    if (!tx) {
        return Error{tx.error()};
    }
    auto id = findIngest(cluster, digest);
    if (!id || !*id) {
        return id ? Result<FollowState>(FollowState{}) : Error{id.error()};
    }
    FollowState state;
    auto cursor = followCursor(**id);
    auto heads = query(*conn_,
                       "SELECT head FROM follow_done WHERE ingest_id = $1 ORDER BY head COLLATE "
                       "\"C\"",
                       Params().add(**id));
    if (!cursor || !heads) {
        return Error{!cursor ? cursor.error() : heads.error()};
    }
    state.cursor = std::move(*cursor);
    forEachRow(*heads, [&](const pg::Row& r) { state.done.push_back(r.columnText(0)); });
    auto streams = streamPositions(**id, false);
    if (!streams) {
        return Error{streams.error()};
    }
    state.streams = std::move(*streams);
    return state;
}

// `lock`: FOR UPDATE, so that two collectors of one source commit their streams one at a time.
Result<std::vector<StreamPosition>> PostgresStore::streamPositions(int64_t ingest_id, bool lock) {
    auto rows = query(*conn_,
                      std::string("SELECT stream, position FROM stream_positions WHERE "
                                  "ingest_id = $1 ORDER BY stream COLLATE \"C\"") +
                          (lock ? " FOR UPDATE" : ""),
                      Params().add(ingest_id));
    if (!rows) {
        return Error{rows.error()};
    }
    std::vector<StreamPosition> out;
    forEachRow(*rows, [&](const pg::Row& r) {
        out.push_back(StreamPosition{r.columnText(0), r.columnInt(1)});
    });
    return out;
}

Result<bool> PostgresStore::streamsAsExpected(std::optional<int64_t> ingest_id,
                                              const std::vector<StreamAdvance>& advances) {
    if (advances.empty()) {
        return true;
    }
    if (!ingest_id) {
        return streamsStandAt({}, advances);
    }
    auto positions = streamPositions(*ingest_id, true);
    if (!positions) {
        return Error{positions.error()};
    }
    return streamsStandAt(*positions, advances);
}

Result<bool> PostgresStore::commitFollow(const FollowCommit& commit) {
    const IngestBatch& batch = commit.batch;
    auto tx = beginBatch(batch);
    if (!tx) {
        return Error{tx.error()};
    }
    auto earlier = findIngest(batch.record.cluster, batch.record.digest);
    auto stored = !earlier   ? Result<std::optional<FileCursor>>(Error{earlier.error()})
                  : *earlier ? followCursor(**earlier)
                             : Result<std::optional<FileCursor>>(std::nullopt);
    if (!stored) {
        return Error{stored.error()};
    }
    if (*stored != commit.expected) {
        return false;  // rolls back: nothing was written
    }
    auto streams_ok = streamsAsExpected(earlier ? *earlier : std::nullopt, commit.streams);
    if (!streams_ok || !*streams_ok) {
        return streams_ok ? Result<bool>(false) : Error{streams_ok.error()};
    }
    auto cluster_id = clusterId(batch.record.cluster);
    auto ids = cluster_id ? entityIds(*cluster_id, batch.entities)
                          : Result<std::vector<int64_t>>(Error{cluster_id.error()});
    if (!ids) {
        return Error{ids.error()};
    }
    Status st = upsertEdges(*cluster_id, detail::prepareEdges(batch, *ids));
    auto ingest_id = st ? addToFollowRecord(*cluster_id, *earlier, batch.record)
                        : Result<int64_t>(Error{st.error()});
    st = ingest_id ? writeFollowCursor(*ingest_id, commit) : Status{Error{ingest_id.error()}};
    if (st) {
        st = tx->commit();
    }
    return st ? Result<bool>(true) : Error{st.error()};
}

// The source's record (created by its first commit) grows by what this commit read, and so do its
// skip counts and its contributions (from batch_days, upsertEdges).
Result<int64_t> PostgresStore::addToFollowRecord(int64_t cluster_id,
                                                 std::optional<int64_t> ingest_id,
                                                 const IngestRecord& delta) {
    if (!ingest_id) {
        IngestRecord first = delta;
        first.skipped.clear();  // added below, as for a later commit
        if (Status st = insertIngest(cluster_id, first); !st) {
            return Error{st.error()};
        }
        auto id = findIngest(delta.cluster, delta.digest);
        if (!id) {
            return Error{id.error()};
        }
        ingest_id = **id;
    } else {
        auto updated = query(*conn_,
                             "UPDATE ingests SET bytes = bytes + $1, lines = lines + $2, "
                             "flows = flows + $3 WHERE id = $4",
                             Params()
                                 .add(static_cast<int64_t>(delta.bytes))
                                 .add(static_cast<int64_t>(delta.lines))
                                 .add(static_cast<int64_t>(delta.flows))
                                 .add(*ingest_id));
        if (!updated) {
            return Error{updated.error()};
        }
        auto contributions =
            query(*conn_,
                  "INSERT INTO ingest_edges(cluster_id, src, dst, port, protocol, day, ingest_id, "
                  "count, first_seen, last_seen) SELECT $1::int8, src, dst, port, protocol, day, "
                  "$2::int8, count, first_seen, last_seen FROM batch_days ON CONFLICT "
                  "(cluster_id, src, dst, port, protocol, day, ingest_id) DO UPDATE SET "
                  "count = ingest_edges.count + EXCLUDED.count, "
                  "first_seen = LEAST(ingest_edges.first_seen, EXCLUDED.first_seen), "
                  "last_seen = GREATEST(ingest_edges.last_seen, EXCLUDED.last_seen)",
                  Params().add(cluster_id).add(*ingest_id));
        if (!contributions) {
            return Error{contributions.error()};
        }
    }
    for (const SkipCount& s : delta.skipped) {
        auto added =
            query(*conn_,
                  std::string(detail::kAddFollowSkipSql),
                  Params().add(*ingest_id).add(s.reason).add(static_cast<int64_t>(s.count)));
        if (!added) {
            return Error{added.error()};
        }
    }
    return *ingest_id;
}

Status PostgresStore::writeFollowCursor(int64_t ingest_id, const FollowCommit& commit) {
    if (commit.cursor) {
        const FileCursor& c = *commit.cursor;
        auto cursor =
            query(*conn_,
                  "INSERT INTO follow_cursors(ingest_id, device, inode, head, byte_offset) "
                  "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ingest_id) DO UPDATE SET "
                  "device = EXCLUDED.device, inode = EXCLUDED.inode, head = EXCLUDED.head, "
                  "byte_offset = EXCLUDED.byte_offset",
                  Params()
                      .add(ingest_id)
                      .add(static_cast<int64_t>(c.device))
                      .add(static_cast<int64_t>(c.inode))
                      .add(c.head)
                      .add(static_cast<int64_t>(c.offset)));
        if (!cursor) {
            return Error{cursor.error()};
        }
    }
    for (const StreamAdvance& a : commit.streams) {
        auto put = query(*conn_,
                         "INSERT INTO stream_positions(ingest_id, stream, position) "
                         "VALUES ($1, $2, $3) ON CONFLICT (ingest_id, stream) DO UPDATE SET "
                         "position = EXCLUDED.position",
                         Params().add(ingest_id).add(a.stream).add(a.position));
        if (!put) {
            return Error{put.error()};
        }
    }
    for (const std::string& head : commit.forget) {
        auto gone = query(*conn_,
                          "DELETE FROM follow_done WHERE ingest_id = $1 AND head = $2",
                          Params().add(ingest_id).add(head));
        if (!gone) {
            return Error{gone.error()};
        }
    }
    for (const std::string& head : commit.done) {
        auto added = query(*conn_,
                           "INSERT INTO follow_done(ingest_id, head) VALUES ($1, $2) "
                           "ON CONFLICT DO NOTHING",
                           Params().add(ingest_id).add(head));
        if (!added) {
            return Error{added.error()};
        }
    }
    return {};
}

Result<std::vector<IngestRecord>> PostgresStore::ingests(const std::string& cluster) {
    auto res = query(*conn_,
                     std::string(detail::kIngestListSql) + " WHERE i.cluster = $1" +
                         std::string(detail::kIngestListOrder),
                     Params().add(cluster));
    if (!res) {
        return Error{res.error()};
    }
    detail::IngestListBuilder out;
    forEachRow(*res, [&](const pg::Row& r) { detail::addIngestRow(out, r); });
    return out.finish();
}

// --- loadEdges ----------------------------------------------------------------------------------

Result<EdgeSet> PostgresStore::loadEdges(const EdgeQuery& q) {
    auto tx = Transaction::begin(*conn_);
    if (!tx) {
        return Error{tx.error()};
    }
    // One snapshot for the edges and the names they reference.
    if (Status st = conn_->execScript("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
        !st) {
        return Error{st.error()};
    }
    auto cluster_id = findCluster(q.cluster);
    if (!cluster_id || !*cluster_id) {
        return cluster_id ? Result<EdgeSet>(EdgeSet{}) : Error{cluster_id.error()};
    }
    detail::EdgeSetBuilder builder;
    Status st;
    if (detail::answeredByTotals(q)) {
        // last_seen is the edge's latest dated flow: `last_seen >= since` is exact.
        st = loadRows(
            "SELECT src, dst, port, protocol, count, first_seen, last_seen, 0::int8 "
            "FROM edge_totals WHERE cluster_id = $1 "
            "AND ($2::int8 IS NULL OR last_seen >= $2::int8 OR undated_count > 0)",
            Params().add(**cluster_id).add(q.window.since),
            nullptr,
            builder);
    } else {
        const detail::DayRange days = detail::daysOf(q.window);
        st = loadRows(
            "SELECT src, dst, port, protocol, count, first_seen, last_seen, day "
            "FROM edge_days WHERE cluster_id = $1 AND (day = $2 OR day BETWEEN $3 AND $4) "
            "ORDER BY day, src, dst, port, protocol",
            Params().add(**cluster_id).add(kUndatedDay).add(days.first).add(days.last),
            &q.window,
            builder);
    }
    if (!st) {
        return Error{st.error()};
    }
    auto names = entityNames(**cluster_id);
    if (!names) {
        return Error{names.error()};
    }
    auto edges = builder.finish(std::move(*names));
    if (!edges) {
        return Error{conn_->where() + ": " + edges.error()};
    }
    return edges;
}

// Through a cursor, so a million rows never sit in one PGresult. `filter`: day rows, kept when
// undated or when the bucket meets the window.
Status PostgresStore::loadRows(const std::string& select,
                               const Params& params,
                               const core::TimeWindow* filter,
                               detail::EdgeSetBuilder& out) {
    auto declare = query(*conn_, "DECLARE edge_rows NO SCROLL CURSOR FOR " + select, params);
    if (!declare) {
        return Error{declare.error()};
    }
    for (;;) {
        auto rows = query(*conn_, "FETCH 100000 FROM edge_rows");
        if (!rows) {
            return Error{rows.error()};
        }
        if (rows->rows() == 0) {
            break;
        }
        forEachRow(*rows, [&](const pg::Row& r) {
            const detail::RawEdge edge = detail::rawEdgeOf(r);
            if (!filter) {
                out.addUnique(edge);  // one totals row per key
            } else if (r.columnInt(7) == kUndatedDay ||
                       detail::bucketInWindow(*filter, edge.first_seen, edge.last_seen)) {
                out.addBucket(r.columnInt(7), edge);
            }
        });
    }
    auto closed = query(*conn_, "CLOSE edge_rows");
    return closed ? Status{} : Status{Error{closed.error()}};
}

Result<std::vector<std::pair<int64_t, std::string>>> PostgresStore::entityNames(
    int64_t cluster_id) {
    auto res = query(
        *conn_, "SELECT id, name FROM entities WHERE cluster_id = $1", Params().add(cluster_id));
    if (!res) {
        return Error{res.error()};
    }
    return collectRows(*res, [](const pg::Row& r) { return detail::entityNameOf(r); });
}

// --- prune --------------------------------------------------------------------------------------

Result<PruneResult> PostgresStore::prune(const std::string& cluster, core::Timestamp before) {
    auto tx = Transaction::begin(*conn_);
    if (!tx) {
        return Error{tx.error()};
    }
    if (Status st = lockCluster(cluster); !st) {
        return Error{st.error()};
    }
    auto cluster_id = findCluster(cluster);
    if (!cluster_id || !*cluster_id) {
        return cluster_id ? Result<PruneResult>(PruneResult{}) : Error{cluster_id.error()};
    }
    // A bucket goes when its whole day lies before `before`: day < dayOf(before).
    auto result = pruneDays(**cluster_id, dayOf(before));
    if (!result) {
        return result;
    }
    if (Status st = tx->commit(); !st) {
        return Error{st.error()};
    }
    return result;
}

Result<PruneResult> PostgresStore::pruneDays(int64_t cluster_id, int64_t keep_from) {
    const Params p = Params().add(cluster_id).add(kUndatedDay).add(keep_from);
    auto pruned = query(
        *conn_,
        "CREATE TEMP TABLE pruned ON COMMIT DROP AS WITH gone AS ("
        "DELETE FROM edge_days WHERE cluster_id = $1 AND day > $2 AND day < $3 "
        "RETURNING src, dst, port, protocol, count) "
        "SELECT src, dst, port, protocol, sum(count)::int8 AS count, count(*)::int8 AS buckets "
        "FROM gone GROUP BY src, dst, port, protocol",
        p);
    auto sums = query(*conn_,
                      "SELECT coalesce(sum(buckets), 0)::int8, coalesce(sum(count), 0)::int8 "
                      "FROM pruned");
    if (!pruned || !sums) {
        return Error{!pruned ? pruned.error() : sums.error()};
    }
    // The kept buckets are all later than the pruned ones: last_seen stays unless no dated
    // bucket is left, first_seen becomes the earliest kept one.
    auto update =
        query(*conn_,
              "UPDATE edge_totals t SET count = t.count - p.count, first_seen = k.first_seen, "
              "last_seen = CASE WHEN k.first_seen IS NULL THEN NULL ELSE t.last_seen END "
              "FROM pruned p LEFT JOIN ("
              "  SELECT d.src, d.dst, d.port, d.protocol, min(d.first_seen) AS first_seen "
              "  FROM edge_days d JOIN pruned q USING (src, dst, port, protocol) "
              "  WHERE d.cluster_id = $1 AND d.day > $2 GROUP BY 1, 2, 3, 4"
              ") k USING (src, dst, port, protocol) "
              "WHERE t.cluster_id = $1 AND t.src = p.src AND t.dst = p.dst AND t.port = p.port "
              "AND t.protocol = p.protocol",
              Params().add(cluster_id).add(kUndatedDay));
    // The contributions of the pruned days go too: a replaced ingest takes back what is left.
    auto contributions = query(*conn_,
                               "DELETE FROM ingest_edges WHERE cluster_id = $1 AND day > $2 "
                               "AND day < $3",
                               p);
    if (!contributions) {
        return Error{contributions.error()};
    }
    auto drop = query(*conn_,
                      "DELETE FROM edge_totals t USING pruned p WHERE t.cluster_id = $1 "
                      "AND t.src = p.src AND t.dst = p.dst AND t.port = p.port "
                      "AND t.protocol = p.protocol AND t.first_seen IS NULL "
                      "AND t.undated_count = 0",
                      Params().add(cluster_id));
    if (!update || !drop) {
        return Error{!update ? update.error() : drop.error()};
    }
    return PruneResult{static_cast<uint64_t>(sums->getInt(0, 0)),
                       static_cast<uint64_t>(sums->getInt(0, 1))};
}

// --- snapshots ----------------------------------------------------------------------------------

Result<int64_t> PostgresStore::putSnapshot(const Snapshot& s) {
    auto tx = Transaction::begin(*conn_);
    if (!tx) {
        return Error{tx.error()};
    }
    auto head = query(*conn_,
                      "INSERT INTO snapshots(cluster, taken_at) VALUES ($1, $2) RETURNING id",
                      Params().add(s.cluster).add(s.taken_at));
    if (!head) {
        return Error{head.error()};
    }
    const int64_t id = head->getInt(0, 0);
    for (size_t i = 0; i < s.files.size(); ++i) {
        auto file = query(*conn_,
                          "INSERT INTO snapshot_files(snapshot_id, seq, path, content) "
                          "VALUES ($1, $2, $3, $4)",
                          Params()
                              .add(id)
                              .add(static_cast<int64_t>(i))
                              .add(s.files[i].path)
                              .addBytes(s.files[i].content));
        if (!file) {
            return Error{file.error()};
        }
    }
    for (const core::IpTenancy& t : s.tenancies) {
        auto row = query(*conn_,
                         "INSERT INTO ip_tenancies(cluster, ip, namespace, pod, owner_kind, "
                         "owner_name, since, until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                         "ON CONFLICT(cluster, ip, namespace, pod, since) DO UPDATE SET "
                         "owner_kind = excluded.owner_kind, owner_name = excluded.owner_name, "
                         "until = excluded.until",
                         Params()
                             .add(s.cluster)
                             .add(t.ip.toString())
                             .add(t.tenant.ns)
                             .add(t.tenant.pod)
                             .add(t.tenant.owner_kind)
                             .add(t.tenant.owner_name)
                             .add(t.since)
                             .add(t.until));
        if (!row) {
            return Error{row.error()};
        }
    }
    if (s.keep_latest > 0) {
        // snapshot_files go with their snapshot (ON DELETE CASCADE).
        auto gone = query(*conn_,
                          "DELETE FROM snapshots WHERE cluster = $1 AND id NOT IN (SELECT id FROM "
                          "snapshots WHERE cluster = $1 ORDER BY taken_at DESC, id DESC LIMIT $2)",
                          Params().add(s.cluster).add(static_cast<int64_t>(s.keep_latest)));
        if (!gone) {
            return Error{gone.error()};
        }
    }
    if (Status st = tx->commit(); !st) {
        return Error{st.error()};
    }
    return id;
}

Result<std::vector<core::IpTenancy>> PostgresStore::ipTenancies(const std::string& cluster) {
    auto res = query(*conn_,
                     "SELECT ip, namespace, pod, owner_kind, owner_name, since, until "
                     "FROM ip_tenancies WHERE cluster = $1 "
                     "ORDER BY ip COLLATE \"C\", since, namespace COLLATE \"C\", pod COLLATE \"C\"",
                     Params().add(cluster));
    if (!res) {
        return Error{res.error()};
    }
    std::vector<core::IpTenancy> out;
    for (auto& t : collectRows(*res, [](const pg::Row& r) { return detail::tenancyOf(r); })) {
        if (t) {
            out.push_back(std::move(*t));
        }
    }
    return out;
}

Result<std::optional<int64_t>> PostgresStore::latestSnapshotId(const std::string& cluster) {
    auto res = query(*conn_, std::string(detail::kLatestSnapshotIdSql), Params().add(cluster));
    if (!res) {
        return Error{res.error()};
    }
    return res->rows() > 0 ? std::optional<int64_t>(res->getInt(0, 0)) : std::nullopt;
}

Result<std::optional<Snapshot>> PostgresStore::latestSnapshot(const std::string& cluster) {
    // One statement: the files come from the same snapshot as the head, without a transaction.
    auto res = query(*conn_,
                     "WITH latest AS (SELECT id, taken_at FROM snapshots WHERE cluster = $1 "
                     "ORDER BY taken_at DESC, id DESC LIMIT 1) "
                     "SELECT l.id, l.taken_at, f.path, f.content FROM latest l "
                     "LEFT JOIN snapshot_files f ON f.snapshot_id = l.id ORDER BY f.seq",
                     Params().add(cluster));
    if (!res) {
        return Error{res.error()};
    }
    if (res->rows() == 0) {
        return std::optional<Snapshot>();
    }
    Snapshot out{res->getInt(0, 0), cluster, res->getInt(0, 1), {}, {}};
    forEachRow(*res, [&](const pg::Row& r) {
        if (!r.isNull(2)) {
            out.files.push_back(detail::textPairOf<SnapshotFile>(r, 2));
        }
    });
    return std::optional<Snapshot>(std::move(out));
}

// --- applies ------------------------------------------------------------------------------------

Result<RecordOutcome> PostgresStore::recordApply(const ApplyRecord& r, int64_t expected_latest_id) {
    if (r.action != "apply" && r.action != "revert") {
        return Error{conn_->where() + ": apply record: action must be \"apply\" or \"revert\", " +
                     "not \"" + r.action + "\""};
    }
    auto tx = Transaction::begin(*conn_);
    if (!tx) {
        return Error{tx.error()};
    }
    // Held to the commit: the latest id read next cannot change before the insert lands.
    auto lock = query(*conn_,
                      "SELECT pg_advisory_xact_lock($1::int4, hashtext($2))",
                      Params().add(int64_t{kApplyLockSpace}).add(r.cluster));
    if (!lock) {
        return Error{lock.error()};
    }
    auto latest = query(*conn_,
                        "SELECT coalesce(max(id), 0) FROM applies WHERE cluster = $1",
                        Params().add(r.cluster));
    if (!latest) {
        return Error{latest.error()};
    }
    const int64_t latest_id = latest->getInt(0, 0);
    if (latest_id != expected_latest_id) {
        return RecordOutcome{std::nullopt, latest_id};  // rolls back: nothing was written
    }
    auto res = query(*conn_,
                     "INSERT INTO applies(cluster, applied_at, user_name, modification, undo, "
                     "action, reverts_to, via_kubectl, encoding) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                     Params()
                         .add(r.cluster)
                         .add(r.applied_at)
                         .add(r.user)
                         .add(r.modification)
                         .add(r.undo)
                         .add(r.action)
                         .add(r.reverts_to)
                         .addBool(r.via_kubectl)
                         .add(encodingName(r.encoding)));
    if (!res) {
        return Error{res.error()};
    }
    const int64_t id = res->getInt(0, 0);
    if (Status st = tx->commit(); !st) {
        return Error{st.error()};
    }
    return RecordOutcome{id, id};
}

Result<std::vector<ApplyRecord>> PostgresStore::history(const std::string& cluster) {
    auto res = query(*conn_,
                     std::string(detail::kApplySelectSql) + " WHERE cluster = $1 ORDER BY id",
                     Params().add(cluster));
    if (!res) {
        return Error{res.error()};
    }
    return collectRows(*res, [](const pg::Row& r) { return detail::applyRecordOf(r); });
}

// --- notifiers ----------------------------------------------------------------------------------

Result<std::vector<NotifierRecord>> PostgresStore::notifiers() {
    auto res = query(*conn_, "SELECT id, definition FROM notifiers ORDER BY id COLLATE \"C\"");
    if (!res) {
        return Error{res.error()};
    }
    return collectRows(*res,
                       [](const pg::Row& r) { return detail::textPairOf<NotifierRecord>(r); });
}

// One statement that returns a row when it changed one: no other writer can come in between.
Result<bool> PostgresStore::changesOneRow(const std::string& sql, const Params& params) {
    auto res = query(*conn_, sql, params);
    return res ? Result<bool>(res->rows() > 0) : Error{res.error()};
}

Result<bool> PostgresStore::createNotifier(const NotifierRecord& record) {
    return changesOneRow(
        "INSERT INTO notifiers(id, definition) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING "
        "RETURNING id",
        Params().add(record.id).add(record.definition));
}

Result<bool> PostgresStore::replaceNotifierIf(const NotifierRecord& record,
                                              const std::string& expected) {
    return changesOneRow(
        "UPDATE notifiers SET definition = $2 WHERE id = $1 AND definition = $3 RETURNING id",
        Params().add(record.id).add(record.definition).add(expected));
}

Result<bool> PostgresStore::deleteNotifier(const std::string& id) {
    return changesOneRow("DELETE FROM notifiers WHERE id = $1 RETURNING id", Params().add(id));
}

// --- summary ------------------------------------------------------------------------------------

Result<StoreSummary> PostgresStore::summary() {
    auto version = schemaVersion(*conn_);
    if (!version) {
        return Error{version.error()};
    }
    auto res = query(*conn_,
                     "SELECT (SELECT count(*) FROM entities), (SELECT count(*) FROM edge_days), "
                     "(SELECT coalesce(sum(count), 0)::int8 FROM edge_totals), "
                     "(SELECT count(*) FROM ingests), (SELECT count(*) FROM snapshots), "
                     "(SELECT count(*) FROM applies), "
                     "(SELECT min(day) FROM edge_days WHERE day > $1), "
                     "(SELECT max(day) FROM edge_days WHERE day > $1)",
                     Params().add(kUndatedDay));
    if (!res) {
        return Error{res.error()};
    }
    StoreSummary s;
    s.schema_version = *version;
    uint64_t* counts[] = {
        &s.entities, &s.edge_buckets, &s.flows, &s.ingests, &s.snapshots, &s.applies};
    for (int i = 0; i < 6; ++i) {
        *counts[i] = static_cast<uint64_t>(res->getInt(0, i));
    }
    s.first_day = res->getOptInt(0, 6);
    s.last_day = res->getOptInt(0, 7);
    return s;
}

}  // namespace

Result<std::unique_ptr<Store>> openPostgresStore(const std::string& uri) {
    auto conn = Connection::connect(uri);
    if (!conn) {
        return Error{conn.error()};
    }
    if (Status st = migrate(**conn); !st) {
        return Error{st.error()};
    }
    return std::unique_ptr<Store>(std::make_unique<PostgresStore>(std::move(*conn)));
}

}  // namespace netpolgen::store
