// `diff` conformance with netpol-analyzer: every pair in
// ../shared/conformance/netpol-analyzer/_diff/. `diff_between_<B>_and_<A>.txt` is the expected
// output of `diff --dir1 <A>/manifests --dir2 <B>/manifests` (case folders are siblings of _diff).
// Computed with ipblock_matches_pods = false (netpol-analyzer never matches pods by ipBlock) and
// compared semantically with the helpers of conformance_util.h: lines as sets, connections parsed
// into sets, External ranges cut (per workload and direction) at the union of both outputs'
// boundaries. The txt rendering must also keep the header and the changed / added / removed
// grouping, and is finally expected to be byte-identical.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "cli/diff_command.h"
#include "conformance_util.h"
#include "core/cluster_builder.h"
#include "core/connectivity.h"
#include "core/connectivity_diff.h"
#include "io/manifest_decoder.h"

namespace netpolgen {
namespace {

namespace fs = std::filesystem;

const fs::path kConformanceDir = fs::path(NETPOLGEN_SHARED_DIR) / "conformance/netpol-analyzer";
const fs::path kDiffDir = kConformanceDir / "_diff";

// Pairs whose expected file we believe to be wrong, with the reason. None so far.
const std::map<std::string, std::string> kExpectedDeviations{};

std::vector<std::string> diffFiles() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(kDiffDir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.starts_with("diff_between_") && name.ends_with(".txt")) {
            out.push_back(name);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

// "diff_between_<B>_and_<A>.txt" → (A, B), choosing the "_and_" split whose two names are case
// folders (a case name may itself contain "_and_").
std::optional<std::pair<std::string, std::string>> casesOf(const std::string& file) {
    const std::string stem =
        file.substr(std::string("diff_between_").size(),
                    file.size() - std::string("diff_between_").size() - std::string(".txt").size());
    constexpr std::string_view kAnd = "_and_";
    for (size_t pos = stem.find(kAnd); pos != std::string::npos; pos = stem.find(kAnd, pos + 1)) {
        const std::string b = stem.substr(0, pos);
        const std::string a = stem.substr(pos + kAnd.size());
        if (fs::is_directory(kConformanceDir / a / "manifests") &&
            fs::is_directory(kConformanceDir / b / "manifests")) {
            return std::pair{a, b};
        }
    }
    return std::nullopt;
}

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

core::Result<core::Cluster> loadCase(const std::string& name) {
    io::ManifestOptions options;
    // netpol_named_port_test* spell `containerport`; netpol-analyzer reads such ports leniently.
    options.lenient_ports = true;
    core::ClusterObjects objects;
    io::ManifestStats stats;
    const std::string path = (kConformanceDir / name / "manifests").string();
    if (core::Status st = io::loadManifests(path, options, objects, stats); !st) {
        return core::Error{st.error()};
    }
    std::vector<std::string> warnings;
    return core::buildCluster(std::move(objects), warnings);
}

std::vector<const core::NetworkPolicy*> policiesOf(const core::Cluster& cluster) {
    std::vector<const core::NetworkPolicy*> out;
    for (const auto& p : cluster.policies) {
        out.push_back(&p.policy);
    }
    return out;
}

// The txt output of `diff --dir1 <a> --dir2 <b>` in netpol-analyzer's conventions.
core::Result<std::string> diffText(const std::string& a, const std::string& b) {
    auto c1 = loadCase(a);
    if (!c1) {
        return core::Error{a + ": " + c1.error()};
    }
    auto c2 = loadCase(b);
    if (!c2) {
        return core::Error{b + ": " + c2.error()};
    }
    core::ConnectivityOptions options;
    options.ipblock_matches_pods = false;
    options.host_network_exempt = false;  // netpol-analyzer treats hostNetwork pods as pods
    const auto conns1 = core::computeConnectivity(*c1, policiesOf(*c1), options);
    const auto conns2 = core::computeConnectivity(*c2, policiesOf(*c2), options);
    const auto entries = core::computeConnectivityDiff(*c1, conns1, *c2, conns2, {});
    return cli::formatConnectivityDiff(entries, "txt");
}

// The diff-type of every line, in order, with runs collapsed: must be a subsequence of
// changed, added, removed.
bool groupedByType(const std::vector<conformance::DiffLine>& lines) {
    const std::vector<std::string> order{"changed", "added", "removed"};
    size_t at = 0;
    for (const auto& l : lines) {
        while (at < order.size() && order[at] != l.type) {
            ++at;
        }
        if (at == order.size()) {
            return false;
        }
    }
    return true;
}

// Every line as one string "type | src | dst | ref1 | ref2 | info", External ranges cut at `cuts`
// of their (workload, direction) so that both outputs use the same pieces.
using CutMap = std::map<std::pair<std::string, bool>, std::vector<uint64_t>>;

CutMap diffCuts(const std::vector<conformance::DiffLine>& a,
                const std::vector<conformance::DiffLine>& b) {
    std::map<std::pair<std::string, bool>, std::vector<conformance::Peer>> ranges;
    for (const auto* lines : {&a, &b}) {
        for (const auto& l : *lines) {
            if (l.src.external != l.dst.external) {
                const auto& workload = l.src.external ? l.dst : l.src;
                ranges[{workload.key(), l.src.external}].push_back(l.src.external ? l.src : l.dst);
            }
        }
    }
    CutMap out;
    for (const auto& [key, peers] : ranges) {
        out[key] = conformance::cutPoints(peers);
    }
    return out;
}

std::set<std::string> facts(const std::vector<conformance::DiffLine>& lines, const CutMap& cuts) {
    std::set<std::string> out;
    for (const auto& l : lines) {
        const std::string rest =
            " | " + l.ref1.toString() + " | " + l.ref2.toString() + " | " + l.info;
        std::vector<uint64_t> none;
        const std::vector<uint64_t>* c = &none;
        if (l.src.external != l.dst.external) {
            const auto& workload = l.src.external ? l.dst : l.src;
            c = &cuts.at({workload.key(), l.src.external});
        }
        for (const auto& s : conformance::splitRange(l.src, *c)) {
            for (const auto& d : conformance::splitRange(l.dst, *c)) {
                out.insert(l.type + " | " + s.key() + " | " + d.key() + rest);
            }
        }
    }
    return out;
}

std::string listed(const std::vector<std::string>& lines) {
    std::string out;
    size_t n = 0;
    for (const auto& l : lines) {
        if (++n > 15) {
            out += "    ... (" + std::to_string(lines.size() - 15) + " more)\n";
            break;
        }
        out += "    " + l + "\n";
    }
    return out;
}

class DiffConformance : public testing::TestWithParam<std::string> {};

TEST_P(DiffConformance, MatchesNetpolAnalyzer) {
    const std::string file = GetParam();
    auto cases = casesOf(file);
    ASSERT_TRUE(cases) << "cannot find both case folders of " << file;
    const auto& [a, b] = *cases;
    const std::string expected = readFile(kDiffDir / file);
    auto actual = diffText(a, b);
    ASSERT_TRUE(actual) << actual.error();

    const auto want = conformance::parseDiffTxt(expected);
    ASSERT_TRUE(want) << "expected file: " << want.error();
    const auto got = conformance::parseDiffTxt(*actual);
    ASSERT_TRUE(got) << "our output: " << got.error();
    const CutMap cuts = diffCuts(*want, *got);
    const std::set<std::string> want_facts = facts(*want, cuts);
    const std::set<std::string> got_facts = facts(*got, cuts);

    std::vector<std::string> missing;
    std::vector<std::string> unexpected;
    std::set_difference(want_facts.begin(),
                        want_facts.end(),
                        got_facts.begin(),
                        got_facts.end(),
                        std::back_inserter(missing));
    std::set_difference(got_facts.begin(),
                        got_facts.end(),
                        want_facts.begin(),
                        want_facts.end(),
                        std::back_inserter(unexpected));
    const bool same = missing.empty() && unexpected.empty() &&
                      expected.empty() == actual->empty() && groupedByType(*got);
    if (auto it = kExpectedDeviations.find(file); it != kExpectedDeviations.end()) {
        EXPECT_FALSE(same) << file << " now matches: remove it from kExpectedDeviations";
        GTEST_SKIP() << "expected deviation: " << it->second;
    }
    EXPECT_TRUE(missing.empty()) << "--dir1 " << a << " --dir2 " << b << "\nmissing ("
                                 << missing.size() << "):\n"
                                 << listed(missing);
    EXPECT_TRUE(unexpected.empty())
        << "--dir1 " << a << " --dir2 " << b << "\nunexpected (" << unexpected.size() << "):\n"
        << listed(unexpected);
    EXPECT_EQ(expected.empty(), actual->empty()) << "an empty diff prints nothing";
    EXPECT_TRUE(groupedByType(*got)) << "lines must be grouped: changed, added, removed";
    if (!expected.empty()) {
        EXPECT_TRUE(actual->starts_with("Connectivity diff:\n"));
    }
    // Both outputs merge External ranges maximally, so beyond the semantic match the text is
    // expected to be the very same, order included.
    if (missing.empty() && unexpected.empty()) {
        EXPECT_EQ(*actual, expected) << "semantically equal, but not byte-identical";
    }
}

std::string testName(const testing::TestParamInfo<std::string>& info) {
    std::string name = info.param.substr(std::string("diff_between_").size());
    name.resize(name.size() - std::string(".txt").size());
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) {
            c = '_';
        }
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(NetpolAnalyzer, DiffConformance, testing::ValuesIn(diffFiles()), testName);

TEST(DiffConformanceComparer, RangeCutsDoNotMatterButConnectionsDo) {
    const std::string whole =
        "Connectivity diff:\n"
        "diff-type: removed, source: 0.0.0.0-255.255.255.255[External], destination: "
        "ns/a[Pod], ref1: All Connections, ref2: No Connections\n";
    const std::string cut =
        "diff-type: removed, source: 0.0.0.0-9.255.255.255[External], destination: ns/a[Pod], "
        "ref1: SCTP 1-65535,TCP 1-65535,UDP 1-65535, ref2: No Connections\n"
        "diff-type: removed, source: 10.0.0.0-255.255.255.255, destination: ns/a[Pod], ref1: All "
        "Connections, ref2: No Connections\n";
    const std::string other =
        "diff-type: removed, source: 0.0.0.0-255.255.255.255[External], destination: ns/a[Pod], "
        "ref1: TCP 80, ref2: No Connections\n";
    auto w = conformance::parseDiffTxt(whole);
    auto c = conformance::parseDiffTxt(cut);
    auto o = conformance::parseDiffTxt(other);
    ASSERT_TRUE(w && c && o);
    const CutMap cuts_wc = diffCuts(*w, *c);
    EXPECT_EQ(facts(*w, cuts_wc), facts(*c, cuts_wc));
    const CutMap cuts_wo = diffCuts(*w, *o);
    EXPECT_NE(facts(*w, cuts_wo), facts(*o, cuts_wo));
}

TEST(DiffConformanceData, AllPairsPresent) {
    // README.md of the conformance data: 22 pairs, both sides present.
    const auto files = diffFiles();
    EXPECT_EQ(files.size(), 22u);
    for (const auto& f : files) {
        EXPECT_TRUE(casesOf(f)) << f;
    }
}

}  // namespace
}  // namespace netpolgen
