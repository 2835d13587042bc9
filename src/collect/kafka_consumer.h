// KafkaConsumer: the messages of one Kafka topic for a member of a consumer group, each partition
// read from where the store says this group's reading stands (`netpolgen collect --kafka`),
// over librdkafka's high-level consumer.
//
//   KafkaConsumer::Owner owner{[&] { return store positions }, [&] { return commit what was read
//   }}; auto consumer = KafkaConsumer::open(options, owner); consumer->poll([&](std::string_view
//   value, const MessagePlace& at) { decode(value); }, 1000); store.commitFollow({batch, {}, {},
//   {}, {}, consumer->advances()})
//       ? consumer->committed(advances)     // and the same offsets to the broker
//       : consumer->resync();               // another member moved a partition: read it again
//
// Positions: a partition is a stream "<topic>/<partition>" of the source, its position the offset
// of the next message to read. On assignment (the group's rebalance callback) each partition
// starts at the position the store holds for it, or, when the store has none, at the group's
// committed offset, else at the earliest message. Before partitions are released (a rebalance,
// close) the owner's flush commits what was read of them. Offsets are committed to the broker
// only after the store took them, so that lag tools see progress; the store is what counts. No
// automatic commits or offset stores.
//
// Errors: librdkafka retries unreachable brokers itself; its errors become notes, one per kind
// (takeNotes). A fatal error (through the error callback or, as librdkafka hands a consumer its
// fatal errors, as a message), or a failed flush or store read inside a rebalance, ends the poll
// with an error naming the brokers and the topic.
//
// Not thread-safe: everything, rebalance callbacks included, runs in the thread that polls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/store.h"

struct rd_kafka_s;
struct rd_kafka_topic_partition_list_s;

namespace netpolgen::collect {

struct KafkaOptions {
    std::string brokers;  // bootstrap.servers
    std::string topic;
    std::string group;
    // librdkafka properties ("security.protocol", "sasl.*", "ssl.*", …), set after netpolgen's
    // defaults (auto.offset.reset=earliest); those netpolgen must own are refused.
    std::vector<std::pair<std::string, std::string>> properties;
};

// "<topic>/<partition>": a partition's stream name in the store.
std::string streamName(const std::string& topic, int32_t partition);

// Where a message comes from.
struct MessagePlace {
    int32_t partition = 0;
    int64_t offset = 0;
};

class KafkaConsumer {
public:
    // What the owner does around a rebalance; both run inside poll().
    struct Owner {
        // The positions the store holds for this source's streams.
        std::function<core::Result<std::vector<store::StreamPosition>>()> stored_positions;
        // Commits what was read (before partitions are released).
        std::function<core::Status()> flush;
    };
    using MessageSink = std::function<void(std::string_view value, const MessagePlace& at)>;

    // Subscribes to the topic. Errors: a refused property (exit 2 for the command line).
    static core::Result<std::unique_ptr<KafkaConsumer>> open(const KafkaOptions& options,
                                                             Owner owner);
    ~KafkaConsumer();  // leaves the group (after a flush), unless abandoned
    KafkaConsumer(const KafkaConsumer&) = delete;
    KafkaConsumer& operator=(const KafkaConsumer&) = delete;

    // Hands out the messages there are now, at most `max_messages`, waiting at most `wait_ms`
    // for the first; how many were handed out. A message already read (before a seek) is not
    // handed out again.
    core::Result<size_t> poll(const MessageSink& sink, size_t max_messages, int wait_ms);

    // The partitions read since the last commit: where the store had them, where they are now.
    std::vector<store::StreamAdvance> advances() const;
    // The store took `advances`: they are where the store stands now; the same offsets are
    // committed to the broker (a failure there is a note).
    void committed(const std::vector<store::StreamAdvance>& advances);
    // The store refused a commit: every held partition goes back to the position the store holds
    // (or where this consumer started reading it), so the dropped messages are read again. Inside
    // a revocation (the owner's flush) it waits until the revoked partitions are released.
    core::Status resync();

    // Leaves the group: the owner's flush commits what was read first. Idempotent.
    core::Status close();
    // A crash, for tests: no flush, no commit, no leaving the group.
    void abandonForTest() { abandoned_ = true; }
    // A fatal error as librdkafka raises one (fenced, unrecoverable), for tests.
    void raiseFatalErrorForTest(const std::string& reason);

    // The errors librdkafka reported since the last call, each kind once over the whole run.
    std::vector<std::string> takeNotes();

private:
    // One held partition.
    struct Partition {
        std::optional<int64_t> stored;      // the position in the store as this process knows it
        std::optional<int64_t> next;        // the offset of the next message to hand out
        std::optional<int64_t> first_read;  // the first message read, when the store had nothing
    };

    friend struct KafkaCallbacks;  // librdkafka's callbacks (kafka_consumer.cpp)

    KafkaConsumer(KafkaOptions options, Owner owner);
    core::Status start();
    void assign(rd_kafka_topic_partition_list_s* partitions);
    void revoke(rd_kafka_topic_partition_list_s* partitions);
    void setAssignment(rd_kafka_topic_partition_list_s* partitions, bool add);
    void handOut(const void* message, const MessageSink& sink, size_t& count);
    void noteOnce(const std::string& kind, const std::string& text);
    void fail(const std::string& what);
    std::string where() const;

    KafkaOptions options_;
    Owner owner_;
    rd_kafka_s* rk_ = nullptr;
    std::map<int32_t, Partition> held_;
    std::set<std::string> noted_;
    std::vector<std::string> notes_;
    std::optional<std::string> failed_;  // ends the next poll
    bool revoking_ = false;              // inside the owner's flush before a release
    bool resync_pending_ = false;        // a resync asked for while revoking
    bool abandoned_ = false;
    bool closed_ = false;
};

}  // namespace netpolgen::collect
