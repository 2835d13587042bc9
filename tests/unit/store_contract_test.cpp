// One contract, both backends: every test here runs against SQLite (StoreSqlite/…) and PostgreSQL
// (StorePostgres/…, needs the pg_server ctest fixture).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "store/store.h"
#include "store_backends.h"
#include "store_test_util.h"

namespace netpolgen::store {
namespace {

using namespace testing;  // NOLINT(google-build-using-namespace): the store test helpers

constexpr core::Timestamp kD0 = kT0;                       // start of day kDay0
constexpr core::Timestamp kD1 = kT0 + kSecondsPerDay;      // start of the next day
constexpr core::Timestamp kD2 = kT0 + 2 * kSecondsPerDay;  // …
constexpr core::Timestamp kD3 = kT0 + 3 * kSecondsPerDay;

class StoreContract : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        auto made = makeBackendStore(GetParam());
        if (made.skip) {
            GTEST_SKIP() << made.why;
        }
        ASSERT_TRUE(made.location) << made.why;
        location_ = std::move(made.location);
        auto store = openStore(location_->location());
        ASSERT_TRUE(store) << store.error();
        store_ = std::move(*store);
    }

    Store& store() { return *store_; }

    std::unique_ptr<Store> reopen() {
        store_.reset();
        auto store = openStore(location_->location());
        EXPECT_TRUE(store) << store.error();
        return store ? std::move(*store) : nullptr;
    }

    void ingest(const IngestBatch& batch, IngestOutcome expected = IngestOutcome::kStored) {
        auto outcome = store().ingest(batch);
        ASSERT_TRUE(outcome) << outcome.error();
        EXPECT_EQ(*outcome, expected);
    }

    EdgeMap load(core::TimeWindow window = {},
                 bool windowed_counts = false,
                 const std::string& cluster = "prod") {
        auto edges = store().loadEdges({cluster, window, windowed_counts});
        EXPECT_TRUE(edges) << edges.error();
        return edges ? edgeMap(*edges) : EdgeMap{};
    }

    std::set<std::string> members(core::TimeWindow window, bool windowed_counts = false) {
        std::set<std::string> out;
        for (const auto& [name, seen] : load(window, windowed_counts)) {
            out.insert(name);
        }
        return out;
    }

    // n more connections to the store, for concurrent writers.
    std::vector<std::unique_ptr<Store>> connections(int n) {
        std::vector<std::unique_ptr<Store>> out;
        for (int i = 0; i < n; ++i) {
            auto opened = openStore(location_->location());
            EXPECT_TRUE(opened) << opened.error();
            out.push_back(opened ? std::move(*opened) : nullptr);
        }
        return out;
    }

    std::unique_ptr<StoreLocation> location_;
    std::unique_ptr<Store> store_;
};

const std::string kAB = edgeName("shop/a", "shop/b", 80);
const std::string kBC = edgeName("shop/b", "shop/c", 443);
const std::string kCD = edgeName("shop/c", "shop/d", 5432);
const std::string kUD = edgeName("internet", "shop/d", 8080);

// Day 0: a>b at 100 and 200, b>c at 300; day 1: c>d; undated: internet>d. b>c also the day before.
IngestBatch windowBatch() {
    return BatchBuilder("w1")
        .flow("shop/a", "shop/b", 80, kD0 + 100)
        .flow("shop/a", "shop/b", 80, kD0 + 200, 2)
        .flow("shop/b", "shop/c", 443, kD0 - 1000)
        .flow("shop/b", "shop/c", 443, kD0 + 300, 4)
        .flow("shop/c", "shop/d", 5432, kD1 + 5, 7)
        .flow("internet", "shop/d", 8080, core::kUndated, 3)
        .build();
}

TEST_P(StoreContract, IngestThenLoadAll) {
    ingest(windowBatch());
    EXPECT_EQ(load(),
              (EdgeMap{{kAB, {3, kD0 + 100, kD0 + 200}},
                       {kBC, {5, kD0 - 1000, kD0 + 300}},
                       {kCD, {7, kD1 + 5, kD1 + 5}},
                       {kUD, {3, core::kUndated, core::kUndated}}}));
    auto edges = store().loadEdges({"prod", {}});
    ASSERT_TRUE(edges) << edges.error();
    EXPECT_EQ(edges->entities.size(), 5u) << "only referenced entities, each once";
    EXPECT_TRUE(std::is_sorted(
        edges->edges.begin(), edges->edges.end(), [](const EdgeRow& a, const EdgeRow& b) {
            return std::tie(a.src, a.dst, a.port, a.protocol) <
                   std::tie(b.src, b.dst, b.port, b.protocol);
        }));
}

TEST_P(StoreContract, UnknownClusterIsEmpty) {
    ingest(windowBatch());
    auto edges = store().loadEdges({"staging", {}});
    ASSERT_TRUE(edges) << edges.error();
    EXPECT_TRUE(edges->edges.empty());
    EXPECT_TRUE(edges->entities.empty());
}

TEST_P(StoreContract, SinceIsExactToTheSecondOnTheBoundaryDay) {
    ingest(windowBatch());
    for (bool windowed : {false, true}) {
        SCOPED_TRACE(windowed ? "windowed counts" : "totals");
        EXPECT_EQ(members(since(kD0 + 200), windowed), (std::set{kAB, kBC, kCD, kUD}));
        EXPECT_EQ(members(since(kD0 + 201), windowed), (std::set{kBC, kCD, kUD}));
        EXPECT_EQ(members(since(kD0 + 301), windowed), (std::set{kCD, kUD}));
        EXPECT_EQ(members(since(kD1 + 6), windowed), (std::set{kUD}));
        EXPECT_EQ(members(since(kD0 - 5000), windowed), (std::set{kAB, kBC, kCD, kUD}));
    }
}

TEST_P(StoreContract, SinceCountsAreTotalsUnlessWindowed) {
    ingest(windowBatch());
    // Totals: everything stored for the edge, also the day before the window.
    EXPECT_EQ(load(since(kD0 + 250))[kBC], (Seen{5, kD0 - 1000, kD0 + 300}));
    // Windowed: the buckets in the window, the boundary day whole.
    const EdgeMap windowed = load(since(kD0 + 250), true);
    EXPECT_EQ(windowed.at(kBC), (Seen{4, kD0 + 300, kD0 + 300}));
    EXPECT_EQ(windowed.at(kCD), (Seen{7, kD1 + 5, kD1 + 5}));
    EXPECT_EQ(windowed.at(kUD), (Seen{3, core::kUndated, core::kUndated}));
    // a>b's day-0 bucket (100..200) is in from since 200: whole, with the flow at 100.
    EXPECT_EQ(load(since(kD0 + 200), true).at(kAB), (Seen{3, kD0 + 100, kD0 + 200}));
}

TEST_P(StoreContract, UntilIsExactToTheSecondOnTheBoundaryDay) {
    ingest(windowBatch());
    EXPECT_EQ(members(until(kD0 - 1001)), (std::set{kUD}));
    EXPECT_EQ(members(until(kD0 - 1000)), (std::set{kBC, kUD}));
    EXPECT_EQ(members(until(kD0 + 99)), (std::set{kBC, kUD}));
    EXPECT_EQ(members(until(kD0 + 100)), (std::set{kAB, kBC, kUD}));
    EXPECT_EQ(members(until(kD1 + 4)), (std::set{kAB, kBC, kUD}));
    EXPECT_EQ(members(until(kD1 + 5)), (std::set{kAB, kBC, kCD, kUD}));
    // Windowed counts: b>c's buckets of both days are in.
    EXPECT_EQ(load(until(kD0 + 300))[kBC], (Seen{5, kD0 - 1000, kD0 + 300}));
    EXPECT_EQ(load(until(kD0 + 299))[kBC], (Seen{1, kD0 - 1000, kD0 - 1000}))
        << "b>c's day-0 bucket starts after until";
    EXPECT_EQ(load(until(kD0 + 150))[kAB], (Seen{3, kD0 + 100, kD0 + 200}))
        << "the until boundary day is whole: the flows at 200 count";
    EXPECT_EQ(load(until(kD0 - 1))[kBC], (Seen{1, kD0 - 1000, kD0 - 1000}));
}

TEST_P(StoreContract, SinceAndUntil) {
    ingest(windowBatch());
    // Different days: exact at both ends.
    EXPECT_EQ(members(between(kD0 + 201, kD1 + 4)), (std::set{kBC, kUD}));
    EXPECT_EQ(members(between(kD0 + 200, kD1 + 5)), (std::set{kAB, kBC, kCD, kUD}));
    EXPECT_EQ(load(between(kD0 + 201, kD1 + 4))[kBC], (Seen{4, kD0 + 300, kD0 + 300}));
    // One day: a bucket is in when its [first, last] meets [since, until].
    EXPECT_EQ(members(between(kD0 + 150, kD0 + 160)), (std::set{kAB, kUD}))
        << "a>b was seen at 100 and 200: the day's bucket spans the window";
    EXPECT_EQ(members(between(kD0 + 201, kD0 + 299)), (std::set{kUD}));
    // An empty window still has the undated edges.
    EXPECT_EQ(members(between(kD3, kD3 + 10)), (std::set{kUD}));
}

TEST_P(StoreContract, SameDigestTwiceChangesNothing) {
    ingest(windowBatch());
    const EdgeMap before = load();
    IngestBatch again = windowBatch();
    again.record.source = "other-name.jsonl";  // the digest decides, not the name
    ingest(again, IngestOutcome::kAlreadyIngested);
    EXPECT_EQ(load(), before);
    auto records = store().ingests("prod");
    ASSERT_TRUE(records) << records.error();
    ASSERT_EQ(records->size(), 1u);
    EXPECT_EQ((*records)[0].source, "flows.jsonl");
    // The same digest for another cluster is another ingest.
    IngestBatch other = windowBatch();
    other.record.cluster = "staging";
    ingest(other);
    EXPECT_EQ(load({}, false, "staging"), before);
    EXPECT_EQ(load(), before);
}

TEST_P(StoreContract, SameEdgesUnderTwoDigestsAddUp) {
    ingest(windowBatch());
    IngestBatch second = windowBatch();
    second.record.digest = "w2";
    ingest(second);
    EXPECT_EQ(load(),
              (EdgeMap{{kAB, {6, kD0 + 100, kD0 + 200}},
                       {kBC, {10, kD0 - 1000, kD0 + 300}},
                       {kCD, {14, kD1 + 5, kD1 + 5}},
                       {kUD, {6, core::kUndated, core::kUndated}}}));
    EXPECT_EQ(load(since(kD0), true).at(kBC), (Seen{8, kD0 + 300, kD0 + 300}));
    // A later batch widens first/last of an existing bucket and total.
    ingest(BatchBuilder("w3").flow("shop/a", "shop/b", 80, kD0 + 50).build());
    ingest(BatchBuilder("w4").flow("shop/a", "shop/b", 80, kD0 + 900).build());
    EXPECT_EQ(load().at(kAB), (Seen{8, kD0 + 50, kD0 + 900}));
    EXPECT_EQ(load(until(kD1), true).at(kAB), (Seen{8, kD0 + 50, kD0 + 900}));
}

TEST_P(StoreContract, UndatedThenDatedTotals) {
    ingest(BatchBuilder("u").flow("shop/a", "shop/b", 80, core::kUndated, 2).build());
    EXPECT_EQ(load().at(kAB), (Seen{2, core::kUndated, core::kUndated}));
    ingest(BatchBuilder("d").flow("shop/a", "shop/b", 80, kD1 + 7).build());
    EXPECT_EQ(load().at(kAB), (Seen{3, kD1 + 7, kD1 + 7}));
    ingest(BatchBuilder("u2").flow("shop/a", "shop/b", 80, core::kUndated).build());
    EXPECT_EQ(load().at(kAB), (Seen{4, kD1 + 7, kD1 + 7}));
    EXPECT_EQ(load(since(kD2)).at(kAB), (Seen{4, kD1 + 7, kD1 + 7}));
    EXPECT_EQ(load(since(kD2), true).at(kAB), (Seen{3, core::kUndated, core::kUndated}));
}

TEST_P(StoreContract, EntitiesAreSharedAcrossBatches) {
    // The second batch lists its names in another order and one name twice.
    ingest(BatchBuilder("e1").flow("shop/a", "shop/b", 80, kD0).build());
    IngestBatch second;
    second.record = {"prod", "e2", "-", 0, 0, 2, kT0};
    second.entities = {"shop/b", "shop/a", "shop/a"};
    second.edges = {{kDay0, {1, 0, 80, core::Protocol::kTcp, 1, kD0 + 5, kD0 + 5}},
                    {kDay0, {2, 0, 80, core::Protocol::kTcp, 1, kD0 + 9, kD0 + 9}}};
    ingest(second);
    auto edges = store().loadEdges({"prod", {}});
    ASSERT_TRUE(edges) << edges.error();
    EXPECT_EQ(edges->entities.size(), 2u);
    EXPECT_EQ(edgeMap(*edges), (EdgeMap{{kAB, {3, kD0, kD0 + 9}}}));
    auto summary = store().summary();
    ASSERT_TRUE(summary) << summary.error();
    EXPECT_EQ(summary->entities, 2u);
    EXPECT_EQ(summary->edge_buckets, 1u);
}

TEST_P(StoreContract, ProtocolsAndPortsAreDistinctEdges) {
    ingest(BatchBuilder("p")
               .flow("shop/a", "shop/b", 53, kD0, 1, core::Protocol::kUdp)
               .flow("shop/a", "shop/b", 53, kD0, 2, core::Protocol::kTcp)
               .flow("shop/a", "shop/b", 0, kD0, 3, core::Protocol::kIcmp)
               .flow("shop/a", "shop/b", 0, kD0, 4, core::Protocol::kUnknown)
               .build());
    EXPECT_EQ(
        load(),
        (EdgeMap{{edgeName("shop/a", "shop/b", 53, core::Protocol::kUdp), {1, kD0, kD0}},
                 {edgeName("shop/a", "shop/b", 53), {2, kD0, kD0}},
                 {edgeName("shop/a", "shop/b", 0, core::Protocol::kIcmp), {3, kD0, kD0}},
                 {edgeName("shop/a", "shop/b", 0, core::Protocol::kUnknown), {4, kD0, kD0}}}));
}

TEST_P(StoreContract, InvalidBatchIsRefusedAndWritesNothing) {
    IngestBatch bad = windowBatch();
    bad.edges.push_back({kDay0, {0, 99, 80, core::Protocol::kTcp, 1, kD0, kD0}});
    auto outcome = store().ingest(bad);
    ASSERT_FALSE(outcome);
    EXPECT_NE(outcome.error().find("out of range"), std::string::npos) << outcome.error();
    IngestBatch wrong_day = windowBatch();
    wrong_day.edges.push_back({kDay0 + 1, {0, 1, 80, core::Protocol::kTcp, 1, kD0, kD0}});
    EXPECT_FALSE(store().ingest(wrong_day));
    EXPECT_TRUE(load().empty());
    // Nothing was recorded: the corrected batch still goes in.
    ingest(windowBatch());
}

TEST_P(StoreContract, UndatedFlowsAreInEveryWindowAndNeverPruned) {
    ingest(windowBatch());
    auto pruned = store().prune("prod", kD3 + 10 * kSecondsPerDay);
    ASSERT_TRUE(pruned) << pruned.error();
    EXPECT_EQ(pruned->buckets_removed, 4u);  // b>c day -1, a>b and b>c day 0, c>d day 1
    EXPECT_EQ(pruned->flows_removed, 15u);
    EXPECT_EQ(load(), (EdgeMap{{kUD, {3, core::kUndated, core::kUndated}}}));
    EXPECT_EQ(members(since(kD3 + 30 * kSecondsPerDay)), (std::set{kUD}));
    EXPECT_EQ(members(until(kD0 - 100 * kSecondsPerDay)), (std::set{kUD}));
}

TEST_P(StoreContract, PruneRemovesWholeDaysBeforeTheBoundary) {
    ingest(BatchBuilder("p1")
               .flow("shop/a", "shop/b", 80, kD0 + 10, 1)
               .flow("shop/a", "shop/b", 80, kD1 + 20, 2)
               .flow("shop/a", "shop/b", 80, kD2 + 30, 4)
               .flow("shop/b", "shop/c", 443, kD0 + 40, 8)
               .flow("shop/b", "shop/c", 443, core::kUndated, 16)
               .flow("shop/c", "shop/d", 5432, kD0 + 50, 32)
               .build());
    // Day 0 ends at kD1: a boundary one second short keeps it.
    auto none = store().prune("prod", kD1 - 1);
    ASSERT_TRUE(none) << none.error();
    EXPECT_EQ(none->buckets_removed, 0u);
    auto day0 = store().prune("prod", kD1);
    ASSERT_TRUE(day0) << day0.error();
    EXPECT_EQ(day0->buckets_removed, 3u);
    EXPECT_EQ(day0->flows_removed, 41u);
    EXPECT_EQ(
        load(),
        (EdgeMap{{kAB, {6, kD1 + 20, kD2 + 30}}, {kBC, {16, core::kUndated, core::kUndated}}}));
    EXPECT_EQ(members(since(kD1)), (std::set{kAB, kBC}));
    EXPECT_EQ(members(since(kD2 + 31)), (std::set{kBC}));
    // Mid-day: day 1 ends at kD2, so day 1 stays until then.
    auto mid = store().prune("prod", kD2 - 1);
    ASSERT_TRUE(mid) << mid.error();
    EXPECT_EQ(mid->buckets_removed, 0u);
    auto summary = store().summary();
    ASSERT_TRUE(summary) << summary.error();
    EXPECT_EQ(summary->first_day, kDay0 + 1);
    EXPECT_EQ(summary->last_day, kDay0 + 2);
    EXPECT_EQ(summary->flows, 22u);
    EXPECT_EQ(summary->edge_buckets, 3u);  // a>b days 1 and 2, b>c undated
    // Other clusters are untouched, and pruning an unknown cluster is no error.
    auto unknown = store().prune("nowhere", kD3);
    ASSERT_TRUE(unknown) << unknown.error();
    EXPECT_EQ(unknown->buckets_removed, 0u);
}

TEST_P(StoreContract, PruneLeavesOtherClustersAlone) {
    ingest(windowBatch());
    IngestBatch staging = windowBatch();
    staging.record.cluster = "staging";
    ingest(staging);
    auto pruned = store().prune("prod", kD3);
    ASSERT_TRUE(pruned) << pruned.error();
    EXPECT_EQ(load({}, false, "staging").size(), 4u);
    EXPECT_EQ(load().size(), 1u);
}

TEST_P(StoreContract, DataSurvivesReopening) {
    ingest(windowBatch());
    const EdgeMap before = load();
    auto again = reopen();
    ASSERT_TRUE(again);
    store_ = std::move(again);
    EXPECT_EQ(load(), before);
    ingest(windowBatch(), IngestOutcome::kAlreadyIngested);
}

TEST_P(StoreContract, IngestRecordsRoundTrip) {
    IngestBatch b = windowBatch();
    b.record = {"prod", "d1", "/var/log/flows.jsonl.gz", 123456, 789, 18, kT0 + 5};
    ingest(b);
    b.record = {"prod", "d2", "-", 1, 2, 3, kT0 + 9};
    ingest(b);
    auto records = store().ingests("prod");
    ASSERT_TRUE(records) << records.error();
    ASSERT_EQ(records->size(), 2u);
    const IngestRecord& r = (*records)[0];
    EXPECT_EQ(std::tie(r.cluster, r.digest, r.source, r.bytes, r.lines, r.flows, r.ingested_at),
              std::make_tuple(std::string("prod"),
                              std::string("d1"),
                              std::string("/var/log/flows.jsonl.gz"),
                              uint64_t{123456},
                              uint64_t{789},
                              uint64_t{18},
                              kT0 + 5));
    EXPECT_EQ((*records)[1].digest, "d2");
    auto none = store().ingests("staging");
    ASSERT_TRUE(none) << none.error();
    EXPECT_TRUE(none->empty());
}

TEST_P(StoreContract, SnapshotsRoundTripLatestPerCluster) {
    auto empty = store().latestSnapshot("prod");
    ASSERT_TRUE(empty) << empty.error();
    EXPECT_FALSE(*empty);
    const std::string binary("a\0b\xff\n", 5);  // bytes as read, not text
    Snapshot first{0, "prod", kT0, {{"cluster.json", "{}"}, {"dir/x.yaml", binary}}};
    Snapshot second{0, "prod", kT0 + 60, {{"b.yaml", "kind: List"}, {"a.yaml", ""}}};
    Snapshot older{0, "prod", kT0 - 60, {{"old.yaml", "old"}}};  // stored last, taken first
    Snapshot staging{0, "staging", kT0 + 999, {{"s.yaml", "s"}}};
    std::vector<int64_t> ids;
    for (const Snapshot* s : {&first, &second, &older, &staging}) {
        auto id = store().putSnapshot(*s);
        ASSERT_TRUE(id) << id.error();
        ids.push_back(*id);
    }
    EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()).size(), 4u);
    auto latest = store().latestSnapshot("prod");
    ASSERT_TRUE(latest && *latest) << (latest ? "none" : latest.error());
    const Snapshot& s = **latest;
    EXPECT_EQ(s.id, ids[1]);
    EXPECT_EQ(s.cluster, "prod");
    EXPECT_EQ(s.taken_at, kT0 + 60);
    ASSERT_EQ(s.files.size(), 2u);
    EXPECT_EQ(s.files[0].path, "b.yaml") << "files keep their order";
    EXPECT_EQ(s.files[1].path, "a.yaml");
    EXPECT_EQ(s.files[1].content, "");
    auto other = store().latestSnapshot("staging");
    ASSERT_TRUE(other && *other);
    EXPECT_EQ((**other).files.at(0).content, "s");
    // Bytes survive exactly.
    Snapshot bin{0, "bin", kT0, {{"x", binary}}};
    ASSERT_TRUE(store().putSnapshot(bin));
    auto got = store().latestSnapshot("bin");
    ASSERT_TRUE(got && *got);
    EXPECT_EQ((**got).files.at(0).content, binary);
    // Equal taken_at: the later stored wins.
    Snapshot tie{0, "prod", kT0 + 60, {{"tie.yaml", "t"}}};
    auto tie_id = store().putSnapshot(tie);
    ASSERT_TRUE(tie_id);
    auto latest2 = store().latestSnapshot("prod");
    ASSERT_TRUE(latest2 && *latest2);
    EXPECT_EQ((**latest2).id, *tie_id);
}

TEST_P(StoreContract, AddressTenanciesAreWrittenWithSnapshotsAndUpdatedInPlace) {
    const auto ip = [](const char* t) { return *core::IpAddress::parse(t); };
    const core::PodTenant web{"shop", "web-5d9-a1b2c", "ReplicaSet", "web-5d9"};
    const core::PodTenant cart{"shop", "cart-0", "StatefulSet", "cart"};
    Snapshot first{0, "prod", kT0, {{"a.json", "{}"}}};
    first.tenancies = {{ip("10.0.0.5"), web, kT0 - 100, std::nullopt},
                       {ip("fd00::7"), cart, kT0 - 50, std::nullopt}};
    ASSERT_TRUE(store().putSnapshot(first));
    // The next snapshot closes web's tenancy (same key: one row) and opens cart's on the address.
    Snapshot second{0, "prod", kT0 + 60, {{"a.json", "{}"}}};
    second.tenancies = {{ip("10.0.0.5"), web, kT0 - 100, kT0 + 30},
                        {ip("10.0.0.5"), cart, kT0 + 40, std::nullopt}};
    ASSERT_TRUE(store().putSnapshot(second));
    Snapshot other{0, "staging", kT0, {{"s.json", "{}"}}};
    other.tenancies = {{ip("10.0.0.5"), cart, kT0, std::nullopt}};
    ASSERT_TRUE(store().putSnapshot(other));
    auto got = store().ipTenancies("prod");
    ASSERT_TRUE(got) << got.error();
    ASSERT_EQ(got->size(), 3u);
    core::IpTenancies history;
    for (auto& t : *got) {
        history.add(t);
    }
    EXPECT_EQ(*history.tenantAt(ip("10.0.0.5"), kT0), web);
    EXPECT_EQ(history.tenantAt(ip("10.0.0.5"), kT0 + 35), nullptr);
    EXPECT_EQ(*history.tenantAt(ip("10.0.0.5"), kT0 + 40), cart);
    EXPECT_EQ(*history.tenantAt(ip("fd00::7"), kT0), cart);
    auto none = store().ipTenancies("nowhere");
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}

TEST_P(StoreContract, KeepLatestDropsTheOlderSnapshotsOfThatClusterOnly) {
    ASSERT_TRUE(store().putSnapshot({0, "other", kT0 - 999, {{"o", "o"}}}));
    for (int i = 0; i < 5; ++i) {
        Snapshot s{0, "prod", kT0 + i, {{"f" + std::to_string(i), "x"}}};
        s.keep_latest = 2;
        ASSERT_TRUE(store().putSnapshot(s));
    }
    auto summary = store().summary();
    ASSERT_TRUE(summary) << summary.error();
    EXPECT_EQ(summary->snapshots, 3u);  // prod's newest two and other's one
    auto latest = store().latestSnapshot("prod");
    ASSERT_TRUE(latest && *latest);
    EXPECT_EQ((**latest).files.at(0).path, "f4");
    auto other = store().latestSnapshot("other");
    ASSERT_TRUE(other && *other);
}

// Records `r` expecting the cluster's latest record `latest`; the id, or 0 with a test failure.
int64_t recorded(Store& store, const ApplyRecord& r, int64_t latest) {
    auto outcome = store.recordApply(r, latest);
    EXPECT_TRUE(outcome) << outcome.error();
    EXPECT_TRUE(outcome && outcome->id) << "conflict: latest is #" << outcome->latest_id;
    return outcome && outcome->id ? *outcome->id : 0;
}

TEST_P(StoreContract, AppliesRoundTripInOrder) {
    ApplyRecord a{0, "prod", kT0, "alice", "apply: [p1]\n", "toDelete: [p1]\n", "apply", {}, true};
    ApplyRecord other{0, "staging", kT0 + 1, "bob", "x", "y", "apply", {}, false};
    const int64_t id_a = recorded(store(), a, 0);
    const int64_t id_other = recorded(store(), other, 0);  // another cluster: its own latest
    ApplyRecord b{
        0, "prod", kT0 - 100, "carol", "m2", "u2", "apply", {}, false, RecordEncoding::kYaml};
    const int64_t id_b = recorded(store(), b, id_a);
    ApplyRecord revert{0, "prod", kT0 + 50, "alice", "u2", "m2", "revert", id_a, true};
    const int64_t id_r = recorded(store(), revert, id_b);
    EXPECT_LT(id_a, id_other);
    EXPECT_LT(id_a, id_b);
    EXPECT_LT(id_b, id_r);

    auto history = store().history("prod");
    ASSERT_TRUE(history) << history.error();
    ASSERT_EQ(history->size(), 3u);
    const ApplyRecord& h0 = (*history)[0];
    EXPECT_EQ(h0.id, id_a);
    EXPECT_EQ(std::tie(h0.cluster, h0.applied_at, h0.user, h0.modification, h0.undo),
              std::tie(a.cluster, a.applied_at, a.user, a.modification, a.undo));
    EXPECT_EQ(h0.action, "apply");
    EXPECT_FALSE(h0.reverts_to);
    EXPECT_TRUE(h0.via_kubectl);
    EXPECT_EQ(h0.encoding, RecordEncoding::kJson);
    EXPECT_EQ((*history)[1].id, id_b) << "oldest first means in the order recorded";
    EXPECT_FALSE((*history)[1].via_kubectl);
    EXPECT_EQ((*history)[1].encoding, RecordEncoding::kYaml);
    EXPECT_EQ((*history)[2].action, "revert");
    EXPECT_EQ((*history)[2].reverts_to, id_a);

    ApplyRecord bad = a;
    bad.action = "delete";
    EXPECT_FALSE(store().recordApply(bad, id_r));
    ApplyRecord dangling = revert;
    dangling.reverts_to = id_r + 1000;
    EXPECT_FALSE(store().recordApply(dangling, id_r)) << "reverts_to names no apply";
    EXPECT_EQ(store().history("prod")->size(), 3u) << "refused records write nothing";
    auto staging = store().history("staging");
    ASSERT_TRUE(staging);
    ASSERT_EQ(staging->size(), 1u);
    EXPECT_EQ((*staging)[0].user, "bob");
}

TEST_P(StoreContract, AnApplyPlannedOnAnOlderHistoryIsAConflictAndWritesNothing) {
    const ApplyRecord a{0, "prod", kT0, "alice", "{}", "{}", "apply", {}, false};
    const int64_t first = recorded(store(), a, 0);
    // Planned, like `first`, on the empty history: another apply landed since.
    auto late = store().recordApply(a, 0);
    ASSERT_TRUE(late) << late.error();
    EXPECT_FALSE(late->id);
    EXPECT_EQ(late->latest_id, first);
    // Expecting a record that is not the latest is a conflict too, and so is one of no cluster.
    const int64_t second = recorded(store(), a, first);
    auto stale = store().recordApply(a, first);
    ASSERT_TRUE(stale) << stale.error();
    EXPECT_FALSE(stale->id);
    EXPECT_EQ(stale->latest_id, second);
    auto history = store().history("prod");
    ASSERT_TRUE(history) << history.error();
    EXPECT_EQ(history->size(), 2u);
}

// Ten writers, each on its own connection, record on the same (empty, then one-record) history
// at once: exactly one of each round wins, as concurrent applies or reverts of the server and of
// several `netpolgen apply` processes do.
TEST_P(StoreContract, OfConcurrentAppliesOnOneHistoryExactlyOneIsRecorded) {
    constexpr int kWriters = 10;
    int64_t expected = 0;
    for (const char* action : {"apply", "revert"}) {
        std::vector<std::unique_ptr<Store>> stores = connections(kWriters);
        ASSERT_FALSE(HasFailure());
        std::vector<core::Result<RecordOutcome>> outcomes(kWriters, core::Error{"not run"});
        std::vector<std::thread> threads;
        for (int i = 0; i < kWriters; ++i) {
            threads.emplace_back([&, i] {
                const ApplyRecord r{
                    0,
                    "prod",
                    kT0,
                    "w" + std::to_string(i),
                    "{}",
                    "{}",
                    action,
                    std::string(action) == "revert" ? std::optional(expected) : std::nullopt,
                    false};
                outcomes[i] = stores[i]->recordApply(r, expected);
            });
        }
        for (std::thread& t : threads) {
            t.join();
        }
        int wins = 0;
        int64_t winner = 0;
        for (const auto& outcome : outcomes) {
            ASSERT_TRUE(outcome) << outcome.error();
            if (outcome->id) {
                ++wins;
                winner = *outcome->id;
            }
        }
        EXPECT_EQ(wins, 1) << action;
        for (const auto& outcome : outcomes) {
            EXPECT_EQ(outcome->latest_id, winner) << "the losers saw the winner's record";
        }
        expected = winner;
    }
    auto history = store().history("prod");
    ASSERT_TRUE(history) << history.error();
    EXPECT_EQ(history->size(), 2u);
}

// (id, definition) of every stored notifier, in the order the store gives them.
using Rows = std::vector<std::pair<std::string, std::string>>;

Rows notifierRows(Store& store) {
    auto records = store.notifiers();
    EXPECT_TRUE(records) << records.error();
    Rows out;
    for (const NotifierRecord& r : records ? *records : std::vector<NotifierRecord>{}) {
        out.emplace_back(r.id, r.definition);
    }
    return out;
}

TEST_P(StoreContract, NotifiersCreateReplaceDeleteById) {
    EXPECT_EQ(notifierRows(store()), Rows{});
    // Definitions come back byte for byte, secrets and non-ASCII text included.
    const std::string hook = R"({"id":"hook","type":"webhook","webhook":{"password":"s3crét"}})";
    auto created = store().createNotifier({"hook", hook});
    ASSERT_TRUE(created) << created.error();
    EXPECT_TRUE(*created);
    ASSERT_TRUE(store().createNotifier({"b-chat", "{\"name\":\"ch\u00e2t\"}\n"}));
    auto again = store().createNotifier({"hook", "other"});
    ASSERT_TRUE(again) << again.error();
    EXPECT_FALSE(*again) << "a second create of one id";
    EXPECT_EQ(notifierRows(store()),
              (Rows{{"b-chat", "{\"name\":\"ch\u00e2t\"}\n"}, {"hook", hook}}))
        << "ordered by id, the refused create wrote nothing";

    auto replaced = store().replaceNotifierIf({"hook", "v2"}, hook);
    ASSERT_TRUE(replaced) << replaced.error();
    EXPECT_TRUE(*replaced);
    auto missing = store().replaceNotifierIf({"nope", "v"}, "");
    ASSERT_TRUE(missing) << missing.error();
    EXPECT_FALSE(*missing);
    EXPECT_EQ(notifierRows(store()),
              (Rows{{"b-chat", "{\"name\":\"ch\u00e2t\"}\n"}, {"hook", "v2"}}));

    auto deleted = store().deleteNotifier("b-chat");
    ASSERT_TRUE(deleted) << deleted.error();
    EXPECT_TRUE(*deleted);
    auto twice = store().deleteNotifier("b-chat");
    ASSERT_TRUE(twice) << twice.error();
    EXPECT_FALSE(*twice);
    store_ = reopen();
    ASSERT_TRUE(store_);
    EXPECT_EQ(notifierRows(store()), (Rows{{"hook", "v2"}})) << "after reopening";
}

// An update builds the new definition from the one it read (to keep masked secrets): it replaces
// only that one, so a change by another connection in between is never overwritten.
TEST_P(StoreContract, NotifierReplaceOnlyOverTheDefinitionRead) {
    ASSERT_TRUE(store().createNotifier({"hook", "v1"}));
    auto opened = openStore(location_->location());  // another connection, as another request has
    ASSERT_TRUE(opened) << opened.error();
    const std::unique_ptr<Store>& other = *opened;
    auto first = other->replaceNotifierIf({"hook", "v2 from the other"}, "v1");
    ASSERT_TRUE(first) << first.error();
    EXPECT_TRUE(*first);
    auto stale = store().replaceNotifierIf({"hook", "v2 from a stale read"}, "v1");
    ASSERT_TRUE(stale) << stale.error();
    EXPECT_FALSE(*stale) << "the definition read is no longer stored";
    EXPECT_EQ(notifierRows(store()), (Rows{{"hook", "v2 from the other"}}));
    ASSERT_TRUE(other->deleteNotifier("hook"));
    ASSERT_TRUE(store().createNotifier({"hook", "v1"}));
    auto recreated = other->replaceNotifierIf({"hook", "v3"}, "v2 from the other");
    ASSERT_TRUE(recreated) << recreated.error();
    EXPECT_FALSE(*recreated) << "deleted and created again since the read";
    EXPECT_EQ(notifierRows(store()), (Rows{{"hook", "v1"}}));
}

TEST_P(StoreContract, Summary) {
    auto empty = store().summary();
    ASSERT_TRUE(empty) << empty.error();
    EXPECT_EQ(empty->schema_version, kSchemaVersion);
    EXPECT_EQ(empty->edge_buckets, 0u);
    EXPECT_FALSE(empty->first_day);
    ingest(windowBatch());
    ASSERT_TRUE(store().putSnapshot({0, "prod", kT0, {{"a", "b"}}}));
    ASSERT_TRUE(store().recordApply({0, "prod", kT0, "u", "m", "u", "apply", {}, false}, 0));
    auto s = store().summary();
    ASSERT_TRUE(s) << s.error();
    EXPECT_EQ(s->schema_version, kSchemaVersion);
    EXPECT_EQ(s->entities, 5u);
    EXPECT_EQ(s->edge_buckets, 5u);  // b>c twice
    EXPECT_EQ(s->flows, 18u);
    EXPECT_EQ(s->ingests, 1u);
    EXPECT_EQ(s->snapshots, 1u);
    EXPECT_EQ(s->applies, 1u);
    EXPECT_EQ(s->first_day, kDay0 - 1);
    EXPECT_EQ(s->last_day, kDay0 + 1);
}

// Random flows over ten days in several batches: both read paths agree with a brute-force
// evaluation of the documented rule over the raw flows.
TEST_P(StoreContract, RandomWindowsMatchTheRule) {
    std::mt19937_64 rng(42);
    struct RawFlow {
        std::string edge;
        core::Timestamp time;
        uint64_t count;
    };
    std::vector<RawFlow> flows;
    const std::vector<std::string> names = {"ns/a", "ns/b", "ns/c", "ns/d", "internet"};
    for (int b = 0; b < 4; ++b) {
        BatchBuilder batch("r" + std::to_string(b));
        for (int i = 0; i < 200; ++i) {
            const std::string& src = names[rng() % names.size()];
            const std::string& dst = names[rng() % 4];
            const uint32_t port = 80 + static_cast<uint32_t>(rng() % 3);
            const core::Timestamp t =
                rng() % 20 == 0 ? core::kUndated : kD0 + static_cast<int64_t>(rng() % (10 * 86400));
            const uint64_t count = 1 + rng() % 5;
            batch.flow(src, dst, port, t, count);
            flows.push_back({edgeName(src, dst, port), t, count});
        }
        ingest(batch.build());
    }
    for (int q = 0; q < 60; ++q) {
        core::TimeWindow w;
        if (q % 3 != 1) {
            w.since = kD0 + static_cast<int64_t>(rng() % (11 * 86400)) - 86400;
        }
        if (q % 3 != 0) {
            w.until = (w.since ? *w.since : kD0) + static_cast<int64_t>(rng() % (4 * 86400));
        }
        // Brute force: buckets per (edge, day) from the raw flows, then the documented rule.
        std::map<std::pair<std::string, int64_t>, Seen> buckets;
        for (const RawFlow& f : flows) {
            Seen& s = buckets[{f.edge, dayOf(f.time)}];
            s.count += f.count;
            if (f.time != core::kUndated) {
                s.first = s.first == core::kUndated ? f.time : std::min(s.first, f.time);
                s.last = std::max(s.last, f.time);
            }
        }
        EdgeMap expected;
        for (const auto& [key, s] : buckets) {
            const bool in = key.second == kUndatedDay ||
                            ((!w.since || s.last >= *w.since) && (!w.until || s.first <= *w.until));
            if (in) {
                Seen& e = expected[key.first];
                e.count += s.count;
                if (s.first != core::kUndated) {
                    e.first = e.first == core::kUndated ? s.first : std::min(e.first, s.first);
                    e.last = std::max(e.last, s.last);
                }
            }
        }
        EXPECT_EQ(load(w, true), expected) << "query " << q;
        std::set<std::string> expected_members;
        for (const auto& [name, s] : expected) {
            expected_members.insert(name);
        }
        EXPECT_EQ(members(w), expected_members) << "query " << q;
    }
}

// --- re-ingest (IngestMode::kReplace) ---

// What a replace must restore: the totals of every edge, each day's buckets (windowed counts over
// one day: that day's bucket plus the undated one), and the summary's bucket and flow counts.
struct Dump {
    EdgeMap totals;
    std::map<int64_t, EdgeMap> days;
    uint64_t buckets = 0;
    uint64_t flows = 0;
    bool operator==(const Dump&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Dump& d) {
    os << "buckets " << d.buckets << ", flows " << d.flows << "\n";
    for (const auto& [name, seen] : d.totals) {
        os << "  total " << name << " " << seen << "\n";
    }
    for (const auto& [day, edges] : d.days) {
        for (const auto& [name, seen] : edges) {
            os << "  day " << day - kDay0 << " " << name << " " << seen << "\n";
        }
    }
    return os;
}

Dump dumpOf(Store& store) {
    Dump d;
    auto totals = store.loadEdges({"prod", {}});
    EXPECT_TRUE(totals) << totals.error();
    d.totals = totals ? edgeMap(*totals) : EdgeMap{};
    for (int64_t day = kDay0 - 2; day <= kDay0 + 12; ++day) {
        const core::Timestamp start = day * kSecondsPerDay;
        auto edges = store.loadEdges({"prod", between(start, start + kSecondsPerDay - 1), true});
        EXPECT_TRUE(edges) << edges.error();
        d.days[day] = edges ? edgeMap(*edges) : EdgeMap{};
    }
    auto summary = store.summary();
    EXPECT_TRUE(summary) << summary.error();
    d.buckets = summary ? summary->edge_buckets : 0;
    d.flows = summary ? summary->flows : 0;
    return d;
}

// A: the earliest flow of a>b's day-0 bucket, all of day 2, undated flows; shares keys with B.
IngestBatch replacedA() {
    return BatchBuilder("a")
        .flow("shop/a", "shop/b", 80, kD0 + 100, 2)
        .flow("shop/b", "shop/c", 443, kD0 + 300)
        .flow("shop/c", "shop/d", 5432, kD1 + 10, 3)
        .flow("internet", "shop/d", 8080, core::kUndated, 3)
        .flow("shop/a", "shop/b", 80, kD2 + 5)
        .build();
}

IngestBatch otherB() {
    return BatchBuilder("b")
        .flow("shop/a", "shop/b", 80, kD0 + 500)
        .flow("shop/b", "shop/c", 443, kD0 + 50, 5)
        .flow("internet", "shop/d", 8080, core::kUndated, 2)
        .flow("shop/d", "shop/e", 9000, kD1 + 20)
        .build();
}

// The same input (digest "a") resolved again: some of A's edges, some of B's, a new one.
IngestBatch replacementA() {
    IngestBatch b = BatchBuilder("a")
                        .flow("shop/a", "shop/b", 80, kD1 + 7)
                        .flow("shop/c", "shop/d", 5432, kD1 + 99, 2)
                        .flow("shop/d", "shop/e", 9000, kD1 + 1)
                        .flow("shop/x", "shop/y", 53, kD3 + 1, 6, core::Protocol::kUdp)
                        .build();
    b.record.source = "again.jsonl";
    b.record.skipped = {{"invalid", 1}};
    return b;
}

class FreshStore {
public:
    explicit FreshStore(Backend backend) {
        auto made = makeBackendStore(backend);
        EXPECT_TRUE(made.location) << made.why;
        location_ = std::move(made.location);
        auto opened = openStore(location_->location());
        EXPECT_TRUE(opened) << opened.error();
        store_ = std::move(*opened);
    }
    Store& operator*() { return *store_; }
    Store* operator->() { return store_.get(); }

private:
    std::unique_ptr<StoreLocation> location_;
    std::unique_ptr<Store> store_;
};

TEST_P(StoreContract, ReplacingAnIngestEqualsNeverHavingStoredIt) {
    ingest(replacedA());
    ingest(otherB());
    auto replaced = store().ingest(replacementA(), IngestMode::kReplace);
    ASSERT_TRUE(replaced) << replaced.error();
    EXPECT_EQ(*replaced, IngestOutcome::kReplaced);

    FreshStore fresh(GetParam());
    ASSERT_TRUE(fresh->ingest(otherB()));
    ASSERT_TRUE(fresh->ingest(replacementA()));
    EXPECT_EQ(dumpOf(store()), dumpOf(*fresh));
    // Spelled out: a>b's day-0 bucket is B's alone again (first seen kD0 + 500, not A's + 100),
    // day 2 is gone, the undated flows are B's.
    EXPECT_EQ(
        load(),
        (EdgeMap{{kAB, {2, kD0 + 500, kD1 + 7}},
                 {kBC, {5, kD0 + 50, kD0 + 50}},
                 {kCD, {2, kD1 + 99, kD1 + 99}},
                 {kUD, {2, core::kUndated, core::kUndated}},
                 {edgeName("shop/d", "shop/e", 9000), {2, kD1 + 1, kD1 + 20}},
                 {edgeName("shop/x", "shop/y", 53, core::Protocol::kUdp), {6, kD3 + 1, kD3 + 1}}}));
    // One record per digest: B, then A' with its own counts.
    auto records = store().ingests("prod");
    ASSERT_TRUE(records) << records.error();
    ASSERT_EQ(records->size(), 2u);
    EXPECT_EQ((*records)[0].digest, "b");
    EXPECT_EQ((*records)[1].digest, "a");
    EXPECT_EQ((*records)[1].source, "again.jsonl");
    EXPECT_EQ((*records)[1].flows, 10u);
    EXPECT_EQ((*records)[1].skipped, (std::vector<SkipCount>{{"invalid", 1}}));
    EXPECT_TRUE((*records)[1].replaceable);
}

TEST_P(StoreContract, ReplacingAgainAndAgainEqualsTheLastIngestAlone) {
    ingest(replacedA());
    for (int i = 0; i < 3; ++i) {
        auto replaced =
            store().ingest(i % 2 == 0 ? replacementA() : replacedA(), IngestMode::kReplace);
        ASSERT_TRUE(replaced) << replaced.error();
        EXPECT_EQ(*replaced, IngestOutcome::kReplaced);
    }
    FreshStore fresh(GetParam());
    ASSERT_TRUE(fresh->ingest(replacementA()));
    EXPECT_EQ(dumpOf(store()), dumpOf(*fresh));
}

TEST_P(StoreContract, ReplaceWithoutAnEarlierIngestStoresAndOnceLeavesItAlone) {
    auto first = store().ingest(replacedA(), IngestMode::kReplace);
    ASSERT_TRUE(first) << first.error();
    EXPECT_EQ(*first, IngestOutcome::kStored);
    const Dump before = dumpOf(store());
    ingest(replacementA(), IngestOutcome::kAlreadyIngested);
    EXPECT_EQ(dumpOf(store()), before);
    // Another cluster's ingest of the same digest is not replaced.
    IngestBatch staging = replacementA();
    staging.record.cluster = "staging";
    auto other = store().ingest(staging, IngestMode::kReplace);
    ASSERT_TRUE(other) << other.error();
    EXPECT_EQ(*other, IngestOutcome::kStored);
    const Dump after = dumpOf(store());  // the summary counts both clusters
    EXPECT_EQ(after.totals, before.totals);
    EXPECT_EQ(after.days, before.days);
}

TEST_P(StoreContract, ReplacingAfterAPruneTakesBackOnlyWhatIsLeft) {
    ingest(replacedA());
    ingest(otherB());
    ASSERT_TRUE(store().prune("prod", kD1));  // day 0 goes
    ingest(replacementA(), IngestOutcome::kAlreadyIngested);
    auto replaced = store().ingest(replacementA(), IngestMode::kReplace);
    ASSERT_TRUE(replaced) << replaced.error();

    FreshStore fresh(GetParam());
    ASSERT_TRUE(fresh->ingest(otherB()));
    ASSERT_TRUE(fresh->prune("prod", kD1));
    ASSERT_TRUE(fresh->ingest(replacementA()));
    EXPECT_EQ(dumpOf(store()), dumpOf(*fresh));
}

// Random batches over ten days, the middle one replaced: the same as storing the others and the
// replacement from scratch.
TEST_P(StoreContract, RandomReplacesEqualAStoreBuiltWithoutThem) {
    std::mt19937_64 rng(7);
    const std::vector<std::string> names = {"ns/a", "ns/b", "ns/c", "internet"};
    const auto randomBatch = [&](const std::string& digest) {
        BatchBuilder batch(digest);
        for (int i = 0; i < 150; ++i) {
            const core::Timestamp t =
                rng() % 15 == 0 ? core::kUndated : kD0 + static_cast<int64_t>(rng() % (10 * 86400));
            batch.flow(names[rng() % names.size()],
                       names[rng() % 3],
                       80 + static_cast<uint32_t>(rng() % 3),
                       t,
                       1 + rng() % 4);
        }
        return batch.build();
    };
    for (int round = 0; round < 3; ++round) {
        const IngestBatch first = randomBatch("first");
        const IngestBatch middle = randomBatch("middle");
        const IngestBatch last = randomBatch("last");
        const IngestBatch again = randomBatch("middle");
        FreshStore tested(GetParam());
        ASSERT_TRUE(tested->ingest(first));
        ASSERT_TRUE(tested->ingest(middle));
        ASSERT_TRUE(tested->ingest(last));
        auto replaced = tested->ingest(again, IngestMode::kReplace);
        ASSERT_TRUE(replaced) << replaced.error();
        EXPECT_EQ(*replaced, IngestOutcome::kReplaced);
        FreshStore fresh(GetParam());
        ASSERT_TRUE(fresh->ingest(first));
        ASSERT_TRUE(fresh->ingest(last));
        ASSERT_TRUE(fresh->ingest(again));
        EXPECT_EQ(dumpOf(*tested), dumpOf(*fresh)) << "round " << round;
    }
}

// Several connections replace the same input at once: each replace takes back the one before
// (they take turns), and the end is one ingest of it.
TEST_P(StoreContract, ConcurrentReplacesOfOneInputLeaveOneIngest) {
    ingest(replacedA());
    ingest(otherB());
    constexpr int kWriters = 4;
    std::vector<std::unique_ptr<Store>> stores = connections(kWriters);
    ASSERT_FALSE(HasFailure());
    std::vector<core::Result<IngestOutcome>> outcomes(kWriters, core::Error{"not run"});
    std::vector<std::thread> threads;
    for (int i = 0; i < kWriters; ++i) {
        threads.emplace_back(
            [&, i] { outcomes[i] = stores[i]->ingest(replacementA(), IngestMode::kReplace); });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    for (const auto& outcome : outcomes) {
        ASSERT_TRUE(outcome) << outcome.error();
        EXPECT_EQ(*outcome, IngestOutcome::kReplaced);
    }
    FreshStore fresh(GetParam());
    ASSERT_TRUE(fresh->ingest(otherB()));
    ASSERT_TRUE(fresh->ingest(replacementA()));
    EXPECT_EQ(dumpOf(store()), dumpOf(*fresh));
    auto records = store().ingests("prod");
    ASSERT_TRUE(records) << records.error();
    EXPECT_EQ(records->size(), 2u);
}

TEST_P(StoreContract, SkipCountsRoundTripInOrder) {
    IngestBatch b = windowBatch();
    b.record.skipped = {{"unknown-workload", 7}, {"dropped", 2}, {"invalid", 1}};
    ingest(b);
    IngestBatch none = windowBatch();
    none.record.digest = "w2";
    ingest(none);
    auto records = store().ingests("prod");
    ASSERT_TRUE(records) << records.error();
    ASSERT_EQ(records->size(), 2u);
    EXPECT_EQ((*records)[0].skipped, b.record.skipped);
    EXPECT_TRUE((*records)[1].skipped.empty());
}

// --- followed sources (collect --follow)
// ----------------------------------------------------------

FollowCommit followCommit(IngestBatch batch,
                          std::optional<FileCursor> expected,
                          FileCursor cursor,
                          std::vector<std::string> done = {}) {
    batch.record.digest = "follow:/var/run/events.log";
    batch.record.source = "/var/run/events.log";
    return {std::move(batch), std::move(expected), std::move(cursor), std::move(done), {}, {}};
}

TEST_P(StoreContract, FollowCommitsAddUpIntoOneIngestWithTheirCursor) {
    const FileCursor first{7, 42, "2-aaaa", 100};
    const FileCursor second{7, 42, "2-aaaa", 250};
    IngestBatch a = BatchBuilder("x").flow("shop/a", "shop/b", 80, kD0 + 10, 2).build();
    a.record.lines = 5;
    a.record.bytes = 100;
    a.record.skipped = {{"invalid", 1}, {"reply", 2}};
    IngestBatch b = BatchBuilder("x")
                        .flow("shop/a", "shop/b", 80, kD0 + 20)
                        .flow("shop/c", "shop/b", 80, kD1 + 5)
                        .build();
    b.record.lines = 4;
    b.record.bytes = 150;
    b.record.skipped = {{"reply", 1}, {"unknown-workload", 3}};
    auto stored = store().commitFollow(followCommit(a, std::nullopt, first, {"9-done"}));
    ASSERT_TRUE(stored) << stored.error();
    EXPECT_TRUE(*stored);
    stored = reopen()->commitFollow(followCommit(b, first, second));
    ASSERT_TRUE(stored) << stored.error();
    EXPECT_TRUE(*stored);

    auto store = reopen();
    EXPECT_EQ(edgeMap(*store->loadEdges({"prod", {}})),
              (EdgeMap{{edgeName("shop/a", "shop/b", 80), {3, kD0 + 10, kD0 + 20}},
                       {edgeName("shop/c", "shop/b", 80), {1, kD1 + 5, kD1 + 5}}}));
    auto records = store->ingests("prod");
    ASSERT_TRUE(records) << records.error();
    ASSERT_EQ(records->size(), 1u);
    const IngestRecord& r = (*records)[0];
    EXPECT_EQ(std::tie(r.bytes, r.lines, r.flows), std::make_tuple(250u, 9u, 4u));
    EXPECT_EQ(r.skipped,
              (std::vector<SkipCount>{{"invalid", 1}, {"reply", 3}, {"unknown-workload", 3}}));
    auto state = store->followState("prod", "follow:/var/run/events.log");
    ASSERT_TRUE(state) << state.error();
    EXPECT_EQ(state->cursor, second);
    EXPECT_EQ(state->done, std::vector<std::string>{"9-done"});
}

TEST_P(StoreContract, AFollowCommitOverAMovedCursorWritesNothing) {
    const FileCursor first{7, 42, "2-aaaa", 100};
    IngestBatch a = BatchBuilder("x").flow("shop/a", "shop/b", 80, kD0 + 10).build();
    ASSERT_TRUE(*store().commitFollow(followCommit(a, std::nullopt, first)));
    // A second collector started from nothing, or from an older cursor: refused.
    auto stale = store().commitFollow(followCommit(a, std::nullopt, {7, 42, "2-aaaa", 300}));
    ASSERT_TRUE(stale) << stale.error();
    EXPECT_FALSE(*stale);
    auto older = store().commitFollow(followCommit(a, FileCursor{7, 42, "2-aaaa", 50}, first));
    ASSERT_TRUE(older) << older.error();
    EXPECT_FALSE(*older);
    EXPECT_EQ(load(), (EdgeMap{{edgeName("shop/a", "shop/b", 80), {1, kD0 + 10, kD0 + 10}}}));
    auto state = store().followState("prod", "follow:/var/run/events.log");
    ASSERT_TRUE(state) << state.error();
    EXPECT_EQ(state->cursor, first);
    auto none = store().followState("prod", "follow:/elsewhere.log");
    ASSERT_TRUE(none) << none.error();
    EXPECT_FALSE(none->cursor);
}

// A streamed source (collect --hubble-relay, --kafka): no file cursor, positions per stream.
FollowCommit streamCommit(IngestBatch batch, std::vector<StreamAdvance> streams) {
    batch.record.digest = "relay:relay:4245";
    batch.record.source = "relay:4245";
    FollowCommit c{std::move(batch), std::nullopt, std::nullopt, {}, {}, {}};
    c.streams = std::move(streams);
    return c;
}

TEST_P(StoreContract, StreamPositionsMoveWithTheirFlowsAndRefuseAStaleCollector) {
    IngestBatch a = BatchBuilder("x").flow("shop/a", "shop/b", 80, kD0 + 10).build();
    IngestBatch b = BatchBuilder("x").flow("shop/c", "shop/b", 80, kD0 + 20, 4).build();
    auto first = store().commitFollow(
        streamCommit(a, {{"c/node-1", std::nullopt, 100}, {"c/node-2", std::nullopt, 7}}));
    ASSERT_TRUE(first) << first.error();
    EXPECT_TRUE(*first);
    // Only node-1 moves; node-2 keeps its position.
    auto reopened = reopen();
    auto second = reopened->commitFollow(streamCommit(b, {{"c/node-1", 100, 250}}));
    ASSERT_TRUE(second) << second.error();
    EXPECT_TRUE(*second);
    // A collector that read node-1 at 100 (it lost the stream since): nothing written.
    auto stale = reopened->commitFollow(streamCommit(b, {{"c/node-1", 100, 900}}));
    ASSERT_TRUE(stale) << stale.error();
    EXPECT_FALSE(*stale);
    auto fresh = reopened->commitFollow(streamCommit(b, {{"c/node-3", 5, 9}}));
    ASSERT_TRUE(fresh) << fresh.error();
    EXPECT_FALSE(*fresh) << "a stream the store lacks is not at 5";

    auto state = reopened->followState("prod", "relay:relay:4245");
    ASSERT_TRUE(state) << state.error();
    EXPECT_FALSE(state->cursor) << "no file cursor for a streamed source";
    EXPECT_EQ(state->streams, (std::vector<StreamPosition>{{"c/node-1", 250}, {"c/node-2", 7}}));
    EXPECT_EQ(edgeMap(*reopened->loadEdges({"prod", {}})),
              (EdgeMap{{edgeName("shop/a", "shop/b", 80), {1, kD0 + 10, kD0 + 10}},
                       {edgeName("shop/c", "shop/b", 80), {4, kD0 + 20, kD0 + 20}}}));
    auto records = reopened->ingests("prod");
    ASSERT_TRUE(records) << records.error();
    ASSERT_EQ(records->size(), 1u);
    EXPECT_EQ((*records)[0].flows, 5u);
}

TEST_P(StoreContract, FollowedFlowsAreContributionsLikeAnyIngest) {
    // A followed source's flows survive replacing another ingest of the same buckets exactly.
    IngestBatch a = BatchBuilder("x").flow("shop/a", "shop/b", 80, kD0 + 10, 2).build();
    ASSERT_TRUE(*store().commitFollow(followCommit(a, std::nullopt, {1, 2, "2-aa", 10})));
    ingest(BatchBuilder("file").flow("shop/a", "shop/b", 80, kD0 + 99, 5).build());
    auto replaced = store().ingest(
        BatchBuilder("file").flow("shop/a", "shop/b", 80, kD0 + 50).build(), IngestMode::kReplace);
    ASSERT_TRUE(replaced) << replaced.error();
    EXPECT_EQ(load(), (EdgeMap{{edgeName("shop/a", "shop/b", 80), {3, kD0 + 10, kD0 + 50}}}));
}

TEST_P(StoreContract, LatestSnapshotIdIsTheLatestSnapshots) {
    auto none = store().latestSnapshotId("prod");
    ASSERT_TRUE(none) << none.error();
    EXPECT_FALSE(*none);
    auto first = store().putSnapshot({0, "prod", kT0 + 10, {{"a.yaml", "x"}}});
    auto older = store().putSnapshot({0, "prod", kT0 + 5, {{"a.yaml", "y"}}});
    ASSERT_TRUE(first && older);
    auto latest = store().latestSnapshotId("prod");
    ASSERT_TRUE(latest) << latest.error();
    EXPECT_EQ(*latest, std::optional<int64_t>(*first));
}

INSTANTIATE_TEST_SUITE_P(StoreSqlite, StoreContract, ::testing::Values(Backend::kSqlite));
INSTANTIATE_TEST_SUITE_P(StorePostgres, StoreContract, ::testing::Values(Backend::kPostgres));

}  // namespace
}  // namespace netpolgen::store
