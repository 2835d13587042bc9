// Shared harness of fuzz_canonical_flows and fuzz_hubble_flows: reads each input strictly in
// one format, leniently with a small line limit, leniently with auto-detection, and leniently as
// the elements of a JSON array (so that the framer of io/json_framer.h runs on every input),
// checking the counters against each other and touching every string_view; a broken invariant
// aborts.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "io/flow_reader.h"

namespace netpolgen::fuzz {
namespace {

void require(bool condition) {
    if (!condition) {
        std::abort();
    }
}

uint64_t touch(std::string_view s) {
    uint64_t h = s.size();
    for (char c : s) {
        h = h * 31 + static_cast<unsigned char>(c);
    }
    return h;
}

uint64_t touch(const core::FlowEndpoint& e) {
    using Kind = core::FlowEndpoint::Kind;
    switch (e.kind) {
        case Kind::kWorkload:
            // Canonical: ns and name. Hubble: what the line gives of a workload, a pod name and
            // labels; the namespace may come from the labels only (core/flow.h).
            require(!e.name.empty() || !e.pod.empty() || !e.labels.empty());
            require(!e.ns.empty() || !e.labels.empty());
            break;
        case Kind::kIp:
            require(!e.ip.empty());
            break;
        case Kind::kCidr:
            require(!e.cidr.empty());
            break;
        default:
            break;
    }
    return touch(e.ns) + touch(e.name) + touch(e.workload_kind) + touch(e.pod) + touch(e.ip) +
           touch(e.labels) + touch(e.cidr) + static_cast<uint64_t>(e.kind);
}

bool compressed(std::string_view data) {
    return (data.size() >= 2 && data[0] == '\x1f' && data[1] == '\x8b') ||
           (data.size() >= 4 && data.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4));
}

void readOnce(std::string_view data, const io::FlowReadOptions& options) {
    constexpr uint32_t kRefusedPort = 1;  // the consumer refuses these, to exercise that path
    io::FlowReadStats stats;
    uint64_t calls = 0;
    uint64_t refused = 0;
    uint64_t hash = 0;
    const core::Status st = io::readFlowBuffer(
        data, "fuzz", options, stats, [&](const core::FlowObservation& f) -> core::Status {
            ++calls;
            require(f.port <= 65535);
            require(f.count >= 1);
            require(f.port == 0 || core::isPolicyProtocol(f.protocol));
            hash += touch(f.src) + touch(f.dst) + f.port + f.count;
            if (f.port == kRefusedPort) {
                ++refused;
                return core::Error{"consumer refuses port 1"};
            }
            return {};
        });
    static volatile uint64_t sink = 0;
    sink = sink + hash;
    require(stats.invalid_examples.size() <= 10);
    require(stats.invalid_examples.size() <= stats.invalid);
    if (st.ok()) {
        // Every record is counted exactly once, and every refusal is an invalid record.
        require(stats.records == stats.flows + stats.skipped_non_flow + stats.skipped_replies +
                                     stats.skipped_not_initial + stats.skipped_duplicates +
                                     stats.skipped_dropped + stats.invalid);
        // Lines are the text's lines, whatever the framing.
        if (!compressed(data)) {
            const auto newlines = static_cast<uint64_t>(std::count(data.begin(), data.end(), '\n'));
            require(stats.lines == newlines + (!data.empty() && data.back() != '\n' ? 1 : 0));
        }
        require(calls == stats.flows + refused);
        require(refused <= stats.invalid);
        require(compressed(data) || stats.bytes == data.size());
        require(options.skip_invalid || stats.invalid == 0);
    } else {
        // Every error names the input; with skip_invalid only a broken stream or framed input
        // that cannot be framed stops the reader.
        require(st.error().rfind("fuzz", 0) == 0);
        if (options.skip_invalid) {
            require(compressed(data) ||
                    st.error().find("expected a JSON object or array") != std::string::npos);
        }
    }
}

void fuzzFlows(const uint8_t* bytes, size_t size, io::FlowFormat format) {
    const std::string_view data(reinterpret_cast<const char*>(bytes), size);
    constexpr size_t kSmallLineLimit = 96;
    io::FlowReadOptions strict;
    strict.format = format;
    readOnce(data, strict);

    io::FlowReadOptions lenient;
    lenient.format = format;
    lenient.skip_invalid = true;
    lenient.max_line_bytes = kSmallLineLimit;
    readOnce(data, lenient);

    io::FlowReadOptions automatic;
    automatic.skip_invalid = true;
    readOnce(data, automatic);

    if (!compressed(data)) {
        const std::string array = "[" + std::string(data) + "]";
        readOnce(array, lenient);
    }
}

}  // namespace
}  // namespace netpolgen::fuzz
