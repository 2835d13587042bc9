#include "store/sqlite_store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include "store/edge_rows.h"
#include "store/row_readers.h"
#include "store/sqlite_db.h"

namespace netpolgen::store {
namespace {

using core::Error;
using core::Result;
using core::Status;
using sqlite::collectRows;
using sqlite::Db;
using sqlite::forEachRow;
using sqlite::Statement;
using sqlite::Transaction;

// Schema scripts, applied in order, each in one transaction with the user_version it leads to.
// Never edit a released script: add the next version.
//
// Edge tables are WITHOUT ROWID with the key first in the primary key, so a cluster's day range
// (loadEdges) or its totals are one sequential range scan. Edge src/dst carry no FOREIGN KEY:
// ingest resolves them from entities in the same transaction, and the checks would double the
// B-tree lookups per edge row. Entities are never deleted.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE clusters(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
) STRICT;
CREATE TABLE entities(
  id INTEGER PRIMARY KEY,
  cluster_id INTEGER NOT NULL REFERENCES clusters(id),
  name TEXT NOT NULL,
  UNIQUE(cluster_id, name)
) STRICT;
CREATE TABLE edge_days(
  cluster_id INTEGER NOT NULL,
  day INTEGER NOT NULL,
  src INTEGER NOT NULL,
  dst INTEGER NOT NULL,
  port INTEGER NOT NULL,
  protocol INTEGER NOT NULL,
  count INTEGER NOT NULL,
  first_seen INTEGER,
  last_seen INTEGER,
  PRIMARY KEY(cluster_id, day, src, dst, port, protocol)
) STRICT, WITHOUT ROWID;
CREATE TABLE edge_totals(
  cluster_id INTEGER NOT NULL,
  src INTEGER NOT NULL,
  dst INTEGER NOT NULL,
  port INTEGER NOT NULL,
  protocol INTEGER NOT NULL,
  count INTEGER NOT NULL,
  first_seen INTEGER,
  last_seen INTEGER,
  undated_count INTEGER NOT NULL,
  PRIMARY KEY(cluster_id, src, dst, port, protocol)
) STRICT, WITHOUT ROWID;
CREATE TABLE ingests(
  id INTEGER PRIMARY KEY,
  cluster TEXT NOT NULL,
  digest TEXT NOT NULL,
  source TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  lines INTEGER NOT NULL,
  flows INTEGER NOT NULL,
  ingested_at INTEGER NOT NULL,
  UNIQUE(cluster, digest)
) STRICT;
CREATE TABLE snapshots(
  id INTEGER PRIMARY KEY,
  cluster TEXT NOT NULL,
  taken_at INTEGER NOT NULL
) STRICT;
CREATE INDEX snapshots_latest ON snapshots(cluster, taken_at, id);
CREATE TABLE snapshot_files(
  snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  path TEXT NOT NULL,
  content BLOB NOT NULL,
  PRIMARY KEY(snapshot_id, seq)
) STRICT;
CREATE TABLE applies(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  cluster TEXT NOT NULL,
  applied_at INTEGER NOT NULL,
  user_name TEXT NOT NULL,
  modification_yaml TEXT NOT NULL,
  undo_yaml TEXT NOT NULL,
  action TEXT NOT NULL CHECK(action IN ('apply', 'revert')),
  reverts_to INTEGER REFERENCES applies(id),
  via_kubectl INTEGER NOT NULL CHECK(via_kubectl IN (0, 1))
) STRICT;
CREATE INDEX applies_by_cluster ON applies(cluster, id);
)sql";

// Version 2: notifiers created through the HTTP API (Store::createNotifier).
constexpr std::string_view kSchemaV2 = R"sql(
CREATE TABLE notifiers(
  id TEXT PRIMARY KEY,
  definition TEXT NOT NULL
) STRICT;
)sql";

// Version 3: applies keep their modification and undo as JSON (RecordEncoding::kJson); rows
// written before keep their YAML and are marked so, to be read as they were written. (SQLite
// cannot drop a column default: every insert names the encoding.)
constexpr std::string_view kSchemaV3 = R"sql(
ALTER TABLE applies RENAME COLUMN modification_yaml TO modification;
ALTER TABLE applies RENAME COLUMN undo_yaml TO undo;
ALTER TABLE applies ADD COLUMN encoding TEXT NOT NULL DEFAULT 'yaml'
  CHECK(encoding IN ('yaml', 'json'));
)sql";

// Version 4: what each ingest contributed to each (day, edge) bucket, so that `ingest --force`
// can take an ingest back exactly (Store::ingest, IngestMode::kReplace), and its skip counts.
// Keyed by the edge first: a bucket's and an edge's remaining contributions are one range each.
// Every edge_days row stays the sum (count) and min/max (first/last seen) of its contributions:
// the buckets stored before this version become contributions of ingest 0, which is no ingest,
// and the ingests of before are marked not replaceable.
constexpr std::string_view kSchemaV4 = R"sql(
CREATE TABLE ingest_edges(
  cluster_id INTEGER NOT NULL,
  src INTEGER NOT NULL,
  dst INTEGER NOT NULL,
  port INTEGER NOT NULL,
  protocol INTEGER NOT NULL,
  day INTEGER NOT NULL,
  ingest_id INTEGER NOT NULL,
  count INTEGER NOT NULL,
  first_seen INTEGER,
  last_seen INTEGER,
  PRIMARY KEY(cluster_id, src, dst, port, protocol, day, ingest_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX ingest_edges_by_ingest ON ingest_edges(ingest_id);
INSERT INTO ingest_edges
  SELECT cluster_id, src, dst, port, protocol, day, 0, count, first_seen, last_seen FROM edge_days;
CREATE TABLE ingest_skips(
  ingest_id INTEGER NOT NULL REFERENCES ingests(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  reason TEXT NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY(ingest_id, seq)
) STRICT;
ALTER TABLE ingests ADD COLUMN replaceable INTEGER NOT NULL DEFAULT 0
  CHECK(replaceable IN (0, 1));
)sql";

// Version 5: which pod held an address when (core/ip_tenancy.h), from a watched cluster, so that
// a flow naming only an address resolves to the pod that held it at the flow's time.
constexpr std::string_view kSchemaV5 = R"sql(
CREATE TABLE ip_tenancies(
  cluster TEXT NOT NULL,
  ip TEXT NOT NULL,
  namespace TEXT NOT NULL,
  pod TEXT NOT NULL,
  owner_kind TEXT NOT NULL,
  owner_name TEXT NOT NULL,
  since INTEGER NOT NULL,
  until INTEGER,
  PRIMARY KEY(cluster, ip, namespace, pod, since)
) STRICT;
)sql";

// Version 6: followed files (`collect --follow`). A followed source is one ingest; its cursor
// (the file, by device, inode and a hash of its first line, and the offset after the last line
// stored) is written in the transaction of the flows it covers, and so are the heads of the
// rotated files read to their end, which are never read again.
constexpr std::string_view kSchemaV6 = R"sql(
CREATE TABLE follow_cursors(
  ingest_id INTEGER PRIMARY KEY REFERENCES ingests(id) ON DELETE CASCADE,
  device INTEGER NOT NULL,
  inode INTEGER NOT NULL,
  head TEXT NOT NULL,
  byte_offset INTEGER NOT NULL
) STRICT;
CREATE TABLE follow_done(
  ingest_id INTEGER NOT NULL REFERENCES ingests(id) ON DELETE CASCADE,
  head TEXT NOT NULL,
  PRIMARY KEY(ingest_id, head)
) STRICT;
)sql";

// Version 7: streamed sources (`collect --hubble-relay`, `--kafka`): per stream (a node, a topic
// partition) the position its stored flows reach, written in the transaction of those flows.
constexpr std::string_view kSchemaV7 = R"sql(
CREATE TABLE stream_positions(
  ingest_id INTEGER NOT NULL REFERENCES ingests(id) ON DELETE CASCADE,
  stream TEXT NOT NULL,
  position INTEGER NOT NULL,
  PRIMARY KEY(ingest_id, stream)
) STRICT;
)sql";

constexpr std::string_view kMigrations[] = {
    kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4, kSchemaV5, kSchemaV6, kSchemaV7};

// How long a writer waits for another process's transaction before giving up.
constexpr int kBusyTimeoutMs = 30000;
static_assert(std::size(kMigrations) == kSchemaVersion, "one script per schema version");

std::string hex32(int64_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(static_cast<uint32_t>(v)));
    return buf;
}

// Reads only: a file that turns out not to be ours must stay byte for byte as it was. Ours: our
// application_id, or a database with no id, no tables and user_version 0 (a new or empty file).
Status checkIdentity(Db& db) {
    auto app = db.queryInt("PRAGMA application_id");
    if (!app) {
        return Error{app.error()};
    }
    if (*app != 0 && *app != kSqliteApplicationId) {
        return Error{db.path() + ": not a netpolgen store (application_id " + hex32(*app) + ")"};
    }
    auto version = db.queryInt("PRAGMA user_version");
    auto tables = db.queryInt("SELECT count(*) FROM sqlite_schema");
    if (!version || !tables) {
        return Error{!version ? version.error() : tables.error()};
    }
    if (*app == 0 && (*tables != 0 || *version != 0)) {
        return Error{db.path() + ": not a netpolgen store (application_id 0, and it has " +
                     (*tables != 0 ? "tables)" : "user_version " + std::to_string(*version) + ")")};
    }
    if (*version > kSchemaVersion) {
        return Error{db.path() + ": store schema version " + std::to_string(*version) +
                     " is newer than this netpolgen (" + std::to_string(kSchemaVersion) +
                     "); upgrade netpolgen"};
    }
    if (*version < 0) {
        return Error{db.path() + ": not a netpolgen store (user_version " +
                     std::to_string(*version) + ")"};
    }
    return {};
}

// WAL: readers never block the writer and a killed process leaves nothing to repair.
// synchronous=FULL: every commit is fsync'ed, so a committed ingest or apply survives a power
// loss too (NORMAL survives a process kill, not an OS crash). Commits are one per command, so the
// extra fsync costs milliseconds. A 64 MiB page cache keeps the edge B-trees' inner pages hot
// during bulk upserts. A big ingest grows the WAL to its size; journal_size_limit truncates it
// again after the checkpoint instead of keeping the largest size ever reached.
Status configure(Db& db) {
    if (Status st = db.exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;"
                            "PRAGMA cache_size=-65536; PRAGMA journal_size_limit=67108864;");
        !st) {
        return st;
    }
    // Switching to WAL needs the exclusive lock. When two processes switch a new file at once,
    // SQLite answers SQLITE_BUSY to one of them without waiting (waiting could deadlock): retry
    // for as long as the busy timeout.
    for (int attempt = 0;; ++attempt) {
        auto mode = db.prepare("PRAGMA journal_mode=WAL");
        if (!mode) {
            return Error{mode.error()};
        }
        auto row = mode->step();
        if (row) {
            return {};
        }
        if (!db.busy() || attempt >= kBusyTimeoutMs / 10) {
            return Error{row.error()};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

// Each pending script in its own IMMEDIATE transaction. The identity and version are read again
// under the write lock, so two processes opening a new file at once apply each script once.
Status migrate(Db& db) {
    for (;;) {
        auto tx = Transaction::begin(db);
        if (!tx) {
            return Error{tx.error()};
        }
        if (Status st = checkIdentity(db); !st) {
            return st;
        }
        auto current = db.queryInt("PRAGMA user_version");
        if (!current) {
            return Error{current.error()};
        }
        if (*current == kSchemaVersion) {
            return {};  // the rollback of an unwritten transaction is free
        }
        const int target = static_cast<int>(*current) + 1;
        const std::string script(kMigrations[target - 1]);
        if (Status st =
                db.exec(script + ";PRAGMA application_id=" + std::to_string(kSqliteApplicationId) +
                        ";PRAGMA user_version=" + std::to_string(target));
            !st) {
            return Error{db.path() + ": migration to schema version " + std::to_string(target) +
                         " failed: " + st.error()};
        }
        if (Status st = tx->commit(); !st) {
            return st;
        }
    }
}

// Before any write: one read transaction, so the answers come from one state of the file even
// while another process is creating the schema.
Status checkIdentityReadOnly(Db& db) {
    auto tx = Transaction::beginRead(db);
    if (!tx) {
        return Error{tx.error()};
    }
    return checkIdentity(db);
}

// Every row of `st` as a Row built from its first two text columns (SnapshotFile, NotifierRecord).
template <typename Row>
Result<std::vector<Row>> textPairRows(Statement& st) {
    return collectRows(st, [](const Statement& r) { return detail::textPairOf<Row>(r); });
}

// The first row of `sql` (its parameters set by `bind`) as `read` gives it; nothing without rows.
template <typename T, typename Bind, typename Read>
Result<std::optional<T>> firstRow(Db& db, std::string_view sql, Bind bind, Read read) {
    auto st = db.prepare(std::string(sql));
    if (!st) {
        return Error{st.error()};
    }
    bind(*st);
    auto row = st->step();
    if (!row || !*row) {
        return row ? Result<std::optional<T>>(std::nullopt) : Error{row.error()};
    }
    return std::optional<T>(read(*st));
}

class SqliteStore final : public Store {
public:
    explicit SqliteStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}

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
    Result<bool> changesOneNotifier(std::string_view sql,
                                    const std::string& id,
                                    const std::string* definition,
                                    const std::string* expected = nullptr);
    Result<Transaction> beginBatch(const IngestBatch& batch);
    Result<std::optional<detail::EarlierIngest>> findIngest(const IngestRecord& record);
    Status takeBack(int64_t cluster_id, int64_t ingest_id);
    Status recomputeBuckets(int64_t cluster_id, std::vector<detail::DayRow> gone);
    Status insertContributions(int64_t cluster_id,
                               int64_t ingest_id,
                               const std::vector<detail::DayRow>& rows,
                               std::string_view on_conflict = "");
    Result<std::optional<FileCursor>> followCursor(int64_t ingest_id);
    Status addToFollowRecord(int64_t ingest_id, const IngestRecord& delta);
    Status writeFollowCursor(int64_t ingest_id, const FollowCommit& commit);
    Status writeStreamPositions(int64_t ingest_id, const std::vector<StreamAdvance>& advances);
    Result<std::vector<StreamPosition>> streamPositions(int64_t ingest_id);
    Result<bool> streamsAsExpected(std::optional<int64_t> ingest_id,
                                   const std::vector<StreamAdvance>& advances);
    Status insertSkips(int64_t ingest_id, const std::vector<SkipCount>& skipped);
    Result<std::optional<int64_t>> findCluster(const std::string& name);
    Result<int64_t> clusterId(const std::string& name);
    Result<std::vector<int64_t>> entityIds(int64_t cluster_id,
                                           const std::vector<std::string>& names);
    Status upsertDays(int64_t cluster_id, const std::vector<detail::DayRow>& rows);
    Status upsertTotals(int64_t cluster_id, const std::vector<detail::TotalRow>& rows);
    Result<int64_t> insertIngest(const IngestRecord& record);
    Status loadTotals(int64_t cluster_id, const EdgeQuery& query, detail::EdgeSetBuilder& out);
    Status loadDays(int64_t cluster_id, const EdgeQuery& query, detail::EdgeSetBuilder& out);
    Result<std::vector<std::pair<int64_t, std::string>>> entityNames(int64_t cluster_id);
    Status adjustTotals(int64_t cluster_id, int64_t from_day, core::FlowGraph& pruned);
    Status writeTotalsAfterPrune(int64_t cluster_id, const core::FlowGraph& pruned);
    Status pruneContributions(int64_t cluster_id, int64_t keep_from);
    Result<std::vector<SnapshotFile>> snapshotFiles(int64_t snapshot_id);
    Status putTenancies(const Snapshot& snapshot);
    Status keepLatestSnapshots(const Snapshot& snapshot);
    Result<uint64_t> count(std::string_view sql);

    std::unique_ptr<Db> db_;
};

// --- ingest -------------------------------------------------------------------------------------

// A checked batch's write transaction (the write lock taken now).
Result<Transaction> SqliteStore::beginBatch(const IngestBatch& batch) {
    if (Status st = detail::validateBatch(batch); !st) {
        return Error{db_->path() + ": " + st.error()};
    }
    return Transaction::begin(*db_);
}

Result<IngestOutcome> SqliteStore::ingest(const IngestBatch& batch, IngestMode mode) {
    auto tx = beginBatch(batch);
    if (!tx) {
        return Error{tx.error()};
    }
    auto earlier = findIngest(batch.record);
    if (!earlier) {
        return Error{earlier.error()};
    }
    const IngestOutcome outcome = detail::outcomeOver(*earlier, mode);
    if (outcome == IngestOutcome::kAlreadyIngested || outcome == IngestOutcome::kNotReplaceable) {
        return outcome;  // rolls back: nothing was written
    }
    auto cluster_id = clusterId(batch.record.cluster);
    if (!cluster_id) {
        return Error{cluster_id.error()};
    }
    if (outcome == IngestOutcome::kReplaced) {
        if (Status st = takeBack(*cluster_id, (*earlier)->id); !st) {
            return Error{st.error()};
        }
    }
    auto ids = entityIds(*cluster_id, batch.entities);
    if (!ids) {
        return Error{ids.error()};
    }
    const detail::PreparedEdges edges = detail::prepareEdges(batch, *ids);
    Status st = upsertDays(*cluster_id, edges.days);
    if (st) {
        st = upsertTotals(*cluster_id, edges.totals);
    }
    auto ingest_id = st ? insertIngest(batch.record) : Result<int64_t>(Error{st.error()});
    if (!ingest_id) {
        return Error{ingest_id.error()};
    }
    st = insertContributions(*cluster_id, *ingest_id, edges.days);
    if (st) {
        st = insertSkips(*ingest_id, batch.record.skipped);
    }
    if (st) {
        st = tx->commit();
    }
    return st ? Result<IngestOutcome>(outcome) : Error{st.error()};
}

Result<std::optional<detail::EarlierIngest>> SqliteStore::findIngest(const IngestRecord& record) {
    auto st = db_->prepare("SELECT id, replaceable FROM ingests WHERE cluster = ? AND digest = ?");
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, record.cluster);
    st->bind(2, record.digest);
    auto row = st->step();
    if (!row) {
        return Error{row.error()};
    }
    if (!*row) {
        return std::optional<detail::EarlierIngest>();
    }
    return std::optional<detail::EarlierIngest>({st->columnInt(0), st->columnInt(1) != 0});
}

// Deletes the contributions of `ingest_id`, recomputes the buckets and totals they were part of
// from the contributions that remain, and deletes the ingest's record.
Status SqliteStore::takeBack(int64_t cluster_id, int64_t ingest_id) {
    auto gone = db_->prepare(
        "DELETE FROM ingest_edges WHERE ingest_id = ? RETURNING day, src, dst, port, protocol");
    if (!gone) {
        return Error{gone.error()};
    }
    gone->bind(1, ingest_id);
    auto keys = collectRows(*gone, [](const Statement& r) { return detail::dayKeyOf(r); });
    if (!keys) {
        return Error{keys.error()};
    }
    if (Status st = recomputeBuckets(cluster_id, std::move(*keys)); !st) {
        return st;
    }
    auto record = db_->prepare("DELETE FROM ingests WHERE id = ?");
    if (!record) {
        return Error{record.error()};
    }
    record->bind(1, ingest_id);
    return record->run();  // its ingest_skips go with it (ON DELETE CASCADE)
}

// `gone`: the (day, edge) keys whose contributions changed. Each bucket, then each edge's totals,
// is deleted and inserted again as the aggregate of the contributions that remain (nothing when
// none does).
Status SqliteStore::recomputeBuckets(int64_t cluster_id, std::vector<detail::DayRow> gone) {
    const std::string key =
        " WHERE cluster_id = ?1 AND src = ?2 AND dst = ?3 AND port = ?4 AND protocol = ?5";
    auto drop_day = db_->prepare("DELETE FROM edge_days" + key + " AND day = ?6");
    auto add_day = db_->prepare(
        "INSERT INTO edge_days(cluster_id, day, src, dst, port, protocol, count, first_seen, "
        "last_seen) SELECT cluster_id, day, src, dst, port, protocol, sum(count), min(first_seen), "
        "max(last_seen) FROM ingest_edges" +
        key + " AND day = ?6 GROUP BY day");
    auto drop_total = db_->prepare("DELETE FROM edge_totals" + key);
    auto add_total = db_->prepare(
        "INSERT INTO edge_totals(cluster_id, src, dst, port, protocol, count, first_seen, "
        "last_seen, undated_count) SELECT cluster_id, src, dst, port, protocol, sum(count), "
        "min(first_seen), max(last_seen), sum(CASE WHEN day = ?6 THEN count ELSE 0 END) "
        "FROM ingest_edges" +
        key + " GROUP BY cluster_id");
    for (const auto* st : {&drop_day, &add_day, &drop_total, &add_total}) {
        if (!*st) {
            return Error{st->error()};
        }
    }
    // Binds the key, and `sixth` where the statement has ?6.
    const auto run = [&](Statement& st, const detail::DayRow& r, std::optional<int64_t> sixth) {
        st.bind(1, cluster_id);
        st.bind(2, r.src);
        st.bind(3, r.dst);
        st.bind(4, int64_t{r.port});
        st.bind(5, int64_t{r.protocol});
        if (sixth) {
            st.bind(6, *sixth);
        }
        return st.run();
    };
    detail::sortByEdge(gone);
    for (size_t i = 0; i < gone.size(); ++i) {
        const detail::DayRow& r = gone[i];
        Status st = run(*drop_day, r, r.day);
        if (st) {
            st = run(*add_day, r, r.day);
        }
        if (st && (i + 1 == gone.size() || !detail::sameEdge(r, gone[i + 1]))) {
            st = run(*drop_total, r, std::nullopt);
            if (st) {
                st = run(*add_total, r, kUndatedDay);
            }
        }
        if (!st) {
            return st;
        }
    }
    return {};
}

Result<std::optional<int64_t>> SqliteStore::findCluster(const std::string& name) {
    auto st = db_->prepare("SELECT id FROM clusters WHERE name = ?");
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, name);
    auto row = st->step();
    if (!row) {
        return Error{row.error()};
    }
    return *row ? std::optional<int64_t>(st->columnInt(0)) : std::nullopt;
}

Result<int64_t> SqliteStore::clusterId(const std::string& name) {
    auto found = findCluster(name);
    if (!found || *found) {
        return found ? Result<int64_t>(**found) : Error{found.error()};
    }
    auto st = db_->prepare("INSERT INTO clusters(name) VALUES (?) RETURNING id");
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, name);
    auto row = st->step();
    if (!row) {
        return Error{row.error()};
    }
    return st->columnInt(0);
}

Result<std::vector<int64_t>> SqliteStore::entityIds(int64_t cluster_id,
                                                    const std::vector<std::string>& names) {
    auto find = db_->prepare("SELECT id FROM entities WHERE cluster_id = ? AND name = ?");
    auto add = db_->prepare("INSERT INTO entities(cluster_id, name) VALUES (?, ?) RETURNING id");
    if (!find || !add) {
        return Error{!find ? find.error() : add.error()};
    }
    std::vector<int64_t> ids;
    ids.reserve(names.size());
    for (const std::string& name : names) {
        find->bind(1, cluster_id);
        find->bind(2, name);
        auto found = find->step();
        if (!found) {
            return Error{found.error()};
        }
        if (*found) {
            ids.push_back(find->columnInt(0));
        } else {
            add->bind(1, cluster_id);
            add->bind(2, name);
            auto added = add->step();
            if (!added) {
                return Error{added.error()};
            }
            ids.push_back(add->columnInt(0));
            add->reset();
        }
        find->reset();
    }
    return ids;
}

// Edge rows go in statements of up to kRowsPerStatement rows each: one sqlite3_step and one
// statement reset per chunk rather than per row (bench/run.sh "store": the upserts of a week of
// flows are most of an ingest's store time). ?1 is the cluster id of every row.
constexpr size_t kRowsPerStatement = 64;

std::string upsertSql(std::string_view head, size_t rows, int columns, std::string_view tail) {
    std::string sql(head);
    sql += " VALUES ";
    int next = 2;
    for (size_t r = 0; r < rows; ++r) {
        sql += r == 0 ? "(?1" : ",(?1";
        for (int c = 0; c < columns; ++c) {
            sql += ",?" + std::to_string(next++);
        }
        sql += ')';
    }
    sql += ' ';
    sql += tail;
    return sql;
}

// Runs `head VALUES (…),… tail` over `rows` in chunks; bind(statement, first_index, row) binds
// the `columns` values of one row from first_index on.
template <typename Row, typename BindRow>
Status upsertChunked(Db& db,
                     int64_t cluster_id,
                     std::string_view head,
                     int columns,
                     std::string_view tail,
                     const std::vector<Row>& rows,
                     BindRow bind) {
    std::optional<Statement> full;  // prepared once, for every whole chunk
    for (size_t begin = 0; begin < rows.size(); begin += kRowsPerStatement) {
        const size_t n = std::min(kRowsPerStatement, rows.size() - begin);
        std::optional<Statement> last;
        std::optional<Statement>& slot = n == kRowsPerStatement ? full : last;
        if (!slot) {
            auto st = db.prepare(upsertSql(head, n, columns, tail));
            if (!st) {
                return Error{st.error()};
            }
            slot.emplace(std::move(*st));
        }
        slot->bind(1, cluster_id);
        for (size_t r = 0; r < n; ++r) {
            bind(*slot, 2 + static_cast<int>(r) * columns, rows[begin + r]);
        }
        if (Status s = slot->run(); !s) {
            return s;
        }
    }
    return {};
}

Status SqliteStore::upsertDays(int64_t cluster_id, const std::vector<detail::DayRow>& rows) {
    // Both sides of min/max are NULL for the undated bucket and set for a dated one.
    return upsertChunked(
        *db_,
        cluster_id,
        "INSERT INTO edge_days(cluster_id, day, src, dst, port, protocol, count, first_seen, "
        "last_seen)",
        8,
        "ON CONFLICT DO UPDATE SET count = count + excluded.count, "
        "first_seen = min(first_seen, excluded.first_seen), "
        "last_seen = max(last_seen, excluded.last_seen)",
        rows,
        [](Statement& st, int i, const detail::DayRow& r) {
            st.bind(i, r.day);
            st.bind(i + 1, r.src);
            st.bind(i + 2, r.dst);
            st.bind(i + 3, int64_t{r.port});
            st.bind(i + 4, int64_t{r.protocol});
            st.bind(i + 5, static_cast<int64_t>(r.count));
            st.bind(i + 6, r.first_seen);
            st.bind(i + 7, r.last_seen);
        });
}

Status SqliteStore::upsertTotals(int64_t cluster_id, const std::vector<detail::TotalRow>& rows) {
    // SQLite's two-argument min/max return NULL when either side is NULL (an edge seen only
    // undated so far): coalesce keeps the side that is set.
    return upsertChunked(
        *db_,
        cluster_id,
        "INSERT INTO edge_totals(cluster_id, src, dst, port, protocol, count, first_seen, "
        "last_seen, undated_count)",
        8,
        "ON CONFLICT DO UPDATE SET count = count + excluded.count, "
        "first_seen = coalesce(min(first_seen, excluded.first_seen), first_seen, "
        "excluded.first_seen), "
        "last_seen = coalesce(max(last_seen, excluded.last_seen), last_seen, excluded.last_seen), "
        "undated_count = undated_count + excluded.undated_count",
        rows,
        [](Statement& st, int i, const detail::TotalRow& r) {
            st.bind(i, r.src);
            st.bind(i + 1, r.dst);
            st.bind(i + 2, int64_t{r.port});
            st.bind(i + 3, int64_t{r.protocol});
            st.bind(i + 4, static_cast<int64_t>(r.count));
            st.bind(i + 5, r.first_seen);
            st.bind(i + 6, r.last_seen);
            st.bind(i + 7, static_cast<int64_t>(r.undated_count));
        });
}

Result<int64_t> SqliteStore::insertIngest(const IngestRecord& r) {
    auto st = db_->prepare(
        "INSERT INTO ingests(cluster, digest, source, bytes, lines, flows, ingested_at, "
        "replaceable) VALUES (?, ?, ?, ?, ?, ?, ?, 1) RETURNING id");
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, r.cluster);
    st->bind(2, r.digest);
    st->bind(3, r.source);
    st->bind(4, static_cast<int64_t>(r.bytes));
    st->bind(5, static_cast<int64_t>(r.lines));
    st->bind(6, static_cast<int64_t>(r.flows));
    st->bind(7, r.ingested_at);
    auto row = st->step();
    if (!row) {
        return Error{row.error()};
    }
    const int64_t id = st->columnInt(0);
    st->reset();
    return id;
}

Status SqliteStore::insertContributions(int64_t cluster_id,
                                        int64_t ingest_id,
                                        const std::vector<detail::DayRow>& rows,
                                        std::string_view on_conflict) {
    return upsertChunked(
        *db_,
        cluster_id,
        "INSERT INTO ingest_edges(cluster_id, src, dst, port, protocol, day, ingest_id, count, "
        "first_seen, last_seen)",
        9,
        on_conflict,
        rows,
        [ingest_id](Statement& st, int i, const detail::DayRow& r) {
            st.bind(i, r.src);
            st.bind(i + 1, r.dst);
            st.bind(i + 2, int64_t{r.port});
            st.bind(i + 3, int64_t{r.protocol});
            st.bind(i + 4, r.day);
            st.bind(i + 5, ingest_id);
            st.bind(i + 6, static_cast<int64_t>(r.count));
            st.bind(i + 7, r.first_seen);
            st.bind(i + 8, r.last_seen);
        });
}

Status SqliteStore::insertSkips(int64_t ingest_id, const std::vector<SkipCount>& skipped) {
    auto st =
        db_->prepare("INSERT INTO ingest_skips(ingest_id, seq, reason, count) VALUES (?, ?, ?, ?)");
    if (!st) {
        return Error{st.error()};
    }
    for (size_t i = 0; i < skipped.size(); ++i) {
        st->bind(1, ingest_id);
        st->bind(2, static_cast<int64_t>(i));
        st->bind(3, skipped[i].reason);
        st->bind(4, static_cast<int64_t>(skipped[i].count));
        if (Status done = st->run(); !done) {
            return done;
        }
    }
    return {};
}

// --- followed sources ---------------------------------------------------------------------------

Result<FollowState> SqliteStore::followState(const std::string& cluster,
                                             const std::string& digest) {
    auto tx = Transaction::beginRead(*db_);
    if (!tx) {
        return Error{tx.error()};
    }
    IngestRecord source;
    source.cluster = cluster;
    source.digest = digest;
    auto earlier = findIngest(source);
    if (!earlier || !*earlier) {
        return earlier ? Result<FollowState>(FollowState{}) : Error{earlier.error()};
    }
    FollowState state;
    auto cursor = followCursor((*earlier)->id);
    if (!cursor) {
        return Error{cursor.error()};
    }
    state.cursor = std::move(*cursor);
    auto st = db_->prepare("SELECT head FROM follow_done WHERE ingest_id = ? ORDER BY head");
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, (*earlier)->id);
    auto heads = collectRows(*st, [](const Statement& r) { return r.columnText(0); });
    if (!heads) {
        return Error{heads.error()};
    }
    state.done = std::move(*heads);
    auto streams = streamPositions((*earlier)->id);
    if (!streams) {
        return Error{streams.error()};
    }
    state.streams = std::move(*streams);
    return state;
}

Result<std::vector<StreamPosition>> SqliteStore::streamPositions(int64_t ingest_id) {
    auto st = db_->prepare(
        "SELECT stream, position FROM stream_positions WHERE ingest_id = ? ORDER BY stream");
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, ingest_id);
    return collectRows(*st, [](const Statement& r) {
        return StreamPosition{r.columnText(0), r.columnInt(1)};
    });
}

// True when every stream stands where the commit expects it.
Result<bool> SqliteStore::streamsAsExpected(std::optional<int64_t> ingest_id,
                                            const std::vector<StreamAdvance>& advances) {
    if (advances.empty()) {
        return true;
    }
    if (!ingest_id) {
        return streamsStandAt({}, advances);
    }
    auto positions = streamPositions(*ingest_id);
    if (!positions) {
        return Error{positions.error()};
    }
    return streamsStandAt(*positions, advances);
}

Result<std::optional<FileCursor>> SqliteStore::followCursor(int64_t ingest_id) {
    return firstRow<FileCursor>(
        *db_,
        "SELECT device, inode, head, byte_offset FROM follow_cursors WHERE ingest_id = ?",
        [&](Statement& st) { st.bind(1, ingest_id); },
        [](const Statement& r) {
            return FileCursor{static_cast<uint64_t>(r.columnInt(0)),
                              static_cast<uint64_t>(r.columnInt(1)),
                              r.columnText(2),
                              static_cast<uint64_t>(r.columnInt(3))};
        });
}

Result<bool> SqliteStore::commitFollow(const FollowCommit& commit) {
    const IngestBatch& batch = commit.batch;
    auto tx = beginBatch(batch);
    if (!tx) {
        return Error{tx.error()};
    }
    auto earlier = findIngest(batch.record);
    if (!earlier) {
        return Error{earlier.error()};
    }
    auto stored =
        *earlier ? followCursor((*earlier)->id) : Result<std::optional<FileCursor>>(std::nullopt);
    if (!stored) {
        return Error{stored.error()};
    }
    if (*stored != commit.expected) {
        return false;  // rolls back: nothing was written
    }
    auto streams_ok = streamsAsExpected(
        *earlier ? std::optional<int64_t>((*earlier)->id) : std::nullopt, commit.streams);
    if (!streams_ok || !*streams_ok) {
        return streams_ok ? Result<bool>(false) : Error{streams_ok.error()};
    }
    auto cluster_id = clusterId(batch.record.cluster);
    auto ids = cluster_id ? entityIds(*cluster_id, batch.entities)
                          : Result<std::vector<int64_t>>(Error{cluster_id.error()});
    if (!ids) {
        return Error{ids.error()};
    }
    const detail::PreparedEdges edges = detail::prepareEdges(batch, *ids);
    Status st = upsertDays(*cluster_id, edges.days);
    if (st) {
        st = upsertTotals(*cluster_id, edges.totals);
    }
    auto ingest_id = !st        ? Result<int64_t>(Error{st.error()})
                     : *earlier ? Result<int64_t>((*earlier)->id)
                                : insertIngest(batch.record);
    if (!ingest_id) {
        return Error{ingest_id.error()};
    }
    if (*earlier) {
        st = addToFollowRecord(*ingest_id, batch.record);
    } else {
        st = insertSkips(*ingest_id, batch.record.skipped);
    }
    if (st) {
        st = insertContributions(*cluster_id,
                                 *ingest_id,
                                 edges.days,
                                 "ON CONFLICT DO UPDATE SET count = count + excluded.count, "
                                 "first_seen = min(first_seen, excluded.first_seen), "
                                 "last_seen = max(last_seen, excluded.last_seen)");
    }
    if (st) {
        st = writeFollowCursor(*ingest_id, commit);
    }
    if (st) {
        st = tx->commit();
    }
    return st ? Result<bool>(true) : Error{st.error()};
}

// The source's record grows by what this commit read; a skip reason seen first gets the next seq.
Status SqliteStore::addToFollowRecord(int64_t ingest_id, const IngestRecord& delta) {
    auto record = db_->prepare(
        "UPDATE ingests SET bytes = bytes + ?, lines = lines + ?, flows = flows + ? WHERE id = ?");
    auto skip = db_->prepare(detail::kAddFollowSkipSql);
    if (!record || !skip) {
        return Error{!record ? record.error() : skip.error()};
    }
    record->bind(1, static_cast<int64_t>(delta.bytes));
    record->bind(2, static_cast<int64_t>(delta.lines));
    record->bind(3, static_cast<int64_t>(delta.flows));
    record->bind(4, ingest_id);
    if (Status st = record->run(); !st) {
        return st;
    }
    for (const SkipCount& s : delta.skipped) {
        skip->bind(1, ingest_id);
        skip->bind(2, s.reason);
        skip->bind(3, static_cast<int64_t>(s.count));
        if (Status st = skip->run(); !st) {
            return st;
        }
    }
    return {};
}

Status SqliteStore::writeFollowCursor(int64_t ingest_id, const FollowCommit& commit) {
    auto cursor = db_->prepare(
        "INSERT INTO follow_cursors(ingest_id, device, inode, head, byte_offset) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET device = excluded.device, "
        "inode = excluded.inode, head = excluded.head, byte_offset = excluded.byte_offset");
    auto done = db_->prepare(
        "INSERT INTO follow_done(ingest_id, head) VALUES (?, ?) ON CONFLICT DO NOTHING");
    auto forget = db_->prepare("DELETE FROM follow_done WHERE ingest_id = ? AND head = ?");
    if (!cursor || !done || !forget) {
        return Error{!cursor ? cursor.error() : !done ? done.error() : forget.error()};
    }
    Status st;
    if (commit.cursor) {
        const FileCursor& c = *commit.cursor;
        cursor->bind(1, ingest_id);
        cursor->bind(2, static_cast<int64_t>(c.device));
        cursor->bind(3, static_cast<int64_t>(c.inode));
        cursor->bind(4, c.head);
        cursor->bind(5, static_cast<int64_t>(c.offset));
        st = cursor->run();
    }
    for (const auto& [statement, heads] :
         {std::pair{&*forget, &commit.forget}, std::pair{&*done, &commit.done}}) {
        for (size_t i = 0; st && i < heads->size(); ++i) {
            statement->bind(1, ingest_id);
            statement->bind(2, (*heads)[i]);
            st = statement->run();
        }
    }
    return st ? writeStreamPositions(ingest_id, commit.streams) : st;
}

Status SqliteStore::writeStreamPositions(int64_t ingest_id,
                                         const std::vector<StreamAdvance>& advances) {
    if (advances.empty()) {
        return {};
    }
    auto put = db_->prepare(
        "INSERT INTO stream_positions(ingest_id, stream, position) VALUES (?, ?, ?) "
        "ON CONFLICT DO UPDATE SET position = excluded.position");
    if (!put) {
        return Error{put.error()};
    }
    for (const StreamAdvance& a : advances) {
        put->bind(1, ingest_id);
        put->bind(2, a.stream);
        put->bind(3, a.position);
        if (Status st = put->run(); !st) {
            return st;
        }
    }
    return {};
}

Result<std::vector<IngestRecord>> SqliteStore::ingests(const std::string& cluster) {
    auto st = db_->prepare(std::string(detail::kIngestListSql) + " WHERE i.cluster = ?1" +
                           std::string(detail::kIngestListOrder));
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, cluster);
    detail::IngestListBuilder out;
    Status read = forEachRow(*st, [&](const Statement& r) { detail::addIngestRow(out, r); });
    return read ? Result<std::vector<IngestRecord>>(out.finish()) : Error{read.error()};
}

// --- loadEdges ----------------------------------------------------------------------------------

Result<EdgeSet> SqliteStore::loadEdges(const EdgeQuery& query) {
    auto tx = Transaction::beginRead(*db_);
    if (!tx) {
        return Error{tx.error()};
    }
    auto cluster_id = findCluster(query.cluster);
    if (!cluster_id || !*cluster_id) {
        return cluster_id ? Result<EdgeSet>(EdgeSet{}) : Error{cluster_id.error()};
    }
    detail::EdgeSetBuilder builder;
    Status st = detail::answeredByTotals(query) ? loadTotals(**cluster_id, query, builder)
                                                : loadDays(**cluster_id, query, builder);
    if (!st) {
        return Error{st.error()};
    }
    auto names = entityNames(**cluster_id);
    if (!names) {
        return Error{names.error()};
    }
    auto edges = builder.finish(std::move(*names));
    if (!edges) {
        return Error{db_->path() + ": " + edges.error()};
    }
    return edges;
}

Status SqliteStore::loadTotals(int64_t cluster_id,
                               const EdgeQuery& query,
                               detail::EdgeSetBuilder& out) {
    // last_seen is the edge's latest dated flow, so `last_seen >= since` is exactly "some dated
    // flow at or after since"; undated flows belong to every window.
    auto st = db_->prepare(
        "SELECT src, dst, port, protocol, count, first_seen, last_seen FROM edge_totals "
        "WHERE cluster_id = ?1 AND (?2 IS NULL OR last_seen >= ?2 OR undated_count > 0)");
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, cluster_id);
    st->bind(2, query.window.since);
    // One totals row per key.
    return forEachRow(*st, [&](const Statement& r) { out.addUnique(detail::rawEdgeOf(r)); });
}

Status SqliteStore::loadDays(int64_t cluster_id,
                             const EdgeQuery& query,
                             detail::EdgeSetBuilder& out) {
    // Two range scans of the primary key, the undated bucket and the window's days: with
    // `day = ? OR day BETWEEN ? AND ?` SQLite scans every day of the cluster.
    auto st = db_->prepare(
        "SELECT src, dst, port, protocol, count, first_seen, last_seen, day FROM edge_days "
        "WHERE cluster_id = ?1 AND day BETWEEN ?2 AND ?3 "
        "ORDER BY day, src, dst, port, protocol");
    if (!st) {
        return Error{st.error()};
    }
    const detail::DayRange days = detail::daysOf(query.window);
    const std::pair<int64_t, int64_t> ranges[] = {{kUndatedDay, kUndatedDay},
                                                  {days.first, days.last}};
    for (const auto& [first, last] : ranges) {
        st->bind(1, cluster_id);
        st->bind(2, first);
        st->bind(3, last);
        Status read = forEachRow(*st, [&](const Statement& r) {
            const int64_t day = r.columnInt(7);
            if (day == kUndatedDay ||
                detail::bucketInWindow(query.window, r.columnInt(5), r.columnInt(6))) {
                out.addBucket(day, detail::rawEdgeOf(r));
            }
        });
        if (!read) {
            return read;
        }
    }
    return {};
}

Result<std::vector<std::pair<int64_t, std::string>>> SqliteStore::entityNames(int64_t cluster_id) {
    auto st = db_->prepare("SELECT id, name FROM entities WHERE cluster_id = ?");
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, cluster_id);
    return collectRows(*st, [](const Statement& r) { return detail::entityNameOf(r); });
}

// --- prune --------------------------------------------------------------------------------------

core::EdgeKey keyOf(const Statement& st) {
    return {static_cast<core::EntityId>(st.columnInt(0)),
            static_cast<core::EntityId>(st.columnInt(1)),
            static_cast<uint32_t>(st.columnInt(2)),
            static_cast<core::Protocol>(st.columnInt(3))};
}

Result<PruneResult> SqliteStore::prune(const std::string& cluster, core::Timestamp before) {
    auto tx = Transaction::begin(*db_);
    if (!tx) {
        return Error{tx.error()};
    }
    auto cluster_id = findCluster(cluster);
    if (!cluster_id || !*cluster_id) {
        return cluster_id ? Result<PruneResult>(PruneResult{}) : Error{cluster_id.error()};
    }
    // A bucket goes when its whole day lies before `before`: (day + 1) * 86400 <= before, i.e.
    // day < dayOf(before). The undated bucket (INT64_MIN) never goes.
    const int64_t keep_from = dayOf(before);
    auto del = db_->prepare(
        "DELETE FROM edge_days WHERE cluster_id = ?1 AND day > ?2 AND day < ?3 "
        "RETURNING src, dst, port, protocol, count");
    if (!del) {
        return Error{del.error()};
    }
    del->bind(1, **cluster_id);
    del->bind(2, kUndatedDay);
    del->bind(3, keep_from);
    PruneResult result;
    core::FlowGraph pruned;  // per edge: the pruned count; first_seen = earliest kept flow
    Status st = forEachRow(*del, [&](const Statement& r) {
        ++result.buckets_removed;
        result.flows_removed += static_cast<uint64_t>(r.columnInt(4));
        pruned.merge(keyOf(r), {static_cast<uint64_t>(r.columnInt(4))});
    });
    if (st) {
        st = adjustTotals(**cluster_id, keep_from, pruned);
    }
    if (st) {
        st = pruneContributions(**cluster_id, keep_from);
    }
    if (st) {
        st = tx->commit();
    }
    return st ? Result<PruneResult>(result) : Error{st.error()};
}

// The kept buckets of an edge are all later than the pruned ones, so its new first_seen is the
// first_seen of its earliest kept bucket, and last_seen stays unless no dated bucket is left.
// Walks the kept days from the oldest and stops once every pruned edge has been found again —
// usually after one day — instead of aggregating all kept buckets.
Status SqliteStore::adjustTotals(int64_t cluster_id, int64_t from_day, core::FlowGraph& pruned) {
    size_t unresolved = pruned.size();
    auto next_day = db_->prepare(
        "SELECT min(day) FROM edge_days WHERE cluster_id = ?1 AND day >= ?2 AND day > ?3");
    auto rows = db_->prepare(
        "SELECT src, dst, port, protocol, first_seen FROM edge_days "
        "WHERE cluster_id = ?1 AND day = ?2");
    if (!next_day || !rows) {
        return Error{!next_day ? next_day.error() : rows.error()};
    }
    for (int64_t day = from_day; unresolved > 0; ++day) {
        next_day->bind(1, cluster_id);
        next_day->bind(2, day);
        next_day->bind(3, kUndatedDay);
        auto found = next_day->step();
        if (!found) {
            return Error{found.error()};
        }
        if (next_day->isNull(0)) {
            break;
        }
        day = next_day->columnInt(0);
        next_day->reset();
        rows->bind(1, cluster_id);
        rows->bind(2, day);
        Status read = forEachRow(*rows, [&](const Statement& r) {
            const core::EdgeStats* stats = pruned.find(keyOf(r));
            if (stats && stats->first_seen == core::kUndated) {
                pruned.merge(keyOf(r), {0, r.columnInt(4), r.columnInt(4)});
                --unresolved;
            }
        });
        if (!read) {
            return read;
        }
    }
    return writeTotalsAfterPrune(cluster_id, pruned);
}

Status SqliteStore::writeTotalsAfterPrune(int64_t cluster_id, const core::FlowGraph& pruned) {
    // first_seen of the stats is kUndated when no dated bucket of the edge is left: then first and
    // last become NULL, and the row goes unless undated flows keep it.
    auto update = db_->prepare(
        "UPDATE edge_totals SET count = count - ?6, first_seen = ?7, "
        "last_seen = CASE WHEN ?7 IS NULL THEN NULL ELSE last_seen END "
        "WHERE cluster_id = ?1 AND src = ?2 AND dst = ?3 AND port = ?4 AND protocol = ?5");
    auto drop = db_->prepare(
        "DELETE FROM edge_totals WHERE cluster_id = ?1 AND src = ?2 AND dst = ?3 AND port = ?4 "
        "AND protocol = ?5 AND first_seen IS NULL AND undated_count = 0");
    if (!update || !drop) {
        return Error{!update ? update.error() : drop.error()};
    }
    for (const auto& [key, stats] : pruned.edges()) {
        for (Statement* st : {&*update, &*drop}) {
            st->bind(1, cluster_id);
            st->bind(2, int64_t{key.src});
            st->bind(3, int64_t{key.dst});
            st->bind(4, int64_t{key.port});
            st->bind(5, int64_t{static_cast<uint8_t>(key.protocol)});
        }
        update->bind(6, static_cast<int64_t>(stats.count));
        update->bind(7,
                     stats.first_seen == core::kUndated ? std::nullopt
                                                        : std::optional<int64_t>(stats.first_seen));
        if (Status st = update->run(); !st) {
            return st;
        }
        if (Status st = drop->run(); !st) {
            return st;
        }
    }
    return {};
}

// The contributions of the pruned days go too: an ingest replaced later takes back only what is
// left of it. (A scan of the cluster's contributions, which are keyed by edge first.)
Status SqliteStore::pruneContributions(int64_t cluster_id, int64_t keep_from) {
    auto del =
        db_->prepare("DELETE FROM ingest_edges WHERE cluster_id = ?1 AND day > ?2 AND day < ?3");
    if (!del) {
        return Error{del.error()};
    }
    del->bind(1, cluster_id);
    del->bind(2, kUndatedDay);
    del->bind(3, keep_from);
    return del->run();
}

// --- snapshots ----------------------------------------------------------------------------------

Result<int64_t> SqliteStore::putSnapshot(const Snapshot& snapshot) {
    auto tx = Transaction::begin(*db_);
    if (!tx) {
        return Error{tx.error()};
    }
    auto head = db_->prepare("INSERT INTO snapshots(cluster, taken_at) VALUES (?, ?) RETURNING id");
    auto file = db_->prepare(
        "INSERT INTO snapshot_files(snapshot_id, seq, path, content) VALUES (?, ?, ?, ?)");
    if (!head || !file) {
        return Error{!head ? head.error() : file.error()};
    }
    head->bind(1, snapshot.cluster);
    head->bind(2, snapshot.taken_at);
    auto row = head->step();
    if (!row) {
        return Error{row.error()};
    }
    const int64_t id = head->columnInt(0);
    head->reset();
    for (size_t i = 0; i < snapshot.files.size(); ++i) {
        file->bind(1, id);
        file->bind(2, static_cast<int64_t>(i));
        file->bind(3, snapshot.files[i].path);
        file->bindBlobInPlace(4, snapshot.files[i].content);  // it outlives run()
        if (Status st = file->run(); !st) {
            return Error{st.error()};
        }
    }
    if (Status st = putTenancies(snapshot); !st) {
        return Error{st.error()};
    }
    if (Status st = keepLatestSnapshots(snapshot); !st) {
        return Error{st.error()};
    }
    if (Status st = tx->commit(); !st) {
        return Error{st.error()};
    }
    return id;
}

Status SqliteStore::putTenancies(const Snapshot& snapshot) {
    if (snapshot.tenancies.empty()) {
        return {};
    }
    auto st = db_->prepare(
        "INSERT INTO ip_tenancies(cluster, ip, namespace, pod, owner_kind, owner_name, since, "
        "until) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(cluster, ip, namespace, pod, since) "
        "DO UPDATE SET owner_kind = excluded.owner_kind, owner_name = excluded.owner_name, "
        "until = excluded.until");
    if (!st) {
        return Error{st.error()};
    }
    for (const core::IpTenancy& t : snapshot.tenancies) {
        st->bind(1, snapshot.cluster);
        st->bind(2, t.ip.toString());
        st->bind(3, t.tenant.ns);
        st->bind(4, t.tenant.pod);
        st->bind(5, t.tenant.owner_kind);
        st->bind(6, t.tenant.owner_name);
        st->bind(7, t.since);
        st->bind(8, t.until);
        if (Status run = st->run(); !run) {
            return run;
        }
    }
    return {};
}

Status SqliteStore::keepLatestSnapshots(const Snapshot& snapshot) {
    if (snapshot.keep_latest == 0) {
        return {};
    }
    constexpr std::string_view kOlder =
        "SELECT id FROM snapshots WHERE cluster = ?1 AND id NOT IN (SELECT id FROM snapshots "
        "WHERE cluster = ?1 ORDER BY taken_at DESC, id DESC LIMIT ?2)";
    for (const std::string& sql :
         {"DELETE FROM snapshot_files WHERE snapshot_id IN (" + std::string(kOlder) + ")",
          "DELETE FROM snapshots WHERE id IN (" + std::string(kOlder) + ")"}) {
        auto st = db_->prepare(sql);
        if (!st) {
            return Error{st.error()};
        }
        st->bind(1, snapshot.cluster);
        st->bind(2, static_cast<int64_t>(snapshot.keep_latest));
        if (Status run = st->run(); !run) {
            return run;
        }
    }
    return {};
}

Result<std::vector<core::IpTenancy>> SqliteStore::ipTenancies(const std::string& cluster) {
    auto st = db_->prepare(
        "SELECT ip, namespace, pod, owner_kind, owner_name, since, until FROM ip_tenancies "
        "WHERE cluster = ? ORDER BY ip, since, namespace, pod");
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, cluster);
    std::vector<core::IpTenancy> out;
    if (Status run = forEachRow(*st,
                                [&](const Statement& row) {
                                    if (auto t = detail::tenancyOf(row)) {
                                        out.push_back(std::move(*t));
                                    }
                                });
        !run) {
        return Error{run.error()};
    }
    return out;
}

Result<std::optional<int64_t>> SqliteStore::latestSnapshotId(const std::string& cluster) {
    return firstRow<int64_t>(
        *db_,
        detail::kLatestSnapshotIdSql,
        [&](Statement& st) { st.bind(1, cluster); },
        [](const Statement& r) { return r.columnInt(0); });
}

Result<std::optional<Snapshot>> SqliteStore::latestSnapshot(const std::string& cluster) {
    auto tx = Transaction::beginRead(*db_);
    if (!tx) {
        return Error{tx.error()};
    }
    auto head = db_->prepare(
        "SELECT id, taken_at FROM snapshots WHERE cluster = ? "
        "ORDER BY taken_at DESC, id DESC LIMIT 1");
    if (!head) {
        return Error{head.error()};
    }
    head->bind(1, cluster);
    auto row = head->step();
    if (!row || !*row) {
        return row ? Result<std::optional<Snapshot>>(std::nullopt) : Error{row.error()};
    }
    Snapshot out{head->columnInt(0), cluster, head->columnInt(1), {}, {}};
    auto files = snapshotFiles(out.id);
    if (!files) {
        return Error{files.error()};
    }
    out.files = std::move(*files);
    return std::optional<Snapshot>(std::move(out));
}

Result<std::vector<SnapshotFile>> SqliteStore::snapshotFiles(int64_t snapshot_id) {
    auto st =
        db_->prepare("SELECT path, content FROM snapshot_files WHERE snapshot_id = ? ORDER BY seq");
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, snapshot_id);
    return textPairRows<SnapshotFile>(*st);
}

// --- applies ------------------------------------------------------------------------------------

Result<RecordOutcome> SqliteStore::recordApply(const ApplyRecord& r, int64_t expected_latest_id) {
    if (r.action != "apply" && r.action != "revert") {
        return Error{db_->path() +
                     ": apply record: action must be \"apply\" or \"revert\", not \"" + r.action +
                     "\""};
    }
    // IMMEDIATE: the write lock from the start, so no other apply lands between the check of the
    // latest id and the insert.
    auto tx = Transaction::begin(*db_);
    if (!tx) {
        return Error{tx.error()};
    }
    auto latest = db_->prepare("SELECT coalesce(max(id), 0) FROM applies WHERE cluster = ?");
    if (!latest) {
        return Error{latest.error()};
    }
    latest->bind(1, r.cluster);
    if (auto row = latest->step(); !row) {
        return Error{row.error()};
    }
    const int64_t latest_id = latest->columnInt(0);
    latest->reset();
    if (latest_id != expected_latest_id) {
        return RecordOutcome{std::nullopt, latest_id};  // rolls back: nothing was written
    }
    auto st = db_->prepare(
        "INSERT INTO applies(cluster, applied_at, user_name, modification, undo, action, "
        "reverts_to, via_kubectl, encoding) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, r.cluster);
    st->bind(2, r.applied_at);
    st->bind(3, r.user);
    st->bind(4, r.modification);
    st->bind(5, r.undo);
    st->bind(6, r.action);
    st->bind(7, r.reverts_to);
    st->bind(8, int64_t{r.via_kubectl ? 1 : 0});
    st->bind(9, encodingName(r.encoding));  // a literal: outlives the statement
    auto row = st->step();
    if (!row) {
        return Error{row.error()};
    }
    const int64_t id = st->columnInt(0);
    st->reset();
    if (Status committed = tx->commit(); !committed) {
        return Error{committed.error()};
    }
    return RecordOutcome{id, id};
}

Result<std::vector<ApplyRecord>> SqliteStore::history(const std::string& cluster) {
    auto st = db_->prepare(std::string(detail::kApplySelectSql) + " WHERE cluster = ? ORDER BY id");
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, cluster);
    return collectRows(*st, [](const Statement& r) { return detail::applyRecordOf(r); });
}

// --- notifiers ----------------------------------------------------------------------------------

Result<std::vector<NotifierRecord>> SqliteStore::notifiers() {
    auto st = db_->prepare("SELECT id, definition FROM notifiers ORDER BY id");
    if (!st) {
        return Error{st.error()};
    }
    return textPairRows<NotifierRecord>(*st);
}

// Runs one statement on the notifier `id` that returns its id when it changed a row: whether a
// row changed comes from the statement itself, so no other writer can come in between.
Result<bool> SqliteStore::changesOneNotifier(std::string_view sql,
                                             const std::string& id,
                                             const std::string* definition,
                                             const std::string* expected) {
    auto st = db_->prepare(sql);
    if (!st) {
        return Error{st.error()};
    }
    st->bind(1, id);
    if (definition != nullptr) {
        st->bind(2, *definition);
    }
    if (expected != nullptr) {
        st->bind(3, *expected);
    }
    auto row = st->step();
    if (!row) {
        return Error{row.error()};
    }
    const bool changed = *row;
    st->reset();  // completes the statement, and with it the implicit transaction
    return changed;
}

Result<bool> SqliteStore::createNotifier(const NotifierRecord& record) {
    return changesOneNotifier(
        "INSERT INTO notifiers(id, definition) VALUES (?, ?) ON CONFLICT(id) DO NOTHING "
        "RETURNING id",
        record.id,
        &record.definition);
}

Result<bool> SqliteStore::replaceNotifierIf(const NotifierRecord& record,
                                            const std::string& expected) {
    return changesOneNotifier(
        "UPDATE notifiers SET definition = ?2 WHERE id = ?1 AND definition = ?3 RETURNING id",
        record.id,
        &record.definition,
        &expected);
}

Result<bool> SqliteStore::deleteNotifier(const std::string& id) {
    return changesOneNotifier("DELETE FROM notifiers WHERE id = ? RETURNING id", id, nullptr);
}

// --- summary ------------------------------------------------------------------------------------

Result<uint64_t> SqliteStore::count(std::string_view sql) {
    auto n = db_->queryInt(sql);
    return n ? Result<uint64_t>(static_cast<uint64_t>(*n)) : Error{n.error()};
}

Result<StoreSummary> SqliteStore::summary() {
    auto tx = Transaction::beginRead(*db_);
    if (!tx) {
        return Error{tx.error()};
    }
    StoreSummary s;
    auto version = db_->queryInt("PRAGMA user_version");
    if (!version) {
        return Error{version.error()};
    }
    s.schema_version = static_cast<int>(*version);
    const std::pair<uint64_t*, std::string_view> counts[] = {
        {&s.entities, "SELECT count(*) FROM entities"},
        {&s.edge_buckets, "SELECT count(*) FROM edge_days"},
        {&s.flows, "SELECT coalesce(sum(count), 0) FROM edge_totals"},
        {&s.ingests, "SELECT count(*) FROM ingests"},
        {&s.snapshots, "SELECT count(*) FROM snapshots"},
        {&s.applies, "SELECT count(*) FROM applies"},
    };
    for (const auto& [field, sql] : counts) {
        auto n = count(sql);
        if (!n) {
            return Error{n.error()};
        }
        *field = *n;
    }
    auto days = db_->prepare("SELECT min(day), max(day) FROM edge_days WHERE day > ?");
    if (!days) {
        return Error{days.error()};
    }
    days->bind(1, kUndatedDay);
    if (auto row = days->step(); !row) {
        return Error{row.error()};
    }
    s.first_day = days->columnOptInt(0);
    s.last_day = days->columnOptInt(1);
    return s;
}

}  // namespace

Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path) {
    auto db = Db::open(path, Db::Mode::kCreate);
    if (!db) {
        return Error{db.error()};
    }
    // Before anything else: another process may hold the write lock (a migration, an ingest).
    if (Status st = (*db)->exec("PRAGMA busy_timeout=" + std::to_string(kBusyTimeoutMs)); !st) {
        return Error{st.error()};
    }
    Status st = checkIdentityReadOnly(**db);
    if (st) {
        st = configure(**db);
    }
    if (st) {
        st = migrate(**db);
    }
    if (!st) {
        return Error{st.error()};
    }
    return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(*db)));
}

}  // namespace netpolgen::store
