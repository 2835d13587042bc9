// libFuzzer target for io::parseDocuments and io::writeYaml.
//
// Every input must parse or fail cleanly. Every document that parses must survive
// JSON (Kubernetes typing) → writeYaml → parseDocuments → JSON unchanged, and writing it again must
// give the same text; otherwise the target aborts.
//
//   ./fuzz_source_tree -max_total_time=300 /tmp/scratch tests/fuzz/corpus/source_tree/
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "../support/kubernetes_json.h"
#include "io/source_tree.h"
#include "io/yaml_writer.h"

namespace {

using netpolgen::io::SourceNode;
using nlohmann::json;

constexpr size_t kMaxInputBytes = 1u << 16;
constexpr uint32_t kMaxDepth = 24;
constexpr size_t kMaxDocuments = 64;

using netpolgen::testing::toJson;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_source_tree: %s\n%s\n", what, detail.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    netpolgen::io::ParseLimits limits;
    limits.max_bytes = kMaxInputBytes;
    limits.max_depth = kMaxDepth;
    limits.max_documents = kMaxDocuments;
    auto docs = netpolgen::io::parseDocuments(text, limits);
    if (!docs) {
        if (docs.error().rfind("line ", 0) != 0) {
            fail("error without a position", docs.error());
        }
        return 0;
    }
    if (docs->size() > kMaxDocuments) {
        fail("document limit ignored", std::to_string(docs->size()));
    }
    netpolgen::io::ParseLimits reparse_limits;
    reparse_limits.max_depth = kMaxDepth;
    for (const SourceNode& doc : *docs) {
        const json value = toJson(doc);
        const std::string yaml = netpolgen::io::writeYaml(value);
        auto again = netpolgen::io::parseDocuments(yaml, reparse_limits);
        if (!again) {
            fail("written YAML does not parse", again.error() + "\n" + yaml);
        }
        if (again->size() != 1) {
            fail("written YAML is not one document", yaml);
        }
        const json round_trip = toJson(again->front());
        if (round_trip != value) {
            fail("round trip changed the value",
                 value.dump() + "\n" + yaml + "\n" + round_trip.dump());
        }
        if (netpolgen::io::writeYaml(round_trip) != yaml) {
            fail("writing is not stable", yaml);
        }
    }
    return 0;
}
