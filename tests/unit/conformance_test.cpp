// netpol-analyzer conformance: every case folder of ../shared/conformance/netpol-analyzer (found at
// run time) with an expected connlist (txt/json) or exposure (txt/json) output is loaded, evaluated
// with ipblock_matches_pods=false (netpol-analyzer's choice) and compared semantically
// (conformance_util.h): sets of lines, External ranges on the common refinement of both outputs'
// boundaries, connection strings parsed into sets. When the facts agree, the rendered text must
// also be byte-identical to the expected file (txt, json, and the exposure section of
// --exposure). `_diff/` is covered by diff_conformance_test.
//
// Loading follows the README: every YAML/JSON file under manifests/ recursively; two cases spell a
// container port `containerport`, which netpol-analyzer reads leniently (ManifestOptions::
// lenient_ports drops the entry).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/connectivity_command.h"
#include "conformance_util.h"
#include "core/cluster_builder.h"
#include "core/connectivity.h"
#include "core/exposure.h"
#include "io/manifest_decoder.h"

namespace netpolgen {
namespace {

namespace fs = std::filesystem;

const fs::path kRoot = fs::path(NETPOLGEN_SHARED_DIR) / "conformance" / "netpol-analyzer";

// Cases whose expected output we knowingly do not reproduce, with the reason. Only for expected
// files we believe to be wrong; empty: every case passes.
const std::map<std::string, std::string> kExpectedDeviations = {};

std::vector<std::string> caseNames() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(kRoot, ec)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_directory() && name != "_diff" &&
            fs::is_directory(entry.path() / "expected") &&
            fs::is_directory(entry.path() / "manifests")) {
            out.push_back(name);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct LoadedCase {
    core::Cluster cluster;
    std::vector<const core::NetworkPolicy*> policies;
};

core::Result<LoadedCase> loadCase(const std::string& name) {
    io::ManifestOptions options;
    options.lenient_ports = true;
    core::ClusterObjects objects;
    io::ManifestStats stats;
    if (core::Status st =
            io::loadManifests((kRoot / name / "manifests").string(), options, objects, stats);
        !st) {
        return core::Error{st.error()};
    }
    // netpol-analyzer's workload model: a pod whose controller is no workload kind (static pods
    // owned by their Node, as in minikube_resources) is a workload of its own. Our cluster builder
    // groups all pods of such an owner into one workload (reported as a cluster_builder issue);
    // normalised here so that the comparison is about policy evaluation.
    for (auto& pod : objects.pods) {
        const bool foreign_owner =
            std::any_of(pod.owners.begin(), pod.owners.end(), [](const core::OwnerRef& o) {
                return o.controller && !core::parseWorkloadKind(o.kind);
            });
        if (foreign_owner) {
            pod.owners.clear();
        }
    }
    LoadedCase out;
    std::vector<std::string> warnings;
    out.cluster = core::buildCluster(std::move(objects), warnings);
    for (const auto& p : out.cluster.policies) {
        out.policies.push_back(&p.policy);
    }
    return out;
}

std::string render(const LoadedCase& c,
                   const core::ConnectivityMap& map,
                   const std::string& format,
                   const std::vector<core::WorkloadExposure>* exposure) {
    cli::ConnectivityRenderOptions options;
    options.format = format;
    options.exposure = exposure;
    auto text = cli::renderConnectivity(c.cluster, map, options);
    EXPECT_TRUE(text.ok()) << (text.ok() ? "" : text.error());
    return text.ok() ? *text : std::string();
}

std::string withoutFinalNewlines(std::string text) {
    while (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    return text;
}

class NetpolAnalyzerConformance : public testing::TestWithParam<std::string> {};

TEST_P(NetpolAnalyzerConformance, MatchesExpectedOutputs) {
    const std::string name = GetParam();
    if (auto it = kExpectedDeviations.find(name); it != kExpectedDeviations.end()) {
        GTEST_SKIP() << "expected deviation: " << it->second;
    }
    auto loaded = loadCase(name);
    ASSERT_TRUE(loaded.ok()) << loaded.error();
    core::ConnectivityOptions options;
    options.ipblock_matches_pods = false;
    options.host_network_exempt = false;  // netpol-analyzer treats hostNetwork pods as pods
    const core::ConnectivityMap map(loaded->cluster, loaded->policies, options);
    const auto exposure = core::computeExposure(loaded->cluster, loaded->policies);

    const fs::path expected_dir = kRoot / name / "expected";
    int compared = 0;
    for (const char* kind : {"connlist", "exposure"}) {
        const bool with_exposure = std::string(kind) == "exposure";
        const auto* exposure_ptr = with_exposure ? &exposure : nullptr;
        for (const char* format : {"txt", "json"}) {
            const fs::path file = expected_dir / (name + "_" + kind + "_output." + format);
            if (!fs::exists(file)) {
                continue;
            }
            SCOPED_TRACE(file.filename().string());
            ++compared;
            const std::string want_text = readFile(file);
            const std::string got_text = render(*loaded, map, format, exposure_ptr);
            const bool txt = std::string(format) == "txt";
            auto want = txt ? conformance::parseConnlistTxt(want_text)
                            : conformance::parseConnlistJson(want_text);
            auto got = txt ? conformance::parseConnlistTxt(got_text)
                           : conformance::parseConnlistJson(got_text);
            ASSERT_TRUE(want.ok()) << "expected file: " << want.error();
            ASSERT_TRUE(got.ok()) << "our output: " << got.error() << "\n" << got_text;
            const auto diffs = conformance::compareConnlists(*want, *got);
            EXPECT_TRUE(diffs.empty()) << diffs.size() << " differences:\n"
                                       << conformance::join(diffs);
            if (diffs.empty()) {
                // Same facts: then the text is netpol-analyzer's byte for byte (order, atoms,
                // exposure section, JSON layout), up to a final newline.
                EXPECT_EQ(withoutFinalNewlines(got_text), withoutFinalNewlines(want_text));
            }
            if (txt && with_exposure) {
                // The exposure section too (not part of the evaluation conformance, but our
                // renderer claims netpol-analyzer's format).
                const auto want_exposure = conformance::parseExposureTxt(want_text);
                const auto got_exposure = conformance::parseExposureTxt(got_text);
                std::vector<std::string> missing;
                std::vector<std::string> extra;
                std::set_difference(want_exposure.begin(),
                                    want_exposure.end(),
                                    got_exposure.begin(),
                                    got_exposure.end(),
                                    std::back_inserter(missing));
                std::set_difference(got_exposure.begin(),
                                    got_exposure.end(),
                                    want_exposure.begin(),
                                    want_exposure.end(),
                                    std::back_inserter(extra));
                EXPECT_TRUE(missing.empty() && extra.empty())
                    << "exposure section differs\nmissing:\n"
                    << conformance::join(missing) << "unexpected:\n"
                    << conformance::join(extra) << "ours:\n"
                    << got_text;
            }
        }
    }
    EXPECT_GT(compared, 0) << "no connlist/exposure expected output in " << expected_dir;
}

std::string testName(const testing::TestParamInfo<std::string>& info) {
    std::string out = info.param;
    for (char& ch : out) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) {
            ch = '_';
        }
    }
    return out;
}

INSTANTIATE_TEST_SUITE_P(Cases,
                         NetpolAnalyzerConformance,
                         testing::ValuesIn(caseNames()),
                         testName);

// The data must be there: a missing folder would otherwise make the suite pass vacuously.
TEST(NetpolAnalyzerConformanceData, AllCasesPresent) {
    const auto names = caseNames();
    EXPECT_GE(names.size(), 60u) << "conformance data missing under " << kRoot;
    size_t with_expected = 0;
    for (const auto& name : names) {
        for (const char* file : {"_connlist_output.txt",
                                 "_connlist_output.json",
                                 "_exposure_output.txt",
                                 "_exposure_output.json"}) {
            if (fs::exists(kRoot / name / "expected" / (name + file))) {
                ++with_expected;
                break;
            }
        }
    }
    // CASES.md: 63 case folders have an expected connlist or exposure output.
    EXPECT_GE(with_expected, 60u);
}

// The two cases that need lenient ports fail to load strictly, as the API server would refuse them.
TEST(NetpolAnalyzerConformanceData, ContainerportTypoNeedsLenientPorts) {
    core::ClusterObjects objects;
    io::ManifestStats stats;
    const core::Status st = io::loadManifests(
        (kRoot / "netpol_named_port_test" / "manifests").string(), {}, objects, stats);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().find("containerPort: Required value"), std::string::npos) << st.error();

    io::ManifestOptions lenient;
    lenient.lenient_ports = true;
    core::ClusterObjects lenient_objects;
    io::ManifestStats lenient_stats;
    ASSERT_TRUE(io::loadManifests((kRoot / "netpol_named_port_test" / "manifests").string(),
                                  lenient,
                                  lenient_objects,
                                  lenient_stats)
                    .ok());
    ASSERT_EQ(lenient_stats.warnings.size(), 1u);
    EXPECT_NE(lenient_stats.warnings[0].find("(container port dropped)"), std::string::npos);
}

}  // namespace
}  // namespace netpolgen
