// snapshot, ingest, prune and the --db inputs of generate/simulate/compare end to end: the real
// command line on a temporary SQLite store.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "../support/cli_run.h"
#include "../support/deployment_yaml.h"
#include "../support/store_edit.h"
#include "cli/app.h"
#include "cli/sha256.h"
#include "io/flow_reader.h"
#include "io/time_text.h"
#include "store/store.h"

namespace netpolgen {
namespace {

namespace fs = std::filesystem;

constexpr core::Timestamp kDay0 = 1795132800;  // 2026-11-20T00:00:00Z
constexpr core::Timestamp kHour = 3600;
constexpr core::Timestamp kDay = 86400;
const std::string kNow = "2026-11-27T00:00:00Z";

std::string deployment(const std::string& ns, const std::string& name, int port) {
    return testing_support::deploymentYaml(ns, name, port);
}

// shop/web is exposed by a NodePort Service; shop/api has a pod with an IP, so flows may name it
// by address.
std::string clusterYaml(bool with_old) {
    std::string y = deployment("shop", "web", 8080) + deployment("shop", "api", 9000) +
                    deployment("shop", "db", 5432) + deployment("pay", "gw", 8443) +
                    deployment("pay", "ledger", 7000);
    y += "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: api-1\n  namespace: shop\n  labels:\n"
         "    app: api\nspec:\n  containers:\n  - name: c\nstatus:\n  podIP: 10.244.0.5\n";
    y += "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n"
         "  type: NodePort\n  selector:\n    app: web\n  ports:\n  - port: 80\n    targetPort: "
         "8080\n";
    if (with_old) {
        y += deployment("shop", "old", 6000);
    }
    return y;
}

std::string flowLine(
    const std::string& src, const std::string& dst, int port, core::Timestamp time, int count) {
    std::string line =
        R"({"src":")" + src + R"(","dst":")" + dst + R"(","port":)" + std::to_string(port);
    if (time != core::kUndated) {
        line += R"(,"time":")" + io::formatRfc3339(time) + "\"";
    }
    return line + R"(,"count":)" + std::to_string(count) + "}\n";
}

// Flows over six days (2026-11-20 to 25): edge k (a distinct port each) first at
// kDay0 + k·5h + 17min, every third edge again 30 h later, plus an undated edge and flows by
// address. Any --since or --until inside those days changes which edges are in.
std::string flowsText(bool with_old) {
    const std::vector<std::string> sources{
        "shop/web", "shop/api", "pay/gw", "pay/ledger", "203.0.113.9", "10.244.0.5", "internal"};
    const std::vector<std::string> destinations{"shop/api", "shop/db", "pay/ledger", "shop/web"};
    std::string text;
    for (int k = 0; k < 19; ++k) {
        const core::Timestamp t = kDay0 + k * 5 * kHour + 17 * 60;
        const std::string& src = sources[k % sources.size()];
        const std::string& dst = destinations[k % destinations.size()];
        text += flowLine(src, dst, 1000 + k, t, 1 + k % 3);
        if (k % 3 == 0) {
            text += flowLine(src, dst, 1000 + k, t + 30 * kHour, 2);
        }
    }
    text += flowLine("pay/gw", "shop/db", 5432, core::kUndated, 4);
    if (with_old) {
        text += flowLine("shop/old", "shop/db", 5432, kDay0 + 2 * kDay + 5, 7);
        text += flowLine("shop/web", "shop/old", 6000, kDay0 + 3 * kDay + 5, 1);
    }
    return text;
}

// When edge k is first seen (see flowsText).
core::Timestamp edgeTime(int k) {
    return kDay0 + k * 5 * kHour + 17 * 60;
}

class StoreCli : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("netpolgen-store-cli-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        db_ = (dir_ / "store.db").string();
        cluster_ = write("cluster.yaml", clusterYaml(false));
        flows_ = write("flows.jsonl", flowsText(false));
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text) {
        const std::string path = (dir_ / name).string();
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }

    int run(std::vector<std::string> args) {
        testing_support::CliRun r = testing_support::runNetpolgen(std::move(args));
        out_ = std::move(r.out);
        err_ = std::move(r.err);
        return r.status;
    }

    // A store with the cluster's snapshot and the flows ingested (resolved against the snapshot).
    void fillStore() {
        ASSERT_EQ(run({"snapshot", "--db", db_, "--cluster", cluster_, "--now", kNow}), 0) << err_;
        ASSERT_EQ(run({"ingest", "--db", db_, "--flows", flows_, "--now", kNow}), 0) << err_;
    }

    std::unique_ptr<store::Store> open() {
        auto s = store::openStore(db_);
        EXPECT_TRUE(s.ok()) << s.error();
        return s.ok() ? std::move(*s) : nullptr;
    }

    // stdout of `generate` with the given window, from the files or from the store.
    std::string generate(bool from_store, const std::vector<std::string>& window) {
        std::vector<std::string> args{"generate", "--now", kNow};
        if (from_store) {
            args.insert(args.end(), {"--db", db_});
        } else {
            args.insert(args.end(), {"--cluster", cluster_, "--flows", flows_});
        }
        args.insert(args.end(), window.begin(), window.end());
        EXPECT_EQ(run(args), 0) << err_;
        return out_;
    }

    fs::path dir_;
    std::string db_;
    std::string cluster_;
    std::string flows_;
    std::string out_;
    std::string err_;
};

TEST_F(StoreCli, GenerateFromTheStoreIsByteIdenticalToGenerateFromTheFiles) {
    fillStore();
    const std::vector<std::vector<std::string>> windows{
        {},
        {"--since", "2026-11-22T12:00:00Z"},  // the middle of a day
        {"--since", io::formatRfc3339(edgeTime(9))},
        {"--since", io::formatRfc3339(edgeTime(9) + 1)},
        {"--since", io::formatRfc3339(edgeTime(9) - 1)},
        {"--since", "2026-11-21T00:00:00Z"},  // midnight
        {"--since", "60h"},                   // from --now: 2026-11-24T12:00:00Z
        {"--until", "2026-11-21T12:00:00Z"},
        {"--until", io::formatRfc3339(edgeTime(7))},
        {"--until", io::formatRfc3339(edgeTime(7) - 1)},
        {"--until", "2026-11-22T00:00:00Z"},
        // Both ends, on different UTC days (on one day the store may include an edge seen before
        // and after the window but not inside it: store.h).
        {"--since", "2026-11-21T07:00:00Z", "--until", io::formatRfc3339(edgeTime(12) - 1)},
    };
    std::vector<std::string> outputs;
    for (const auto& window : windows) {
        const std::string label = window.empty() ? "no window" : window[0] + " " + window[1];
        const std::string from_files = generate(false, window);
        const std::string from_store = generate(true, window);
        EXPECT_EQ(from_store, from_files) << label;
        outputs.push_back(from_files);
    }
    // The windows select different edges, so equal outputs are not equal by accident.
    EXPECT_NE(outputs[1], outputs[0]);
    EXPECT_NE(outputs[2], outputs[3]);
    EXPECT_NE(outputs[7], outputs[0]);
    EXPECT_NE(outputs[8], outputs[9]);
    EXPECT_NE(outputs[11], outputs[0]);
}

TEST_F(StoreCli, TheSameInputAgainIsSkippedAndChangesNothing) {
    fillStore();
    auto before = open()->summary();
    ASSERT_TRUE(before.ok());
    ASSERT_EQ(run({"ingest", "--db", db_, "--flows", flows_, "--now", "2026-11-28T00:00:00Z"}), 0);
    auto sha = cli::Sha256::create();
    ASSERT_TRUE(sha.ok());
    sha->update(flowsText(false));
    EXPECT_NE(err_.find(flows_ + ": already ingested on 2026-11-27T00:00:00Z (sha256 " +
                        sha->hexDigest() + "), skipped"),
              std::string::npos)
        << err_;
    auto after = open()->summary();
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->ingests, before->ingests);
    EXPECT_EQ(after->flows, before->flows);
    EXPECT_EQ(after->edge_buckets, before->edge_buckets);
}

TEST(Sha256, KnownAnswer) {
    auto sha = cli::Sha256::create();
    ASSERT_TRUE(sha.ok());
    sha->update("a");
    sha->update("bc");
    EXPECT_EQ(sha->hexDigest(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

std::string gzip(const std::string& text) {
    std::string out(compressBound(text.size()) + 64, '\0');
    z_stream z{};
    deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

TEST_F(StoreCli, AnIngestRecordsTheDigestOfTheBytesAsReadAndItsCounts) {
    const std::string compressed = gzip(flowsText(false));
    const std::string gz = write("flows.jsonl.gz", compressed);
    ASSERT_EQ(run({"ingest", "--db", db_, "--cluster", cluster_, "--flows", gz, "--now", kNow}), 0)
        << err_;
    auto records = open()->ingests("default");
    ASSERT_TRUE(records.ok());
    ASSERT_EQ(records->size(), 1u);
    const store::IngestRecord& r = (*records)[0];
    auto sha = cli::Sha256::create();
    ASSERT_TRUE(sha.ok());
    sha->update(compressed);
    EXPECT_EQ(r.digest, sha->hexDigest());
    EXPECT_EQ(r.source, gz);
    EXPECT_EQ(r.bytes, compressed.size());
    EXPECT_EQ(r.lines, 27u);  // 19 edges, 7 of them repeated, 1 undated
    uint64_t counts = 0;
    for (int k = 0; k < 19; ++k) {
        counts += 1 + k % 3 + (k % 3 == 0 ? 2 : 0);
    }
    EXPECT_EQ(r.flows, counts + 4);
    EXPECT_EQ(r.ingested_at, *io::parseRfc3339(kNow));
    auto edges = open()->loadEdges({"default", {}});
    ASSERT_TRUE(edges.ok());
    uint64_t stored = 0;
    for (const auto& e : edges->edges) {
        stored += e.count;
    }
    EXPECT_EQ(stored, r.flows);
    EXPECT_EQ(edges->edges.size(), 20u);
    // The summary line names what was stored.
    EXPECT_NE(err_.find(gz + ": 27 lines, " + std::to_string(r.flows) +
                        " flows, 20 edges over 6 days and undated (27 day buckets) in "),
              std::string::npos)
        << err_;
}

TEST_F(StoreCli, SnapshotOfBadManifestsFailsWithFileAndLineAndStoresNothing) {
    const std::string bad =
        write("bad.yaml",
              "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n"
              "spec:\n  selector:\n    matchLabels:\n      app: x\n  template:\n"
              "    metadata:\n      labels:\n        app: y\n");
    EXPECT_EQ(run({"snapshot", "--db", db_, "--cluster", cluster_, "--cluster", bad}), 2);
    EXPECT_NE(err_.find(bad + ":"), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(db_));
    // Into an existing store: still nothing.
    ASSERT_EQ(run({"snapshot", "--db", db_, "--cluster", cluster_, "--now", kNow}), 0) << err_;
    EXPECT_EQ(run({"snapshot", "--db", db_, "--cluster", bad}), 2);
    auto summary = open()->summary();
    ASSERT_TRUE(summary.ok());
    EXPECT_EQ(summary->snapshots, 1u);
}

TEST_F(StoreCli, WithoutASnapshotTheCommandsSayWhatToRun) {
    ASSERT_EQ(run({"ingest", "--db", db_, "--cluster", cluster_, "--flows", flows_}), 0) << err_;
    const std::string want =
        "no cluster snapshot stored for cluster \"default\": run netpolgen snapshot --db … "
        "--cluster … or pass --cluster";
    EXPECT_EQ(run({"generate", "--db", db_}), 2);
    EXPECT_NE(err_.find(want), std::string::npos) << err_;
    EXPECT_EQ(run({"ingest", "--db", db_, "--flows", flows_}), 2);
    EXPECT_NE(err_.find(want), std::string::npos) << err_;
    // A store that does not exist is not created by a reading command.
    const std::string missing = (dir_ / "typo.db").string();
    EXPECT_EQ(run({"generate", "--db", missing}), 2);
    EXPECT_NE(err_.find(missing + ": no such store"), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(missing));
}

TEST_F(StoreCli, FlowsAndDbTogetherAreRefused) {
    fillStore();
    EXPECT_EQ(run({"generate", "--db", db_, "--flows", flows_}), 2);
    EXPECT_NE(err_.find("--flows and --db cannot be combined"), std::string::npos) << err_;
    EXPECT_EQ(out_, "");
}

TEST_F(StoreCli, EdgesOfWorkloadsNoLongerInTheClusterAreLeftOutAndCounted) {
    const std::string old_cluster = write("old.yaml", clusterYaml(true));
    const std::string old_flows = write("old-flows.jsonl", flowsText(true));
    ASSERT_EQ(run({"ingest", "--db", db_, "--cluster", old_cluster, "--flows", old_flows}), 0)
        << err_;
    ASSERT_EQ(run({"snapshot", "--db", db_, "--cluster", cluster_, "--now", kNow}), 0) << err_;
    const std::string from_store = generate(true, {});
    EXPECT_NE(err_.find("2 edges (8 flows) of workloads no longer in the cluster left out (e.g. "
                        "shop/Deployment/old)"),
              std::string::npos)
        << err_;
    // The same as the flows of the workloads that still exist.
    EXPECT_EQ(from_store, generate(false, {}));
}

TEST_F(StoreCli, PruneRemovesTheDaysEntirelyBeforeTheTime) {
    fillStore();
    ASSERT_EQ(run({"prune", "--db", db_, "--older-than", "2026-11-22T12:00:00Z"}), 0) << err_;
    EXPECT_NE(err_.find("of days before 2026-11-22T12:00:00Z"), std::string::npos) << err_;
    // Days 20 and 21 are gone, day 22 stays whole, undated flows stay.
    EXPECT_EQ(generate(true, {}), generate(false, {"--since", "2026-11-22T00:00:00Z"}));
    // A duration counts back from --now.
    ASSERT_EQ(run({"prune", "--db", db_, "--older-than", "1d", "--now", "2026-11-24T06:00:00Z"}),
              0);
    EXPECT_EQ(generate(true, {}), generate(false, {"--since", "2026-11-23T00:00:00Z"}));
}

TEST_F(StoreCli, DbDefaultsToNetpolgenDbFromTheEnvironment) {
    ::setenv("NETPOLGEN_DB", db_.c_str(), 1);
    const int snapshot = run({"snapshot", "--cluster", cluster_, "--now", kNow});
    const int ingest = run({"ingest", "--flows", flows_});
    // A bare --db is the default store too.
    const int bare = run({"generate", "--db"});
    const std::string from_store = out_;
    ::unsetenv("NETPOLGEN_DB");
    EXPECT_EQ(snapshot, 0);
    EXPECT_EQ(ingest, 0);
    EXPECT_EQ(bare, 0) << err_;
    EXPECT_TRUE(fs::exists(db_));
    EXPECT_EQ(from_store, generate(false, {}));
}

TEST_F(StoreCli, AnUnknownWorkloadIsCountedOrWithStrictFailsWithFileAndLineAndStoresNothing) {
    ASSERT_EQ(run({"snapshot", "--db", db_, "--cluster", cluster_}), 0) << err_;
    const std::string bad =
        write("bad.jsonl", flowsText(false) + flowLine("shop/nope", "shop/db", 1, kDay0, 1));
    EXPECT_EQ(run({"ingest", "--db", db_, "--flows", bad, "--strict"}), 2);
    EXPECT_NE(err_.find(bad + ":28: source: unknown workload \"shop/nope\""), std::string::npos)
        << err_;
    auto records = open()->ingests("default");
    ASSERT_TRUE(records.ok());
    EXPECT_TRUE(records->empty());
    // By default it stores the rest and says what it left out.
    EXPECT_EQ(run({"ingest", "--db", db_, "--flows", bad}), 0) << err_;
    EXPECT_NE(err_.find("1 flows with an end not in the cluster snapshot left out"),
              std::string::npos)
        << err_;
    EXPECT_NE(err_.find("shop/nope (1)"), std::string::npos) << err_;
}

// The issue's case: flows of a workload the snapshot did not have yet are left out; after a new
// snapshot, `ingest --force` of the same file gives the store a fresh ingest of it would have.
TEST_F(StoreCli, ForceReingestsAfterANewSnapshotAsIfTheFirstIngestNeverHappened) {
    const std::string new_cluster = write("new.yaml", clusterYaml(true));
    const std::string new_flows = write("new-flows.jsonl", flowsText(true));
    ASSERT_EQ(run({"snapshot", "--db", db_, "--cluster", cluster_, "--now", kNow}), 0) << err_;
    ASSERT_EQ(run({"ingest", "--db", db_, "--flows", flows_, "--now", kNow}), 0) << err_;
    ASSERT_EQ(run({"ingest", "--db", db_, "--flows", new_flows, "--skip-invalid", "--now", kNow}),
              0)
        << err_;
    EXPECT_NE(err_.find("2 flows with an end not in the cluster snapshot left out"),
              std::string::npos)
        << err_;
    ASSERT_EQ(run({"snapshot", "--db", db_, "--cluster", new_cluster, "--now", kNow}), 0) << err_;
    // Without --force the same input is skipped, and the message says how to replace it.
    ASSERT_EQ(run({"ingest", "--db", db_, "--flows", new_flows}), 0) << err_;
    EXPECT_NE(err_.find("skipped (--force replaces that ingest)"), std::string::npos) << err_;
    ASSERT_EQ(run({"ingest",
                   "--db",
                   db_,
                   "--flows",
                   new_flows,
                   "--force",
                   "--now",
                   "2026-11-28T00:00:00Z"}),
              0)
        << err_;
    EXPECT_NE(err_.find(new_flows + ": replaced the ingest of 2026-11-27T00:00:00Z (sha256 "),
              std::string::npos)
        << err_;

    const std::string fresh_db = (dir_ / "fresh.db").string();
    ASSERT_EQ(run({"snapshot", "--db", fresh_db, "--cluster", new_cluster, "--now", kNow}), 0);
    ASSERT_EQ(run({"ingest", "--db", fresh_db, "--flows", flows_, "--now", kNow}), 0) << err_;
    ASSERT_EQ(run({"ingest", "--db", fresh_db, "--flows", new_flows, "--now", kNow}), 0) << err_;
    auto replaced = open()->loadEdges({"default", {}});
    auto fresh_store = store::openStore(fresh_db);
    ASSERT_TRUE(fresh_store.ok()) << fresh_store.error();
    auto fresh = (*fresh_store)->loadEdges({"default", {}});
    ASSERT_TRUE(replaced.ok() && fresh.ok());
    EXPECT_EQ(replaced->entities, fresh->entities);
    ASSERT_EQ(replaced->edges.size(), fresh->edges.size());
    for (size_t i = 0; i < fresh->edges.size(); ++i) {
        const store::EdgeRow& a = replaced->edges[i];
        const store::EdgeRow& b = fresh->edges[i];
        EXPECT_EQ(std::tie(a.src, a.dst, a.port, a.protocol, a.count, a.first_seen, a.last_seen),
                  std::tie(b.src, b.dst, b.port, b.protocol, b.count, b.first_seen, b.last_seen))
            << "edge " << i;
    }
    EXPECT_EQ(generate(true, {}), [&] {
        EXPECT_EQ(run({"generate", "--db", fresh_db, "--now", kNow}), 0) << err_;
        return out_;
    }());
}

TEST_F(StoreCli, IngestsListsEachInputWithItsCountsAndSkipsByReason) {
    fillStore();
    const std::string bad_text = flowLine("shop/web", "shop/api", 9000, kDay0, 2) +
                                 flowLine("shop/nope", "shop/db", 1, kDay0, 3) + "{oops\n" +
                                 flowLine("shop/gone", "shop/db", 1, kDay0 + 5, 1);
    const std::string bad = write("bad.jsonl", bad_text);
    ASSERT_EQ(run({"ingest",
                   "--db",
                   db_,
                   "--flows",
                   bad,
                   "--skip-invalid",
                   "--now",
                   "2026-11-28T00:00:00Z"}),
              0)
        << err_;
    auto digest = [](const std::string& text) {
        auto sha = cli::Sha256::create();
        sha->update(text);
        return sha->hexDigest();
    };
    const std::string flows_sha = digest(flowsText(false));
    const std::string bad_sha = digest(bad_text);
    ASSERT_EQ(run({"ingests", "--db", db_}), 0) << err_;
    // Columns as wide as their widest cell; 55 flows: the counts of flowsText's 27 lines.
    EXPECT_EQ(
        out_,
        "TIME                  SHA256        LINES  FLOWS  SKIPPED                        INPUT\n"
        "2026-11-27T00:00:00Z  " +
            flows_sha.substr(0, 12) + "  27     55     -                              " + flows_ +
            "\n2026-11-28T00:00:00Z  " + bad_sha.substr(0, 12) +
            "  4      2      invalid 1, unknown-workload 2  " + bad + "\n");
    ASSERT_EQ(run({"ingests", "--db", db_, "--format", "json"}), 0) << err_;
    EXPECT_NE(
        out_.find("\"skipped\": {\n        \"invalid\": 1,\n        \"unknown-workload\": 2\n"),
        std::string::npos)
        << out_;
    EXPECT_NE(out_.find("\"sha256\": \"" + bad_sha + "\""), std::string::npos) << out_;
    EXPECT_NE(out_.find("\"cluster\": \"default\""), std::string::npos) << out_;
}

TEST_F(StoreCli, IngestsOfAMissingStoreOrAnUnknownClusterAreClearErrors) {
    fillStore();
    const std::string missing = (dir_ / "typo.db").string();
    EXPECT_EQ(run({"ingests", "--db", missing}), 2);
    EXPECT_NE(err_.find(missing + ": no such store"), std::string::npos) << err_;
    EXPECT_FALSE(fs::exists(missing));
    EXPECT_EQ(run({"ingests", "--db", db_, "--cluster-name", "prod"}), 2);
    EXPECT_NE(err_.find(db_ + ": cluster \"prod\" has no ingests"), std::string::npos) << err_;
    EXPECT_EQ(out_, "");
    EXPECT_EQ(run({"ingests", "--db", db_, "--format", "yaml"}), 2);
}

TEST_F(StoreCli, ForceOnAnIngestOfAnOlderSchemaIsRefusedAndChangesNothing) {
    fillStore();
    // What a netpolgen of schema version 3 left.
    testing_support::editStore(db_,
                               "DROP TABLE stream_positions; DROP TABLE follow_cursors; DROP TABLE "
                               "follow_done; DROP TABLE ip_tenancies; DROP TABLE "
                               "ingest_edges; DROP TABLE ingest_skips; ALTER TABLE "
                               "ingests DROP COLUMN replaceable; PRAGMA user_version = 3");
    auto before = open()->loadEdges({"default", {}});
    ASSERT_TRUE(before.ok());
    EXPECT_EQ(run({"ingest", "--db", db_, "--flows", flows_, "--force"}), 2);
    EXPECT_NE(err_.find(flows_ + ": ingested on 2026-11-27T00:00:00Z (sha256 "), std::string::npos)
        << err_;
    EXPECT_NE(err_.find("older than store schema 4, which kept no record of what each ingest "
                        "added: --force cannot replace it exactly; nothing changed"),
              std::string::npos)
        << err_;
    auto after = open()->loadEdges({"default", {}});
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->edges.size(), before->edges.size());
    ASSERT_EQ(run({"ingests", "--db", db_}), 0) << err_;
    EXPECT_NE(out_.find("? ingested before store schema 4"), std::string::npos) << out_;
}

TEST_F(StoreCli, SimulateAndCompareReadTheStoreLikeTheFiles) {
    fillStore();
    const std::string policies = write("policies.yaml", generate(false, {}));
    ASSERT_EQ(run({"simulate", "--cluster", cluster_, "--flows", flows_, "--apply", policies}), 0)
        << err_;
    const std::string from_files = out_;
    ASSERT_EQ(run({"simulate", "--db", db_, "--apply", policies}), 0) << err_;
    EXPECT_EQ(out_, from_files);
    EXPECT_NE(from_files.find("Replay of observed traffic: 20 edges"), std::string::npos)
        << from_files;
    ASSERT_EQ(run({"compare", "--cluster", cluster_, "--apply", policies}), 0) << err_;
    const std::string compare_files = out_;
    ASSERT_EQ(run({"compare", "--db", db_, "--apply", policies}), 0) << err_;
    EXPECT_EQ(out_, compare_files);
}

}  // namespace
}  // namespace netpolgen
