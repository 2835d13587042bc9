// KafkaConsumer (kafka_consumer.h) over librdkafka's C API: configuration, the rebalance and error
// callbacks, the held partitions' positions, seeks and broker commits.
#include "collect/kafka_consumer.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace netpolgen::collect {
namespace {

// How long a seek back to the store's positions may take before the run fails.
constexpr int kSeekTimeoutMs = 10000;

// Properties netpolgen sets itself: exactly-once depends on them.
constexpr std::array<std::string_view, 4> kOwnedProperties{
    "bootstrap.servers", "group.id", "enable.auto.commit", "enable.auto.offset.store"};

using ConfPtr = std::unique_ptr<rd_kafka_conf_t, decltype(&rd_kafka_conf_destroy)>;
using ListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                decltype(&rd_kafka_topic_partition_list_destroy)>;

ListPtr newList(int size) {
    return {rd_kafka_topic_partition_list_new(size), &rd_kafka_topic_partition_list_destroy};
}

core::Status setProperty(rd_kafka_conf_t* conf, const std::string& key, const std::string& value) {
    std::array<char, 512> error{};
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error.data(), error.size()) !=
        RD_KAFKA_CONF_OK) {
        return core::Error{"kafka property " + key + ": " + error.data()};
    }
    return {};
}

// librdkafka logs its retries at length; its errors reach the error callback. `debug` asks for
// its logs.
void silentLog(const rd_kafka_t*, int, const char*, const char*) {}

}  // namespace

// librdkafka's callbacks: they run inside rd_kafka_consumer_poll, in the polling thread.
struct KafkaCallbacks {
    static void rebalance(rd_kafka_t* rk,
                          rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions,
                          void* opaque) {
        auto* self = static_cast<KafkaConsumer*>(opaque);
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
            self->assign(partitions);
        } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
            self->revoke(partitions);
        } else {
            // A failed rebalance: what was read is committed, then nothing is held.
            self->noteOnce(rd_kafka_err2name(err),
                           self->where() + ": rebalance failed: " + rd_kafka_err2str(err));
            self->revoke(nullptr);
            rd_kafka_assign(rk, nullptr);
        }
    }

    static void error(rd_kafka_t* rk, int err, const char* reason, void* opaque) {
        auto* self = static_cast<KafkaConsumer*>(opaque);
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
            std::array<char, 512> what{};
            rd_kafka_fatal_error(rk, what.data(), what.size());
            self->fail(std::string("fatal error: ") + what.data());
            return;
        }
        self->noteOnce(rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)),
                       self->where() + ": " + reason);
    }
};

std::string streamName(const std::string& topic, int32_t partition) {
    return topic + "/" + std::to_string(partition);
}

KafkaConsumer::KafkaConsumer(KafkaOptions options, Owner owner)
    : options_(std::move(options)), owner_(std::move(owner)) {}

core::Result<std::unique_ptr<KafkaConsumer>> KafkaConsumer::open(const KafkaOptions& options,
                                                                 Owner owner) {
    std::unique_ptr<KafkaConsumer> consumer(new KafkaConsumer(options, std::move(owner)));
    if (core::Status st = consumer->start(); !st) {
        return core::Error{st.error()};
    }
    return consumer;
}

core::Status KafkaConsumer::start() {
    ConfPtr conf(rd_kafka_conf_new(), &rd_kafka_conf_destroy);
    core::Status st = setProperty(conf.get(), "auto.offset.reset", "earliest");
    bool debug = false;
    for (const auto& [key, value] : options_.properties) {
        if (std::find(kOwnedProperties.begin(), kOwnedProperties.end(), key) !=
            kOwnedProperties.end()) {
            return core::Error{"kafka property " + key + ": set by netpolgen"};
        }
        debug = debug || key == "debug";
        st = st ? setProperty(conf.get(), key, value) : st;
    }
    st = st ? setProperty(conf.get(), "bootstrap.servers", options_.brokers) : st;
    st = st ? setProperty(conf.get(), "group.id", options_.group) : st;
    st = st ? setProperty(conf.get(), "enable.auto.commit", "false") : st;
    st = st ? setProperty(conf.get(), "enable.auto.offset.store", "false") : st;
    if (!st) {
        return st;
    }
    if (!debug) {
        rd_kafka_conf_set_log_cb(conf.get(), &silentLog);
    }
    rd_kafka_conf_set_rebalance_cb(conf.get(), &KafkaCallbacks::rebalance);
    rd_kafka_conf_set_error_cb(conf.get(), &KafkaCallbacks::error);
    rd_kafka_conf_set_opaque(conf.get(), this);
    std::array<char, 512> error{};
    rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), error.data(), error.size());
    if (rk_ == nullptr) {
        return core::Error{where() + ": " + error.data()};
    }
    conf.release();  // rd_kafka_new took it
    rd_kafka_poll_set_consumer(rk_);
    ListPtr topics = newList(1);
    rd_kafka_topic_partition_list_add(topics.get(), options_.topic.c_str(), RD_KAFKA_PARTITION_UA);
    if (rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_, topics.get()); err) {
        return core::Error{where() + ": cannot subscribe: " + rd_kafka_err2str(err)};
    }
    return {};
}

KafkaConsumer::~KafkaConsumer() {
    if (rk_ == nullptr) {
        return;
    }
    if (!closed_ && !abandoned_) {
        // Leaves the group without a flush: what was not committed is read again from the store's
        // positions by whoever gets the partitions.
        abandoned_ = true;
        rd_kafka_consumer_close(rk_);
    }
    rd_kafka_destroy_flags(rk_, closed_ ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

std::string KafkaConsumer::where() const {
    return "kafka " + options_.brokers + " topic " + options_.topic;
}

void KafkaConsumer::fail(const std::string& what) {
    if (!failed_) {
        failed_ = what;
    }
}

void KafkaConsumer::noteOnce(const std::string& kind, const std::string& text) {
    if (noted_.insert(kind).second) {
        notes_.push_back(text);
    }
}

void KafkaConsumer::raiseFatalErrorForTest(const std::string& reason) {
    rd_kafka_test_fatal_error(rk_, RD_KAFKA_RESP_ERR__FENCED, reason.c_str());
}

std::vector<std::string> KafkaConsumer::takeNotes() {
    return std::exchange(notes_, {});
}

core::Result<size_t> KafkaConsumer::poll(const MessageSink& sink,
                                         size_t max_messages,
                                         int wait_ms) {
    size_t count = 0;
    while (!failed_ && count < max_messages) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, count == 0 ? wait_ms : 0);
        if (m == nullptr) {
            break;
        }
        handOut(m, sink, count);
        rd_kafka_message_destroy(m);
    }
    if (failed_) {
        return core::Error{where() + ": " + *failed_};
    }
    return count;
}

void KafkaConsumer::handOut(const void* message, const MessageSink& sink, size_t& count) {
    const auto* m = static_cast<const rd_kafka_message_t*>(message);
    if (m->err == RD_KAFKA_RESP_ERR__FATAL) {  // a consumer gets its fatal errors as messages
        std::array<char, 512> what{};
        rd_kafka_fatal_error(rk_, what.data(), what.size());
        fail(std::string("fatal error: ") + what.data());
        return;
    }
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            noteOnce(rd_kafka_err2name(m->err), where() + ": " + rd_kafka_message_errstr(m));
        }
        return;
    }
    auto it = held_.find(m->partition);
    if (it == held_.end() || options_.topic != rd_kafka_topic_name(m->rkt)) {
        return;  // released meanwhile
    }
    Partition& p = it->second;
    if (p.next && m->offset < *p.next) {
        return;  // read before a seek back
    }
    if (!p.stored && !p.first_read) {
        p.first_read = m->offset;
    }
    p.next = m->offset + 1;
    sink(std::string_view(static_cast<const char*>(m->payload), m->payload ? m->len : 0),
         {m->partition, m->offset});
    ++count;
}

std::vector<store::StreamAdvance> KafkaConsumer::advances() const {
    std::vector<store::StreamAdvance> out;
    for (const auto& [id, p] : held_) {
        if (p.next && p.next != p.stored) {
            out.push_back({streamName(options_.topic, id), p.stored, *p.next});
        }
    }
    return out;
}

void KafkaConsumer::committed(const std::vector<store::StreamAdvance>& advances) {
    ListPtr offsets = newList(static_cast<int>(advances.size()));
    for (const store::StreamAdvance& a : advances) {
        const int32_t id = std::stoi(a.stream.substr(options_.topic.size() + 1));
        if (auto it = held_.find(id); it != held_.end()) {
            it->second.stored = a.position;
        }
        rd_kafka_topic_partition_list_add(offsets.get(), options_.topic.c_str(), id)->offset =
            a.position;
    }
    if (offsets->cnt == 0) {
        return;
    }
    if (rd_kafka_resp_err_t err = rd_kafka_commit(rk_, offsets.get(), 0); err) {
        noteOnce(std::string("commit ") + rd_kafka_err2name(err),
                 where() + ": committing offsets to the broker (the store has them): " +
                     rd_kafka_err2str(err));
    }
}

core::Status KafkaConsumer::resync() {
    if (revoking_) {
        resync_pending_ = true;  // no seek of partitions being released
        return {};
    }
    auto positions = owner_.stored_positions();
    if (!positions) {
        return core::Error{positions.error()};
    }
    ListPtr seeks = newList(static_cast<int>(held_.size()));
    for (auto& [id, p] : held_) {
        const std::string name = streamName(options_.topic, id);
        auto it = std::find_if(
            positions->begin(), positions->end(), [&](const auto& s) { return s.stream == name; });
        p.stored = it != positions->end() ? std::optional<int64_t>(it->position) : std::nullopt;
        p.next = p.stored ? p.stored : p.first_read;
        if (p.next) {
            rd_kafka_topic_partition_list_add(seeks.get(), options_.topic.c_str(), id)->offset =
                *p.next;
        }
    }
    if (seeks->cnt == 0) {
        return {};
    }
    if (rd_kafka_error_t* error = rd_kafka_seek_partitions(rk_, seeks.get(), kSeekTimeoutMs)) {
        const std::string what = rd_kafka_error_string(error);
        rd_kafka_error_destroy(error);
        return core::Error{where() + ": cannot seek back to the store's positions: " + what};
    }
    for (int i = 0; i < seeks->cnt; ++i) {
        if (seeks->elems[i].err) {
            return core::Error{where() + ": cannot seek partition " +
                               std::to_string(seeks->elems[i].partition) + ": " +
                               rd_kafka_err2str(seeks->elems[i].err)};
        }
    }
    return {};
}

void KafkaConsumer::assign(rd_kafka_topic_partition_list_t* partitions) {
    auto positions = owner_.stored_positions();
    if (!positions) {
        fail(positions.error());
        return;
    }
    for (int i = 0; i < partitions->cnt; ++i) {
        rd_kafka_topic_partition_t& tp = partitions->elems[i];
        const std::string name = streamName(tp.topic, tp.partition);
        auto it = std::find_if(
            positions->begin(), positions->end(), [&](const auto& s) { return s.stream == name; });
        Partition p;
        if (it != positions->end()) {
            p.stored = it->position;
            p.next = it->position;
        }
        // Nothing stored: the group's committed offset, else auto.offset.reset.
        tp.offset = p.next ? *p.next : RD_KAFKA_OFFSET_STORED;
        held_[tp.partition] = p;
    }
    setAssignment(partitions, true);
}

void KafkaConsumer::revoke(rd_kafka_topic_partition_list_t* partitions) {
    if (!abandoned_) {
        revoking_ = true;
        if (core::Status st = owner_.flush(); !st) {
            fail(st.error());
        }
        revoking_ = false;
    }
    if (partitions == nullptr) {
        held_.clear();
    } else {
        for (int i = 0; i < partitions->cnt; ++i) {
            held_.erase(partitions->elems[i].partition);
        }
        setAssignment(partitions, false);
    }
    // A cooperative rebalance keeps the other partitions: back to the store's positions.
    if (std::exchange(resync_pending_, false) && !held_.empty()) {
        if (core::Status st = resync(); !st) {
            fail(st.error());
        }
    }
}

void KafkaConsumer::setAssignment(rd_kafka_topic_partition_list_t* partitions, bool add) {
    const char* protocol = rd_kafka_rebalance_protocol(rk_);
    if (protocol != nullptr && std::string_view(protocol) == "COOPERATIVE") {
        rd_kafka_error_t* error = add ? rd_kafka_incremental_assign(rk_, partitions)
                                      : rd_kafka_incremental_unassign(rk_, partitions);
        if (error != nullptr) {
            fail(std::string("cannot change the assignment: ") + rd_kafka_error_string(error));
            rd_kafka_error_destroy(error);
        }
        return;
    }
    if (rd_kafka_resp_err_t err = rd_kafka_assign(rk_, add ? partitions : nullptr); err) {
        fail(std::string("cannot change the assignment: ") + rd_kafka_err2str(err));
    }
}

core::Status KafkaConsumer::close() {
    if (closed_ || abandoned_ || rk_ == nullptr) {
        return {};
    }
    closed_ = true;
    rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_);  // revokes: the flush runs here
    if (failed_) {
        return core::Error{where() + ": " + *failed_};
    }
    if (err) {
        return core::Error{where() + ": cannot leave the group: " + rd_kafka_err2str(err)};
    }
    return {};
}

}  // namespace netpolgen::collect
