// fuzz_canonical_flows: io::readFlowBuffer over arbitrary bytes as canonical JSON Lines.
//
// Each input is read three times: strictly as canonical JSON Lines, leniently (skip_invalid) with a
// small line limit so that the too-long-line path runs, and leniently with auto-detection. The
// consumer reads every byte of every string_view (AddressSanitizer catches a dangling one), refuses
// some flows (the consumer-error path), and the counters are checked against each other; a broken
// invariant aborts. Seeds: tests/fuzz/corpus/canonical_flows/.
#include "flow_fuzz_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    netpolgen::fuzz::fuzzFlows(data, size, netpolgen::io::FlowFormat::kCanonical);
    return 0;
}
