// libFuzzer target for io::HubbleFlowWireDecoder: a flow.Flow as Hubble Relay sends it.
//
// Every input decodes to an outcome without a crash; an invalid one says why; a flow's
// endpoints and port are what the decoder may hand on (a port only for TCP, UDP and SCTP, a time
// within RFC 3339's range); decoding the same bytes again with a fresh decoder gives the same.
// Any broken property aborts.
//
//   ./fuzz_hubble_wire -max_total_time=300 /tmp/scratch tests/fuzz/corpus/hubble_wire/
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "io/hubble_flow_wire.h"

namespace {

using netpolgen::core::FlowObservation;
using netpolgen::io::HubbleFlowWireDecoder;
using netpolgen::io::LineOutcome;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_hubble_wire: %s\n", what);
    std::abort();
}

std::string describe(LineOutcome o, const FlowObservation& f) {
    if (o != LineOutcome::kFlow) {
        return std::to_string(static_cast<int>(o));
    }
    return std::string(f.src.ns) + "|" + std::string(f.src.name) + "|" + std::string(f.src.labels) +
           "|" + std::string(f.dst.ns) + "|" + std::string(f.dst.pod) + "|" +
           std::string(f.dst.labels) + "|" + std::to_string(f.port) + "|" + std::to_string(f.time) +
           "|" + std::to_string(f.count);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    HubbleFlowWireDecoder first;
    FlowObservation a;
    const LineOutcome outcome = first.decode(bytes, a);
    if (outcome == LineOutcome::kInvalid && first.error().empty()) {
        fail("an invalid flow without a reason");
    }
    if (outcome == LineOutcome::kFlow) {
        if (a.port > 65535 || (a.port != 0 && !netpolgen::core::isPolicyProtocol(a.protocol))) {
            fail("a port out of range or on a protocol without ports");
        }
    }
    HubbleFlowWireDecoder second;
    FlowObservation b;
    if (describe(second.decode(bytes, b), b) != describe(outcome, a)) {
        fail("the same bytes decoded twice differ");
    }
    return 0;
}
