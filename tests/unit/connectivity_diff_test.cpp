#include "core/connectivity_diff.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/diff_command.h"

namespace netpolgen::core {
namespace {

// A cluster of Deployments named "ns/name".
Cluster cluster(const std::vector<std::string>& names) {
    Cluster c;
    for (const auto& full : names) {
        Workload w;
        w.kind = WorkloadKind::kDeployment;
        w.ns = full.substr(0, full.find('/'));
        w.name = full.substr(full.find('/') + 1);
        c.workloads.push_back(w);
    }
    return c;
}

constexpr uint32_t ip(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    return (a << 24) | (b << 16) | (c << 8) | d;
}

ConnectivityPeer wl(size_t index) {
    ConnectivityPeer p;
    p.kind = ConnectivityPeer::Kind::kWorkload;
    p.workload = index;
    return p;
}

ConnectivityPeer ext(uint32_t first, uint32_t last) {
    ConnectivityPeer p;
    p.kind = ConnectivityPeer::Kind::kExternal;
    p.first_ip = first;
    p.last_ip = last;
    return p;
}

ConnectionSet tcp(uint32_t port) {
    ConnectionSet s;
    s.add(Protocol::kTcp, port, port);
    return s;
}

AllowedConnection conn(ConnectivityPeer src, ConnectivityPeer dst, ConnectionSet conns) {
    return {src, dst, std::move(conns)};
}

std::vector<ConnectivityDiffEntry> diff(const Cluster& c1,
                                        const std::vector<AllowedConnection>& conns1,
                                        const Cluster& c2,
                                        const std::vector<AllowedConnection>& conns2,
                                        bool include_unchanged = false) {
    ConnectivityDiffOptions options;
    options.include_unchanged = include_unchanged;
    return computeConnectivityDiff(c1, conns1, c2, conns2, options);
}

// "type src dst ref1 ref2 [info]" per entry.
std::vector<std::string> lines(const std::vector<ConnectivityDiffEntry>& entries) {
    std::vector<std::string> out;
    for (const auto& e : entries) {
        std::string line = std::string(diffTypeName(e.type)) + " " + e.src.name + " " + e.dst.name +
                           " " + e.ref1.toString() + " / " + e.ref2.toString();
        if (const std::string info = workloadsDiffInfo(e); !info.empty()) {
            line += " [" + info + "]";
        }
        out.push_back(line);
    }
    return out;
}

const std::string kA = "shop/a[Deployment]";
const std::string kB = "shop/b[Deployment]";
const std::string kC = "shop/c[Deployment]";
const std::string kAll = "0.0.0.0-255.255.255.255[External]";

TEST(ConnectivityDiff, IdenticalConnectivityHasNoEntries) {
    const Cluster c = cluster({"shop/a", "shop/b"});
    const std::vector<AllowedConnection> conns{conn(wl(0), wl(1), tcp(80)),
                                               conn(ext(0, 0xffffffff), wl(1), tcp(80))};
    EXPECT_TRUE(diff(c, conns, c, conns).empty());
}

TEST(ConnectivityDiff, ChangedAddedAndRemovedBetweenPersistentWorkloads) {
    const Cluster c = cluster({"shop/a", "shop/b", "shop/c"});
    const auto entries = diff(c,
                              {conn(wl(0), wl(1), tcp(80)), conn(wl(2), wl(0), tcp(5432))},
                              c,
                              {conn(wl(0), wl(1), tcp(443)), conn(wl(1), wl(2), tcp(8080))});
    EXPECT_EQ(lines(entries),
              (std::vector<std::string>{
                  "changed " + kA + " " + kB + " TCP 80 / TCP 443",
                  "added " + kB + " " + kC + " No Connections / TCP 8080",
                  "removed " + kC + " " + kA + " TCP 5432 / No Connections",
              }));
    EXPECT_FALSE(entries[1].src.new_or_removed);
    EXPECT_FALSE(entries[1].dst.new_or_removed);
}

TEST(ConnectivityDiff, WorkloadsOnOneSideAreNewOrLost) {
    // Indices differ between the sides: workloads are matched by name.
    const Cluster c1 = cluster({"shop/a", "shop/b"});
    const Cluster c2 = cluster({"shop/c", "shop/a"});
    const auto entries =
        diff(c1,
             {conn(wl(0), wl(1), tcp(80)), conn(wl(1), ext(0, 0xffffffff), tcp(53))},
             c2,
             {conn(wl(1), wl(0), tcp(80)), conn(wl(0), wl(1), tcp(80))});
    EXPECT_EQ(
        lines(entries),
        (std::vector<std::string>{
            "added " + kA + " " + kC + " No Connections / TCP 80 [workload " + kC + " added]",
            "added " + kC + " " + kA + " No Connections / TCP 80 [workload " + kC + " added]",
            "removed " + kA + " " + kB + " TCP 80 / No Connections [workload " + kB + " removed]",
            "removed " + kB + " " + kAll + " TCP 53 / No Connections [workload " + kB + " removed]",
        }));
    EXPECT_FALSE(entries[0].src.new_or_removed);
    EXPECT_TRUE(entries[0].dst.new_or_removed);
    EXPECT_EQ(entries[0].dst.ns, "shop");
}

TEST(ConnectivityDiff, BothWorkloadsNewAreNamedTogether) {
    const Cluster c1 = cluster({});
    const Cluster c2 = cluster({"shop/a", "shop/b"});
    const auto entries = diff(c1, {}, c2, {conn(wl(0), wl(1), ConnectionSet::all())});
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(workloadsDiffInfo(entries[0]), "workload " + kA + " and " + kB + " added");
}

TEST(ConnectivityDiff, ExternalRangesAreComparedOnTheCommonRefinementAndMerged) {
    const Cluster c = cluster({"shop/a"});
    // ref1 cuts the space into three atoms, ref2 leaves it whole: one changed line.
    const auto entries =
        diff(c,
             {conn(ext(0, ip(9, 255, 255, 255)), wl(0), ConnectionSet::all()),
              conn(ext(ip(10, 0, 0, 0), ip(10, 255, 255, 255)), wl(0), ConnectionSet::all()),
              conn(ext(ip(11, 0, 0, 0), 0xffffffff), wl(0), ConnectionSet::all())},
             c,
             {conn(ext(0, 0xffffffff), wl(0), tcp(80))});
    EXPECT_EQ(
        lines(entries),
        (std::vector<std::string>{"changed " + kAll + " " + kA + " All Connections / TCP 80"}));
    EXPECT_EQ(entries[0].src.first_ip, 0u);
    EXPECT_EQ(entries[0].src.last_ip, 0xffffffffu);
}

TEST(ConnectivityDiff, ExternalRangesSplitWhereTheDifferenceChanges) {
    const Cluster c = cluster({"shop/a"});
    // ref1: everything; ref2: only 10.0.0.0/8, with TCP 80 → removed around it, changed inside.
    const auto entries = diff(c,
                              {conn(wl(0), ext(0, 0xffffffff), ConnectionSet::all())},
                              c,
                              {conn(wl(0), ext(ip(10, 0, 0, 0), ip(10, 255, 255, 255)), tcp(80))});
    EXPECT_EQ(
        lines(entries),
        (std::vector<std::string>{
            "changed " + kA + " 10.0.0.0-10.255.255.255[External] All Connections / TCP 80",
            "removed " + kA + " 0.0.0.0-9.255.255.255[External] All Connections / No Connections",
            "removed " + kA +
                " 11.0.0.0-255.255.255.255[External] All Connections / No Connections",
        }));
}

TEST(ConnectivityDiff, RangesOfOneWorkloadAndDirectionOnly) {
    const Cluster c = cluster({"shop/a", "shop/b"});
    // Same range and connections, but to a, from a and to b: three separate lines, not merged.
    const auto entries = diff(c,
                              {},
                              c,
                              {conn(ext(0, 0xffffffff), wl(0), tcp(80)),
                               conn(wl(0), ext(0, 0xffffffff), tcp(80)),
                               conn(ext(0, 0xffffffff), wl(1), tcp(80))});
    EXPECT_EQ(lines(entries),
              (std::vector<std::string>{
                  "added " + kAll + " " + kA + " No Connections / TCP 80",
                  "added " + kAll + " " + kB + " No Connections / TCP 80",
                  "added " + kA + " " + kAll + " No Connections / TCP 80",
              }));
}

TEST(ConnectivityDiff, UnchangedEntriesOnlyOnRequest) {
    const Cluster c = cluster({"shop/a", "shop/b"});
    const std::vector<AllowedConnection> conns1{conn(wl(0), wl(1), tcp(80)),
                                                conn(wl(1), wl(0), tcp(81))};
    const std::vector<AllowedConnection> conns2{conn(wl(0), wl(1), tcp(80))};
    EXPECT_EQ(diff(c, conns1, c, conns2).size(), 1u);
    const auto all = diff(c, conns1, c, conns2, true);
    EXPECT_EQ(lines(all),
              (std::vector<std::string>{
                  "removed " + kB + " " + kA + " TCP 81 / No Connections",
                  "unchanged " + kA + " " + kB + " TCP 80 / TCP 80",
              }));
}

TEST(ConnectivityDiff, SortedByTypeThenSourceThenDestination) {
    const Cluster c = cluster({"shop/a", "shop/b", "shop/c"});
    const auto entries =
        diff(c,
             {conn(wl(2), wl(0), tcp(1)), conn(wl(0), wl(2), tcp(1))},
             c,
             {conn(wl(1), wl(0), tcp(1)), conn(wl(0), wl(1), tcp(1)), conn(wl(2), wl(0), tcp(2))});
    EXPECT_EQ(lines(entries),
              (std::vector<std::string>{
                  "changed " + kC + " " + kA + " TCP 1 / TCP 2",
                  "added " + kA + " " + kB + " No Connections / TCP 1",
                  "added " + kB + " " + kA + " No Connections / TCP 1",
                  "removed " + kA + " " + kC + " TCP 1 / No Connections",
              }));
}

// --- rendering ---------------------------------------------------------------------------------

std::vector<ConnectivityDiffEntry> sampleEntries() {
    const Cluster c1 = cluster({"shop/a", "shop/b"});
    const Cluster c2 = cluster({"shop/a", "shop/c"});
    ConnectionSet two = tcp(80);
    two.add(Protocol::kUdp, 53, 53);
    return diff(c1,
                {conn(wl(0), wl(1), tcp(80)), conn(ext(0, 0xffffffff), wl(0), tcp(80))},
                c2,
                {conn(wl(0), wl(1), tcp(80)), conn(ext(0, 0xffffffff), wl(0), two)},
                true);
}

std::string format(const std::vector<ConnectivityDiffEntry>& entries, std::string_view f) {
    auto text = cli::formatConnectivityDiff(entries, f);
    EXPECT_TRUE(text) << text.error();
    return text ? *text : std::string();
}

TEST(ConnectivityDiffFormat, TextAsNetpolAnalyzer) {
    EXPECT_EQ(format(sampleEntries(), "txt"),
              "Connectivity diff:\n"
              "diff-type: changed, source: 0.0.0.0-255.255.255.255[External], destination: "
              "shop/a[Deployment], ref1: TCP 80, ref2: TCP 80,UDP 53\n"
              "diff-type: added, source: shop/a[Deployment], destination: shop/c[Deployment], "
              "ref1: No Connections, ref2: TCP 80, workloads-diff-info: workload "
              "shop/c[Deployment] added\n"
              "diff-type: removed, source: shop/a[Deployment], destination: shop/b[Deployment], "
              "ref1: TCP 80, ref2: No Connections, workloads-diff-info: workload "
              "shop/b[Deployment] removed\n");
}

TEST(ConnectivityDiffFormat, CsvQuotesFieldsWithCommas) {
    EXPECT_EQ(format(sampleEntries(), "csv"),
              "diff-type,source,destination,ref1,ref2,workloads-diff-info\n"
              "changed,0.0.0.0-255.255.255.255[External],shop/a[Deployment],TCP 80,\"TCP "
              "80,UDP 53\",\n"
              "added,shop/a[Deployment],shop/c[Deployment],No Connections,TCP 80,workload "
              "shop/c[Deployment] added\n"
              "removed,shop/a[Deployment],shop/b[Deployment],TCP 80,No Connections,workload "
              "shop/b[Deployment] removed\n");
}

TEST(ConnectivityDiffFormat, MarkdownTable) {
    const std::string md = format(sampleEntries(), "md");
    EXPECT_TRUE(md.starts_with(
        "| diff-type | source | destination | ref1 | ref2 | workloads-diff-info |\n"
        "|-----------|--------|-------------|------|------|---------------------|\n"
        "| changed | 0.0.0.0-255.255.255.255[External] | shop/a[Deployment] | TCP 80 | TCP "
        "80,UDP 53 |  |\n"))
        << md;
    EXPECT_NE(md.find("| removed | shop/a[Deployment] | shop/b[Deployment] | TCP 80 | No "
                      "Connections | workload shop/b[Deployment] removed |\n"),
              std::string::npos)
        << md;
}

TEST(ConnectivityDiffFormat, DotColoursEdgesAndPeersByDiffType) {
    const std::string dot = format(sampleEntries(), "dot");
    EXPECT_TRUE(dot.starts_with("digraph {\n\tsubgraph \"cluster_shop\" {\n")) << dot;
    EXPECT_TRUE(dot.ends_with("\t}\n}\n")) << dot;
    // nodes: new green, lost red, persistent blue; external ranges outside the namespace clusters
    EXPECT_NE(dot.find("\t\t\"shop/c[Deployment]\" [label=\"c[Deployment]\" color=\"#008000\""),
              std::string::npos);
    EXPECT_NE(dot.find("\t\t\"shop/b[Deployment]\" [label=\"b[Deployment]\" color=\"red\""),
              std::string::npos);
    EXPECT_NE(dot.find("\t\t\"shop/a[Deployment]\" [label=\"a[Deployment]\" color=\"blue\""),
              std::string::npos);
    EXPECT_NE(dot.find("\t\"0.0.0.0-255.255.255.255[External]\" [label="), std::string::npos);
    // edges: changed magenta with the old value, added green, removed red2
    EXPECT_NE(dot.find("\t\"0.0.0.0-255.255.255.255[External]\" -> \"shop/a[Deployment]\" "
                       "[label=\"TCP 80,UDP 53 (ref1: TCP 80)\" color=\"magenta\""),
              std::string::npos)
        << dot;
    EXPECT_NE(dot.find("\t\"shop/a[Deployment]\" -> \"shop/c[Deployment]\" [label=\"TCP 80\" "
                       "color=\"#008000\""),
              std::string::npos);
    EXPECT_NE(dot.find("\t\"shop/a[Deployment]\" -> \"shop/b[Deployment]\" [label=\"TCP 80\" "
                       "color=\"red2\""),
              std::string::npos);
    EXPECT_NE(dot.find("subgraph cluster_legend"), std::string::npos);
}

TEST(ConnectivityDiffFormat, DotDrawsUnchangedEdgesGrey) {
    const Cluster c = cluster({"shop/a", "shop/b"});
    const auto entries = diff(c,
                              {conn(wl(0), wl(1), tcp(80))},
                              c,
                              {conn(wl(0), wl(1), tcp(80)), conn(wl(1), wl(0), tcp(80))},
                              true);
    const std::string dot = format(entries, "dot");
    EXPECT_NE(dot.find("\t\"shop/a[Deployment]\" -> \"shop/b[Deployment]\" [label=\"TCP 80\" "
                       "color=\"grey\""),
              std::string::npos)
        << dot;
}

TEST(ConnectivityDiffFormat, NoDifferencePrintsNothingInEveryFormat) {
    const Cluster c = cluster({"shop/a", "shop/b"});
    const std::vector<AllowedConnection> conns{conn(wl(0), wl(1), tcp(80))};
    const auto unchanged_only = diff(c, conns, c, conns, true);
    ASSERT_EQ(unchanged_only.size(), 1u);
    for (std::string_view f : {"txt", "csv", "md", "dot"}) {
        EXPECT_EQ(format(unchanged_only, f), "") << f;
    }
}

TEST(ConnectivityDiffFormat, UnknownFormatIsAnError) {
    auto text = cli::formatConnectivityDiff({}, "json");
    ASSERT_FALSE(text);
    EXPECT_NE(text.error().find("json"), std::string::npos);
}

}  // namespace
}  // namespace netpolgen::core
