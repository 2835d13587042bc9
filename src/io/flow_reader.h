// Reading flow files: canonical JSON Lines (DESIGN.md "Input formats") and Hubble JSON
// (docs/hubble-flows.md), detected per object, from plain, .gz or .zst files or stdin ("-").
//
// Framing: one JSON object per line (JSON Lines, what `hubble observe -o json` and the exporter
// write), or else a JSON array of objects (`jq -s .`), pretty-printed objects (`jq .`), or objects
// one after another with or without whitespace between them. The first line that is not blank
// decides: one whole object on it means JSON Lines (io/json_framer.h has the rest).
//
// The reader streams: it reads fixed-size chunks into one padded buffer, splits lines (or frames
// objects) itself and runs a simdjson On-Demand parser over each, so memory does not grow with the
// number of lines or objects. Every usable connection becomes one core::FlowObservation handed to
// the consumer; Hubble replies, non-flow lines and the second observation point of one connection
// are skipped and counted.
//
//   FlowReadStats stats;
//   auto st = readFlowFile("flows.jsonl.gz", {}, stats, [&](const core::FlowObservation& f) {
//       return aggregator.add(f);                   // an error here is reported as file:line
//   });
//
// Grammar (per line or object; blank lines are skipped):
//   canonical  {"src": EP, "dst": EP, "port": 0..65535, "protocol": "TCP"|"UDP"|"SCTP"|"ICMP",
//               "time": RFC 3339 | Unix seconds, "count": >= 1}   (only src and dst required)
//              EP = NAMESPACE/NAME | NAMESPACE/KIND/NAME | internet | internal | IP | CIDR;
//              NAMESPACE is an RFC 1123 label, NAME an RFC 1123 subdomain, KIND alphanumeric.
//   Hubble     {"flow": Flow, "node_name": …, "time": …} or a bare Flow (snake_case or
//              lowerCamelCase keys); {"node_status"|"lost_events"|"agent_event"|"debug_event": …}
//              are skipped. Replies, DROPPED/ERROR verdicts, TCP segments other than SYN (unless
//              trace_reason NEW or a policy-verdict event) and the second observation of a 5-tuple
//              within 60 s are skipped and counted. Pod endpoints become kWorkload with what the
//              line gives (namespace, workloads[0], pod_name, the raw labels), resolved against the
//              cluster by core::EndpointResolver; others kInternet (reserved:world,
//              identities 2, 9, 10), kInternal (reserved:host, remote-node, kube-apiserver, …,
//              identities 1, 3-8) or kIp (cidr:… labels, or only an address). Only the 5-tuples of
//              one call are compared: both observation points must be in the same input.
// Framed input is read the same way, one object (or array element) at a time; an element that is
// not an object is invalid. Text between top-level values that is neither an object nor an array
// stops the reader ("expected a JSON object or array"), with or without skip_invalid; an object or
// array left open at the end of the input is one invalid record.
// Limits: lines (objects of framed input) longer than max_line_bytes are invalid and never held
// whole; memory is one read buffer of max(16 MiB, max_line_bytes + 1 MiB) (less for a smaller
// file), the parser's buffers (proportional to the longest line or object) and a dedupe table of
// at most 2^20 entries, whatever the input size. Values the decoder never looks at are not
// validated (simdjson On-Demand).
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

struct FlowReadStats;

struct FlowReadOptions {
    FlowFormat format = FlowFormat::kAuto;  // kAuto: decided per line
    bool skip_invalid = false;              // count bad records instead of failing
    size_t max_line_bytes = 16u << 20;      // longer lines/objects are invalid (never held whole)
    // Sees every block of the input as read from the file, stdin or buffer, before decompression:
    // `netpolgen ingest` hashes the input while it is read, so the file is read once.
    std::function<void(std::string_view)> on_raw_bytes;
    // Called after each block of input is parsed (up to 16 MiB of decompressed input), with the
    // counters so far: progress display.
    std::function<void(const FlowReadStats&)> on_progress;
};

// The read functions add to these counters, so one FlowReadStats can sum several inputs. After a
// successful read every record is counted in exactly one of flows, skipped_* and invalid.
struct FlowReadStats {
    uint64_t bytes = 0;    // input bytes after decompression
    uint64_t lines = 0;    // every line, blank and invalid ones included, whatever the framing
    uint64_t records = 0;  // JSON Lines: every line; framed input: every object or array element
                           // (and an unclosed array or invalid element counted as invalid)
    uint64_t flows = 0;    // observations the consumer accepted
    uint64_t skipped_non_flow = 0;     // blank lines, node_status, lost_events, …
    uint64_t skipped_replies = 0;      // is_reply / reply
    uint64_t skipped_not_initial = 0;  // TCP segments that do not open a connection
    uint64_t skipped_duplicates = 0;   // the other observation point of one connection
    uint64_t skipped_dropped = 0;      // verdict DROPPED or ERROR: the connection never happened
    uint64_t invalid = 0;              // counted only with skip_invalid
    std::vector<std::string> invalid_examples;  // the first few messages, "file:line: what"
};

// Returns Status() or the error "NAME:LINE: what" of the first bad line (without skip_invalid);
// for framed input "NAME:LINE: object N: what" or "NAME:LINE: element N: what", LINE being where
// the object starts.
// An error returned by the consumer is reported the same way (and counted as invalid with
// skip_invalid). Errors that stop reading whatever the options: "cannot open PATH: …",
// "NAME: corrupt gzip stream (…)", "NAME: truncated zstd stream (…)", read errors.
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
