// The rules that decide whether a Hubble flow is one new connection — shared by the decoders of
// the same flow in JSON (io/flow_line_parser.h) and in protobuf (io/hubble_flow_wire.h), so that
// a flow read from a file and received from Hubble Relay count alike.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/protocol.h"
#include "io/flow_dedupe.h"

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

namespace detail {

inline constexpr uint64_t kPolicyVerdictEvent = 5;  // event_type.type of policy-verdict events

// What of a Hubble flow decides whether it counts.
struct HubbleFlowTraits {
    bool dropped = false;  // verdict DROPPED or ERROR
    int8_t is_reply = -1;  // -1 absent, 0 false, 1 true
    int8_t reply = -1;     // the deprecated field, same encoding
    bool trace_new = false;
    bool flags = false;  // TCP flags were given
    int8_t syn = 0;
    int8_t ack = 0;
    core::Protocol protocol = core::Protocol::kUnknown;
    uint64_t event_type = 0;
};

// kFlow when the flow is a connection to count; else why it is skipped: a reply, a dropped
// flow, or a TCP segment that opens nothing (neither SYN without ACK, nor a conntrack NEW, nor a
// policy verdict).
inline LineOutcome hubbleFlowOutcome(const HubbleFlowTraits& t) {
    if (t.is_reply == 1 || (t.is_reply < 0 && t.reply == 1)) {
        return LineOutcome::kReply;
    }
    if (t.dropped) {
        return LineOutcome::kDropped;
    }
    const bool opening = t.syn == 1 && t.ack != 1;
    if (t.protocol == core::Protocol::kTcp && t.flags && !opening && !t.trace_new &&
        t.event_type != kPolicyVerdictEvent) {
        return LineOutcome::kNotInitial;
    }
    return LineOutcome::kFlow;
}

// True when the flow is the other observation point of a connection `dedupe` has seen (only a
// flow with both addresses and both ports can be recognized).
inline bool repeatedConnection(ConnectionDeduper& dedupe,
                               std::string_view src_ip,
                               uint32_t src_port,
                               std::string_view dst_ip,
                               uint32_t dst_port,
                               core::Protocol protocol,
                               core::Timestamp time) {
    return !src_ip.empty() && !dst_ip.empty() && src_port != 0 && dst_port != 0 &&
           dedupe.seen(src_ip, src_port, dst_ip, dst_port, static_cast<uint8_t>(protocol), time);
}

// An address as Hubble prints it. IPv4 is checked exactly (no allocation); IPv6 by its alphabet,
// since the resolver parses it anyway.
bool isHubbleIpText(std::string_view s);

}  // namespace detail
}  // namespace netpolgen::io
