// Helpers of the store tests: temporary directories, batches built from flows, results as maps,
// and the PostgreSQL test server's URI.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "store/store.h"

namespace netpolgen::store::testing {

inline constexpr int64_t kDay0 = 20000;  // 2024-10-04
inline constexpr core::Timestamp kT0 = kDay0 * kSecondsPerDay;

// Windows without designated initializers (g++ -Wextra flags the omitted member).
inline core::TimeWindow since(core::Timestamp t) {
    core::TimeWindow w;
    w.since = t;
    return w;
}
inline core::TimeWindow until(core::Timestamp t) {
    core::TimeWindow w;
    w.until = t;
    return w;
}
inline core::TimeWindow between(core::Timestamp from, core::Timestamp to) {
    core::TimeWindow w;
    w.since = from;
    w.until = to;
    return w;
}

class TempDir {
public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "netpolgen-store-XXXXXX");
        path_ = mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

inline std::string readBytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void writeBytes(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
}

// Flows in, a batch out: buckets by day and merges flows of one edge and day, as ingest does.
class BatchBuilder {
public:
    explicit BatchBuilder(std::string digest, std::string cluster = "prod") {
        batch_.record.cluster = std::move(cluster);
        batch_.record.digest = std::move(digest);
        batch_.record.source = "flows.jsonl";
        batch_.record.ingested_at = kT0;
    }

    // One flow (or `count` flows at one time); time kUndated for an undated flow.
    BatchBuilder& flow(const std::string& src,
                       const std::string& dst,
                       uint32_t port,
                       core::Timestamp time,
                       uint64_t count = 1,
                       core::Protocol protocol = core::Protocol::kTcp) {
        const Key key{dayOf(time), entity(src), entity(dst), port, protocol};
        auto [it, fresh] = rows_.try_emplace(key, EdgeRow{});
        EdgeRow& row = it->second;
        if (fresh) {
            row = {std::get<1>(key), std::get<2>(key), port, protocol, 0, time, time};
        }
        row.count += count;
        if (time != core::kUndated) {
            row.first_seen = std::min(row.first_seen, time);
            row.last_seen = std::max(row.last_seen, time);
        }
        batch_.record.flows += count;
        return *this;
    }

    IngestBatch build() const {
        IngestBatch b = batch_;
        for (const auto& [key, row] : rows_) {
            b.edges.push_back({std::get<0>(key), row});
        }
        return b;
    }

private:
    using Key = std::tuple<int64_t, uint32_t, uint32_t, uint32_t, core::Protocol>;

    uint32_t entity(const std::string& name) {
        for (uint32_t i = 0; i < batch_.entities.size(); ++i) {
            if (batch_.entities[i] == name) {
                return i;
            }
        }
        batch_.entities.push_back(name);
        return static_cast<uint32_t>(batch_.entities.size() - 1);
    }

    IngestBatch batch_;
    std::map<Key, EdgeRow> rows_;
};

struct Seen {
    uint64_t count = 0;
    core::Timestamp first = core::kUndated;
    core::Timestamp last = core::kUndated;
    bool operator==(const Seen&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Seen& s) {
    return os << "{count " << s.count << ", first " << s.first << ", last " << s.last << "}";
}

// "src>dst:port/proto" → what the store returned.
using EdgeMap = std::map<std::string, Seen>;

inline std::string edgeName(const std::string& src,
                            const std::string& dst,
                            uint32_t port,
                            core::Protocol protocol = core::Protocol::kTcp) {
    return src + ">" + dst + ":" + std::to_string(port) + "/" +
           std::string(core::protocolName(protocol));
}

inline EdgeMap edgeMap(const EdgeSet& set) {
    EdgeMap out;
    for (const EdgeRow& e : set.edges) {
        const std::string name =
            edgeName(set.entities.at(e.src), set.entities.at(e.dst), e.port, e.protocol);
        EXPECT_FALSE(out.count(name)) << "edge twice: " << name;
        out[name] = {e.count, e.first_seen, e.last_seen};
    }
    return out;
}

// An ingest that a netpolgen of schema version 3 would have stored, to be turned into a version 3
// store (its contributions and skip counts dropped) and then checked with
// expectVersionThreeIngestsStayButCannotBeReplaced.
inline IngestBatch versionThreeBatch() {
    return BatchBuilder("old").flow("a/a", "a/b", 1, kT0, 2).flow("a/a", "a/b", 1, kT0 + 5).build();
}

inline EdgeMap allEdges(Store& store) {
    auto edges = store.loadEdges({"prod", {}});
    EXPECT_TRUE(edges) << edges.error();
    return edges ? edgeMap(*edges) : EdgeMap{};
}

// After migrating the version 3 store at `location`: its ingest is listed as not replaceable,
// replacing it changes nothing, and a new ingest over its buckets is replaced exactly.
inline void expectVersionThreeIngestsStayButCannotBeReplaced(const std::string& location) {
    auto store = openStore(location);
    ASSERT_TRUE(store) << store.error();
    auto summary = (*store)->summary();
    ASSERT_TRUE(summary) << summary.error();
    EXPECT_EQ(summary->schema_version, kSchemaVersion);
    auto records = (*store)->ingests("prod");
    ASSERT_TRUE(records) << records.error();
    ASSERT_EQ(records->size(), 1u);
    EXPECT_FALSE((*records)[0].replaceable);
    const std::string ab = edgeName("a/a", "a/b", 1);
    const EdgeMap old{{ab, {3, kT0, kT0 + 5}}};
    EXPECT_EQ(allEdges(**store), old);
    auto refused = (*store)->ingest(BatchBuilder("old").flow("a/a", "a/b", 1, kT0 + 9).build(),
                                    IngestMode::kReplace);
    ASSERT_TRUE(refused) << refused.error();
    EXPECT_EQ(*refused, IngestOutcome::kNotReplaceable);
    EXPECT_EQ(allEdges(**store), old) << "nothing changed";
    // A new ingest into the old bucket, replaced: the old flows stay as they were.
    ASSERT_TRUE((*store)->ingest(BatchBuilder("new").flow("a/a", "a/b", 1, kT0 + 9).build()));
    EXPECT_EQ(allEdges(**store), (EdgeMap{{ab, {4, kT0, kT0 + 9}}}));
    auto replaced = (*store)->ingest(BatchBuilder("new").flow("a/a", "a/b", 1, kT0 + 3, 5).build(),
                                     IngestMode::kReplace);
    ASSERT_TRUE(replaced) << replaced.error();
    EXPECT_EQ(*replaced, IngestOutcome::kReplaced);
    EXPECT_EQ(allEdges(**store), (EdgeMap{{ab, {8, kT0, kT0 + 5}}}));
}

// The PostgreSQL test server (tests/store/pg_test_server.sh, a ctest fixture) writes its URI to a
// file; NETPOLGEN_TEST_PG_URI overrides. Empty when neither is there.
inline std::string pgTestUri() {
    if (const char* env = std::getenv("NETPOLGEN_TEST_PG_URI"); env && *env) {
        return env;
    }
#ifdef NETPOLGEN_TEST_PG_URI_FILE
    std::ifstream in(NETPOLGEN_TEST_PG_URI_FILE);
    std::string uri;
    std::getline(in, uri);
    return uri;
#else
    return {};
#endif
}

inline bool skipPg() {
    const char* env = std::getenv("NETPOLGEN_SKIP_PG");
    return env && std::string(env) == "1";
}

// In a test body: the URI, or skip (NETPOLGEN_SKIP_PG=1) / fail (CI: no server is an error).
#define NETPOLGEN_REQUIRE_PG_URI(var)                                                      \
    std::string var = ::netpolgen::store::testing::pgTestUri();                            \
    if (var.empty()) {                                                                     \
        if (::netpolgen::store::testing::skipPg()) {                                       \
            GTEST_SKIP() << "NETPOLGEN_SKIP_PG=1";                                         \
        }                                                                                  \
        FAIL() << "no PostgreSQL test server: run through ctest (fixture pg_server), set " \
                  "NETPOLGEN_TEST_PG_URI, or set NETPOLGEN_SKIP_PG=1 to skip";             \
    }

}  // namespace netpolgen::store::testing
