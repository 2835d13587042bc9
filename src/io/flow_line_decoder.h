// FlowLineDecoder: flow lines handed over one at a time — a followed file (`collect --follow`)
// whose lines arrive as the writer writes them — decoded by the same FlowLineParser as
// readFlowFile, with the same counters.
//
// The state readFlowFile keeps across the lines of one input (the connection deduper, which
// drops the second observation point of a connection) is kept across calls, so lines decoded one
// by one give the flows readFlowFile gives for the same lines in one file. Only JSON Lines: what
// the Hubble exporter and `hubble observe -o json` write.
//
//   FlowLineDecoder decoder(io::FlowFormat::kAuto);
//   decoder.decode(line, {"events.log", 4096}, stats, [&](const core::FlowObservation& f) {
//       return aggregator.add(f);
//   });
//
// A line that is invalid, too long, or refused by the consumer is counted in stats.invalid (its
// first messages kept in invalid_examples): decoding never stops on bad input.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/flow.h"
#include "io/flow_reader.h"

namespace netpolgen::io {

class FlowLineParser;

class FlowLineDecoder {
public:
    explicit FlowLineDecoder(FlowFormat format, size_t max_line_bytes = 16u << 20);
    ~FlowLineDecoder();
    FlowLineDecoder(const FlowLineDecoder&) = delete;
    FlowLineDecoder& operator=(const FlowLineDecoder&) = delete;

    // Where a line starts, for messages: "NAME, byte OFFSET: what".
    struct Place {
        std::string_view name;
        uint64_t offset = 0;
    };

    // `line` without its newline (a trailing "\r" is dropped). Counts it in exactly one of
    // stats' record counters, as readFlowFile does.
    void decode(std::string_view line,
                Place where,
                FlowReadStats& stats,
                const FlowConsumer& consumer);

private:
    static void invalid(Place where, const std::string& what, FlowReadStats& stats);

    std::unique_ptr<FlowLineParser> parser_;
    size_t max_line_;
    std::string buffer_;  // the line copied with simdjson's padding after it
    core::FlowObservation observation_;
};

}  // namespace netpolgen::io
