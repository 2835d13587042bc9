// FlowKey: every key the flow line decoder looks at, in any object of a canonical line or a Hubble
// flow, and its classification from the raw key text in the line (no unescaping unless the key has
// escapes). Aliases (snake_case / lowerCamelCase) share one FlowKey. Internal to io (the flow line
// decoder); inline, since it runs once per key of every line.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace netpolgen::io::detail {

// Every key the decoder looks at, in any object; aliases (snake_case / lowerCamelCase) share one.
enum class FlowKey : uint8_t {
    kOther,
    // canonical and envelope
    kSrc,
    kDst,
    kPort,
    kProtocol,
    kTime,
    kCount,
    kFlow,
    kNonFlow,
    // Flow
    kVerdict,
    kIp,
    kL4,
    kSource,
    kDestination,
    kIsReply,
    kReply,
    kEventType,
    kTraceReason,
    kAggregate,
    kFlowMarker,
    // Layer4
    kTcp,
    kUdp,
    kSctp,
    kIcmpV4,
    kIcmpV6,
    kSourcePort,
    kDestinationPort,
    kFlags,
    kSyn,
    kAck,
    // Endpoint
    kNamespace,
    kLabels,
    kPodName,
    kWorkloads,
    kName,
    kKind,
    kIdentity,
    // event_type, aggregate
    kType,
    kFlowCount,
};

inline constexpr size_t kMaxKeyLength = 32;  // longer keys are none of ours

// True when the quote-terminated raw key at `r` is `lit`. REQUIRES: sizeof lit bytes readable from
// r, which holds for a key in the padded line (a key is followed by ':', a value and
// SIMDJSON_PADDING bytes) and for the copy made by classifyEscapedKey().
template <size_t N>
inline bool isKey(const char* r, const char (&lit)[N]) {
    static_assert(N - 1 <= kMaxKeyLength);
    return std::memcmp(r, lit, N - 1) == 0 && r[N - 1] == '"';
}

// The key at `r` (raw, quote-terminated). A switch on the first byte, then fixed-size compares:
// short dependency chains and branches that follow the (stable) key order of a producer.
inline FlowKey classifyKey(const char* r) {
    switch (r[0]) {
        case 'A':
            return isKey(r, "ACK") ? FlowKey::kAck : FlowKey::kOther;
        case 'I':
            return isKey(r, "IP")       ? FlowKey::kIp
                   : isKey(r, "ICMPv4") ? FlowKey::kIcmpV4
                   : isKey(r, "ICMPv6") ? FlowKey::kIcmpV6
                                        : FlowKey::kOther;
        case 'S':
            return isKey(r, "SYN")    ? FlowKey::kSyn
                   : isKey(r, "SCTP") ? FlowKey::kSctp
                                      : FlowKey::kOther;
        case 'T':
            return isKey(r, "TCP")    ? FlowKey::kTcp
                   : isKey(r, "Type") ? FlowKey::kFlowMarker
                                      : FlowKey::kOther;
        case 'U':
            return isKey(r, "UDP") ? FlowKey::kUdp : FlowKey::kOther;
        case 'a':
            return isKey(r, "aggregate")                               ? FlowKey::kAggregate
                   : isKey(r, "agent_event") || isKey(r, "agentEvent") ? FlowKey::kNonFlow
                                                                       : FlowKey::kOther;
        case 'c':
            return isKey(r, "count") ? FlowKey::kCount : FlowKey::kOther;
        case 'd':
            if (isKey(r, "dst")) {
                return FlowKey::kDst;
            }
            if (isKey(r, "destination")) {
                return FlowKey::kDestination;
            }
            if (isKey(r, "destination_port") || isKey(r, "destinationPort")) {
                return FlowKey::kDestinationPort;
            }
            if (isKey(r, "drop_reason_desc") || isKey(r, "dropReasonDesc")) {
                return FlowKey::kFlowMarker;
            }
            return isKey(r, "debug_event") || isKey(r, "debugEvent") ? FlowKey::kNonFlow
                                                                     : FlowKey::kOther;
        case 'e':
            if (isKey(r, "event_type") || isKey(r, "eventType")) {
                return FlowKey::kEventType;
            }
            return isKey(r, "egress_flow_count") || isKey(r, "egressFlowCount")
                       ? FlowKey::kFlowCount
                       : FlowKey::kOther;
        case 'f':
            return isKey(r, "flow")    ? FlowKey::kFlow
                   : isKey(r, "flags") ? FlowKey::kFlags
                                       : FlowKey::kOther;
        case 'i':
            if (isKey(r, "is_reply") || isKey(r, "isReply")) {
                return FlowKey::kIsReply;
            }
            if (isKey(r, "identity")) {
                return FlowKey::kIdentity;
            }
            return isKey(r, "ingress_flow_count") || isKey(r, "ingressFlowCount")
                       ? FlowKey::kFlowCount
                       : FlowKey::kOther;
        case 'k':
            return isKey(r, "kind") ? FlowKey::kKind : FlowKey::kOther;
        case 'l':
            if (isKey(r, "l4")) {
                return FlowKey::kL4;
            }
            if (isKey(r, "labels")) {
                return FlowKey::kLabels;
            }
            return isKey(r, "lost_events") || isKey(r, "lostEvents") ? FlowKey::kNonFlow
                                                                     : FlowKey::kOther;
        case 'n':
            if (isKey(r, "namespace")) {
                return FlowKey::kNamespace;
            }
            if (isKey(r, "name")) {
                return FlowKey::kName;
            }
            return isKey(r, "node_status") || isKey(r, "nodeStatus") ? FlowKey::kNonFlow
                                                                     : FlowKey::kOther;
        case 'p':
            if (isKey(r, "port")) {
                return FlowKey::kPort;
            }
            if (isKey(r, "protocol")) {
                return FlowKey::kProtocol;
            }
            return isKey(r, "pod_name") || isKey(r, "podName") ? FlowKey::kPodName
                                                               : FlowKey::kOther;
        case 'r':
            return isKey(r, "reply") ? FlowKey::kReply : FlowKey::kOther;
        case 's':
            if (isKey(r, "src")) {
                return FlowKey::kSrc;
            }
            if (isKey(r, "source")) {
                return FlowKey::kSource;
            }
            return isKey(r, "source_port") || isKey(r, "sourcePort") ? FlowKey::kSourcePort
                                                                     : FlowKey::kOther;
        case 't':
            if (isKey(r, "time")) {
                return FlowKey::kTime;
            }
            if (isKey(r, "type")) {
                return FlowKey::kType;
            }
            if (isKey(r, "trace_reason") || isKey(r, "traceReason")) {
                return FlowKey::kTraceReason;
            }
            if (isKey(r, "traffic_direction") || isKey(r, "trafficDirection") ||
                isKey(r, "trace_observation_point") || isKey(r, "traceObservationPoint")) {
                return FlowKey::kFlowMarker;
            }
            return FlowKey::kOther;
        case 'u':
            return isKey(r, "unknown_direction_flow_count") || isKey(r, "unknownDirectionFlowCount")
                       ? FlowKey::kFlowCount
                       : FlowKey::kOther;
        case 'v':
            return isKey(r, "verdict") ? FlowKey::kVerdict : FlowKey::kOther;
        case 'w':
            return isKey(r, "workloads") ? FlowKey::kWorkloads : FlowKey::kOther;
        default:
            return FlowKey::kOther;
    }
}

// A key written with escapes ("\u0073rc"): unescaped, copied with a closing quote, classified.
// Out of line: rare, and kept out of the loops that read keys.
simdjson::error_code classifyEscapedKey(simdjson::ondemand::field& field, FlowKey& key);

// The key of `field`, compared as written in the line; only a key with escapes is unescaped.
inline simdjson::error_code readKey(simdjson::ondemand::field& field, FlowKey& key) {
    const char* raw = field.key().raw();
    key = classifyKey(raw);
    if (key != FlowKey::kOther) {
        return simdjson::SUCCESS;  // the literal matched up to its closing quote: no escape in it
    }
    for (size_t i = 0; raw[i] != '"'; ++i) {
        if (raw[i] == '\\') {
            return classifyEscapedKey(field, key);
        }
    }
    return simdjson::SUCCESS;
}

}  // namespace netpolgen::io::detail
