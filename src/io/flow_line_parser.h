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
#include <cstring>
#include <string>
#include <string_view>

#include "core/flow.h"
#include "io/flow_dedupe.h"
#include "io/flow_reader.h"

namespace netpolgen::io {

enum class LineOutcome : uint8_t {
    kFlow,        // `out` is a flow to hand to the consumer
    kNonFlow,     // blank, node_status, lost_events, …
    kReply,       // Hubble is_reply / reply
    kDropped,     // Hubble verdict DROPPED or ERROR
    kNotInitial,  // Hubble TCP segment that does not open a connection
    kDuplicate,   // Hubble: the other observation point of a connection already counted
    kInvalid,     // error() says why
};

// What went wrong with a field's value; the message is only built when the line is rejected.
enum class Problem : uint8_t {
    kNone,
    kNotString,
    kNotInteger,
    kNotObject,
    kNotArray,
    kNotBool,
    kPortRange,
    kCountRange,
    kUnknownProtocol,
    kTimeType,
    kTimeRange,
    kBadIp,
};

struct FieldProblem {
    Problem problem = Problem::kNone;
    std::string_view field;  // a static name such as "port" or "IP.source"
    std::string_view token;  // the offending text from the line, if any

    void set(Problem p, std::string_view f, std::string_view t = {}) {
        if (problem == Problem::kNone) {
            problem = p;
            field = f;
            token = t;
        }
    }
    explicit operator bool() const { return problem != Problem::kNone; }
};

// Every key the decoder looks at (defined in flow_line_parser.cpp).
enum class FlowKey : uint8_t;

class FlowLineParser {
public:
    // Passed to simdjson for its own bookkeeping. On-Demand skips nested values without recursion
    // and the decoder itself descends at most five levels, so deep input costs no stack.
    static constexpr size_t kMaxDepth = 64;

    // Everything read from one Hubble Endpoint object.
    struct HubbleEndpoint {
        std::string_view ns;
        std::string_view pod;
        std::string_view workload_name;
        std::string_view workload_kind;
        std::string_view labels;  // the raw text of the labels array's elements (in the line)
        uint64_t identity = 0;
        bool k8s_labels = false;  // some label is a k8s:… label: the endpoint is a pod
        bool world = false;       // reserved:world, reserved:world-ipv4, reserved:world-ipv6
        bool internal = false;    // reserved:host, remote-node, kube-apiserver, health, init, …
        bool cidr = false;        // a cidr:… label
    };

    // Why a canonical endpoint is not valid; `part` is the offending segment, if any.
    struct EndpointIssue {
        enum class What : uint8_t {
            kNone,
            kUnrecognised,
            kBadCidr,
            kTooManySegments,
            kEmptyNamespace,
            kBadNamespace,
            kBadKind,
            kEmptyName,
            kBadName,
        };
        What what = What::kNone;
        std::string_view part;
    };

    // A "time" value: RFC 3339 text (parsed only when the line is used) or Unix seconds.
    struct TimeValue {
        bool present = false;
        bool is_text = false;
        std::string_view text;
        int64_t seconds = 0;
    };

    // Canonical endpoint texts already validated, by a hash of their bytes: files repeat the same
    // few hundred endpoints, and a compare is cheaper than a validation.
    static constexpr size_t kEndpointCacheSize = 256;
    static constexpr size_t kMaxCachedEndpoint = 64;

    explicit FlowLineParser(FlowFormat format);

    // `data[0, size)` is one line without its newline; `capacity` bytes from `data` are readable,
    // with capacity >= size + SIMDJSON_PADDING.
    LineOutcome parse(const char* data, size_t size, size_t capacity, core::FlowObservation& out);

    // The reason of the last kInvalid.
    const std::string& error() const { return error_; }

private:
    using Key = FlowKey;
    using Value = simdjson::ondemand::value;
    using ErrorCode = simdjson::error_code;

    // "src" or "dst", decoded as soon as it is read (while its raw text can still be used) into
    // the observation being filled.
    struct CanonicalEndpoint {
        bool seen = false;
        std::string_view text;
        EndpointIssue issue;
    };

    // A valid endpoint text and where its parts are (offsets into the text).
    struct EndpointCacheEntry {
        std::array<char, kMaxCachedEndpoint> text{};
        uint8_t size = 0;  // 0: empty
        core::FlowEndpoint::Kind kind = core::FlowEndpoint::Kind::kUnknown;
        uint8_t ns_size = 0;
        uint8_t kind_offset = 0;
        uint8_t kind_size = 0;
        uint8_t name_offset = 0;
        uint8_t name_size = 0;

        void store(std::string_view raw, const core::FlowEndpoint& ep) {
            if (raw.empty() || raw.size() > kMaxCachedEndpoint) {
                return;
            }
            std::memcpy(text.data(), raw.data(), raw.size());
            size = static_cast<uint8_t>(raw.size());
            kind = ep.kind;
            const auto offset = [&](std::string_view part) {
                return static_cast<uint8_t>(part.empty() ? 0 : part.data() - raw.data());
            };
            ns_size = static_cast<uint8_t>(ep.ns.size());
            kind_offset = offset(ep.workload_kind);
            kind_size = static_cast<uint8_t>(ep.workload_kind.size());
            name_offset = offset(ep.name);
            name_size = static_cast<uint8_t>(ep.name.size());
        }

        // Fills `ep` (cleared) for `raw`, a text equal to the stored one.
        void apply(std::string_view raw, core::FlowEndpoint& ep) const {
            using Kind = core::FlowEndpoint::Kind;
            ep.kind = kind;
            if (kind == Kind::kWorkload) {
                ep.ns = raw.substr(0, ns_size);
                ep.workload_kind = raw.substr(kind_offset, kind_size);
                ep.name = raw.substr(name_offset, name_size);
            } else if (kind == Kind::kIp) {
                ep.ip = raw;
            } else if (kind == Kind::kCidr) {
                ep.cidr = raw;
            }
        }
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
    std::array<EndpointCacheEntry, kEndpointCacheSize> endpoint_cache_{};
    // The last RFC 3339 text parsed and its value.
    std::string last_time_text_;
    core::Timestamp last_time_ = core::kUndated;
    bool last_time_ok_ = false;
};

}  // namespace netpolgen::io
