// HubbleFlowWireDecoder: a flow.Flow in protobuf wire format — what Hubble Relay streams to
// `collect --hubble-relay` — decoded into a core::FlowObservation by the rules the JSON decoder
// applies to the same flow (io/hubble_flow_rules.h, io/hubble_endpoint.h), so that a flow counts
// alike whether it was received or read from a file.
//
// Only the fields netpolgen reads are looked at; the others are skipped without being built into
// a message. String views in the observation point into the decoded bytes (or the decoder's own
// buffer for the endpoints' labels): valid until the next decode() and while the bytes live.
//
//   HubbleFlowWireDecoder decoder;
//   if (decoder.decode(response.flow(), observation) == LineOutcome::kFlow) { aggregator.add(...);
//   }
//
// Malformed bytes give kInvalid and error() says what; nothing else is fatal.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/flow.h"
#include "io/flow_dedupe.h"
#include "io/hubble_endpoint.h"
#include "io/hubble_flow_rules.h"

namespace netpolgen::io {

class HubbleFlowWireDecoder {
public:
    LineOutcome decode(std::string_view bytes, core::FlowObservation& out);

    // Of the flow last decoded (whatever its outcome but kInvalid): its uuid (may be empty), its
    // time in Unix nanoseconds (0 when it has none) and its node.
    std::string_view uuid() const { return uuid_; }
    int64_t timeNanos() const { return time_ns_; }
    std::string_view nodeName() const { return node_name_; }
    const std::string& error() const { return error_; }

    // Forgets the connections seen (the deduper), as a new input would.
    void resetConnections() { dedupe_ = ConnectionDeduper(); }

private:
    struct Parts {
        detail::HubbleFlowTraits traits;
        detail::HubbleEndpoint source;
        detail::HubbleEndpoint destination;
        std::string_view src_ip;
        std::string_view dst_ip;
        uint32_t src_port = 0;
        uint32_t dst_port = 0;
        bool has_time = false;
        int64_t seconds = 0;  // Unix seconds of the time; -1: out of range
        bool has_aggregate = false;
        uint64_t aggregate = 0;
    };

    bool parse(std::string_view bytes, Parts& p);
    LineOutcome invalid(std::string what);

    ConnectionDeduper dedupe_;
    std::string labels_;  // both endpoints' labels as JSON text, source first
    std::string error_;
    std::string_view uuid_;
    std::string_view node_name_;
    int64_t time_ns_ = 0;
};

}  // namespace netpolgen::io
