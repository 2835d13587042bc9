// FlowLineDecoder: lines decoded one at a time (a followed file) give what readFlowFile gives for
// the same lines in one file, and bad lines are counted, never fatal.
#include "io/flow_line_decoder.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

namespace netpolgen::io {
namespace {

// What a flow says, as text: enough to tell flows apart.
std::string describe(const core::FlowObservation& f) {
    return std::string(f.src.ns) + "/" + std::string(f.src.name) + "/" + std::string(f.src.pod) +
           ">" + std::string(f.dst.ns) + "/" + std::string(f.dst.name) + "/" +
           std::string(f.dst.pod) + ":" + std::to_string(f.port) + "@" + std::to_string(f.time) +
           "x" + std::to_string(f.count);
}

std::vector<uint64_t> counters(const FlowReadStats& s) {
    return {s.lines,
            s.records,
            s.flows,
            s.skipped_non_flow,
            s.skipped_replies,
            s.skipped_not_initial,
            s.skipped_duplicates,
            s.skipped_dropped,
            s.invalid};
}

TEST(FlowLineDecoder, LinesOneByOneGiveWhatReadFlowFileGives) {
    const std::string path = NETPOLGEN_SOURCE_DIR "/demo/online-boutique/flows.hubble.jsonl";
    FlowReadOptions options;
    options.skip_invalid = true;
    FlowReadStats whole;
    std::vector<std::string> from_file;
    ASSERT_TRUE(readFlowFile(path, options, whole, [&](const core::FlowObservation& f) {
        from_file.push_back(describe(f));
        return core::Status{};
    }));
    FlowLineDecoder decoder(FlowFormat::kAuto);
    FlowReadStats one_by_one;
    std::vector<std::string> from_lines;
    std::ifstream in(path);
    uint64_t offset = 0;
    for (std::string line; std::getline(in, line); offset += line.size() + 1) {
        decoder.decode(line, {path, offset}, one_by_one, [&](const core::FlowObservation& f) {
            from_lines.push_back(describe(f));
            return core::Status{};
        });
    }
    EXPECT_GT(whole.skipped_duplicates, 0u) << "the input has both observation points";
    EXPECT_EQ(counters(one_by_one), counters(whole));
    EXPECT_EQ(from_lines, from_file);
}

TEST(FlowLineDecoder, BadLinesAreCountedNeverFatal) {
    FlowLineDecoder decoder(FlowFormat::kAuto, 64);
    FlowReadStats stats;
    int flows = 0;
    const auto consumer = [&](const core::FlowObservation& f) {
        if (f.port == 666) {
            return core::Status{core::Error{"refused"}};
        }
        ++flows;
        return core::Status{};
    };
    decoder.decode("{\"flow\": not json", {"events.log", 0}, stats, consumer);
    decoder.decode("", {"events.log", 18}, stats, consumer);
    decoder.decode(std::string(65, 'x'), {"events.log", 19}, stats, consumer);
    decoder.decode(
        "{\"src\":\"internet\",\"dst\":\"a/b\",\"port\":666}", {"events.log", 85}, stats, consumer);
    decoder.decode("{\"src\":\"internet\",\"dst\":\"a/b\",\"port\":80}\r",
                   {"events.log", 127},
                   stats,
                   consumer);
    EXPECT_EQ(flows, 1);
    EXPECT_EQ(stats.flows, 1u);
    EXPECT_EQ(stats.invalid, 3u);
    EXPECT_EQ(stats.skipped_non_flow, 1u);
    EXPECT_EQ(stats.lines, 5u);
    ASSERT_EQ(stats.invalid_examples.size(), 3u);
    EXPECT_EQ(stats.invalid_examples[0].rfind("events.log, byte 0: ", 0), 0u)
        << stats.invalid_examples[0];
    EXPECT_NE(stats.invalid_examples[2].find("refused"), std::string::npos);
}

}  // namespace
}  // namespace netpolgen::io
