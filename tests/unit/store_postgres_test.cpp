// PostgreSQL store: connection errors, databases that are not a netpolgen store, and parallel
// writers. StorePostgres* tests need the pg_server ctest fixture; StorePgUri* and StorePgConnect*
// need no server.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "store/pg_connection.h"
#include "store/store.h"
#include "store_backends.h"
#include "store_test_util.h"

namespace netpolgen::store {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the store test helpers

TEST(StorePgUri, PasswordsNeverAppear) {
    EXPECT_EQ(pg::redactUri("postgresql://u:s3cret@db.example:5432/np"),
              "postgresql://u@db.example:5432/np");
    EXPECT_EQ(pg::redactUri("postgres://u@h/db?sslmode=require&password=s3cret&x=1"),
              "postgres://u@h/db?sslmode=require&password=…&x=1");
    EXPECT_EQ(pg::redactUri("postgresql://h/db?password=s3cret"), "postgresql://h/db?password=…");
    EXPECT_EQ(pg::redactUri("postgresql://u:p%40ss@h/db"), "postgresql://u@h/db");
    EXPECT_EQ(pg::redactUri("postgresql://h:5432/db"), "postgresql://h:5432/db");
}

// A loopback port nobody listens on: bound, then released.
int closedPort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
}

TEST(StorePgConnect, UnreachableServerFailsFastWithoutThePassword) {
    const std::string port = std::to_string(closedPort());
    const auto start = std::chrono::steady_clock::now();
    auto store = openStore("postgresql://netpolgen:s3cret@127.0.0.1:" + port + "/netpolgen");
    ASSERT_FALSE(store);
    const std::string prefix =
        "postgresql://netpolgen@127.0.0.1:" + port + "/netpolgen: cannot connect: ";
    EXPECT_EQ(store.error().rfind(prefix, 0), 0u) << store.error();
    EXPECT_NE(store.error().find("Connection refused"), std::string::npos) << store.error();
    EXPECT_EQ(store.error().find("s3cret"), std::string::npos);
    EXPECT_EQ(store.error().find('\n'), std::string::npos) << "one line";
    // A host that never answers: connect_timeout from the URI bounds the wait.
    auto silent = openStore("postgres://u:s3cret@10.255.255.1:5432/db?connect_timeout=2");
    ASSERT_FALSE(silent);
    EXPECT_EQ(silent.error().rfind("postgres://u@10.255.255.1:5432/db?connect_timeout=2: cannot "
                                   "connect: ",
                                   0),
              0u)
        << silent.error();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
}

class StorePostgres : public ::testing::Test {
protected:
    void SetUp() override {
        uri_ = pgTestUri();
        if (uri_.empty()) {
            if (skipPg()) {
                GTEST_SKIP() << "NETPOLGEN_SKIP_PG=1";
            }
            FAIL() << "no PostgreSQL test server: run through ctest (fixture pg_server), set "
                      "NETPOLGEN_TEST_PG_URI, or set NETPOLGEN_SKIP_PG=1 to skip";
        }
    }

    // A new empty schema, and a plain connection into it.
    std::unique_ptr<StoreLocation> schema() {
        MadeLocation made = makePgSchema(uri_);
        EXPECT_TRUE(made.location) << made.why;
        return std::move(made.location);
    }

    static std::unique_ptr<pg::Connection> connect(const StoreLocation& where) {
        auto conn = pg::Connection::connect(where.location());
        EXPECT_TRUE(conn) << conn.error();
        return conn ? std::move(*conn) : nullptr;
    }

    static std::string scalar(pg::Connection& conn, const std::string& sql) {
        auto res = conn.exec(sql);
        EXPECT_TRUE(res) << res.error();
        return res && res->rows() > 0 && !res->isNull(0, 0) ? res->getBytes(0, 0) : "<none>";
    }

    std::string uri_;
};

TEST_F(StorePostgres, WrongPasswordIsRefused) {
    const size_t colon = uri_.find(':', uri_.find("://") + 3);
    const size_t at = uri_.find('@');
    ASSERT_NE(colon, std::string::npos);
    const std::string wrong = uri_.substr(0, colon) + ":not-the-password" + uri_.substr(at);
    auto store = openStore(wrong);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().rfind(pg::redactUri(uri_) + ": cannot connect: ", 0), 0u)
        << store.error();
    EXPECT_NE(store.error().find("password authentication failed"), std::string::npos)
        << store.error();
    EXPECT_EQ(store.error().find("not-the-password"), std::string::npos);
}

TEST_F(StorePostgres, ForeignTablesAreRefusedUntouched) {
    auto where = schema();
    ASSERT_TRUE(where);
    auto conn = connect(*where);
    ASSERT_TRUE(conn);
    ASSERT_TRUE(
        conn->execScript("CREATE TABLE entities(x TEXT); INSERT INTO entities VALUES ('a')"));
    auto store = openStore(where->location());
    ASSERT_FALSE(store);
    EXPECT_NE(store.error().find(": not a netpolgen store (it has a table entities"),
              std::string::npos)
        << store.error();
    EXPECT_EQ(scalar(*conn, "SELECT to_regclass('meta')::text"), "<none>");
    EXPECT_EQ(scalar(*conn, "SELECT string_agg(x, ',') FROM entities"), "a");

    auto other = schema();
    ASSERT_TRUE(other);
    auto conn2 = connect(*other);
    ASSERT_TRUE(conn2);
    ASSERT_TRUE(
        conn2->execScript("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT); "
                          "INSERT INTO meta VALUES ('application', 'grafana')"));
    auto store2 = openStore(other->location());
    ASSERT_FALSE(store2);
    EXPECT_NE(store2.error().find("not a netpolgen store (table meta has application \"grafana\")"),
              std::string::npos)
        << store2.error();
    EXPECT_EQ(scalar(*conn2, "SELECT count(*)::text FROM meta"), "1");
}

// A store with one ingest of one flow, closed again.
void ingestOneFlow(const StoreLocation& where) {
    auto store = openStore(where.location());
    ASSERT_TRUE(store) << store.error();
    ASSERT_TRUE((*store)->ingest(BatchBuilder("d").flow("a/a", "a/b", 1, kT0).build()));
}

TEST_F(StorePostgres, NewerSchemaIsRefusedUntouched) {
    auto where = schema();
    ASSERT_TRUE(where);
    ingestOneFlow(*where);
    auto conn = connect(*where);
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->execScript("UPDATE meta SET value = '8' WHERE key = 'schema_version'"));
    auto store = openStore(where->location());
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error(),
              pg::redactUri(where->location()) +
                  ": store schema version 8 is newer than this netpolgen (7); upgrade netpolgen");
    EXPECT_EQ(scalar(*conn, "SELECT value FROM meta WHERE key = 'schema_version'"), "8");
    EXPECT_EQ(scalar(*conn, "SELECT count(*)::text FROM edge_days"), "1");
}

TEST_F(StorePostgres, VersionOneStoreMigratesToNotifiers) {
    auto where = schema();
    ASSERT_TRUE(where);
    ingestOneFlow(*where);
    // What a netpolgen of schema version 1 left: everything but the notifiers table.
    auto conn = connect(*where);
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->execScript(
        "DROP TABLE stream_positions, follow_cursors, follow_done, ip_tenancies, ingest_edges, "
        "ingest_skips; ALTER "
        "TABLE ingests DROP COLUMN "
        "replaceable; "
        "DROP TABLE notifiers; ALTER TABLE applies RENAME COLUMN modification TO "
        "modification_yaml; ALTER TABLE applies RENAME COLUMN undo TO undo_yaml; ALTER TABLE "
        "applies DROP COLUMN encoding; INSERT INTO applies(cluster, applied_at, user_name, "
        "modification_yaml, undo_yaml, action, via_kubectl) VALUES ('prod', 1, 'u', 'm', 'u', "
        "'apply', false); UPDATE meta SET value = '1' WHERE key = 'schema_version'"));
    auto store = openStore(where->location());
    ASSERT_TRUE(store) << store.error();
    EXPECT_EQ(scalar(*conn, "SELECT value FROM meta WHERE key = 'schema_version'"), "7");
    auto history = (*store)->history("prod");
    ASSERT_TRUE(history && history->size() == 1u);
    EXPECT_EQ((*history)[0].encoding, RecordEncoding::kYaml) << "older records keep their YAML";
    EXPECT_EQ((*history)[0].modification, "m");
    EXPECT_EQ(scalar(*conn, "SELECT count(*)::text FROM edge_days"), "1");
    auto created = (*store)->createNotifier({"hook", "{}"});
    ASSERT_TRUE(created) << created.error();
    EXPECT_TRUE(*created);
}

TEST_F(StorePostgres, VersionThreeIngestsStayButCannotBeReplaced) {
    auto where = schema();
    ASSERT_TRUE(where);
    {
        auto store = openStore(where->location());
        ASSERT_TRUE(store) << store.error();
        ASSERT_TRUE((*store)->ingest(versionThreeBatch()));
    }
    // What a netpolgen of schema version 3 left: no contributions, no skip counts.
    auto conn = connect(*where);
    ASSERT_TRUE(conn);
    ASSERT_TRUE(conn->execScript(
        "DROP TABLE stream_positions, follow_cursors, follow_done, ip_tenancies, ingest_edges, "
        "ingest_skips; ALTER TABLE ingests "
        "DROP COLUMN replaceable; "
        "UPDATE meta SET value = '3' WHERE key = 'schema_version'"));
    expectVersionThreeIngestsStayButCannotBeReplaced(where->location());
    EXPECT_EQ(scalar(*conn, "SELECT value FROM meta WHERE key = 'schema_version'"), "7");
}

TEST_F(StorePostgres, VersionFiveStoreMigratesToFollowedFiles) {
    auto where = schema();
    ASSERT_TRUE(where);
    ingestOneFlow(*where);
    auto conn = connect(*where);
    ASSERT_TRUE(conn);
    ASSERT_TRUE(
        conn->execScript("DROP TABLE stream_positions, follow_cursors, follow_done; "
                         "UPDATE meta SET value = '5' WHERE key = 'schema_version'"));
    auto store = openStore(where->location());
    ASSERT_TRUE(store) << store.error();
    EXPECT_EQ(scalar(*conn, "SELECT value FROM meta WHERE key = 'schema_version'"), "7");
    IngestBatch batch = BatchBuilder("follow:f").flow("a/a", "a/b", 1, kT0 + 1).build();
    auto committed =
        (*store)->commitFollow({batch, std::nullopt, FileCursor{1, 2, "2-ab", 2}, {}, {}, {}});
    ASSERT_TRUE(committed) << committed.error();
    EXPECT_TRUE(*committed);
    EXPECT_EQ(scalar(*conn, "SELECT sum(count)::text FROM edge_days"), "2");
}

IngestBatch overlapping(const std::string& digest, int seed) {
    BatchBuilder b(digest);
    for (int i = 0; i < 1500; ++i) {
        const int k = (i * 7 + seed * 13) % 2000;  // batches share most keys
        b.flow("ns/s" + std::to_string(k % 40),
               "ns/d" + std::to_string(k % 9),
               static_cast<uint32_t>(80 + k % 5),
               k % 10 == 0 ? core::kUndated : kT0 + (seed % 3) * kSecondsPerDay + k,
               static_cast<uint64_t>(1 + seed % 4));
    }
    return b.build();
}

EdgeMap everything(Store& store) {
    auto edges = store.loadEdges({"prod", {}});
    EXPECT_TRUE(edges) << edges.error();
    return edges ? edgeMap(*edges) : EdgeMap{};
}

// Four connections open a new schema at once (the migration runs once, under the advisory lock)
// and ingest 24 overlapping batches in parallel; the result equals one serial run.
TEST_F(StorePostgres, ParallelWritersMatchASerialRun) {
    constexpr int kThreads = 4;
    constexpr int kBatchesEach = 6;
    auto parallel = schema();
    auto serial = schema();
    ASSERT_TRUE(parallel && serial);
    std::vector<std::string> errors(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            auto store = openStore(parallel->location());
            if (!store) {
                errors[t] = store.error();
                return;
            }
            for (int i = 0; i < kBatchesEach; ++i) {
                const int seed = t * kBatchesEach + i;
                auto outcome = (*store)->ingest(overlapping("b" + std::to_string(seed), seed));
                if (!outcome || *outcome != IngestOutcome::kStored) {
                    errors[t] = outcome ? "not stored" : outcome.error();
                    return;
                }
            }
        });
    }
    for (std::thread& th : threads) {
        th.join();
    }
    for (const std::string& e : errors) {
        EXPECT_EQ(e, "");
    }
    auto one = openStore(serial->location());
    ASSERT_TRUE(one) << one.error();
    for (int seed = 0; seed < kThreads * kBatchesEach; ++seed) {
        ASSERT_TRUE((*one)->ingest(overlapping("b" + std::to_string(seed), seed)));
    }
    auto many = openStore(parallel->location());
    ASSERT_TRUE(many) << many.error();
    const EdgeMap expected = everything(**one);
    EXPECT_FALSE(expected.empty());
    EXPECT_EQ(everything(**many), expected);
    auto s1 = (*one)->summary();
    auto s2 = (*many)->summary();
    ASSERT_TRUE(s1 && s2);
    EXPECT_EQ(std::tie(s2->entities, s2->edge_buckets, s2->flows, s2->ingests),
              std::tie(s1->entities, s1->edge_buckets, s1->flows, s1->ingests));
    // The same batch from two connections at once: stored exactly once.
    std::vector<std::thread> dup;
    std::vector<int> stored(2, 0);
    for (int t = 0; t < 2; ++t) {
        dup.emplace_back([&, t] {
            auto store = openStore(parallel->location());
            if (store) {
                auto outcome = (*store)->ingest(overlapping("same", 99));
                stored[t] = outcome && *outcome == IngestOutcome::kStored ? 1 : 0;
            }
        });
    }
    for (std::thread& th : dup) {
        th.join();
    }
    EXPECT_EQ(stored[0] + stored[1], 1);
}

}  // namespace
}  // namespace netpolgen::store
