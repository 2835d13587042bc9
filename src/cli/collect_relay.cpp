// The loop of `collect --hubble-relay` (collect_relay.h).
#include "cli/collect_relay.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/app.h"
#include "cli/collect_pending.h"
#include "cli/progress.h"
#include "cli/stop_signals.h"
#include "collect/node_positions.h"
#include "collect/relay_stream.h"
#include "io/flow_line_parser.h"
#include "io/hubble_flow_wire.h"

namespace netpolgen::cli {
namespace {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

constexpr int64_t kOverlapNs = 5'000'000'000;  // > Relay's sort window (~1 s, docs §6)
constexpr Millis kFirstBackoff{1000};
constexpr Millis kMaxBackoff{30000};
constexpr size_t kMaxInvalidExamples = 10;

// Errors that a retry cannot fix (docs/hubble-relay.md §8).
bool fatal(grpc::StatusCode code) {
    return code == grpc::StatusCode::INVALID_ARGUMENT || code == grpc::StatusCode::UNIMPLEMENTED ||
           code == grpc::StatusCode::UNAUTHENTICATED || code == grpc::StatusCode::PERMISSION_DENIED;
}

std::string_view nodeStateName(observer::NodeState s) {
    switch (s) {
        case observer::NODE_CONNECTED:
            return "connected";
        case observer::NODE_UNAVAILABLE:
            return "unavailable";
        case observer::NODE_GONE:
            return "gone";
        case observer::NODE_ERROR:
            return "error";
        default:
            return "unknown";
    }
}

class RelayCollector {
public:
    RelayCollector(const CollectCommandOptions& o,
                   store::Store& store,
                   std::ostream& err,
                   collect::CollectMetrics* metrics)
        : o_(o),
          err_(err),
          store_(store),
          digest_("relay:" + o.hubble_relay),
          status_(!o.quiet && progressWanted(o.status ? "always" : "auto", err)),
          pending_(store, o.db, o.cluster_name),
          metrics_(metrics != nullptr ? metrics : &own_metrics_) {
        pending_.reportTo(metrics_);
    }

    int run(Millis commit_every, const StopWait& stop);

private:
    core::Status start();
    core::Status connect();
    void handle(const observer::GetFlowsResponse& r);
    void flow(const observer::GetFlowsResponse& r);
    bool receivedAgain(const observer::GetFlowsResponse& r);
    core::Status commit();
    void note(const std::string& text);
    std::string sourceState() const;
    // Reads one stream until it ends or a stop signal; true when stopped.
    bool stream(Millis commit_every,
                const StopWait& stop,
                Clock::time_point& last_commit,
                core::Status& failed);

    const CollectCommandOptions& o_;
    std::ostream& err_;
    store::Store& store_;
    std::string digest_;
    bool status_;
    CollectPending pending_;
    std::unique_ptr<collect::NodePositions> positions_;
    collect::RelayEndpoint endpoint_;
    std::shared_ptr<grpc::Channel> channel_;
    io::HubbleFlowWireDecoder decoder_;
    core::FlowObservation observation_;
    uint64_t lost_events_ = 0;
    uint64_t replayed_ = 0;  // received again after a reconnect: not counted
    uint64_t reconnects_ = 0;
    std::map<std::string, std::string> node_states_;  // node → last state reported
    bool connected_ = false;
    collect::CollectMetrics own_metrics_{"relay"};
    collect::CollectMetrics* metrics_;
    Clock::time_point last_status_ = Clock::now();
};

core::Status RelayCollector::start() {
    endpoint_ = collect::RelayEndpoint{o_.hubble_relay,
                                       o_.tls,
                                       o_.tls_ca,
                                       o_.tls_cert,
                                       o_.tls_key,
                                       o_.tls_server_name,
                                       !o_.no_field_mask};
    if (core::Status st = connect(); !st) {
        return st;
    }
    core::Status started = pending_.start();
    auto state = started ? store_.followState(o_.cluster_name, digest_)
                         : core::Result<store::FollowState>(core::Error{started.error()});
    if (!state) {
        return core::Error{state.error()};
    }
    positions_ = std::make_unique<collect::NodePositions>(state->streams);
    return {};
}

// A new channel for every connection: gRPC's own reconnect backoff (up to 2 minutes) would
// otherwise keep a channel whose relay came back failing calls long after ours.
core::Status RelayCollector::connect() {
    auto channel = collect::relayChannel(endpoint_);
    if (!channel) {
        return core::Error{channel.error()};
    }
    channel_ = std::move(*channel);
    return {};
}

void RelayCollector::note(const std::string& text) {
    if (!o_.quiet) {
        err_ << "netpolgen collect: " << text << "\n";
    }
}

// True for a flow at or before its node's position: received again after a reconnect, counted
// when it was first received.
bool RelayCollector::receivedAgain(const observer::GetFlowsResponse& r) {
    if (decoder_.timeNanos() <= 0) {
        return false;  // undated: nothing to recognize it by
    }
    const std::string_view node =
        decoder_.nodeName().empty() ? std::string_view(r.node_name()) : decoder_.nodeName();
    const uint64_t beyond = positions_->beyondCap();
    const bool again = !positions_->accept(node, decoder_.timeNanos(), decoder_.uuid());
    if (beyond == 0 && positions_->beyondCap() > 0) {
        note(
            fmt::format("more than {} nodes named by the relay: flows of further nodes are "
                        "stored without a position (a reconnect may count them twice)",
                        collect::NodePositions::kMaxNodes));
    }
    return again;
}

void RelayCollector::flow(const observer::GetFlowsResponse& r) {
    const io::LineOutcome outcome = decoder_.decode(r.flow(), observation_);
    if (outcome != io::LineOutcome::kInvalid && receivedAgain(r)) {
        ++replayed_;
        return;
    }
    io::FlowReadStats& stats = pending_.stats();
    ++stats.records;
    ++stats.lines;
    stats.bytes += r.flow().size();
    if (outcome == io::LineOutcome::kInvalid) {
        ++stats.invalid;
        if (stats.invalid_examples.size() < kMaxInvalidExamples) {
            stats.invalid_examples.push_back(o_.hubble_relay + ": " + decoder_.error());
        }
        return;
    }
    if (outcome != io::LineOutcome::kFlow) {
        io::detail::countSkipped(outcome, stats);
        return;
    }
    if (core::Status st = pending_.add(observation_); !st) {
        ++stats.invalid;
        return;
    }
    ++stats.flows;
}

void RelayCollector::handle(const observer::GetFlowsResponse& r) {
    switch (r.response_types_case()) {
        case observer::GetFlowsResponse::kFlow:
            flow(r);
            return;
        case observer::GetFlowsResponse::kLostEvents: {
            const auto& lost = r.lost_events();
            const int64_t at =
                r.has_time() ? r.time().seconds() * 1'000'000'000 + r.time().nanos() : 0;
            if (at > 0 && positions_->behind(r.node_name(), at)) {
                return;  // reported before this reconnect
            }
            lost_events_ += lost.num_events_lost();
            metrics_->lost(lost.num_events_lost());
            pending_.addLost(lost.num_events_lost());
            note(fmt::format("{} events lost ({}) on {}: flows never seen",
                             lost.num_events_lost(),
                             observer::LostEventSource_Name(lost.source()),
                             r.node_name().empty() ? "the relay" : r.node_name()));
            return;
        }
        case observer::GetFlowsResponse::kNodeStatus: {
            const auto& status = r.node_status();
            const std::string state(nodeStateName(status.state_change()));
            std::vector<std::string> changed;  // noted once per change, not per reconnect
            for (const std::string& node : status.node_names()) {
                std::string& known = node_states_[node];
                if (known != state) {
                    changed.push_back(node);
                    known = state;
                }
            }
            if (status.state_change() != observer::NODE_CONNECTED && !changed.empty()) {
                note(fmt::format("nodes {}: {}{}",
                                 state,
                                 fmt::join(changed, ", "),
                                 status.message().empty() ? "" : " (" + status.message() + ")"));
            }
            return;
        }
        default:
            return;
    }
}

core::Status RelayCollector::commit() {
    std::vector<store::StreamAdvance> advances = positions_->advances();
    if (pending_.stats().records == 0 && advances.empty()) {
        return pending_.refreshCluster();
    }
    store::FollowCommit shape{{}, std::nullopt, std::nullopt, {}, {}, std::move(advances)};
    auto stored = pending_.commit(digest_, o_.hubble_relay, std::move(shape));
    if (!stored) {
        return core::Error{stored.error()};
    }
    if (!*stored) {
        return core::Error{o_.hubble_relay +
                           ": another collector of this relay moved its positions in the store: "
                           "stopping"};
    }
    positions_->committed();
    for (const std::string& example : pending_.invalidExamples()) {
        note("skipped " + example);
    }
    return {};
}

std::string RelayCollector::sourceState() const {
    size_t connected = 0;
    for (const auto& [node, state] : node_states_) {
        connected += state == "connected" ? 1 : 0;
    }
    return fmt::format("relay {}{}, {} nodes connected of {}, {} lost events, {} reconnects",
                       connected_ ? "streaming" : "reconnecting",
                       replayed_ > 0 ? fmt::format(" ({} received again)", replayed_) : "",
                       connected,
                       node_states_.size(),
                       lost_events_,
                       reconnects_);
}

bool RelayCollector::stream(Millis commit_every,
                            const StopWait& stop,
                            Clock::time_point& last_commit,
                            core::Status& failed) {
    collect::RelayStream stream(
        channel_, positions_->resumeSince(kOverlapNs), !o_.no_field_mask, !o_.no_follow);
    std::vector<observer::GetFlowsResponse> got;
    connected_ = true;
    metrics_->setState("streaming");
    for (;;) {
        got.clear();
        const bool open = stream.take(got, Millis(100));
        for (const auto& r : got) {
            handle(r);
        }
        metrics_->received(got.size());
        if (pending_.stats().records >= o_.commit_flows ||
            Clock::now() - last_commit >= commit_every) {
            if (failed = commit(); !failed) {
                return true;
            }
            last_commit = Clock::now();
        }
        if (status_ && Clock::now() - last_status_ >= commit_every) {
            err_ << pending_.statusLine(wallNow(), sourceState()) << std::flush;
            last_status_ = Clock::now();
        }
        if (stop(Millis(0))) {
            return true;
        }
        if (!open) {
            break;
        }
    }
    connected_ = false;
    const grpc::Status why = stream.status();
    if (o_.no_follow && why.ok()) {
        return true;  // the end of the relay's buffers: done
    }
    if (fatal(why.error_code())) {
        failed = core::Error{fmt::format("{}: GetFlows refused ({}): {}",
                                         o_.hubble_relay,
                                         static_cast<int>(why.error_code()),
                                         why.error_message())};
        return true;
    }
    note(fmt::format("the stream from {} ended ({}{}): reconnecting",
                     o_.hubble_relay,
                     why.ok() ? "closed by the server" : "code " + std::to_string(why.error_code()),
                     why.error_message().empty() ? "" : ": " + why.error_message()));
    return false;
}

int RelayCollector::run(Millis commit_every, const StopWait& stop) {
    if (core::Status st = start(); !st) {
        err_ << "netpolgen: " << st.error() << "\n";
        return kExitBadInput;
    }
    auto last_commit = Clock::now();
    Millis backoff = kFirstBackoff;
    core::Status failed;
    for (;;) {
        const uint64_t before = pending_.totals().flows_read + pending_.stats().records;
        if (stream(commit_every, stop, last_commit, failed)) {
            break;
        }
        ++reconnects_;
        if (pending_.totals().flows_read + pending_.stats().records > before) {
            backoff = kFirstBackoff;  // the stream worked for a while
        }
        // Commit what was read, then wait (a stop signal ends the wait).
        if (failed = commit(); !failed) {
            break;
        }
        last_commit = Clock::now();
        metrics_->setState("reconnecting");
        metrics_->reconnected();
        if (stop(backoff)) {
            break;
        }
        backoff = std::min(backoff * 2, kMaxBackoff);
        if (failed = connect(); !failed) {
            break;
        }
    }
    if (!failed) {
        err_ << "netpolgen: " << failed.error() << "\n";
        return kExitFailure;
    }
    if (core::Status st = commit(); !st) {
        err_ << "netpolgen: " << st.error() << "\n";
        return kExitFailure;
    }
    if (!o_.quiet) {
        err_ << pending_.statusLine(wallNow(), sourceState()) << std::flush;
    }
    return kExitOk;
}

}  // namespace

int runRelayCollect(const CollectCommandOptions& o,
                    store::Store& store,
                    std::ostream& err,
                    Millis commit_every,
                    const StopWait& stop,
                    collect::CollectMetrics* metrics) {
    RelayCollector collector(o, store, err, metrics);
    const int status = collector.run(commit_every, stop);
    if (metrics != nullptr) {
        metrics->setState("stopped");
    }
    return status;
}

}  // namespace netpolgen::cli
