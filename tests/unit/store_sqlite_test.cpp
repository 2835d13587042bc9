// SQLite store: files that are not a netpolgen store, a full disk, a killed writer, and several
// processes writing one file.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_store.h"
#include "store/store.h"
#include "store_test_util.h"

namespace netpolgen::store {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the store test helpers

namespace fs = std::filesystem;

// Runs SQL on a file with the plain SQLite API, as another application would.
void rawSql(const fs::path& file, const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    EXPECT_EQ(rc, SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(db);
}

// The error of opening `file`, and that the file's bytes did not change (nor a WAL appear).
std::string refusal(const fs::path& file) {
    const std::string before = readBytes(file);
    auto store = openStore(file.string());
    EXPECT_FALSE(store) << "opened " << file;
    EXPECT_EQ(readBytes(file), before) << "the refused file was modified";
    EXPECT_FALSE(fs::exists(file.string() + "-wal") && fs::file_size(file.string() + "-wal") > 0);
    return store ? std::string() : store.error();
}

// n edges on day kDay0 between n/10 sources and 10 destinations.
IngestBatch bigBatch(const std::string& digest, int n, uint64_t count = 1) {
    BatchBuilder b(digest);
    for (int i = 0; i < n; ++i) {
        b.flow("ns/src" + std::to_string(i / 10),
               "ns/dst" + std::to_string(i % 10),
               static_cast<uint32_t>(8000 + i % 7),
               kT0 + i % 86400,
               count);
    }
    return b.build();
}

uint64_t totalFlows(Store& store) {
    auto edges = store.loadEdges({"prod", {}});
    EXPECT_TRUE(edges) << edges.error();
    uint64_t sum = 0;
    for (const EdgeRow& e : edges ? edges->edges : std::vector<EdgeRow>{}) {
        sum += e.count;
    }
    return sum;
}

TEST(StoreSqliteFiles, RandomBytesAreNotAStore) {
    TempDir dir;
    const fs::path file = dir.path() / "random.db";
    std::mt19937 rng(7);
    std::string bytes(8192, '\0');
    for (char& c : bytes) {
        c = static_cast<char>(rng());
    }
    writeBytes(file, bytes);
    EXPECT_EQ(refusal(file), file.string() + ": not a netpolgen store: file is not a database");
    const fs::path text = dir.path() / "notes.txt";
    writeBytes(text, "just some text\nover two lines\n");
    EXPECT_EQ(refusal(text), text.string() + ": not a netpolgen store: file is not a database");
}

TEST(StoreSqliteFiles, ForeignDatabaseIsNotAStore) {
    TempDir dir;
    const fs::path plain = dir.path() / "other.db";
    rawSql(plain,
           "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users "
           "VALUES (1, 'x')");
    EXPECT_EQ(refusal(plain),
              plain.string() + ": not a netpolgen store (application_id 0, and it has tables)");
    const fs::path tagged = dir.path() / "tagged.db";
    rawSql(tagged, "PRAGMA application_id = 305419896; CREATE TABLE t(x)");
    EXPECT_EQ(refusal(tagged),
              tagged.string() + ": not a netpolgen store (application_id 0x12345678)");
    // A database without tables is not ours either when someone set its version.
    const fs::path versioned = dir.path() / "versioned.db";
    rawSql(versioned, "PRAGMA user_version = 1");
    EXPECT_EQ(refusal(versioned),
              versioned.string() +
                  ": not a netpolgen store (application_id 0, and it has user_version 1)");
    // Another application's id on an otherwise empty database is still not ours.
    const fs::path empty_tagged = dir.path() / "empty-tagged.db";
    rawSql(empty_tagged, "PRAGMA application_id = 1");
    EXPECT_NE(refusal(empty_tagged).find("application_id 0x00000001"), std::string::npos);
}

// A store with one ingest of one flow, closed again.
void ingestOneFlow(const fs::path& file) {
    auto store = openStore(file.string());
    ASSERT_TRUE(store) << store.error();
    ASSERT_TRUE((*store)->ingest(BatchBuilder("d").flow("a/a", "a/b", 1, kT0).build()));
}

TEST(StoreSqliteFiles, NewerSchemaIsRefusedUntouched) {
    TempDir dir;
    const fs::path file = dir.path() / "store.db";
    ingestOneFlow(file);
    rawSql(file, "PRAGMA user_version = 8");
    EXPECT_EQ(refusal(file),
              file.string() +
                  ": store schema version 8 is newer than this netpolgen (7); upgrade netpolgen");
}

TEST(StoreSqliteFiles, VersionOneStoreMigratesToNotifiers) {
    TempDir dir;
    const fs::path file = dir.path() / "store.db";
    ingestOneFlow(file);
    // What a netpolgen of schema version 1 left: everything but the notifiers table.
    rawSql(file,
           "DROP TABLE stream_positions; DROP TABLE follow_cursors; DROP TABLE follow_done; DROP "
           "TABLE ip_tenancies; DROP TABLE "
           "ingest_edges; DROP TABLE ingest_skips; ALTER TABLE "
           "ingests DROP COLUMN "
           "replaceable; DROP TABLE notifiers; ALTER TABLE applies RENAME COLUMN modification TO "
           "modification_yaml; ALTER TABLE applies RENAME COLUMN undo TO undo_yaml; ALTER TABLE "
           "applies DROP COLUMN encoding; PRAGMA user_version = 1");
    auto store = openStore(file.string());
    ASSERT_TRUE(store) << store.error();
    auto summary = (*store)->summary();
    ASSERT_TRUE(summary) << summary.error();
    EXPECT_EQ(summary->schema_version, kSchemaVersion);
    EXPECT_EQ(summary->ingests, 1u) << "the data of version 1 stays";
    auto created = (*store)->createNotifier({"hook", "{}"});
    ASSERT_TRUE(created) << created.error();
    EXPECT_TRUE(*created);
}

TEST(StoreSqliteFiles, VersionFiveStoreMigratesToFollowedFiles) {
    TempDir dir;
    const fs::path file = dir.path() / "store.db";
    ingestOneFlow(file);
    rawSql(file,
           "DROP TABLE stream_positions; DROP TABLE follow_cursors; DROP TABLE follow_done; PRAGMA "
           "user_version = 5");
    auto store = openStore(file.string());
    ASSERT_TRUE(store) << store.error();
    auto summary = (*store)->summary();
    ASSERT_TRUE(summary) << summary.error();
    EXPECT_EQ(summary->schema_version, kSchemaVersion);
    IngestBatch batch = BatchBuilder("follow:f").flow("a/a", "a/b", 1, kT0 + 1).build();
    auto committed =
        (*store)->commitFollow({batch, std::nullopt, FileCursor{1, 2, "2-ab", 2}, {}, {}, {}});
    ASSERT_TRUE(committed) << committed.error();
    EXPECT_TRUE(*committed);
    auto state = (*store)->followState("prod", "follow:f");
    ASSERT_TRUE(state) << state.error();
    EXPECT_EQ(state->cursor->offset, 2u);
}

TEST(StoreSqliteFiles, VersionTwoAppliesStayReadableAsYaml) {
    TempDir dir;
    const fs::path file = dir.path() / "store.db";
    ingestOneFlow(file);
    // What a netpolgen of schema version 2 left: applies with YAML columns, one record.
    rawSql(file,
           "DROP TABLE stream_positions; DROP TABLE follow_cursors; DROP TABLE follow_done; DROP "
           "TABLE ip_tenancies; DROP TABLE "
           "ingest_edges; DROP TABLE ingest_skips; ALTER TABLE "
           "ingests DROP COLUMN "
           "replaceable; DROP TABLE applies; CREATE TABLE applies(id INTEGER PRIMARY KEY "
           "AUTOINCREMENT, "
           "cluster TEXT NOT NULL, applied_at INTEGER NOT NULL, user_name TEXT NOT NULL, "
           "modification_yaml TEXT NOT NULL, undo_yaml TEXT NOT NULL, action TEXT NOT NULL "
           "CHECK(action IN ('apply', 'revert')), reverts_to INTEGER REFERENCES applies(id), "
           "via_kubectl INTEGER NOT NULL CHECK(via_kubectl IN (0, 1))) STRICT; "
           "INSERT INTO applies(cluster, applied_at, user_name, modification_yaml, undo_yaml, "
           "action, via_kubectl) VALUES ('prod', 1, 'u', '# kubectl -n shop delete "
           "networkpolicy a\n', '', 'apply', 0); PRAGMA user_version = 2");
    auto store = openStore(file.string());
    ASSERT_TRUE(store) << store.error();
    auto history = (*store)->history("prod");
    ASSERT_TRUE(history) << history.error();
    ASSERT_EQ(history->size(), 1u);
    EXPECT_EQ((*history)[0].encoding, RecordEncoding::kYaml);
    EXPECT_EQ((*history)[0].modification, "# kubectl -n shop delete networkpolicy a\n");
    auto next = (*store)->recordApply({0, "prod", 2, "u", "{}", "{}", "apply", {}, false}, 1);
    ASSERT_TRUE(next && next->id) << (next ? "conflict" : next.error());
    history = (*store)->history("prod");
    ASSERT_TRUE(history && history->size() == 2u);
    EXPECT_EQ((*history)[1].encoding, RecordEncoding::kJson);
    EXPECT_EQ((*store)->summary()->schema_version, kSchemaVersion);
}

TEST(StoreSqliteFiles, VersionThreeIngestsStayButCannotBeReplaced) {
    TempDir dir;
    const fs::path file = dir.path() / "store.db";
    {
        auto store = openStore(file.string());
        ASSERT_TRUE(store) << store.error();
        ASSERT_TRUE((*store)->ingest(versionThreeBatch()));
    }
    // What a netpolgen of schema version 3 left: no contributions, no skip counts.
    rawSql(file,
           "DROP TABLE stream_positions; DROP TABLE follow_cursors; DROP TABLE follow_done; DROP "
           "TABLE ip_tenancies; DROP TABLE "
           "ingest_edges; DROP TABLE ingest_skips; ALTER TABLE "
           "ingests DROP COLUMN "
           "replaceable; PRAGMA user_version = 3");
    expectVersionThreeIngestsStayButCannotBeReplaced(file.string());
}

TEST(StoreSqliteFiles, NewAndEmptyFilesBecomeStores) {
    TempDir dir;
    const fs::path fresh = dir.path() / "new.db";
    auto created = openStore(fresh.string());
    ASSERT_TRUE(created) << created.error();
    EXPECT_TRUE(fs::exists(fresh));
    const fs::path empty = dir.path() / "empty.db";
    writeBytes(empty, "");
    auto adopted = openStore(empty.string());
    ASSERT_TRUE(adopted) << adopted.error();
    auto summary = (*adopted)->summary();
    ASSERT_TRUE(summary) << summary.error();
    EXPECT_EQ(summary->schema_version, kSchemaVersion);
    // Marked as ours: the plain API sees the application id and version.
    created->reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(fresh.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), kSqliteApplicationId);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

TEST(StoreSqliteFiles, UnopenablePathsNameThePath) {
    TempDir dir;
    const std::string missing_dir = (dir.path() / "no" / "such" / "store.db").string();
    auto store = openStore(missing_dir);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().rfind(missing_dir + ": cannot open", 0), 0u) << store.error();
    auto directory = openStore(dir.path().string());
    ASSERT_FALSE(directory);
    EXPECT_EQ(directory.error().rfind(dir.path().string() + ": ", 0), 0u) << directory.error();
}

// In a child process: the committed store, then ingest under a file size limit. The child reports
// the error text through a pipe; the parent checks the store afterwards.
std::string ingestWithFileSizeLimit(const fs::path& file, rlim_t limit) {
    int fds[2];
    if (pipe(fds) != 0) {
        return "pipe failed";
    }
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        std::string message = "child: ";
        if (auto store = openStore(file.string())) {
            signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG instead of killing us
            rlimit rl{limit, limit};
            setrlimit(RLIMIT_FSIZE, &rl);
            auto outcome = (*store)->ingest(bigBatch("big", 20000));
            message = outcome ? "ingest succeeded" : outcome.error();
        } else {
            message += store.error();
        }
        (void)!write(fds[1], message.data(), message.size());
        _exit(0);
    }
    close(fds[1]);
    std::string message;
    char buf[512];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) {
        message.append(buf, static_cast<size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return message;
}

void expectIntactAfterFailedIngest(const fs::path& file, uint64_t committed_flows) {
    auto store = openStore(file.string());
    ASSERT_TRUE(store) << store.error();
    EXPECT_EQ(totalFlows(**store), committed_flows);
    auto records = (*store)->ingests("prod");
    ASSERT_TRUE(records) << records.error();
    EXPECT_EQ(records->size(), 1u);
    // Room again: the failed batch goes in whole.
    auto again = (*store)->ingest(bigBatch("big", 20000));
    ASSERT_TRUE(again) << again.error();
    EXPECT_EQ(*again, IngestOutcome::kStored);
    EXPECT_EQ(totalFlows(**store), committed_flows + 20000);
}

TEST(StoreSqliteDiskFull, FileSizeLimitFailsTheIngestAndKeepsCommittedData) {
    TempDir dir;
    const fs::path file = dir.path() / "store.db";
    {
        auto store = openStore(file.string());
        ASSERT_TRUE(store) << store.error();
        ASSERT_TRUE((*store)->ingest(bigBatch("small", 100)));
    }
    const std::string message = ingestWithFileSizeLimit(file, 256 * 1024);
    EXPECT_EQ(message.rfind(file.string() + ": ", 0), 0u) << message;
    EXPECT_NE(message.find("file too large"), std::string::npos) << message;
    expectIntactAfterFailedIngest(file, 100);
}

// A real ENOSPC from a 1 MiB tmpfs; needs the right to mount (root), else skipped — the
// RLIMIT_FSIZE test above covers the same path without privileges.
TEST(StoreSqliteDiskFull, FullFileSystemFailsTheIngestAndKeepsCommittedData) {
    TempDir dir;
    const fs::path mnt = dir.path() / "mnt";
    fs::create_directory(mnt);
    if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") != 0) {
        GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
    }
    // Unmounted however the test ends, before TempDir removes the directory.
    struct Unmount {
        fs::path path;
        ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
    } unmount{mnt};
    const fs::path file = mnt / "store.db";
    {
        auto store = openStore(file.string());
        ASSERT_TRUE(store) << store.error();
        ASSERT_TRUE((*store)->ingest(bigBatch("small", 100)));
        auto outcome = (*store)->ingest(bigBatch("big", 20000));
        ASSERT_FALSE(outcome);
        EXPECT_EQ(outcome.error(), file.string() + ": cannot write: disk full");
    }
    // The store lives on the full file system: move it to free space and check it there.
    const fs::path moved = dir.path() / "store.db";
    fs::copy_file(file, moved);
    for (const char* side : {"-wal", "-shm"}) {
        if (fs::exists(file.string() + side)) {
            fs::copy_file(file.string() + side, moved.string() + side);
        }
    }
    expectIntactAfterFailedIngest(moved, 100);
}

// kill -9 at some moment of a stream of ingests (after the first commit, so the store is not
// empty): every ingest is all or nothing, so the flows in the store are exactly those of the
// recorded ingests.
TEST(StoreSqliteCrash, KilledWriterLeavesWholeIngests) {
    TempDir dir;
    const fs::path file = dir.path() / "store.db";
    { ASSERT_TRUE(openStore(file.string())); }
    for (int delay_ms : {0, 30, 90}) {
        int fds[2];
        ASSERT_EQ(pipe(fds), 0);
        const pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            auto store = openStore(file.string());
            for (int i = 0; store; ++i) {
                auto outcome = (*store)->ingest(bigBatch(
                    "k" + std::to_string(delay_ms) + "-" + std::to_string(i), 5000, i % 3 + 1));
                if (outcome) {
                    (void)!write(fds[1], "x", 1);
                }
            }
            _exit(1);
        }
        close(fds[1]);
        char committed = 0;
        ASSERT_EQ(read(fds[0], &committed, 1), 1) << "the writer committed nothing";
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        close(fds[0]);
    }
    auto store = openStore(file.string());
    ASSERT_TRUE(store) << store.error();
    auto records = (*store)->ingests("prod");
    ASSERT_TRUE(records) << records.error();
    EXPECT_GE(records->size(), 3u);
    uint64_t recorded = 0;
    for (const IngestRecord& r : *records) {
        recorded += r.flows;
    }
    EXPECT_EQ(totalFlows(**store), recorded);
    auto summary = (*store)->summary();
    ASSERT_TRUE(summary) << summary.error();
    EXPECT_EQ(summary->flows, recorded);
    EXPECT_EQ(summary->ingests, records->size());
}

// Several processes create one new file at the same moment: each sees either nothing or the
// whole schema, never "tables but no application id".
TEST(StoreSqliteConcurrency, SimultaneousFirstOpens) {
    TempDir dir;
    for (int round = 0; round < 4; ++round) {
        const fs::path file = dir.path() / ("store" + std::to_string(round) + ".db");
        std::vector<pid_t> children;
        for (int c = 0; c < 5; ++c) {
            const pid_t pid = fork();
            if (pid == 0) {
                auto store = openStore(file.string());
                if (!store) {
                    fprintf(stderr, "%s\n", store.error().c_str());
                }
                _exit(store ? 0 : 1);
            }
            children.push_back(pid);
        }
        for (const pid_t pid : children) {
            int status = 0;
            waitpid(pid, &status, 0);
            EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "round " << round;
        }
    }
}

// Two processes open a new file at once (both migrate) and ingest interleaved batches.
TEST(StoreSqliteConcurrency, TwoProcessesIngestIntoOneFile) {
    TempDir dir;
    const fs::path file = dir.path() / "store.db";
    constexpr int kBatches = 8;
    pid_t children[2];
    for (int c = 0; c < 2; ++c) {
        children[c] = fork();
        if (children[c] == 0) {
            auto store = openStore(file.string());
            int failures = store ? 0 : 100;
            for (int i = 0; store && i < kBatches; ++i) {
                auto outcome = (*store)->ingest(
                    bigBatch("p" + std::to_string(c) + "-" + std::to_string(i), 2000, c + 1));
                failures += outcome && *outcome == IngestOutcome::kStored ? 0 : 1;
            }
            _exit(failures);
        }
    }
    for (const pid_t pid : children) {
        int status = 0;
        waitpid(pid, &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    }
    auto store = openStore(file.string());
    ASSERT_TRUE(store) << store.error();
    EXPECT_EQ(totalFlows(**store), uint64_t{kBatches} * 2000 * (1 + 2));
    auto edges = (*store)->loadEdges({"prod", {}});
    ASSERT_TRUE(edges);
    EXPECT_EQ(edges->edges.size(), 2000u);
    for (const EdgeRow& e : edges->edges) {
        EXPECT_EQ(e.count, uint64_t{kBatches} * 3);
    }
}

}  // namespace
}  // namespace netpolgen::store
