// libFuzzer target for io::decodeManifests, with and without skip_invalid.
//
// Every input must decode or fail cleanly with a message that names the input. Beyond that the
// two modes must agree: a text that decodes strictly decodes the same with skip_invalid and counts
// nothing invalid; a text that fails strictly has its first error as the first invalid example
// with skip_invalid, which itself never fails. Decoding is deterministic, and the counters match
// what was appended. A JSON List that io/json_list_items.h cuts into items (and so is decoded item
// by item) decodes as the same text read whole does, when that succeeds. Any broken property
// aborts.
//
//   ./fuzz_manifests -max_total_time=300 -max_len=65536 /tmp/scratch tests/fuzz/corpus/manifests/
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "io/json_list_items.h"
#include "io/manifest_decoder.h"

namespace {

using netpolgen::core::ClusterObjects;
using netpolgen::io::ManifestOptions;
using netpolgen::io::ManifestStats;

constexpr std::string_view kName = "fuzz.yaml";

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_manifests: %s\n%s\n", what, detail.c_str());
    std::abort();
}

size_t objectCount(const ClusterObjects& o) {
    return o.namespaces.size() + o.workloads.size() + o.pods.size() + o.services.size() +
           o.routes.size() + o.policies.size();
}

bool sameObjects(const ClusterObjects& a, const ClusterObjects& b) {
    if (objectCount(a) != objectCount(b) || a.policies.size() != b.policies.size() ||
        a.workloads.size() != b.workloads.size() || a.pods.size() != b.pods.size()) {
        return false;
    }
    for (size_t i = 0; i < a.policies.size(); ++i) {
        if (a.policies[i].policy != b.policies[i].policy ||
            a.policies[i].origin != b.policies[i].origin) {
            return false;
        }
    }
    for (size_t i = 0; i < a.workloads.size(); ++i) {
        const auto& x = a.workloads[i];
        const auto& y = b.workloads[i];
        if (x.name != y.name || x.ns != y.ns || x.selector != y.selector ||
            x.pod_labels != y.pod_labels || x.ports != y.ports || x.owners != y.owners ||
            x.origin != y.origin) {
            return false;
        }
    }
    for (size_t i = 0; i < a.pods.size(); ++i) {
        if (a.pods[i].name != b.pods[i].name || a.pods[i].ips != b.pods[i].ips ||
            a.pods[i].ports != b.pods[i].ports) {
            return false;
        }
    }
    return true;
}

void checkCounters(const ClusterObjects& out, const ManifestStats& stats) {
    if (stats.files != 1) {
        fail("files is not 1", std::to_string(stats.files));
    }
    if (stats.objects != objectCount(out)) {
        fail("objects counter differs from the objects appended",
             std::to_string(stats.objects) + " vs " + std::to_string(objectCount(out)));
    }
    if (stats.invalid_examples.size() > 10 || stats.invalid_examples.size() > stats.invalid) {
        fail("invalid_examples out of bounds", std::to_string(stats.invalid_examples.size()));
    }
    for (const auto& example : stats.invalid_examples) {
        if (example.rfind(kName, 0) != 0) {
            fail("invalid example does not name the input", example);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);

    ClusterObjects strict_out;
    ManifestStats strict_stats;
    const auto strict = netpolgen::io::decodeManifests(text, kName, {}, strict_out, strict_stats);

    ManifestOptions skip;
    skip.skip_invalid = true;
    ClusterObjects skip_out;
    ManifestStats skip_stats;
    const auto skipped = netpolgen::io::decodeManifests(text, kName, skip, skip_out, skip_stats);
    if (!skipped.ok()) {
        fail("skip_invalid returned an error", skipped.error());
    }
    checkCounters(skip_out, skip_stats);

    if (strict.ok()) {
        checkCounters(strict_out, strict_stats);
        if (strict_stats.invalid != 0 || skip_stats.invalid != 0) {
            fail("a valid text counted invalid objects", std::to_string(skip_stats.invalid));
        }
        if (!sameObjects(strict_out, skip_out) ||
            strict_stats.skipped_kinds != skip_stats.skipped_kinds ||
            strict_stats.warnings != skip_stats.warnings) {
            fail("skip_invalid changed the result of a valid text", std::string(text));
        }
    } else {
        if (strict.error().rfind(kName, 0) != 0) {
            fail("error does not name the input", strict.error());
        }
        if (skip_stats.invalid == 0 || skip_stats.invalid_examples.empty() ||
            skip_stats.invalid_examples.front() != strict.error()) {
            fail("the strict error is not the first invalid object",
                 strict.error() + "\n" +
                     (skip_stats.invalid_examples.empty() ? ""
                                                          : skip_stats.invalid_examples.front()));
        }
    }

    // Item by item = whole: a byte order mark in front keeps the text from being cut into items.
    if (netpolgen::io::splitJsonList(text)) {
        ClusterObjects whole_out;
        ManifestStats whole_stats;
        const std::string marked = "\xEF\xBB\xBF" + std::string(text);
        const auto whole =
            netpolgen::io::decodeManifests(marked, kName, {}, whole_out, whole_stats);
        if (whole.ok() && (!strict.ok() || !sameObjects(strict_out, whole_out) ||
                           strict_stats.objects != whole_stats.objects ||
                           strict_stats.warnings != whole_stats.warnings ||
                           strict_stats.skipped_kinds != whole_stats.skipped_kinds)) {
            fail("a List read item by item differs from the same text read whole",
                 std::string(text));
        }
    }

    // Deterministic: a second decode gives the same objects and counters.
    ClusterObjects again_out;
    ManifestStats again_stats;
    const auto again = netpolgen::io::decodeManifests(text, kName, skip, again_out, again_stats);
    if (!again.ok() || !sameObjects(skip_out, again_out) ||
        again_stats.invalid != skip_stats.invalid ||
        again_stats.invalid_examples != skip_stats.invalid_examples ||
        again_stats.skipped_kinds != skip_stats.skipped_kinds) {
        fail("decoding is not deterministic", std::string(text));
    }
    return 0;
}
