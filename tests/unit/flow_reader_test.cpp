#include "io/flow_reader.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../support/compression.h"

namespace netpolgen::io {
namespace {

using Kind = core::FlowEndpoint::Kind;

// Copies of what the consumer saw: the string_views are only valid during the call.
struct OwnedEndpoint {
    Kind kind = Kind::kUnknown;
    std::string ns;
    std::string name;
    std::string workload_kind;
    std::string pod;
    std::string ip;
    std::string cidr;
    std::string text;
};

struct OwnedFlow {
    OwnedEndpoint src;
    OwnedEndpoint dst;
    uint32_t port = 0;
    core::Protocol protocol = core::Protocol::kTcp;
    core::Timestamp time = core::kUndated;
    uint64_t count = 0;
};

OwnedEndpoint own(const core::FlowEndpoint& e) {
    return {e.kind,
            std::string(e.ns),
            std::string(e.name),
            std::string(e.workload_kind),
            std::string(e.pod),
            std::string(e.ip),
            std::string(e.cidr),
            std::string(e.text)};
}

struct ReadResult {
    core::Status status;
    FlowReadStats stats;
    std::vector<OwnedFlow> flows;
};

FlowConsumer collectInto(std::vector<OwnedFlow>& flows) {
    return [&flows](const core::FlowObservation& f) {
        flows.push_back({own(f.src), own(f.dst), f.port, f.protocol, f.time, f.count});
        return core::Status();
    };
}

ReadResult readText(std::string_view text, FlowReadOptions options = {}) {
    ReadResult r;
    r.status = readFlowBuffer(text, "flows.jsonl", options, r.stats, collectInto(r.flows));
    return r;
}

ReadResult readPath(const std::string& path, FlowReadOptions options = {}) {
    ReadResult r;
    r.status = readFlowFile(path, options, r.stats, collectInto(r.flows));
    return r;
}

FlowReadOptions skipInvalid() {
    FlowReadOptions o;
    o.skip_invalid = true;
    return o;
}

// A scratch directory removed at the end of the test.
class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "flowreadXXXXXX").string();
        path_ = mkdtemp(pattern.data());
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir() { std::filesystem::remove_all(path_); }

    std::string write(const std::string& name, std::string_view bytes) const {
        const std::string p = path_ + "/" + name;
        std::ofstream(p, std::ios::binary)
            .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        return p;
    }

private:
    std::string path_;
};

// ---------------------------------------------------------------------------------------------
// Canonical JSON Lines

TEST(FlowReaderCanonical, ReadsEveryEndpointKind) {
    auto r = readText(
        R"({"src":"shop/frontend","dst":"shop/cartservice","port":7070,"protocol":"TCP","time":"2026-11-20T10:00:00Z","count":3}
{"src":"internet","dst":"shop/Deployment/frontend","port":8080}
{"src":"10.244.1.7","dst":"shop/redis","port":6379}
{"src":"internal","dst":"fd00::12","port":53,"protocol":"udp"}
{"src":"203.0.113.0/24","dst":"shop/web"}
{"src":"2001:db8::/32","dst":"shop/web"}
)");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 6u);

    const OwnedFlow& f0 = r.flows[0];
    EXPECT_EQ(f0.src.kind, Kind::kWorkload);
    EXPECT_EQ(f0.src.ns, "shop");
    EXPECT_EQ(f0.src.name, "frontend");
    EXPECT_EQ(f0.src.workload_kind, "");
    EXPECT_EQ(f0.dst.name, "cartservice");
    EXPECT_EQ(f0.port, 7070u);
    EXPECT_EQ(f0.protocol, core::Protocol::kTcp);
    EXPECT_EQ(f0.time, 1795168800);
    EXPECT_EQ(f0.count, 3u);

    EXPECT_EQ(r.flows[1].src.kind, Kind::kInternet);
    EXPECT_EQ(r.flows[1].dst.kind, Kind::kWorkload);
    EXPECT_EQ(r.flows[1].dst.workload_kind, "Deployment");
    EXPECT_EQ(r.flows[1].dst.name, "frontend");

    EXPECT_EQ(r.flows[2].src.kind, Kind::kIp);
    EXPECT_EQ(r.flows[2].src.ip, "10.244.1.7");

    EXPECT_EQ(r.flows[3].src.kind, Kind::kInternal);
    EXPECT_EQ(r.flows[3].dst.kind, Kind::kIp);
    EXPECT_EQ(r.flows[3].dst.ip, "fd00::12");
    EXPECT_EQ(r.flows[3].protocol, core::Protocol::kUdp);

    EXPECT_EQ(r.flows[4].src.kind, Kind::kCidr);
    EXPECT_EQ(r.flows[4].src.cidr, "203.0.113.0/24");
    EXPECT_EQ(r.flows[5].src.kind, Kind::kCidr);
    EXPECT_EQ(r.flows[5].src.cidr, "2001:db8::/32");

    EXPECT_EQ(r.stats.lines, 6u);
    EXPECT_EQ(r.stats.flows, 6u);
    EXPECT_EQ(r.stats.invalid, 0u);
}

TEST(FlowReaderCanonical, RepeatedEndpointsDecodeTheSame) {
    // The second occurrence of each text is served from the decoder's cache of valid endpoints.
    const std::string lines = R"({"src":"shop/Deployment/frontend","dst":"10.1.2.3","port":1}
{"src":"203.0.113.0/24","dst":"internet","port":2}
{"src":"payments/api-gateway","dst":"internal","port":3}
)";
    auto r = readText(lines + lines + R"({"src":"","dst":"internet"})" + "\n", skipInvalid());
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 6u);
    for (size_t i = 0; i < 3; ++i) {
        const OwnedFlow& a = r.flows[i];
        const OwnedFlow& b = r.flows[i + 3];
        for (const auto& [x, y] : {std::pair{&a.src, &b.src}, std::pair{&a.dst, &b.dst}}) {
            EXPECT_EQ(x->kind, y->kind) << i;
            EXPECT_EQ(x->ns, y->ns) << i;
            EXPECT_EQ(x->name, y->name) << i;
            EXPECT_EQ(x->workload_kind, y->workload_kind) << i;
            EXPECT_EQ(x->ip, y->ip) << i;
            EXPECT_EQ(x->cidr, y->cidr) << i;
            EXPECT_EQ(x->text, y->text) << i;
        }
    }
    // The text each endpoint was decoded from, for resolving each distinct one once.
    EXPECT_EQ(r.flows[3].src.text, "shop/Deployment/frontend");
    EXPECT_EQ(r.flows[3].dst.text, "10.1.2.3");
    EXPECT_EQ(r.flows[5].src.text, "payments/api-gateway");
    EXPECT_EQ(r.flows[3].src.workload_kind, "Deployment");
    EXPECT_EQ(r.flows[3].src.name, "frontend");
    EXPECT_EQ(r.flows[3].dst.ip, "10.1.2.3");
    EXPECT_EQ(r.flows[4].src.cidr, "203.0.113.0/24");
    EXPECT_EQ(r.flows[5].src.ns, "payments");
    EXPECT_EQ(r.stats.invalid, 1u);  // the empty src
}

TEST(FlowReaderCanonical, AppliesDefaults) {
    auto r = readText(R"({"src":"a/b","dst":"c/d"})"
                      "\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 1u);
    EXPECT_EQ(r.flows[0].port, 0u);
    EXPECT_EQ(r.flows[0].protocol, core::Protocol::kTcp);
    EXPECT_EQ(r.flows[0].time, core::kUndated);
    EXPECT_EQ(r.flows[0].count, 1u);
}

TEST(FlowReaderCanonical, AcceptsTimeAsTextOrUnixSeconds) {
    auto r = readText(R"({"src":"a/b","dst":"c/d","time":"2026-11-20T12:00:00.5+02:00"}
{"src":"a/b","dst":"c/d","time":1795168800}
{"src":"a/b","dst":"c/d","time":1795168800.9}
{"src":"a/b","dst":"c/d","time":null}
)");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 4u);
    EXPECT_EQ(r.flows[0].time, 1795168800);
    EXPECT_EQ(r.flows[1].time, 1795168800);
    EXPECT_EQ(r.flows[2].time, 1795168800);
    EXPECT_EQ(r.flows[3].time, core::kUndated);
}

TEST(FlowReaderCanonical, IgnoresUnknownKeysInAnyOrder) {
    auto r = readText(
        R"({"note":{"deep":[1,{"x":[]}]},"count":2,"port":443,"dst":"web/api","extra":"y","src":"internet"})");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 1u);
    EXPECT_EQ(r.flows[0].dst.name, "api");
    EXPECT_EQ(r.flows[0].port, 443u);
    EXPECT_EQ(r.flows[0].count, 2u);
}

TEST(FlowReaderCanonical, UnderstandsEscapesAndWhitespace) {
    auto r = readText(
        R"({"\u0073rc":"sh\u006fp/web","dst":"c/d","pr\u006ftocol":"\u0055DP","time":"2026-11-20T10:00:00\u005a"}
{ "src" : "a/b" ,	"dst" : "internet" , "port" : 80 , "count" : 2 , "time" : 1795168800 }
{"src":"a\/b","dst":"c/d","port":0}
)");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 3u);
    EXPECT_EQ(r.flows[0].src.ns, "shop");
    EXPECT_EQ(r.flows[0].src.name, "web");
    EXPECT_EQ(r.flows[0].protocol, core::Protocol::kUdp);
    EXPECT_EQ(r.flows[0].time, 1795168800);
    EXPECT_EQ(r.flows[1].port, 80u);
    EXPECT_EQ(r.flows[1].count, 2u);
    EXPECT_EQ(r.flows[1].dst.kind, Kind::kInternet);
    EXPECT_EQ(r.flows[1].time, 1795168800);
    EXPECT_EQ(r.flows[2].src.ns, "a");
    EXPECT_EQ(r.flows[2].src.name, "b");
    EXPECT_EQ(r.flows[0].src.text, "shop/web");  // unescaped
    EXPECT_EQ(r.flows[2].src.text, "a/b");
}

TEST(FlowReaderCanonical, RejectsMalformedNumbers) {
    EXPECT_EQ(readText(R"({"src":"a/b","dst":"c/d","port":8e1})").status.error(),
              "flows.jsonl:1: \"port\" must be an integer, got 8e1");
    EXPECT_EQ(readText(R"({"src":"a/b","dst":"c/d","count":2.0})").status.error(),
              "flows.jsonl:1: \"count\" must be an integer, got 2.0");
    auto leading_zero = readText(R"({"src":"a/b","dst":"c/d","port":080})");
    ASSERT_FALSE(leading_zero.status.ok());
    EXPECT_NE(leading_zero.status.error().find("invalid JSON"), std::string::npos)
        << leading_zero.status.error();
    EXPECT_FALSE(readText(R"({"src":"a/b","dst":"c/d","time":-5})").status.ok());
    EXPECT_FALSE(readText(R"({"src":"a/b","dst":"c/d","time":1795168800000})").status.ok());
    EXPECT_FALSE(readText(R"({"src":"a/b","dst":"c/d","time":true})").status.ok());
}

TEST(FlowReaderCanonical, RejectsPortOutOfRange) {
    auto r = readText(R"({"src":"a/b","dst":"c/d","port":1}
{"src":"a/b","dst":"c/d","port":70000}
)");
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error(), "flows.jsonl:2: port 70000 out of range 0-65535");
    EXPECT_EQ(r.flows.size(), 1u);  // the lines before the bad one were handed over
}

TEST(FlowReaderCanonical, RejectsBadPortTypes) {
    for (const char* line : {R"({"src":"a/b","dst":"c/d","port":-1})",
                             R"({"src":"a/b","dst":"c/d","port":80.5})",
                             R"({"src":"a/b","dst":"c/d","port":"80"})",
                             R"({"src":"a/b","dst":"c/d","port":99999999999999999999999})"}) {
        auto r = readText(line);
        EXPECT_FALSE(r.status.ok()) << line;
        EXPECT_NE(r.status.ok() ? "" : r.status.error(), "") << line;
    }
    EXPECT_EQ(readText(R"({"src":"a/b","dst":"c/d","port":-1})").status.error(),
              "flows.jsonl:1: port -1 out of range 0-65535");
    EXPECT_EQ(readText(R"({"src":"a/b","dst":"c/d","port":"80"})").status.error(),
              "flows.jsonl:1: \"port\" must be an integer");
}

TEST(FlowReaderCanonical, RejectsUnknownProtocol) {
    auto r = readText(R"({"src":"a/b","dst":"c/d","protocol":"XYZ"})");
    ASSERT_FALSE(r.status.ok());
    EXPECT_NE(r.status.error().find("flows.jsonl:1: unknown protocol \"XYZ\""), std::string::npos)
        << r.status.error();

    auto ok = readText(R"({"src":"a/b","dst":"c/d","protocol":"sctp"}
{"src":"a/b","dst":"c/d","protocol":"Icmp","port":8}
)");
    ASSERT_TRUE(ok.status.ok()) << ok.status.error();
    EXPECT_EQ(ok.flows[0].protocol, core::Protocol::kSctp);
    EXPECT_EQ(ok.flows[1].protocol, core::Protocol::kIcmp);
    EXPECT_EQ(ok.flows[1].port, 0u);  // ICMP has no ports
}

TEST(FlowReaderCanonical, RejectsBadJson) {
    for (const char* line : {R"({"src":"a/b","dst":)",
                             R"({"src":"a/b" "dst":"c/d"})",
                             R"(["a/b","c/d"])",
                             R"("just a string")",
                             "{\"src\":\"a/b\",\"dst\":\"c/d\",\"port\":12x}",
                             "{\"src\":\"a/\xff\",\"dst\":\"c/d\"}"}) {
        auto r = readText(line);
        ASSERT_FALSE(r.status.ok()) << line;
        EXPECT_EQ(r.status.error().rfind("flows.jsonl:1: ", 0), 0u) << r.status.error();
        EXPECT_TRUE(r.flows.empty()) << line;
    }
}

TEST(FlowReaderCanonical, RejectsMissingEndpoints) {
    EXPECT_EQ(readText(R"({"dst":"c/d","port":80})").status.error(),
              "flows.jsonl:1: missing \"src\"");
    EXPECT_EQ(readText(R"({"src":"c/d"})").status.error(), "flows.jsonl:1: missing \"dst\"");
    EXPECT_EQ(readText(R"({"src":null,"dst":"c/d"})").status.error(),
              "flows.jsonl:1: missing \"src\"");
    EXPECT_EQ(readText(R"({"src":5,"dst":"c/d"})").status.error(),
              "flows.jsonl:1: \"src\" must be a string");
}

TEST(FlowReaderCanonical, ValidatesEndpointSyntax) {
    for (const char* ep : {"/web",
                           "shop/",
                           "shop//web",
                           "a/B/c/d",
                           "Shop/web",
                           "shop/web app",
                           "10.0.0.300",
                           "10.0.0.0/33",
                           "nonsense",
                           ""}) {
        const std::string line = std::string(R"({"src":")") + ep + R"(","dst":"c/d"})";
        auto r = readText(line);
        EXPECT_FALSE(r.status.ok()) << ep;
    }
    EXPECT_NE(readText(R"({"src":"/web","dst":"c/d"})").status.error().find("empty namespace"),
              std::string::npos);
    EXPECT_NE(readText(R"({"src":"a/b","dst":"shop/"})").status.error().find("empty name"),
              std::string::npos);
}

TEST(FlowReaderCanonical, RejectsNonPositiveCount) {
    EXPECT_FALSE(readText(R"({"src":"a/b","dst":"c/d","count":0})").status.ok());
    EXPECT_FALSE(readText(R"({"src":"a/b","dst":"c/d","count":-3})").status.ok());
    EXPECT_FALSE(readText(R"({"src":"a/b","dst":"c/d","count":1.5})").status.ok());
    auto r = readText(R"({"src":"a/b","dst":"c/d","count":12})");
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.flows[0].count, 12u);
}

TEST(FlowReaderCanonical, SkipInvalidCountsAndKeepsExamples) {
    std::string text;
    for (int i = 0; i < 15; ++i) {
        text += R"({"src":"a/b","dst":"c/d","port":80})"
                "\n";
        text += R"({"src":"a/b","dst":"c/d","port":123456})"
                "\n";
    }
    auto r = readText(text, skipInvalid());
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.stats.lines, 30u);
    EXPECT_EQ(r.stats.flows, 15u);
    EXPECT_EQ(r.stats.invalid, 15u);
    ASSERT_EQ(r.stats.invalid_examples.size(), 10u);
    EXPECT_EQ(r.stats.invalid_examples[0], "flows.jsonl:2: port 123456 out of range 0-65535");
    EXPECT_EQ(r.stats.invalid_examples[1].rfind("flows.jsonl:4: ", 0), 0u);
}

TEST(FlowReaderCanonical, ConsumerErrorIsReportedWithTheLine) {
    FlowReadStats stats;
    int calls = 0;
    auto consumer = [&](const core::FlowObservation& f) -> core::Status {
        ++calls;
        if (f.port == 2) {
            return core::Error{"unknown workload c/d"};
        }
        return {};
    };
    const std::string text = R"({"src":"a/b","dst":"c/d","port":1}
{"src":"a/b","dst":"c/d","port":2}
{"src":"a/b","dst":"c/d","port":3}
)";
    auto st = readFlowBuffer(text, "f.jsonl", {}, stats, consumer);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error(), "f.jsonl:2: unknown workload c/d");
    EXPECT_EQ(calls, 2);

    FlowReadStats skipped;
    calls = 0;
    ASSERT_TRUE(readFlowBuffer(text, "f.jsonl", skipInvalid(), skipped, consumer).ok());
    EXPECT_EQ(calls, 3);
    EXPECT_EQ(skipped.flows, 2u);
    EXPECT_EQ(skipped.invalid, 1u);
    EXPECT_EQ(skipped.invalid_examples.at(0), "f.jsonl:2: unknown workload c/d");
}

TEST(FlowReaderCanonical, ForcedFormatRejectsTheOther) {
    FlowReadOptions hubble_only;
    hubble_only.format = FlowFormat::kHubble;
    EXPECT_FALSE(readText(R"({"src":"a/b","dst":"c/d"})", hubble_only).status.ok());

    FlowReadOptions canonical_only;
    canonical_only.format = FlowFormat::kCanonical;
    auto r = readText(R"({"flow":{"IP":{"source":"1.2.3.4"}}})", canonical_only);
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error(), "flows.jsonl:1: missing \"src\"");
}

TEST(FlowReaderCanonical, UnrecognisedShapeIsInvalid) {
    auto r = readText(R"({"hello":"world"})");
    ASSERT_FALSE(r.status.ok());
    EXPECT_NE(r.status.error().find("not a flow"), std::string::npos) << r.status.error();
}

// ---------------------------------------------------------------------------------------------
// Line handling

TEST(FlowReaderLines, EmptyInputIsNoFlows) {
    auto r = readText("");
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.stats.lines, 0u);
    EXPECT_EQ(r.stats.flows, 0u);
    EXPECT_TRUE(r.flows.empty());

    TempDir dir;
    auto f = readPath(dir.write("empty.jsonl", ""));
    ASSERT_TRUE(f.status.ok()) << f.status.error();
    EXPECT_EQ(f.stats.lines, 0u);
}

TEST(FlowReaderLines, BlankLinesAreSkipped) {
    auto r = readText(
        "\n   \n\t\r\n"
        R"({"src":"a/b","dst":"c/d"})"
        "\n\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.stats.flows, 1u);
    EXPECT_EQ(r.stats.skipped_non_flow, 4u);
    EXPECT_EQ(r.stats.lines, 5u);
}

TEST(FlowReaderLines, CrlfAndMissingFinalNewline) {
    auto r = readText(
        "{\"src\":\"a/b\",\"dst\":\"c/d\",\"port\":1}\r\n"
        "{\"src\":\"a/b\",\"dst\":\"c/d\",\"port\":2}\r\n"
        "{\"src\":\"a/b\",\"dst\":\"c/d\",\"port\":3}");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 3u);
    EXPECT_EQ(r.flows[2].port, 3u);
    EXPECT_EQ(r.stats.lines, 3u);
}

TEST(FlowReaderLines, TooLongLineIsInvalidAndTheNextLineParses) {
    FlowReadOptions o = skipInvalid();
    o.max_line_bytes = 100;
    const std::string long_line =
        R"({"src":"a/b","dst":"c/d","pad":")" + std::string(500, 'x') + R"("})";
    auto r = readText(long_line + "\n" + R"({"src":"a/b","dst":"c/d","port":9})" + "\n", o);
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.stats.invalid, 1u);
    ASSERT_EQ(r.flows.size(), 1u);
    EXPECT_EQ(r.flows[0].port, 9u);
    EXPECT_EQ(r.stats.invalid_examples.at(0), "flows.jsonl:1: line longer than 100 bytes");

    o.skip_invalid = false;
    auto strict = readText(long_line + "\n", o);
    ASSERT_FALSE(strict.status.ok());
    EXPECT_EQ(strict.status.error(), "flows.jsonl:1: line longer than 100 bytes");
}

TEST(FlowReaderLines, LineLongerThanTheBufferIsSkippedWithoutBeingHeld) {
    // 20 MiB without a newline: more than one read buffer, so the reader drops it while reading.
    FlowReadOptions o = skipInvalid();
    o.max_line_bytes = 1000;
    std::string text = R"({"src":"a/b","dst":"c/d","port":1})"
                       "\n";
    text += R"({"src":"a/b","dst":"c/d","pad":")" + std::string(20u << 20, 'x') + "\"}\n";
    text += R"({"src":"a/b","dst":"c/d","port":3})";
    auto r = readText(text, o);
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.stats.lines, 3u);
    EXPECT_EQ(r.stats.invalid, 1u);
    EXPECT_EQ(r.stats.invalid_examples.at(0), "flows.jsonl:2: line longer than 1000 bytes");
    ASSERT_EQ(r.flows.size(), 2u);
    EXPECT_EQ(r.flows[1].port, 3u);
    EXPECT_EQ(r.stats.bytes, text.size());
}

TEST(FlowReaderLines, LinesCarriedAcrossChunks) {
    // More than one 16 MiB chunk of lines of varied length: the partial line at the end of a chunk
    // is carried over intact.
    std::string text;
    uint64_t expected = 0;
    constexpr int kLines = 21000;
    for (int i = 0; i < kLines; ++i) {
        const int port = 1 + i % 60000;
        expected += static_cast<uint64_t>(port);
        text += R"({"src":"shop/frontend-)" + std::to_string(i % 97) + R"(","pad":")" +
                std::string(700 + static_cast<size_t>(i % 301), 'p') +
                R"(","dst":"shop/cartservice","protocol":"TCP","port":)" + std::to_string(port) +
                "}\n";
    }
    ASSERT_GT(text.size(), size_t{16} << 20);
    TempDir dir;
    FlowReadStats stats;
    uint64_t sum = 0;
    auto st =
        readFlowFile(dir.write("big.jsonl", text), {}, stats, [&](const core::FlowObservation& f) {
            sum += f.port;
            return core::Status();
        });
    ASSERT_TRUE(st.ok()) << st.error();
    EXPECT_EQ(stats.flows, static_cast<uint64_t>(kLines));
    EXPECT_EQ(sum, expected);
    EXPECT_EQ(stats.bytes, text.size());
}

// ---------------------------------------------------------------------------------------------
// Hubble

// The two example lines of docs/hubble-flows.md §3.
constexpr std::string_view kHubbleSyn =
    R"({"flow":{"time":"2026-05-14T09:21:07.412853117Z","uuid":"6f1c2b9e-3d4a-4f0e-9a51-2c7d8e0b1a44","emitter":{"name":"Hubble","version":"1.18.2"},"verdict":"FORWARDED","ethernet":{"source":"9e:41:07:2a:cc:10","destination":"4a:12:9f:00:3b:e1"},"IP":{"source":"10.244.2.37","destination":"10.244.5.12","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":48122,"destination_port":7070,"flags":{"SYN":true}}},"source":{"ID":1873,"identity":40211,"cluster_name":"prod-eu1","namespace":"shop","labels":["k8s:app.kubernetes.io/name=checkout","k8s:io.cilium.k8s.policy.cluster=prod-eu1","k8s:io.cilium.k8s.policy.serviceaccount=checkout","k8s:io.kubernetes.pod.namespace=shop","k8s:tier=backend"],"pod_name":"checkout-7d9f8c6b5-x2lqz","workloads":[{"name":"checkout","kind":"Deployment"}]},"destination":{"identity":40877,"cluster_name":"prod-eu1","namespace":"shop","labels":["k8s:app.kubernetes.io/name=cart","k8s:io.cilium.k8s.policy.cluster=prod-eu1","k8s:io.cilium.k8s.policy.serviceaccount=cart","k8s:io.kubernetes.pod.namespace=shop"],"pod_name":"cart-5b6c9d7f4-9wq8m","workloads":[{"name":"cart","kind":"Deployment"}]},"Type":"L3_L4","node_name":"prod-eu1/worker-b-3","event_type":{"type":4,"sub_type":5},"destination_service":{"name":"cart","namespace":"shop"},"traffic_direction":"EGRESS","trace_observation_point":"FROM_ENDPOINT","trace_reason":"NEW","is_reply":false,"Summary":"TCP Flags: SYN"},"node_name":"prod-eu1/worker-b-3","time":"2026-05-14T09:21:07.412853117Z"})";
constexpr std::string_view kHubbleDropped =
    R"({"flow":{"time":"2026-05-14T09:21:09.003117402Z","uuid":"c0d3a8f1-77b2-4e69-8c1e-5a0f2d9b6e13","verdict":"DROPPED","drop_reason_desc":"POLICY_DENIED","IP":{"source":"10.244.2.37","destination":"203.0.113.45","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":51904,"destination_port":443,"flags":{"SYN":true}}},"source":{"ID":1873,"identity":40211,"namespace":"shop","labels":["k8s:app.kubernetes.io/name=checkout","k8s:io.kubernetes.pod.namespace=shop"],"pod_name":"checkout-7d9f8c6b5-x2lqz","workloads":[{"name":"checkout","kind":"Deployment"}]},"destination":{"identity":2,"labels":["reserved:world"]},"destination_names":["api.payments.example.net"],"Type":"L3_L4","node_name":"prod-eu1/worker-b-3","event_type":{"type":5},"traffic_direction":"EGRESS","is_reply":false,"egress_denied_by":[{"name":"shop-default-deny","namespace":"shop","kind":"CiliumNetworkPolicy","revision":"118"}],"Summary":"TCP Flags: SYN"},"node_name":"prod-eu1/worker-b-3","time":"2026-05-14T09:21:09.003117402Z"})";

// A compact Flow; `extra` is spliced into the flow object.
std::string hubbleFlow(std::string_view l4,
                       std::string_view extra = "",
                       std::string_view src_ip = "10.0.0.1",
                       std::string_view time = "2026-05-14T09:21:07.5Z") {
    return std::string(R"({"time":")") + std::string(time) +
           R"(","verdict":"FORWARDED","IP":{"source":")" + std::string(src_ip) +
           R"(","destination":"10.0.0.2"},"l4":)" + std::string(l4) +
           R"(,"source":{"namespace":"a","pod_name":"client-1","workloads":[{"name":"client","kind":"Deployment"}]},"destination":{"namespace":"b","pod_name":"server-1","workloads":[{"name":"server","kind":"StatefulSet"}]},"Type":"L3_L4")" +
           std::string(extra) + "}";
}

std::string envelope(std::string_view flow) {
    return R"({"flow":)" + std::string(flow) +
           R"(,"node_name":"n1","time":"2026-05-14T09:21:07Z"})";
}

constexpr std::string_view kSyn =
    R"({"TCP":{"source_port":40000,"destination_port":8080,"flags":{"SYN":true}}})";

TEST(FlowReaderHubble, ReadsTheDocumentedExamples) {
    auto r = readText(std::string(kHubbleSyn) + "\n" + std::string(kHubbleDropped) + "\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 1u);
    const OwnedFlow& f = r.flows[0];
    EXPECT_EQ(f.src.kind, Kind::kWorkload);
    EXPECT_EQ(f.src.ns, "shop");
    EXPECT_EQ(f.src.name, "checkout");
    EXPECT_EQ(f.src.workload_kind, "Deployment");
    EXPECT_EQ(f.src.pod, "checkout-7d9f8c6b5-x2lqz");
    EXPECT_EQ(f.src.ip, "10.244.2.37");
    EXPECT_EQ(f.dst.kind, Kind::kWorkload);
    EXPECT_EQ(f.dst.name, "cart");
    EXPECT_EQ(f.dst.pod, "cart-5b6c9d7f4-9wq8m");
    EXPECT_EQ(f.dst.ip, "10.244.5.12");
    EXPECT_EQ(f.port, 7070u);
    EXPECT_EQ(f.protocol, core::Protocol::kTcp);
    EXPECT_EQ(f.time, 1778750467);
    EXPECT_EQ(f.count, 1u);
    EXPECT_EQ(r.stats.skipped_dropped, 1u);
    EXPECT_EQ(r.stats.lines, 2u);
}

TEST(FlowReaderHubble, EnvelopeAndBareFlowGiveTheSameObservation) {
    const std::string flow = hubbleFlow(kSyn);
    auto bare = readText(flow);
    auto wrapped = readText(envelope(flow));
    ASSERT_TRUE(bare.status.ok()) << bare.status.error();
    ASSERT_TRUE(wrapped.status.ok()) << wrapped.status.error();
    ASSERT_EQ(bare.flows.size(), 1u);
    ASSERT_EQ(wrapped.flows.size(), 1u);
    EXPECT_EQ(bare.flows[0].src.name, "client");
    EXPECT_EQ(wrapped.flows[0].src.name, "client");
    EXPECT_EQ(bare.flows[0].dst.workload_kind, "StatefulSet");
    EXPECT_EQ(bare.flows[0].port, 8080u);
    EXPECT_EQ(wrapped.flows[0].port, 8080u);
    // The flow's own time wins over the envelope's.
    EXPECT_EQ(bare.flows[0].time, 1778750467);
    EXPECT_EQ(wrapped.flows[0].time, 1778750467);
}

TEST(FlowReaderHubble, EnvelopeTimeWhenTheFlowHasNone) {
    auto r = readText(
        R"({"time":"2026-05-14T09:21:08Z","flow":{"IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"UDP":{"destination_port":53}}}})");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 1u);
    EXPECT_EQ(r.flows[0].time, 1778750468);
    EXPECT_EQ(r.flows[0].src.kind, Kind::kIp);
}

TEST(FlowReaderHubble, AcceptsLowerCamelCaseKeys) {
    auto r = readText(
        R"({"flow":{"time":"2026-05-14T09:21:07Z","verdict":"FORWARDED","IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"TCP":{"sourcePort":40000,"destinationPort":9090,"flags":{"ACK":true}}},"source":{"namespace":"a","podName":"solo"},"destination":{"namespace":"b","podName":"server-1","workloads":[{"name":"server","kind":"Deployment"}]},"eventType":{"type":4,"subType":3},"trafficDirection":"INGRESS","traceObservationPoint":"TO_ENDPOINT","traceReason":"NEW","isReply":false}})"
        "\n"
        R"({"flow":{"IP":{"source":"10.0.0.9","destination":"10.0.0.2"},"l4":{"TCP":{"sourcePort":1,"destinationPort":9090,"flags":{"SYN":true,"ACK":true}}},"isReply":true}})"
        "\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 1u);
    EXPECT_EQ(r.flows[0].port, 9090u);
    // A pod without `workloads`: the pod name is kept for core::EndpointResolver.
    EXPECT_EQ(r.flows[0].src.kind, Kind::kWorkload);
    EXPECT_EQ(r.flows[0].src.ns, "a");
    EXPECT_EQ(r.flows[0].src.name, "");
    EXPECT_EQ(r.flows[0].src.pod, "solo");
    EXPECT_EQ(r.flows[0].src.workload_kind, "");
    EXPECT_EQ(r.stats.skipped_replies, 1u);
}

TEST(FlowReaderHubble, SkipsReplies) {
    auto r = readText(hubbleFlow(kSyn, R"(,"is_reply":true)") + "\n" +
                      hubbleFlow(kSyn, R"(,"reply":true)", "10.0.0.3") + "\n" +
                      // is_reply wins over the deprecated field
                      hubbleFlow(kSyn, R"(,"is_reply":false,"reply":true)", "10.0.0.4") + "\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.stats.skipped_replies, 2u);
    EXPECT_EQ(r.stats.flows, 1u);
}

TEST(FlowReaderHubble, SkipsNonFlowResponses) {
    auto r = readText(
        R"({"node_status":{"state_change":"NODE_CONNECTED","node_names":["n1"]},"node_name":"n1","time":"2026-05-14T09:21:07Z"})"
        "\n"
        R"({"lost_events":{"source":"HUBBLE_RING_BUFFER","num_events_lost":12}})"
        "\n"
        R"({"agent_event":{"type":"ENDPOINT_CREATED"}})"
        "\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.stats.skipped_non_flow, 3u);
    EXPECT_EQ(r.stats.flows, 0u);
}

TEST(FlowReaderHubble, KeepsOnlyConnectionOpeningTcpSegments) {
    const std::string synack =
        R"({"TCP":{"source_port":40000,"destination_port":8080,"flags":{"SYN":true,"ACK":true}}})";
    const std::string ack =
        R"({"TCP":{"source_port":40001,"destination_port":8080,"flags":{"ACK":true,"PSH":true}}})";
    const std::string noflags = R"({"TCP":{"source_port":40002,"destination_port":8080}})";
    auto r = readText(hubbleFlow(synack) + "\n" + hubbleFlow(ack) + "\n" +
                      // trace_reason NEW counts as opening
                      hubbleFlow(ack, R"(,"trace_reason":"NEW")", "10.0.0.5") + "\n" +
                      // a policy-verdict event counts too
                      hubbleFlow(ack, R"(,"event_type":{"type":5})", "10.0.0.6") + "\n" +
                      hubbleFlow(noflags, "", "10.0.0.7") + "\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.stats.skipped_not_initial, 2u);
    EXPECT_EQ(r.stats.flows, 3u);
}

TEST(FlowReaderHubble, SkipsDroppedAndErrorVerdicts) {
    std::string dropped = hubbleFlow(kSyn);
    dropped.replace(dropped.find("FORWARDED"), 9, "DROPPED");
    std::string error = hubbleFlow(kSyn, "", "10.0.0.9");
    error.replace(error.find("FORWARDED"), 9, "ERROR");
    std::string audit = hubbleFlow(kSyn, "", "10.0.0.10");
    audit.replace(audit.find("FORWARDED"), 9, "AUDIT");
    auto r = readText(dropped + "\n" + error + "\n" + audit + "\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.stats.skipped_dropped, 2u);
    EXPECT_EQ(r.stats.flows, 1u);
}

TEST(FlowReaderHubble, ReservedIdentitiesBecomeEntities) {
    auto r = readText(
        R"({"flow":{"IP":{"source":"203.0.113.9","destination":"10.0.0.2"},"l4":{"TCP":{"source_port":1234,"destination_port":443,"flags":{"SYN":true}}},"source":{"identity":2,"labels":["reserved:world"]},"destination":{"namespace":"b","workloads":[{"name":"web","kind":"Deployment"}]}}}
{"flow":{"IP":{"source":"198.51.100.1","destination":"10.0.0.2"},"l4":{"TCP":{"source_port":1235,"destination_port":443,"flags":{"SYN":true}}},"source":{"identity":9},"destination":{"namespace":"b","workloads":[{"name":"web"}]}}}
{"flow":{"IP":{"source":"10.0.0.100","destination":"10.0.0.2"},"l4":{"TCP":{"source_port":1236,"destination_port":443,"flags":{"SYN":true}}},"source":{"identity":1,"labels":["reserved:host"]},"destination":{"namespace":"b","workloads":[{"name":"web"}]}}}
{"flow":{"IP":{"source":"10.0.0.101","destination":"10.0.0.2"},"l4":{"TCP":{"source_port":1237,"destination_port":443,"flags":{"SYN":true}}},"source":{"identity":6},"destination":{"namespace":"b","workloads":[{"name":"web"}]}}}
{"flow":{"IP":{"source":"10.0.0.2","destination":"192.0.2.7"},"l4":{"TCP":{"source_port":1238,"destination_port":5432,"flags":{"SYN":true}}},"source":{"namespace":"b","workloads":[{"name":"web"}]},"destination":{"identity":16777217,"labels":["cidr:192.0.2.0/24","reserved:world"]}}}
{"flow":{"IP":{"source":"10.0.0.2","destination":"10.96.0.1"},"l4":{"TCP":{"source_port":1239,"destination_port":6443,"flags":{"SYN":true}}},"source":{"namespace":"b","workloads":[{"name":"web"}]},"destination":{"labels":["reserved:kube-apiserver","reserved:remote-node"]}}}
{"flow":{"IP":{"source":"10.0.0.2","destination":"10.0.9.9"},"l4":{"TCP":{"source_port":1240,"destination_port":80,"flags":{"SYN":true}}},"source":{"namespace":"b","workloads":[{"name":"web"}]},"destination":{"identity":33333}}}
)");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 7u);
    EXPECT_EQ(r.flows[0].src.kind, Kind::kInternet);
    EXPECT_EQ(r.flows[0].src.ip, "203.0.113.9");
    EXPECT_EQ(r.flows[1].src.kind, Kind::kInternet);
    EXPECT_EQ(r.flows[2].src.kind, Kind::kInternal);
    EXPECT_EQ(r.flows[3].src.kind, Kind::kInternal);
    EXPECT_EQ(r.flows[4].dst.kind, Kind::kIp);
    EXPECT_EQ(r.flows[4].dst.ip, "192.0.2.7");
    EXPECT_EQ(r.flows[5].dst.kind, Kind::kInternal);
    EXPECT_EQ(r.flows[6].dst.kind, Kind::kIp);
    EXPECT_EQ(r.flows[6].dst.ip, "10.0.9.9");
}

TEST(FlowReaderHubble, CountsBothObservationPointsOnce) {
    const std::string egress = envelope(hubbleFlow(
        kSyn, R"(,"traffic_direction":"EGRESS","trace_observation_point":"FROM_ENDPOINT")"));
    const std::string ingress = envelope(
        hubbleFlow(kSyn,
                   R"(,"traffic_direction":"INGRESS","trace_observation_point":"TO_ENDPOINT")",
                   "10.0.0.1",
                   "2026-05-14T09:21:07.9Z"));
    // The same 5-tuple two minutes later is a new connection.
    const std::string later = envelope(hubbleFlow(kSyn, "", "10.0.0.1", "2026-05-14T09:23:30Z"));
    // Another source port is another connection.
    const std::string other = envelope(hubbleFlow(
        R"({"TCP":{"source_port":40001,"destination_port":8080,"flags":{"SYN":true}}})"));
    auto r = readText(egress + "\n" + ingress + "\n" + later + "\n" + other + "\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.stats.flows, 3u);
    EXPECT_EQ(r.stats.skipped_duplicates, 1u);
}

TEST(FlowReaderHubble, ReadsUdpAndIcmp) {
    auto r = readText(
        hubbleFlow(R"({"UDP":{"source_port":5353,"destination_port":53}})") + "\n" +
        hubbleFlow(R"({"ICMPv4":{"type":8}})", "", "10.0.0.8") + "\n" +
        hubbleFlow(R"({"ICMPv6":{"type":128}})", "", "fd00::8") + "\n" +
        hubbleFlow(R"({"SCTP":{"source_port":5000,"destination_port":3868}})", "", "10.0.0.9") +
        "\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 4u);
    EXPECT_EQ(r.flows[0].protocol, core::Protocol::kUdp);
    EXPECT_EQ(r.flows[0].port, 53u);
    EXPECT_EQ(r.flows[1].protocol, core::Protocol::kIcmp);
    EXPECT_EQ(r.flows[1].port, 0u);
    EXPECT_EQ(r.flows[2].protocol, core::Protocol::kIcmp);
    EXPECT_EQ(r.flows[2].src.ip, "fd00::8");
    EXPECT_EQ(r.flows[3].protocol, core::Protocol::kSctp);
    EXPECT_EQ(r.flows[3].port, 3868u);
}

TEST(FlowReaderHubble, UsesAggregateCountsAsWeight) {
    auto r = readText(hubbleFlow(
        kSyn,
        R"(,"aggregate":{"ingress_flow_count":3,"egressFlowCount":4,"unknown_direction_flow_count":1})"));
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 1u);
    EXPECT_EQ(r.flows[0].count, 8u);
}

TEST(FlowReaderHubble, TakesTheFirstWorkloadAndReadsOnAfterTheRest) {
    auto r = readText(
        R"({"flow":{"source":{"namespace":"a","workloads":[{"name":"top","kind":"CronJob"},{"name":"child","kind":"Job"}],"pod_name":"p"},"IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"UDP":{"destination_port":53}},"destination":{"labels":["reserved:host"]}}})");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 1u);
    EXPECT_EQ(r.flows[0].src.name, "top");
    EXPECT_EQ(r.flows[0].src.workload_kind, "CronJob");
    EXPECT_EQ(r.flows[0].src.pod, "p");
    EXPECT_EQ(r.flows[0].dst.kind, Kind::kInternal);
    EXPECT_EQ(r.flows[0].port, 53u);
}

TEST(FlowReaderHubble, UnderstandsEscapedKeysAndValues) {
    auto r = readText(
        R"({"fl\u006fw":{"IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"UDP":{"destination_port":53}},"source":{"namespace":"\u0061","pod_name":"p","workloads":[{"name":"w\u0031"}]},"destination":{"labels":["reserved:world"]},"is_reply":false}})");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 1u);
    EXPECT_EQ(r.flows[0].src.ns, "a");
    EXPECT_EQ(r.flows[0].src.name, "w1");
    EXPECT_EQ(r.flows[0].dst.kind, Kind::kInternet);
    EXPECT_EQ(r.flows[0].port, 53u);
}

TEST(FlowReaderHubble, RejectsMalformedFlows) {
    for (
        const char* line : {
            R"({"flow":"nope"})",
            R"({"flow":{"IP":{"source":"10.0.0.1","destination":"10.0.0.2"},"l4":{"TCP":{"destination_port":70000}}}})",
            R"({"flow":{"IP":{"source":"not-an-ip","destination":"10.0.0.2"},"l4":{"UDP":{"destination_port":53}}}})",
            R"({"flow":{"time":"yesterday","IP":{"source":"10.0.0.1","destination":"10.0.0.2"}}})",
            R"({"flow":{"IP":{"source":"10.0.0.1"},"source":{"labels":"reserved:world"}}})",
            R"({"flow":{"IP":{"source":"10.0.0.1"},"is_reply":"no"}})",
        }) {
        auto r = readText(line);
        EXPECT_FALSE(r.status.ok()) << line;
    }
    auto r = readText(R"({"flow":{"time":"yesterday","IP":{"source":"10.0.0.1"}}})");
    EXPECT_EQ(r.status.error(), "flows.jsonl:1: invalid RFC 3339 time \"yesterday\"");
}

TEST(FlowReaderHubble, MixesWithCanonicalLinesInAutoMode) {
    auto r =
        readText(std::string(kHubbleSyn) + "\n" + R"({"src":"a/b","dst":"c/d","port":5})" + "\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 2u);
    EXPECT_EQ(r.flows[0].port, 7070u);
    EXPECT_EQ(r.flows[1].port, 5u);
}

// ---------------------------------------------------------------------------------------------
// Files and compression

const std::string kTwoLines = R"({"src":"a/b","dst":"c/d","port":1}
{"src":"a/b","dst":"c/d","port":2}
)";

TEST(FlowReaderFiles, ReadsGzipIncludingConcatenatedMembers) {
    TempDir dir;
    const std::string path =
        dir.write("flows.jsonl.gz",
                  testing_support::gzipMember(kTwoLines) +
                      testing_support::gzipMember(std::string(kHubbleSyn) + "\n"));
    auto r = readPath(path);
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    ASSERT_EQ(r.flows.size(), 3u);
    EXPECT_EQ(r.flows[1].port, 2u);
    EXPECT_EQ(r.flows[2].port, 7070u);
}

TEST(FlowReaderFiles, ReadsZstdIncludingSeveralFrames) {
    TempDir dir;
    // The extension does not matter: the magic bytes do.
    const std::string path = dir.write(
        "flows.bin", testing_support::zstdFrame(kTwoLines) + testing_support::zstdFrame(kTwoLines));
    auto r = readPath(path);
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.flows.size(), 4u);
    EXPECT_EQ(r.stats.bytes, 2 * kTwoLines.size());
}

TEST(FlowReaderFiles, ReadsLargeCompressedStreams) {
    // Enough incompressible text that the compressed input takes several reads.
    std::string text;
    uint64_t state = 12345;
    constexpr int kLines = 30000;
    for (int i = 0; i < kLines; ++i) {
        std::string noise;
        for (int j = 0; j < 4; ++j) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            noise += std::to_string(state >> 20);
        }
        text += R"({"src":"a/b","dst":"c/d","id":")" + noise + R"(","port":)" +
                std::to_string(1 + i % 1000) + "}\n";
    }
    TempDir dir;
    const std::string gz = testing_support::gzipMember(text);
    const std::string zst = testing_support::zstdFrame(text);
    ASSERT_GT(gz.size(), size_t{600} << 10);
    ASSERT_GT(zst.size(), size_t{600} << 10);
    auto from_gz = readPath(dir.write("big.gz", gz));
    ASSERT_TRUE(from_gz.status.ok()) << from_gz.status.error();
    EXPECT_EQ(from_gz.stats.flows, static_cast<uint64_t>(kLines));
    EXPECT_EQ(from_gz.stats.bytes, text.size());
    auto from_zst = readPath(dir.write("big.zst", zst));
    ASSERT_TRUE(from_zst.status.ok()) << from_zst.status.error();
    EXPECT_EQ(from_zst.stats.flows, static_cast<uint64_t>(kLines));
}

TEST(FlowReaderFiles, CorruptOrTruncatedStreamsNameTheFile) {
    TempDir dir;
    std::string gz = testing_support::gzipMember(kTwoLines);
    std::string corrupt = gz;
    corrupt[12] = static_cast<char>(corrupt[12] ^ 0x5a);
    corrupt[13] = static_cast<char>(corrupt[13] ^ 0x5a);
    const std::string bad_gz = dir.write("bad.jsonl.gz", corrupt);
    auto r1 = readPath(bad_gz);
    ASSERT_FALSE(r1.status.ok());
    EXPECT_NE(r1.status.error().find(bad_gz + ": "), std::string::npos) << r1.status.error();
    EXPECT_NE(r1.status.error().find("gzip"), std::string::npos) << r1.status.error();

    const std::string cut_gz = dir.write("cut.jsonl.gz", gz.substr(0, gz.size() - 6));
    auto r2 = readPath(cut_gz);
    ASSERT_FALSE(r2.status.ok());
    EXPECT_NE(r2.status.error().find(cut_gz + ": truncated gzip"), std::string::npos)
        << r2.status.error();

    const std::string zst = testing_support::zstdFrame(kTwoLines);
    const std::string cut_zst = dir.write("cut.jsonl.zst", zst.substr(0, zst.size() - 3));
    auto r3 = readPath(cut_zst);
    ASSERT_FALSE(r3.status.ok());
    EXPECT_NE(r3.status.error().find(cut_zst + ": "), std::string::npos) << r3.status.error();
    EXPECT_NE(r3.status.error().find("zstd"), std::string::npos) << r3.status.error();

    std::string zst_bad = zst;
    zst_bad[zst_bad.size() / 2] = static_cast<char>(zst_bad[zst_bad.size() / 2] ^ 0xff);
    zst_bad[zst_bad.size() / 2 + 1] = static_cast<char>(zst_bad[zst_bad.size() / 2 + 1] ^ 0xff);
    auto r4 = readPath(dir.write("bad.zst", zst_bad));
    EXPECT_FALSE(r4.status.ok());
}

TEST(FlowReaderFiles, ReportsFilesThatCannotBeOpened) {
    auto r = readPath("/nonexistent/flows.jsonl");
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error(), "cannot open /nonexistent/flows.jsonl: No such file or directory");

    TempDir dir;
    const std::string d = dir.write("x", "");
    auto is_dir = readPath(d.substr(0, d.size() - 2));
    ASSERT_FALSE(is_dir.status.ok());
    EXPECT_NE(is_dir.status.error().find("Is a directory"), std::string::npos)
        << is_dir.status.error();
}

TEST(FlowReaderFiles, ErrorsNameTheFileAndLine) {
    TempDir dir;
    const std::string path = dir.write("f.jsonl", kTwoLines + "{oops}\n");
    auto r = readPath(path);
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error().rfind(path + ":3: invalid JSON", 0), 0u) << r.status.error();
}

}  // namespace
}  // namespace netpolgen::io
