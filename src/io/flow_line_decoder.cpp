#include "io/flow_line_decoder.h"

#include <simdjson.h>

#include "io/flow_line_parser.h"

namespace netpolgen::io {
namespace {

// As readFlowFile: the first messages only, so that a stream of bad lines costs no memory.
constexpr size_t kMaxInvalidExamples = 10;

}  // namespace

FlowLineDecoder::FlowLineDecoder(FlowFormat format, size_t max_line_bytes)
    : parser_(std::make_unique<FlowLineParser>(format)), max_line_(max_line_bytes) {}

FlowLineDecoder::~FlowLineDecoder() = default;

void FlowLineDecoder::decode(std::string_view line,
                             Place where,
                             FlowReadStats& stats,
                             const FlowConsumer& consumer) {
    ++stats.lines;
    ++stats.records;
    stats.bytes += line.size() + 1;
    if (line.size() > max_line_) {
        invalid(where, "line longer than " + std::to_string(max_line_) + " bytes", stats);
        return;
    }
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    // The parser reads up to SIMDJSON_PADDING bytes past the line: it needs its own copy.
    buffer_.assign(line);
    buffer_.resize(line.size() + simdjson::SIMDJSON_PADDING);
    const LineOutcome outcome =
        parser_->parse(buffer_.data(), line.size(), buffer_.size(), observation_);
    if (outcome == LineOutcome::kFlow) {
        if (core::Status st = consumer(observation_); !st) {
            invalid(where, st.error(), stats);
            return;
        }
        ++stats.flows;
        return;
    }
    if (!detail::countSkipped(outcome, stats)) {
        invalid(where, parser_->error(), stats);
    }
}

void FlowLineDecoder::invalid(Place where, const std::string& what, FlowReadStats& stats) {
    ++stats.invalid;
    if (stats.invalid_examples.size() < kMaxInvalidExamples) {
        stats.invalid_examples.push_back(std::string(where.name) + ", byte " +
                                         std::to_string(where.offset) + ": " + what);
    }
}

}  // namespace netpolgen::io
