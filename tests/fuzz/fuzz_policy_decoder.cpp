// libFuzzer target for io::decodeNetworkPolicy and its round trip through the encoder.
//
// The input is parsed with io::parseDocuments; every document is decoded as a NetworkPolicy, which
// must succeed or fail with a message that names the input. Every policy that decodes must survive
// io::policyToJson → io::writeYaml → parseDocuments → decodeNetworkPolicy unchanged (has_egress_key
// aside: like the API server, the encoder leaves out an empty egress list, which means the same),
// and encoding it again must give the same text. Any broken property aborts.
//
//   ./fuzz_policy_decoder -max_total_time=300 /tmp/scratch tests/fuzz/corpus/policy_decoder/
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "io/manifest_decoder.h"
#include "io/policy_encoder.h"
#include "io/source_tree.h"
#include "io/yaml_writer.h"

namespace {

using netpolgen::core::NetworkPolicy;
using netpolgen::io::SourceNode;

constexpr std::string_view kName = "fuzz.yaml";
constexpr std::string_view kRoundTripName = "roundtrip.yaml";
constexpr size_t kMaxInputBytes = 1u << 16;
constexpr uint32_t kMaxDepth = 24;
constexpr size_t kMaxDocuments = 64;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_policy_decoder: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void checkRoundTrip(const NetworkPolicy& policy) {
    const std::string yaml = netpolgen::io::writeYaml(netpolgen::io::policyToJson(policy));
    auto docs = netpolgen::io::parseDocuments(yaml, {});
    if (!docs.ok()) {
        fail("the encoded policy does not parse", docs.error() + "\n" + yaml);
    }
    if (docs->size() != 1) {
        fail("the encoded policy is not one document", yaml);
    }
    auto again = netpolgen::io::decodeNetworkPolicy((*docs)[0], kRoundTripName);
    if (!again.ok()) {
        fail("the encoded policy does not decode", again.error() + "\n" + yaml);
    }
    NetworkPolicy expected = policy;
    expected.has_egress_key = again->has_egress_key;
    if (*again != expected) {
        fail("the policy changed in the round trip", yaml);
    }
    const std::string yaml_again = netpolgen::io::writeYaml(netpolgen::io::policyToJson(*again));
    if (yaml_again != yaml) {
        fail("encoding is not stable", yaml + "\n---\n" + yaml_again);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > kMaxInputBytes) {
        return 0;
    }
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    netpolgen::io::ParseLimits limits;
    limits.max_depth = kMaxDepth;
    limits.max_documents = kMaxDocuments;
    auto docs = netpolgen::io::parseDocuments(text, limits);
    if (!docs.ok()) {
        return 0;
    }
    for (const SourceNode& doc : *docs) {
        auto policy = netpolgen::io::decodeNetworkPolicy(doc, kName);
        if (!policy.ok()) {
            if (policy.error().rfind(kName, 0) != 0) {
                fail("error does not name the input", policy.error());
            }
            continue;
        }
        // Decoding is deterministic.
        auto twice = netpolgen::io::decodeNetworkPolicy(doc, kName);
        if (!twice.ok() || *twice != *policy) {
            fail("decoding is not deterministic", std::string(text));
        }
        checkRoundTrip(*policy);
    }
    return 0;
}
