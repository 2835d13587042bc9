// Flow inputs that are not one JSON object per line: arrays, pretty-printed and concatenated
// objects (io/json_framer.h), read through the public reader.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../support/compression.h"
#include "io/flow_reader.h"
#include "io/json_framer.h"

namespace netpolgen::io {
namespace {

// What a test compares of each flow: "SRC>DST:PORT" with the endpoints' names.
struct Framed {
    core::Status status;
    FlowReadStats stats;
    std::vector<std::string> flows;
};

std::string endpointText(const core::FlowEndpoint& e) {
    if (!e.name.empty()) {
        return std::string(e.ns) + "/" + std::string(e.name);
    }
    return std::string(e.ip.empty() ? e.cidr : e.ip);
}

Framed readAs(std::string_view text, FlowReadOptions options = {}) {
    Framed r;
    r.status =
        readFlowBuffer(text, "in.json", options, r.stats, [&](const core::FlowObservation& f) {
            r.flows.push_back(endpointText(f.src) + ">" + endpointText(f.dst) + ":" +
                              std::to_string(f.port));
            return core::Status();
        });
    return r;
}

FlowReadOptions lenient() {
    FlowReadOptions o;
    o.skip_invalid = true;
    return o;
}

// Three canonical flows and one Hubble flow, as JSON Lines.
const std::vector<std::string> kObjects = {
    R"({"src":"shop/frontend","dst":"shop/cart","port":7070})",
    R"({"src":"internet","dst":"shop/frontend","port":8080,"protocol":"TCP"})",
    R"({"flow":{"IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"UDP":{"destination_port":53}},"source":{"namespace":"a","pod_name":"client-1","workloads":[{"name":"client","kind":"Deployment"}]}}})",
    R"({"src":"10.1.2.3","dst":"shop/db","port":5432,"note":"{[\"}]\\"})",
};
const std::vector<std::string> kExpected = {"shop/frontend>shop/cart:7070",
                                            ">shop/frontend:8080",
                                            "a/client>10.0.0.2:53",
                                            "10.1.2.3>shop/db:5432"};

std::string joined(std::string_view before, std::string_view between, std::string_view after) {
    std::string s(before);
    for (size_t i = 0; i < kObjects.size(); ++i) {
        s += (i == 0 ? "" : std::string(between)) + kObjects[i];
    }
    return s + std::string(after);
}

// A rough `jq .`: a newline and indentation after every "{", "[" and "," outside strings.
std::string pretty(std::string_view compact) {
    std::string out;
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (char c : compact) {
        out += c;
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[' || c == ',') {
            depth += c == ',' ? 0 : 1;
            out += "\n" + std::string(static_cast<size_t>(depth) * 2, ' ');
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return out;
}

TEST(FlowFraming, ReadsAnArrayCompactOrPretty) {
    for (const std::string& text : {joined("[", ",", "]"),
                                    joined("[\n  ", ",\n  ", "\n]\n"),
                                    pretty(joined("[", ",", "]"))}) {
        auto r = readAs(text);
        ASSERT_TRUE(r.status.ok()) << r.status.error() << "\n" << text;
        EXPECT_EQ(r.flows, kExpected) << text;
        EXPECT_EQ(r.stats.records, 4u);
        EXPECT_EQ(r.stats.flows, 4u);
        EXPECT_EQ(r.stats.invalid, 0u);
    }
}

TEST(FlowFraming, ReadsPrettyPrintedObjects) {
    std::string text;
    for (const std::string& o : kObjects) {
        text += pretty(o) + "\n";
    }
    auto r = readAs(text);
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.flows, kExpected);
    EXPECT_EQ(r.stats.records, 4u);
    // Lines are the text's lines, as for JSON Lines.
    EXPECT_EQ(r.stats.lines, static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n')));
}

TEST(FlowFraming, ReadsConcatenatedObjectsWithAnyWhitespace) {
    const std::string first = R"({"src":"a/b","dst":"c/d"})";
    for (const std::string& text : {joined("", "", ""),
                                    joined("", " ", ""),
                                    joined("\n\n" + first, "\r\n\t \n", "  \r\n\n"),
                                    "\n\n" + pretty(first) + joined("\r\n", "\t\n\n ", "\n")}) {
        auto r = readAs(text);
        ASSERT_TRUE(r.status.ok()) << r.status.error() << "\n" << text;
        const size_t extra = text.find(R"("a/b")") != std::string::npos ? 1 : 0;
        ASSERT_EQ(r.flows.size(), kExpected.size() + extra) << text;
        EXPECT_TRUE(std::equal(kExpected.begin(), kExpected.end(), r.flows.begin() + extra));
        // Blank lines are no records of framed input.
        EXPECT_EQ(r.stats.records, kExpected.size() + extra);
    }
    // The same objects on lines of their own, blank lines between: JSON Lines, blank lines counted.
    auto lines = readAs(joined("\n", "\n\n", "\n"));
    ASSERT_TRUE(lines.status.ok()) << lines.status.error();
    EXPECT_EQ(lines.flows, kExpected);
    EXPECT_EQ(lines.stats.skipped_non_flow, 4u);
    EXPECT_EQ(lines.stats.records, 8u);
}

TEST(FlowFraming, BracesAndQuotesInsideStringsDoNotFrame) {
    const std::string tricky =
        R"({"src":"a/b","dst":"c/d","port":1,"x":"}{][,\"","y":"\\","z":"\\\"}"})";
    for (const std::string& text : {"[" + tricky + "," + tricky + "]",
                                    tricky + "\n" + tricky,
                                    pretty(tricky) + pretty(tricky)}) {
        auto r = readAs(text);
        ASSERT_TRUE(r.status.ok()) << r.status.error() << "\n" << text;
        EXPECT_EQ(r.flows.size(), 2u) << text;
    }
}

TEST(FlowFraming, EmptyArrayHasNoRecords) {
    for (const char* text : {"[]", "[ ]\n", "\n\n[\n]\n", "[][]"}) {
        auto r = readAs(text);
        ASSERT_TRUE(r.status.ok()) << r.status.error();
        EXPECT_EQ(r.stats.records, 0u) << text;
        EXPECT_TRUE(r.flows.empty());
    }
}

TEST(FlowFraming, TruncatedArrayNamesTheLineOfTheObject) {
    const std::string text = pretty(joined("[", ",", "]"));
    // Cut in the middle of the third element.
    const size_t third = text.find("{\n    \"flow\"");
    ASSERT_NE(third, std::string::npos);
    const std::string cut = text.substr(0, third + 30);
    const auto line = 1 + std::count(cut.begin(), cut.begin() + static_cast<long>(third), '\n');

    auto r = readAs(cut);
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error(),
              "in.json:" + std::to_string(line) +
                  ": element 3: element not closed at the end of the input (truncated?)");
    EXPECT_EQ(r.flows.size(), 2u);

    auto skipped = readAs(cut, lenient());
    ASSERT_TRUE(skipped.status.ok()) << skipped.status.error();
    EXPECT_EQ(skipped.flows.size(), 2u);
    EXPECT_EQ(skipped.stats.invalid, 1u);
    EXPECT_EQ(skipped.stats.records, 3u);
}

TEST(FlowFraming, ArrayWithoutItsBracketKeepsTheLastElement) {
    auto r = readAs(joined("[", ",\n", "\n"), lenient());
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.flows, kExpected);
    EXPECT_EQ(r.stats.invalid, 1u);
    EXPECT_EQ(r.stats.invalid_examples.at(0),
              "in.json:1: the JSON array is not closed: no \"]\" before the end of the input "
              "(truncated?)");
}

TEST(FlowFraming, BadElementIsSkippedAndTheArrayGoesOn) {
    const std::string text = "[\n" + kObjects[0] + ",\n" +
                             R"({"src":"a/b","dst":"c/d","port":70000})" + ",\n" + "42,\n" +
                             kObjects[1] + " " + kObjects[1] + ",\n" + kObjects[3] + ",\n]";
    auto strict = readAs(text);
    ASSERT_FALSE(strict.status.ok());
    EXPECT_EQ(strict.status.error(), "in.json:3: element 2: port 70000 out of range 0-65535");

    auto r = readAs(text, lenient());
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.flows, (std::vector<std::string>{kExpected[0], kExpected[3]}));
    EXPECT_EQ(r.stats.invalid, 4u);
    EXPECT_EQ(r.stats.records, 6u);
    ASSERT_EQ(r.stats.invalid_examples.size(), 4u);
    EXPECT_EQ(r.stats.invalid_examples[1], "in.json:4: element 3: expected a JSON object");
    EXPECT_EQ(r.stats.invalid_examples[2].rfind("in.json:5: element 4: ", 0), 0u)
        << r.stats.invalid_examples[2];
    EXPECT_EQ(r.stats.invalid_examples[3],
              "in.json:7: element 5: trailing comma after the last element of the array");
}

TEST(FlowFraming, MalformedObjectNamesItsFirstLine) {
    const std::string text = pretty(kObjects[0]) + "\n" + pretty(R"({"src":"a/b","dst":5})");
    auto r = readAs(text);
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error(), "in.json:5: object 2: \"dst\" must be a string");
}

TEST(FlowFraming, TextBetweenObjectsStopsTheReaderWithTheHint) {
    for (const std::string& text : {pretty(kObjects[0]) + ",\n" + kObjects[1],
                                    "[" + kObjects[0] + "]\nhello",
                                    pretty(kObjects[0]) + "}"}) {
        for (bool skip : {false, true}) {
            FlowReadOptions o;
            o.skip_invalid = skip;
            auto r = readAs(text, o);
            ASSERT_FALSE(r.status.ok()) << text;
            EXPECT_NE(r.status.error().find("expected a JSON object or array, got "),
                      std::string::npos)
                << r.status.error();
            EXPECT_NE(r.status.error().find("one JSON object per line (e.g. `jq -c`)"),
                      std::string::npos)
                << r.status.error();
        }
    }
}

TEST(FlowFraming, JsonLinesWithALaterPrettyObjectSaysHowItIsRead) {
    const std::string text = kObjects[0] + "\n" + pretty(kObjects[1]) + "\n";
    auto r = readAs(text);
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error().rfind("in.json:2: ", 0), 0u) << r.status.error();
    EXPECT_NE(r.status.error().find("this input is read as one JSON object per line (e.g. `jq "
                                    "-c`), as its first line is one"),
              std::string::npos)
        << r.status.error();

    // A first line that is not JSON at all says what inputs are read.
    auto other = readAs("flows:\n- a\n");
    ASSERT_FALSE(other.status.ok());
    EXPECT_NE(other.status.error().find(detail::kFramingHint), std::string::npos)
        << other.status.error();

    // A line that is one object but a bad one gets no hint.
    auto bad = readAs(R"({"src":"a/b","dst":5})");
    EXPECT_EQ(bad.status.error(), "in.json:1: \"dst\" must be a string");
}

TEST(FlowFraming, ForcedFormatsApplyToEveryObject) {
    FlowReadOptions canonical;
    canonical.format = FlowFormat::kCanonical;
    const std::string array = "[" + kObjects[0] + "," + kObjects[1] + "]";
    auto r = readAs(array, canonical);
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.flows.size(), 2u);

    FlowReadOptions hubble;
    hubble.format = FlowFormat::kHubble;
    auto h = readAs(array, hubble);
    ASSERT_FALSE(h.status.ok());
    EXPECT_EQ(h.status.error().rfind("in.json:1: element 1: not a Hubble flow", 0), 0u)
        << h.status.error();
}

TEST(FlowFraming, TooLongObjectIsSkippedWithoutLosingTheFraming) {
    FlowReadOptions o = lenient();
    o.max_line_bytes = 200;
    const std::string big =
        pretty(R"({"src":"a/b","dst":"c/d","pad":")" + std::string(5000, '{') + R"("})");
    const std::string text = "[" + big + "," + kObjects[0] + "," + big + "]";
    auto r = readAs(text, o);
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.flows, std::vector<std::string>{kExpected[0]});
    EXPECT_EQ(r.stats.invalid, 2u);
    EXPECT_EQ(r.stats.invalid_examples.at(0),
              "in.json:1: element 1: element longer than 200 bytes");

    // A `jq -sc` array on one line longer than the limit is framed, not one over-long line.
    std::string one_line = "[";
    for (int i = 0; i < 100; ++i) {
        one_line += (i == 0 ? "" : ",") + kObjects[0];
    }
    auto line = readAs(one_line + "]", o);
    ASSERT_TRUE(line.status.ok()) << line.status.error();
    EXPECT_EQ(line.stats.flows, 100u);
    EXPECT_EQ(line.stats.lines, 1u);
}

TEST(FlowFraming, LargeArrayStreamsAcrossChunksFromAFile) {
    // More than one 16 MiB read buffer of pretty-printed elements, compressed: elements cut by a
    // chunk boundary are carried over, and line numbers keep counting.
    std::string text = "[\n";
    constexpr int kElements = 60000;
    uint64_t expected = 0;
    for (int i = 0; i < kElements; ++i) {
        const int port = 1 + i % 60000;
        expected += static_cast<uint64_t>(port);
        text +=
            (i == 0 ? "" : ",\n") + pretty(R"({"src":"shop/web-)" + std::to_string(i % 97) +
                                           R"(","dst":"shop/db","pad":")" + std::string(300, 'p') +
                                           R"(","port":)" + std::to_string(port) + "}");
    }
    text += "\n]\n";
    ASSERT_GT(text.size(), size_t{16} << 20);
    const std::string gz = testing_support::gzipMember(text, 1);
    const std::string zst = testing_support::zstdFrame(text, 1);

    const std::string dir = std::filesystem::temp_directory_path().string();
    for (const std::string* bytes : std::initializer_list<const std::string*>{&text, &gz, &zst}) {
        const std::string path = dir + "/flowframing" + std::to_string(::getpid()) + ".json";
        std::ofstream(path, std::ios::binary)
            .write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
        FlowReadStats stats;
        uint64_t sum = 0;
        auto st = readFlowFile(path, {}, stats, [&](const core::FlowObservation& f) {
            sum += f.port;
            return core::Status();
        });
        std::remove(path.c_str());
        ASSERT_TRUE(st.ok()) << st.error();
        EXPECT_EQ(stats.flows, static_cast<uint64_t>(kElements));
        EXPECT_EQ(sum, expected);
        EXPECT_EQ(stats.bytes, text.size());
        EXPECT_EQ(stats.lines, static_cast<uint64_t>(std::count(text.begin(), text.end(), '\n')));
    }
}

TEST(FlowFraming, GzipAndZstdBuffersAreFramedToo) {
    auto r = readAs(testing_support::zstdFrame(pretty(joined("[", ",", "]"))));
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.flows, kExpected);
}

TEST(FlowFraming, LineShapes) {
    using detail::LineShape;
    const auto shape = [](std::string_view s) { return detail::lineShape(s.data(), s.size()); };
    EXPECT_EQ(shape(" \t\r"), LineShape::kBlank);
    EXPECT_EQ(shape(R"( {"a":"}"} )"), LineShape::kOneObject);
    EXPECT_EQ(shape(R"({"a":1,"b":{)"), LineShape::kUnclosed);
    EXPECT_EQ(shape("{"), LineShape::kUnclosed);
    EXPECT_EQ(shape(R"({"a":"\"}"})"), LineShape::kOneObject);
    EXPECT_EQ(shape(R"({"a":1}{"b":2})"), LineShape::kMore);
    EXPECT_EQ(shape(R"({"a":1} [])"), LineShape::kMore);
    EXPECT_EQ(shape(R"({"a":1},)"), LineShape::kOther);
    EXPECT_EQ(shape(R"([{"a":1}])"), LineShape::kArray);
    EXPECT_EQ(shape("hello"), LineShape::kOther);
}

}  // namespace
}  // namespace netpolgen::io
