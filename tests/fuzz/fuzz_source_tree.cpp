// libFuzzer target for io::parseDocuments and io::writeYaml.
//
// Every input must parse or fail cleanly. Every document that parses must survive
// JSON (Kubernetes typing) → writeYaml → parseDocuments → JSON unchanged, and writing it again must
// give the same text; otherwise the target aborts.
//
//   ./fuzz_source_tree -max_total_time=300 /tmp/scratch tests/fuzz/corpus/source_tree/
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "io/source_tree.h"
#include "io/yaml_writer.h"

namespace {

using netpolgen::io::SourceNode;
using nlohmann::json;

constexpr size_t kMaxInputBytes = 1u << 16;
constexpr uint32_t kMaxDepth = 24;
constexpr size_t kMaxDocuments = 64;

// go-yaml v2's float rule:
//   [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
// Only finite values in range count; anything else stays a string.
std::optional<double> plainFloat(const std::string& text) {
    // go-yaml tries numbers only for scalars that start with a digit, a sign or a dot, and removes
    // underscores except after a leading dot.
    if (text.empty() || !((text[0] >= '0' && text[0] <= '9') || text[0] == '+' || text[0] == '-' ||
                          text[0] == '.')) {
        return std::nullopt;
    }
    std::string s;
    for (const char c : text) {
        if (c != '_' || text[0] == '.') {
            s += c;
        }
    }
    size_t i = 0;
    const auto digits = [&] {
        const size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
        }
        return i - start;
    };
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        ++i;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (digits() == 0) {
            return std::nullopt;
        }
    } else {
        if (digits() == 0) {
            return std::nullopt;
        }
        if (i < s.size() && s[i] == '.') {
            ++i;
            digits();
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            ++i;
        }
        if (digits() == 0) {
            return std::nullopt;
        }
    }
    if (i != s.size()) {
        return std::nullopt;
    }
    const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
    double value = 0;
    const auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), value);
    if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

// SourceNode → JSON with the Kubernetes (sigs.k8s.io/yaml) typing rules.
json toJson(const SourceNode& node) {  // NOLINT(misc-no-recursion): depth <= kMaxDepth
    if (node.isMapping()) {
        json out = json::object();
        for (const SourceNode& child : node.children) {
            out[child.key] = toJson(child);
        }
        return out;
    }
    if (node.isSequence()) {
        json out = json::array();
        for (const SourceNode& child : node.children) {
            out.push_back(toJson(child));
        }
        return out;
    }
    if (node.quoted) {
        return node.value;
    }
    if (netpolgen::io::isNull(node)) {
        return nullptr;
    }
    if (auto b = netpolgen::io::asBool(node)) {
        return *b;
    }
    if (auto i = netpolgen::io::asInteger(node)) {
        return *i;
    }
    if (auto d = plainFloat(node.value)) {
        return *d;
    }
    return node.value;
}

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
