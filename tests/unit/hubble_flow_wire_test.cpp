// HubbleFlowWireDecoder: a flow received from Hubble Relay (protobuf) decodes to what the JSON
// decoder gives for the same flow in a file — checked on real Hubble exports of several versions
// and on the demo's flows, each line turned into its protobuf form — and malformed bytes are
// invalid, never a crash.
#include "io/hubble_flow_wire.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "io/flow_line_decoder.h"
#include "observer.pb.h"

namespace netpolgen::io {
namespace {

std::string endpointText(const core::FlowEndpoint& e) {
    const std::string labels(e.labels);
    return std::to_string(static_cast<int>(e.kind)) + "|" + std::string(e.ns) + "|" +
           std::string(e.name) + "|" + std::string(e.workload_kind) + "|" + std::string(e.pod) +
           "|" + std::string(e.ip) + "|" + std::string(e.cidr) + "|" +
           (labels.find('\\') == std::string::npos ? labels : "(escaped)");
}

std::string describe(LineOutcome outcome, const core::FlowObservation& f) {
    if (outcome != LineOutcome::kFlow) {
        return "skipped " + std::to_string(static_cast<int>(outcome));
    }
    return endpointText(f.src) + " > " + endpointText(f.dst) + " :" + std::to_string(f.port) + "/" +
           std::to_string(static_cast<int>(f.protocol)) + " @" + std::to_string(f.time) + " x" +
           std::to_string(f.count);
}

// The outcome the JSON decoder gave a line, from the counter it moved.
LineOutcome outcomeOf(const FlowReadStats& before, const FlowReadStats& after) {
    if (after.flows > before.flows) {
        return LineOutcome::kFlow;
    }
    if (after.skipped_replies > before.skipped_replies) {
        return LineOutcome::kReply;
    }
    if (after.skipped_dropped > before.skipped_dropped) {
        return LineOutcome::kDropped;
    }
    if (after.skipped_not_initial > before.skipped_not_initial) {
        return LineOutcome::kNotInitial;
    }
    if (after.skipped_duplicates > before.skipped_duplicates) {
        return LineOutcome::kDuplicate;
    }
    if (after.skipped_non_flow > before.skipped_non_flow) {
        return LineOutcome::kNonFlow;
    }
    return LineOutcome::kInvalid;
}

// Every flow line of `path`, decoded from JSON and from its protobuf form; the number compared.
size_t compareFile(const std::string& path) {
    std::ifstream in(path);
    EXPECT_TRUE(in) << path;
    FlowLineDecoder json(FlowFormat::kAuto);
    HubbleFlowWireDecoder wire;
    FlowReadStats stats;
    std::string line;
    size_t compared = 0;
    for (size_t number = 1; std::getline(in, line); ++number) {
        observer::RecordedEvent event;
        google::protobuf::util::JsonParseOptions options;
        options.ignore_unknown_fields = true;
        if (!google::protobuf::util::JsonStringToMessage(line, &event, options).ok() ||
            !event.has_flow()) {
            continue;  // not a flow in the envelope form
        }
        std::string from_json;
        const FlowReadStats before = stats;
        json.decode(line, {path, number}, stats, [&](const core::FlowObservation& f) {
            from_json = describe(LineOutcome::kFlow, f);
            return core::Status{};
        });
        const LineOutcome json_outcome = outcomeOf(before, stats);
        if (json_outcome != LineOutcome::kFlow) {
            from_json = describe(json_outcome, {});
        }
        core::FlowObservation observation;
        const std::string bytes = event.flow().SerializeAsString();  // the views point into it
        const LineOutcome outcome = wire.decode(bytes, observation);
        EXPECT_EQ(describe(outcome, observation), from_json) << path << ":" << number;
        ++compared;
    }
    return compared;
}

TEST(HubbleFlowWire, ReceivedFlowsDecodeAsTheSameFlowsReadFromJson) {
    size_t compared = 0;
    for (const char* file : {"/tests/data/hubble-real/aks-docker-provider/flows.jsonl",
                             "/tests/data/hubble-real/cilium-docs-exporter/flows.jsonl",
                             "/tests/data/hubble-real/hubble-otel-gke/flows.jsonl",
                             "/demo/online-boutique/flows.hubble.jsonl"}) {
        compared += compareFile(std::string(NETPOLGEN_SOURCE_DIR) + file);
    }
    EXPECT_GT(compared, 100u);
}

TEST(HubbleFlowWire, UuidTimeAndNodeAreKeptForDeduplication) {
    observer::Flow flow;
    flow.set_uuid("1f6c-aa");
    flow.set_node_name("kind/worker");
    flow.mutable_time()->set_seconds(1796558400);
    flow.mutable_time()->set_nanos(123);
    flow.mutable_is_reply()->set_value(true);
    HubbleFlowWireDecoder wire;
    core::FlowObservation out;
    const std::string bytes = flow.SerializeAsString();  // the views point into it
    EXPECT_EQ(wire.decode(bytes, out), LineOutcome::kReply);
    EXPECT_EQ(wire.uuid(), "1f6c-aa");
    EXPECT_EQ(wire.nodeName(), "kind/worker");
    EXPECT_EQ(wire.timeNanos(), 1796558400'000'000'123);
}

TEST(HubbleFlowWire, TimesBeyondWhatNanosecondsHoldKeepTheirSeconds) {
    observer::Flow flow;
    flow.mutable_time()->set_seconds(12265541189);  // the year 2358: int64 nanoseconds end in 2262
    HubbleFlowWireDecoder wire;
    core::FlowObservation out;
    const std::string far = flow.SerializeAsString();
    ASSERT_EQ(wire.decode(far, out), LineOutcome::kFlow);
    EXPECT_EQ(out.time, 12265541189);
    EXPECT_EQ(wire.timeNanos(), INT64_MAX);
    flow.mutable_time()->set_seconds(253402300800);  // 10000-01-01: beyond RFC 3339
    const std::string beyond = flow.SerializeAsString();
    EXPECT_EQ(wire.decode(beyond, out), LineOutcome::kInvalid);
    EXPECT_EQ(wire.error(), "flow: time out of range");
    flow.mutable_time()->set_seconds(-1);
    const std::string before = flow.SerializeAsString();
    EXPECT_EQ(wire.decode(before, out), LineOutcome::kInvalid);
}

TEST(HubbleFlowWire, MalformedBytesAreInvalidWithAReason) {
    observer::Flow flow;
    flow.mutable_ip()->set_source("10.0.0.1");
    flow.mutable_ip()->set_destination("10.0.0.2");
    flow.mutable_l4()->mutable_tcp()->set_destination_port(80);
    const std::string good = flow.SerializeAsString();
    HubbleFlowWireDecoder wire;
    core::FlowObservation out;
    ASSERT_EQ(wire.decode(good, out), LineOutcome::kFlow);
    // Cut inside the IP field (the first one written): invalid; cut after a whole field: a
    // shorter flow.
    const size_t ip_field = 2 + flow.ip().ByteSizeLong();
    for (size_t cut = 1; cut < good.size(); ++cut) {
        const LineOutcome o = wire.decode(std::string_view(good).substr(0, cut), out);
        if (cut < ip_field) {
            EXPECT_EQ(o, LineOutcome::kInvalid) << "cut at " << cut;
            EXPECT_EQ(wire.error(), "flow: malformed protobuf");
        }
    }
    flow.mutable_l4()->mutable_tcp()->set_destination_port(70000);
    EXPECT_EQ(wire.decode(flow.SerializeAsString(), out), LineOutcome::kInvalid);
    EXPECT_EQ(wire.error(), "flow: l4 port out of range");
    flow.mutable_l4()->mutable_tcp()->set_destination_port(80);
    flow.mutable_ip()->set_source("not an address");
    EXPECT_EQ(wire.decode(flow.SerializeAsString(), out), LineOutcome::kInvalid);
    EXPECT_EQ(wire.decode(std::string("\x00\x01", 2), out), LineOutcome::kInvalid);
}

}  // namespace
}  // namespace netpolgen::io
