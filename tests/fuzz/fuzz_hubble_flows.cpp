// fuzz_hubble_flows: io::readFlowBuffer over arbitrary bytes as Hubble JSON.
//
// Each input is read three times: strictly as Hubble JSON, leniently (skip_invalid) with a small
// line limit so that the too-long-line path runs, and leniently with auto-detection (see
// flow_fuzz_harness.h). Seeds: tests/fuzz/corpus/hubble_flows/.
#include "flow_fuzz_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    netpolgen::fuzz::fuzzFlows(data, size, netpolgen::io::FlowFormat::kHubble);
    return 0;
}
