// `collect --kafka` (kafka_collect.h): a KafkaConsumer as a polled source — its messages split
// into lines for the pending batch, its partitions' advances in every commit.
#include "cli/kafka_collect.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cli/app.h"
#include "cli/progress.h"
#include "collect/kafka_consumer.h"
#include "io/flow_line_decoder.h"

namespace netpolgen::cli {
namespace {

// Messages handed out per poll at most, so that a busy topic still lets the loop commit on time.
constexpr size_t kMessagesPerPoll = 10000;

class KafkaSource : public PolledSource {
public:
    KafkaSource(const CollectCommandOptions& o,
                store::Store& store,
                std::ostream& err,
                int crash_after_commits)
        : o_(o),
          store_(store),
          err_(err),
          key_("kafka:" + o.kafka + "/" + o.topic + "/" + o.group),
          decoder_(o.flow_format),
          pending_(store, o.db, o.cluster_name),
          crash_after_(crash_after_commits) {}

    // Loads the cluster, joins the group.
    core::Status start(const collect::KafkaOptions& options);
    const CollectPending& pending() const { return pending_; }
    // Commits and messages are reported there too (may be null).
    void reportTo(collect::CollectMetrics* metrics) {
        metrics_ = metrics;
        pending_.reportTo(metrics);
        if (metrics != nullptr) {
            metrics->setState("following");
        }
    }

    core::Result<size_t> poll() override {
        return consumer_->poll([this](std::string_view value,
                                      const collect::MessagePlace& at) { onMessage(value, at); },
                               kMessagesPerPoll,
                               0);
    }

    core::Status commit() override;

    void report() override {
        for (const std::string& text : consumer_->takeNotes()) {
            note(text);
        }
    }

    core::Status close() { return consumer_->close(); }

private:
    void onMessage(std::string_view value, const collect::MessagePlace& at);
    core::Result<std::vector<store::StreamPosition>> storedPositions();
    void note(const std::string& text);

    const CollectCommandOptions& o_;
    store::Store& store_;
    std::ostream& err_;
    std::string key_;  // the source's digest and name in the store
    io::FlowLineDecoder decoder_;
    CollectPending pending_;  // read since the last commit: aggregated, never kept as lines
    collect::CollectMetrics* metrics_ = nullptr;
    int crash_after_;
    int commits_ = 0;
    bool crashed_ = false;
    std::string place_;  // "TOPIC/PARTITION offset N": the current message, for messages
    // Last: its destructor leaves the group while the rest is still there.
    std::unique_ptr<collect::KafkaConsumer> consumer_;
};

core::Status KafkaSource::start(const collect::KafkaOptions& options) {
    if (core::Status st = pending_.start(); !st) {
        return st;
    }
    collect::KafkaConsumer::Owner owner{[this] { return storedPositions(); },
                                        [this] { return commit(); }};
    auto consumer = collect::KafkaConsumer::open(options, std::move(owner));
    if (!consumer) {
        return core::Error{consumer.error()};
    }
    consumer_ = std::move(*consumer);
    return {};
}

core::Result<std::vector<store::StreamPosition>> KafkaSource::storedPositions() {
    auto state = store_.followState(o_.cluster_name, key_);
    if (!state) {
        return core::Error{o_.db + ": " + state.error()};
    }
    return std::move(state->streams);
}

void KafkaSource::note(const std::string& text) {
    if (!o_.quiet) {
        err_ << "netpolgen collect: " << text << "\n";
    }
}

// Lines are split at '\n'; a message's last line needs none. An empty message is one blank line.
void KafkaSource::onMessage(std::string_view value, const collect::MessagePlace& at) {
    if (metrics_ != nullptr) {
        metrics_->received(1);
    }
    place_ = collect::streamName(o_.topic, at.partition) + " offset " + std::to_string(at.offset);
    size_t start = 0;
    do {
        const size_t end = std::min(value.find('\n', start), value.size());
        decoder_.decode(value.substr(start, end - start),
                        {place_, start},
                        pending_.stats(),
                        pending_.consumer());
        start = end + 1;
    } while (start < value.size());
}

// The flows read since the last commit with each partition's move: one transaction; then the
// broker's offsets.
core::Status KafkaSource::commit() {
    if (crashed_) {
        return core::Error{"crashed (test)"};
    }
    std::vector<store::StreamAdvance> advances = consumer_->advances();
    if (advances.empty() && pending_.stats().lines == 0) {
        return pending_.refreshCluster();  // idle: a new snapshot is still picked up
    }
    store::FollowCommit shape{{}, std::nullopt, std::nullopt, {}, {}, advances};
    auto stored = pending_.commit(key_, key_, std::move(shape));
    if (!stored) {
        pending_.drop();  // never committed later without its partitions' advances
        return core::Error{stored.error()};
    }
    if (!*stored) {  // the batch is dropped: read again from the store's positions
        note(
            "another member of the group moved a partition in the store: what was read since "
            "the last commit is read again from the store's positions");
        return consumer_->resync();
    }
    for (const std::string& example : pending_.invalidExamples()) {
        note("skipped " + example);
    }
    if (crash_after_ > 0 && ++commits_ == crash_after_) {
        crashed_ = true;
        consumer_->abandonForTest();
        return core::Error{"crashed (test) after a store commit"};
    }
    consumer_->committed(advances);
    return {};
}

core::Result<collect::KafkaOptions> kafkaOptions(const CollectCommandOptions& o) {
    collect::KafkaOptions k{o.kafka, o.topic, o.group, {}};
    for (const std::string& p : o.kafka_properties) {
        const size_t eq = p.find('=');
        if (eq == std::string::npos || eq == 0) {
            return core::Error{"--kafka-property \"" + p + "\": KEY=VALUE"};
        }
        k.properties.emplace_back(p.substr(0, eq), p.substr(eq + 1));
    }
    return k;
}

}  // namespace

int collectFromKafka(const CollectCommandOptions& o,
                     const LoopTiming& timing,
                     store::Store& store,
                     std::ostream& err,
                     const StopWait& stop,
                     int crash_after_commits_for_test,
                     collect::CollectMetrics* metrics) {
    KafkaSource source(o, store, err, crash_after_commits_for_test);
    source.reportTo(metrics);
    auto options = kafkaOptions(o);
    core::Status st = options ? source.start(*options) : core::Status(core::Error{options.error()});
    if (!st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitBadInput;
    }
    const LoopOutput output{!o.quiet && progressWanted(o.status ? "always" : "auto", err), o.quiet};
    const int status = runPolledLoop(source, source.pending(), timing, output, stop, err);
    if (status != kExitOk) {
        return status;
    }
    if (core::Status closed = source.close(); !closed) {
        err << "netpolgen: " << closed.error() << "\n";
        return kExitFailure;
    }
    return kExitOk;
}

}  // namespace netpolgen::cli
