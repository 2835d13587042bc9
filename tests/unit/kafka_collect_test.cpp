// `collect --kafka` in-process against librdkafka's mock cluster (rdkafka_mock.h): a topic of 3
// partitions read to its end, a stop and restart mid-stream, a broker down and up again, two
// members of one group sharing the partitions, a member that lost its partitions while it held a
// batch (its commit refused), and a crash between the store commit and the broker commit. Each ends
// with the store's edges and counts equal to one `ingest` of the same lines: no flow twice, none
// lost.
#include "cli/kafka_collect.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "../support/cli_run.h"
#include "../support/deployment_yaml.h"
#include "collect/kafka_consumer.h"
#include "io/time_text.h"
#include "store_test_util.h"

namespace netpolgen {
namespace {

using namespace std::chrono_literals;
using store::testing::edgeMap;
using store::testing::EdgeMap;
using store::testing::TempDir;
using testing_support::runNetpolgen;

constexpr int kPartitions = 3;
constexpr core::Timestamp kDay0 = 1795132800;  // 2026-11-20T00:00:00Z
const std::string kTopic = "hubble-flows";
const std::string kGroup = "netpolgen";
const std::string kCluster = "prod";

void silentLog(const rd_kafka_t*, int, const char*, const char*) {}

rd_kafka_conf_t* quietConf() {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set_log_cb(conf, &silentLog);
    return conf;
}

// A mock cluster of `brokers` brokers with the topic, and a producer to it.
class MockKafka {
public:
    explicit MockKafka(int brokers) {
        std::array<char, 512> error{};
        host_ = rd_kafka_new(RD_KAFKA_PRODUCER, quietConf(), error.data(), error.size());
        cluster_ = rd_kafka_mock_cluster_new(host_, brokers);
        bootstraps_ = rd_kafka_mock_cluster_bootstraps(cluster_);
        rd_kafka_mock_topic_create(cluster_, kTopic.c_str(), kPartitions, 1);
        rd_kafka_conf_t* conf = quietConf();
        rd_kafka_conf_set(
            conf, "bootstrap.servers", bootstraps_.c_str(), error.data(), error.size());
        producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error.data(), error.size());
        topic_ = rd_kafka_topic_new(producer_, kTopic.c_str(), nullptr);
    }
    ~MockKafka() {
        rd_kafka_topic_destroy(topic_);
        rd_kafka_destroy(producer_);
        rd_kafka_mock_cluster_destroy(cluster_);
        rd_kafka_destroy(host_);
    }
    MockKafka(const MockKafka&) = delete;
    MockKafka& operator=(const MockKafka&) = delete;

    const std::string& bootstraps() const { return bootstraps_; }

    void produce(int partition, const std::string& value) {
        ASSERT_EQ(rd_kafka_produce(topic_,
                                   partition,
                                   RD_KAFKA_MSG_F_COPY,
                                   const_cast<char*>(value.data()),
                                   value.size(),
                                   nullptr,
                                   0,
                                   nullptr),
                  0);
        rd_kafka_poll(producer_, 0);
    }
    void flush() { ASSERT_EQ(rd_kafka_flush(producer_, 30000), RD_KAFKA_RESP_ERR_NO_ERROR); }

    void brokerDown(int id) { rd_kafka_mock_broker_set_down(cluster_, id); }
    void brokerUp(int id) { rd_kafka_mock_broker_set_up(cluster_, id); }

    // The group's offsets committed to the broker, per partition (-1001: none).
    std::vector<int64_t> committedOffsets() {
        std::array<char, 512> error{};
        rd_kafka_conf_t* conf = quietConf();
        rd_kafka_conf_set(
            conf, "bootstrap.servers", bootstraps_.c_str(), error.data(), error.size());
        rd_kafka_conf_set(conf, "group.id", kGroup.c_str(), error.data(), error.size());
        rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size());
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(kPartitions);
        for (int p = 0; p < kPartitions; ++p) {
            rd_kafka_topic_partition_list_add(list, kTopic.c_str(), p);
        }
        EXPECT_EQ(rd_kafka_committed(rk, list, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
        std::vector<int64_t> out;
        for (int p = 0; p < kPartitions; ++p) {
            out.push_back(list->elems[p].offset);
        }
        rd_kafka_topic_partition_list_destroy(list);
        rd_kafka_destroy(rk);
        return out;
    }

private:
    rd_kafka_t* host_ = nullptr;
    rd_kafka_mock_cluster_t* cluster_ = nullptr;
    std::string bootstraps_;
    rd_kafka_t* producer_ = nullptr;
    rd_kafka_topic_t* topic_ = nullptr;
};

std::string deployment(const std::string& ns, const std::string& name, int port) {
    return testing_support::deploymentYaml(ns, name, port);
}

const std::vector<std::string> kWorkloads{"shop/web", "shop/api", "shop/db", "pay/gw"};

std::string clusterYaml() {
    return deployment("shop", "web", 8080) + deployment("shop", "api", 9000) +
           deployment("shop", "db", 5432) + deployment("pay", "gw", 8443);
}

// Message i: one canonical flow line (every fifth message two, every 17th one of a workload the
// cluster lacks, message 23 no flow at all), over two UTC days.
std::string message(int i) {
    if (i == 23) {
        return "this is not a flow";
    }
    const auto line = [](int k) {
        const std::string src = k % 17 == 4 ? "shop/ghost" : kWorkloads[k % kWorkloads.size()];
        const std::string& dst = kWorkloads[(k * 3 + 1) % kWorkloads.size()];
        return R"({"src":")" + src + R"(","dst":")" + dst + R"(","port":)" +
               std::to_string(1000 + k % 40) + R"(,"time":")" + io::formatRfc3339(kDay0 + k * 577) +
               R"(","count":)" + std::to_string(1 + k % 3) + "}";
    };
    return i % 5 == 0 ? line(i) + "\n" + line(i + 100000) + "\n" : line(i);
}

class KafkaCollect : public ::testing::Test {
protected:
    void SetUp() override {
        db_ = (dir_.path() / "collect.db").string();
        const std::string cluster = (dir_.path() / "cluster.yaml").string();
        std::ofstream(cluster) << clusterYaml();
        for (const std::string& db : {db_, reference()}) {
            auto r = runNetpolgen({"snapshot",
                                   "--db",
                                   db,
                                   "--cluster",
                                   cluster,
                                   "--cluster-name",
                                   kCluster,
                                   "--now",
                                   "2026-11-19T00:00:00Z",
                                   "-q"});
            ASSERT_EQ(r.status, 0) << r.err;
        }
    }

    std::string reference() const { return (dir_.path() / "reference.db").string(); }

    // Messages [from, to) to partition i % 3, remembered for the reference ingest.
    void produce(MockKafka& kafka, int from, int to, std::chrono::milliseconds pause = 0ms) {
        for (int i = from; i < to; ++i) {
            kafka.produce(i % kPartitions, message(i));
            produced_ += message(i) + (message(i).ends_with("\n") ? "" : "\n");
            lines_ += i % 5 == 0 ? 2 : 1;
            std::this_thread::sleep_for(pause);
        }
        kafka.flush();
    }

    cli::CollectCommandOptions options(const MockKafka& kafka) const {
        cli::CollectCommandOptions o;
        o.db = db_;
        o.cluster_name = kCluster;
        o.kafka = kafka.bootstraps();
        o.topic = kTopic;
        o.group = kGroup;
        // The mock group's rebalances wait for session.timeout.ms - 1 s.
        o.kafka_properties = {"session.timeout.ms=3000", "heartbeat.interval.ms=200"};
        o.status = true;
        return o;
    }

    // A member running in a thread until stop() (or its end).
    class Member {
    public:
        explicit Member(const cli::CollectCommandOptions& o,
                        int crash_after_commits = 0,
                        cli::LoopTiming timing = {200ms, 20ms, 50}) {
            thread_ = std::thread([this, o, crash_after_commits, timing] {
                auto store = store::openStore(o.db);
                ASSERT_TRUE(store) << store.error();
                const cli::StopWait stop = [this](std::chrono::milliseconds wait) {
                    for (auto left = wait; !stop_ && left > 0ms; left -= 5ms) {
                        std::this_thread::sleep_for(5ms);
                    }
                    // Called without a wait right after a poll that read messages.
                    if (wait == 0ms && freeze_at_read_.exchange(false)) {
                        frozen_ = true;
                    }
                    while (frozen_ && !stop_) {
                        std::this_thread::sleep_for(5ms);
                    }
                    return stop_.load();
                };
                status_ =
                    cli::collectFromKafka(o, timing, **store, err_, stop, crash_after_commits);
            });
        }
        // A frozen member does not poll: the group goes on without it after max.poll.interval.ms.
        // It freezes right after its next poll that read messages (uncommitted yet).
        void freezeAtNextRead() { freeze_at_read_ = true; }
        bool frozen() const { return frozen_; }
        void thaw() { frozen_ = false; }
        ~Member() { stop(); }
        int stop() {
            stop_ = true;
            if (thread_.joinable()) {
                thread_.join();
            }
            return status_;
        }
        std::string err() const { return err_.str(); }
        // Waits for the member to end by itself; its exit status (-1: still running).
        int waitForEnd(std::chrono::seconds limit = 60s) {
            const auto until = std::chrono::steady_clock::now() + limit;
            while (status_ == -1 && std::chrono::steady_clock::now() < until) {
                std::this_thread::sleep_for(20ms);
            }
            return status_;
        }

    private:
        std::atomic<bool> stop_{false};
        std::atomic<bool> frozen_{false};
        std::atomic<bool> freeze_at_read_{false};
        std::atomic<int> status_{-1};
        std::ostringstream err_;
        std::thread thread_;
    };

    // The lines the store holds of the group's source.
    uint64_t committedLines() const {
        auto store = store::openStore(db_);
        auto records =
            store ? (*store)->ingests(kCluster)
                  : core::Result<std::vector<store::IngestRecord>>(core::Error{store.error()});
        uint64_t lines = 0;
        for (const store::IngestRecord& r :
             records ? *records : std::vector<store::IngestRecord>{}) {
            lines += r.lines;
        }
        return lines;
    }

    bool waitForLines(uint64_t lines, std::chrono::seconds limit = 60s) const {
        const auto until = std::chrono::steady_clock::now() + limit;
        while (committedLines() < lines) {
            if (std::chrono::steady_clock::now() > until) {
                return false;
            }
            std::this_thread::sleep_for(50ms);
        }
        return true;
    }

    // The store equals one `ingest` of every line produced: edges, counts, skips.
    void expectEqualToOneIngest() {
        const std::string flows = (dir_.path() / "flows.jsonl").string();
        std::ofstream(flows, std::ios::binary) << produced_;
        auto r = runNetpolgen({"ingest",
                               "--db",
                               reference(),
                               "--flows",
                               flows,
                               "--cluster-name",
                               kCluster,
                               "--skip-invalid",
                               "-q"});
        ASSERT_EQ(r.status, 0) << r.err;
        auto collected = store::openStore(db_);
        auto once = store::openStore(reference());
        ASSERT_TRUE(collected && once);
        auto edges = (*collected)->loadEdges({kCluster, {}});
        auto expected = (*once)->loadEdges({kCluster, {}});
        ASSERT_TRUE(edges && expected);
        EXPECT_EQ(edgeMap(*edges), edgeMap(*expected));
        EXPECT_GT(expected->edges.size(), 20u);
        auto records = (*collected)->ingests(kCluster);
        auto reference_records = (*once)->ingests(kCluster);
        ASSERT_TRUE(records && reference_records);
        ASSERT_EQ(records->size(), 1u) << "one ingest record for the whole group";
        const store::IngestRecord& got = records->front();
        const store::IngestRecord& want = reference_records->front();
        EXPECT_EQ(got.digest, "kafka:" + bootstraps_ + "/" + kTopic + "/" + kGroup);
        EXPECT_EQ(got.lines, lines_);
        EXPECT_EQ(std::tie(got.lines, got.flows), std::tie(want.lines, want.flows));
        EXPECT_EQ(got.skipped, want.skipped);
    }

    // Positions of the partitions in the store.
    std::vector<store::StreamPosition> storedPositions() const {
        auto store = store::openStore(db_);
        auto state =
            (*store)->followState(kCluster, "kafka:" + bootstraps_ + "/" + kTopic + "/" + kGroup);
        EXPECT_TRUE(state) << state.error();
        return state ? state->streams : std::vector<store::StreamPosition>{};
    }

    TempDir dir_;
    std::string db_;
    std::string bootstraps_;
    std::string produced_;
    uint64_t lines_ = 0;
};

// "netpolgen collect: N flows read, …" of a member's last status line.
uint64_t flowsRead(const std::string& err) {
    const std::string tag = "netpolgen collect: ";
    const size_t at = err.rfind(tag);
    return at == std::string::npos ? 0 : std::stoull(err.substr(at + tag.size()));
}

TEST_F(KafkaCollect, OneMemberReadsThreePartitionsToTheEnd) {
    MockKafka kafka(1);
    bootstraps_ = kafka.bootstraps();
    produce(kafka, 0, 300);
    Member member(options(kafka));
    ASSERT_TRUE(waitForLines(lines_)) << committedLines() << " of " << lines_ << "\n"
                                      << member.err();
    EXPECT_EQ(member.stop(), 0) << member.err();
    expectEqualToOneIngest();
    EXPECT_EQ(storedPositions(),
              (std::vector<store::StreamPosition>{
                  {kTopic + "/0", 100}, {kTopic + "/1", 100}, {kTopic + "/2", 100}}));
    EXPECT_EQ(kafka.committedOffsets(), (std::vector<int64_t>{100, 100, 100}))
        << "the broker has the store's offsets";
    EXPECT_NE(member.err().find("skipped " + kTopic + "/2 offset 7, byte 0"), std::string::npos)
        << member.err();
    EXPECT_EQ(flowsRead(member.err()), lines_ - 1) << member.err();
}

TEST_F(KafkaCollect, AStopMidStreamAndARestartReadEveryMessageOnce) {
    MockKafka kafka(1);
    bootstraps_ = kafka.bootstraps();
    std::thread producer([&] { produce(kafka, 0, 400, 15ms); });
    {
        Member first(options(kafka));
        ASSERT_TRUE(waitForLines(60)) << first.err();
        EXPECT_EQ(first.stop(), 0) << first.err();
    }
    const uint64_t at_stop = committedLines();
    Member second(options(kafka));
    producer.join();
    EXPECT_LT(at_stop, lines_) << "the stop came mid-stream";
    ASSERT_TRUE(waitForLines(lines_)) << second.err();
    EXPECT_EQ(second.stop(), 0) << second.err();
    expectEqualToOneIngest();
}

TEST_F(KafkaCollect, ABrokerDownAndUpAgainLosesNothing) {
    MockKafka kafka(3);
    bootstraps_ = kafka.bootstraps();
    produce(kafka, 0, 150);
    Member member(options(kafka));
    ASSERT_TRUE(waitForLines(lines_)) << member.err();
    kafka.brokerDown(2);
    std::thread producer([&] { produce(kafka, 150, 300, 2ms); });
    std::this_thread::sleep_for(1500ms);
    kafka.brokerUp(2);
    producer.join();
    ASSERT_TRUE(waitForLines(lines_)) << committedLines() << " of " << lines_ << "\n"
                                      << member.err();
    EXPECT_EQ(member.stop(), 0) << member.err();
    // The broker's disconnection was noted (once), naming the brokers and the topic.
    EXPECT_NE(member.err().find("topic " + kTopic + ": "), std::string::npos) << member.err();
    expectEqualToOneIngest();
}

TEST_F(KafkaCollect, TwoMembersShareThePartitionsAcrossARebalance) {
    MockKafka kafka(1);
    bootstraps_ = kafka.bootstraps();
    std::thread producer([&] { produce(kafka, 0, 2000, 5ms); });
    Member first(options(kafka));
    ASSERT_TRUE(waitForLines(30)) << first.err();
    Member second(options(kafka));  // joins: the group rebalances
    producer.join();
    ASSERT_TRUE(waitForLines(lines_)) << first.err() << second.err();
    EXPECT_EQ(first.stop(), 0) << first.err();
    EXPECT_EQ(second.stop(), 0) << second.err();
    expectEqualToOneIngest();
    // Each flow line was read and committed by exactly one of them (the invalid line is none).
    EXPECT_GT(flowsRead(first.err()), 0u) << first.err();
    EXPECT_GT(flowsRead(second.err()), 0u) << second.err();
    EXPECT_EQ(flowsRead(first.err()) + flowsRead(second.err()), lines_ - 1)
        << first.err() << second.err();
}

TEST_F(KafkaCollect, AMemberThatLostItsPartitionsIsRefusedAndCountsNothingTwice) {
    MockKafka kafka(1);
    bootstraps_ = kafka.bootstraps();
    produce(kafka, 0, 150);
    cli::CollectCommandOptions o = options(kafka);
    o.kafka_properties.push_back("max.poll.interval.ms=3000");
    // Reads everything, commits nothing (a minute's interval), then stops polling.
    Member stale(o, 0, {60s, 20ms, 1000000});
    stale.freezeAtNextRead();
    for (int i = 0; i < 3000 && !stale.frozen(); ++i) {
        std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(stale.frozen()) << stale.err();
    std::this_thread::sleep_for(4s);  // out of the group
    EXPECT_EQ(committedLines(), 0u);
    {
        Member other(options(kafka));  // takes the partitions, commits them
        ASSERT_TRUE(waitForLines(lines_)) << other.err();
        EXPECT_EQ(other.stop(), 0) << other.err();
        EXPECT_EQ(flowsRead(other.err()), lines_ - 1) << other.err();
    }
    stale.thaw();  // its batch, committed on revocation, is refused
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(stale.stop(), 0) << stale.err();
    EXPECT_NE(stale.err().find("another member of the group moved a partition"), std::string::npos)
        << stale.err();
    EXPECT_EQ(flowsRead(stale.err()), 0u) << stale.err();
    expectEqualToOneIngest();
}

TEST_F(KafkaCollect, ACrashBetweenTheStoreAndTheBrokerCommitIsNotCountedTwice) {
    MockKafka kafka(1);
    bootstraps_ = kafka.bootstraps();
    produce(kafka, 0, 240);
    {
        Member crashing(options(kafka), 1);
        EXPECT_EQ(crashing.waitForEnd(), 1) << crashing.err();
    }
    // The store has what the first commit read, the broker nothing: the restart starts from the
    // store, where a replay from the broker's offsets (the earliest) would count it again.
    EXPECT_GT(committedLines(), 0u);
    EXPECT_FALSE(storedPositions().empty());
    EXPECT_EQ(kafka.committedOffsets(), (std::vector<int64_t>{-1001, -1001, -1001}));
    produce(kafka, 240, 300);
    Member restarted(options(kafka));
    ASSERT_TRUE(waitForLines(lines_)) << restarted.err();
    EXPECT_EQ(restarted.stop(), 0) << restarted.err();
    expectEqualToOneIngest();
    EXPECT_EQ(kafka.committedOffsets(), (std::vector<int64_t>{100, 100, 100}));
}

TEST(KafkaConsumer, AFatalErrorEndsThePollNamingTheBrokersAndTheTopic) {
    MockKafka kafka(1);
    collect::KafkaConsumer::Owner owner{[] {
                                            return core::Result<std::vector<store::StreamPosition>>(
                                                std::vector<store::StreamPosition>{});
                                        },
                                        [] { return core::Status{}; }};
    auto consumer = collect::KafkaConsumer::open({kafka.bootstraps(), kTopic, kGroup, {}}, owner);
    ASSERT_TRUE(consumer) << consumer.error();
    const auto sink = [](std::string_view, const collect::MessagePlace&) {};
    auto got = (*consumer)->poll(sink, 10, 100);
    ASSERT_TRUE(got) << got.error();
    (*consumer)->raiseFatalErrorForTest("fenced by a newer member");
    for (int i = 0; i < 50 && got; ++i) {
        got = (*consumer)->poll(sink, 10, 100);
    }
    ASSERT_FALSE(got);
    EXPECT_NE(
        got.error().find("kafka " + kafka.bootstraps() + " topic " + kTopic + ": fatal error: "),
        std::string::npos)
        << got.error();
    EXPECT_NE(got.error().find("fenced by a newer member"), std::string::npos) << got.error();
}

TEST(KafkaConsumer, PropertiesNetpolgenOwnsOrLibrdkafkaRefusesAreRefused) {
    const collect::KafkaConsumer::Owner owner{
        [] {
            return core::Result<std::vector<store::StreamPosition>>(
                std::vector<store::StreamPosition>{});
        },
        [] { return core::Status{}; }};
    auto owned = collect::KafkaConsumer::open(
        {"127.0.0.1:1", kTopic, kGroup, {{"enable.auto.commit", "true"}}}, owner);
    ASSERT_FALSE(owned);
    EXPECT_EQ(owned.error(), "kafka property enable.auto.commit: set by netpolgen");
    auto unknown =
        collect::KafkaConsumer::open({"127.0.0.1:1", kTopic, kGroup, {{"no.such", "1"}}}, owner);
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().find("kafka property no.such: "), std::string::npos);
}

TEST(KafkaCollectOptions, KafkaNeedsTopicAndGroupAndExcludesFollow) {
    const std::vector<std::vector<std::string>> bad{
        {"collect", "--db", "x.db", "--kafka", "k:9092", "--group", "g"},
        {"collect", "--db", "x.db", "--kafka", "k:9092", "--topic", "t"},
        {"collect",
         "--db",
         "x.db",
         "--kafka",
         "k:9092",
         "--topic",
         "t",
         "--group",
         "g",
         "--follow",
         "events.log"},
        {"collect", "--db", "x.db"},
    };
    for (const auto& args : bad) {
        auto r = runNetpolgen(args);
        EXPECT_EQ(r.status, 2) << r.err;
        EXPECT_NE(r.err.find("--kafka"), std::string::npos) << r.err;
    }
}

}  // namespace
}  // namespace netpolgen
