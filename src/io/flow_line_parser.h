// FlowLineParser: decodes one flow line, canonical JSON Lines or Hubble JSON, into a
// core::FlowObservation (private to the flow reader; see io/flow_reader.h for the formats).
//
// One simdjson On-Demand parser is reused for every line. Each object is read in one pass over its
// keys, whatever their order; the format is decided from the top-level keys when it is kAuto:
//   "src" / "dst"                                      canonical
//   "flow", or Flow keys (IP, l4, source, destination,  Hubble (GetFlowsResponse envelope or a
//   verdict, Type, event_type, …)                       bare Flow)
//   "node_status", "lost_events", "agent_event", …     not a flow (skipped)
// Keys that belong to the other format are ignored, and so are unknown keys. Values that are never
// looked at are not validated (On-Demand).
//
// All string_views in the observation point into the line or into the parser's string buffer:
// valid until the next parse().
#pragma once

#include <simdjson.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/flow.h"
#include "io/endpoint_text.h"
#include "io/flow_dedupe.h"
#include "io/flow_json_fields.h"
#include "io/flow_keys.h"
#include "io/flow_reader.h"
#include "io/hubble_endpoint.h"
#include "io/hubble_flow_rules.h"

namespace netpolgen::io {

namespace detail {
// Counts a skipped record (every outcome but kFlow and kInvalid) in its counter; false for those
// two, which the caller handles. Shared by readFlowFile and FlowLineDecoder.
bool countSkipped(LineOutcome outcome, FlowReadStats& stats);
}  // namespace detail

class FlowLineParser {
public:
    // Passed to simdjson for its own bookkeeping. On-Demand skips nested values without recursion
    // and the decoder itself descends at most five levels, so deep input costs no stack.
    static constexpr size_t kMaxDepth = 64;

    explicit FlowLineParser(FlowFormat format);

    // `data[0, size)` is one line without its newline; `capacity` bytes from `data` are readable,
    // with capacity >= size + SIMDJSON_PADDING.
    LineOutcome parse(const char* data, size_t size, size_t capacity, core::FlowObservation& out);

    // The reason of the last kInvalid.
    const std::string& error() const { return error_; }

private:
    using Key = detail::FlowKey;
    using Value = detail::Value;
    using ErrorCode = detail::ErrorCode;
    using FieldProblem = detail::FieldProblem;
    using TimeValue = detail::TimeValue;
    using EndpointIssue = detail::EndpointIssue;
    using HubbleEndpoint = detail::HubbleEndpoint;

    // "src" or "dst", decoded as soon as it is read (while its raw text can still be used) into
    // the observation being filled.
    struct CanonicalEndpoint {
        bool seen = false;
        std::string_view text;
        EndpointIssue issue;
    };

    struct Canonical {
        bool shape = false;  // a "src" or "dst" key
        CanonicalEndpoint src;
        CanonicalEndpoint dst;
        uint32_t port = 0;
        core::Protocol protocol = core::Protocol::kTcp;
        uint64_t count = 1;
        FieldProblem problem;
    };

    struct Hubble {
        bool envelope = false;  // "flow" key
        bool flow_key = false;  // a Flow key at the top level (bare Flow)
        bool non_flow = false;  // node_status, lost_events, …
        bool dropped = false;   // verdict DROPPED or ERROR
        int8_t is_reply = -1;   // -1 absent, 0 false, 1 true
        int8_t reply = -1;      // deprecated field, same encoding
        bool trace_new = false;
        bool flags = false;
        int8_t syn = 0;
        int8_t ack = 0;
        bool has_aggregate = false;
        core::Protocol protocol = core::Protocol::kUnknown;
        uint32_t src_port = 0;
        uint32_t dst_port = 0;
        uint64_t event_type = 0;
        uint64_t aggregate = 0;
        std::string_view src_ip;
        std::string_view dst_ip;
        TimeValue time;  // flow.time
        HubbleEndpoint source;
        HubbleEndpoint destination;
        FieldProblem problem;
    };

    LineOutcome invalid(std::string message);
    LineOutcome invalidJson(ErrorCode code);

    ErrorCode topField(Key key, Value& value);
    ErrorCode flowField(Key key, Value& value, bool top);
    ErrorCode ipObject(Value& value);
    ErrorCode l4Object(Value& value);
    ErrorCode l4Ports(Value& value, bool tcp);
    ErrorCode endpointObject(Value& value, HubbleEndpoint& ep, bool source);
    ErrorCode canonicalEndpoint(Value& value,
                                std::string_view name,
                                CanonicalEndpoint& out,
                                core::FlowEndpoint& endpoint);
    ErrorCode canonicalProtocol(Value& value);

    void resetHubble();
    core::Status resolveTime(const TimeValue& t, core::Timestamp& out);
    LineOutcome finishCanonical(core::FlowObservation& out);
    LineOutcome finishHubble(core::FlowObservation& out);

    FlowFormat format_;
    bool want_canonical_;
    bool want_hubble_;
    simdjson::ondemand::parser parser_;
    ConnectionDeduper dedupe_;
    std::string error_;
    core::FlowObservation* out_ = nullptr;  // the observation parse() fills
    Canonical canonical_;
    Hubble hubble_;
    bool hubble_dirty_ = true;  // hubble_ was written since it was last reset
    TimeValue top_time_;  // "time" at the top level: canonical time, envelope or bare-Flow time
    FieldProblem time_problem_;
    std::array<detail::EndpointCacheEntry, detail::kEndpointCacheSize> endpoint_cache_{};
    // The last RFC 3339 text parsed and its value.
    std::string last_time_text_;
    core::Timestamp last_time_ = core::kUndated;
    bool last_time_ok_ = false;
};

}  // namespace netpolgen::io
