// Reading flow files: canonical JSON Lines (DESIGN.md "Input formats") and Hubble JSON
// (docs/hubble-flows.md), detected per line, from plain, .gz or .zst files or stdin ("-").
//
// The reader streams: it reads fixed-size chunks into one padded buffer, splits lines itself and
// runs a simdjson On-Demand parser over each line, so memory does not grow with the number of lines.
// Every usable connection becomes one core::FlowObservation handed to the consumer; Hubble replies,
// non-flow lines and the second observation point of one connection are skipped and counted.
//
//   FlowReadStats stats;
//   auto st = readFlowFile("flows.jsonl.gz", {}, stats, [&](const core::FlowObservation& f) {
//       return aggregator.add(f);                   // an error here is reported as file:line
//   });
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/flow.h"
#include "core/result.h"

namespace netpolgen::io {

enum class FlowFormat : uint8_t { kAuto, kCanonical, kHubble };

struct FlowReadOptions {
    FlowFormat format = FlowFormat::kAuto;  // kAuto: decided per line
    bool skip_invalid = false;              // count bad lines instead of failing
    size_t max_line_bytes = 16u << 20;      // longer lines are invalid (never buffered whole)
};

struct FlowReadStats {
    uint64_t bytes = 0;
    uint64_t lines = 0;
    uint64_t flows = 0;                 // observations handed to the consumer
    uint64_t skipped_non_flow = 0;      // blank lines, node_status, lost_events, …
    uint64_t skipped_replies = 0;       // is_reply / reply
    uint64_t skipped_not_initial = 0;   // TCP segments that do not open a connection
    uint64_t skipped_duplicates = 0;    // the other observation point of one connection
    uint64_t skipped_dropped = 0;       // verdict DROPPED or ERROR: the connection never happened
    uint64_t invalid = 0;               // counted only with skip_invalid
    std::vector<std::string> invalid_examples;  // the first few messages, "file:line: what"
};

// Returns Status() or the error "NAME:LINE: what" of the first bad line (without skip_invalid).
// An error returned by the consumer is reported the same way.
using FlowConsumer = std::function<core::Status(const core::FlowObservation&)>;

// `path` "-" reads standard input. Compression is detected from the magic bytes.
core::Status readFlowFile(const std::string& path,
                          const FlowReadOptions& options,
                          FlowReadStats& stats,
                          const FlowConsumer& consumer);

// The same over bytes already in memory (tests, fuzzers, the demo). `name` is used in messages.
core::Status readFlowBuffer(std::string_view data,
                            std::string_view name,
                            const FlowReadOptions& options,
                            FlowReadStats& stats,
                            const FlowConsumer& consumer);

// Parses RFC 3339 ("2026-11-20T10:00:00Z", "…T10:00:00.123456789+02:00") to Unix seconds.
core::Result<core::Timestamp> parseRfc3339(std::string_view text);

}  // namespace netpolgen::io
