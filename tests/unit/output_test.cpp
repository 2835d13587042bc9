// Output: the YAML the generator prints reads back as the same policies (parse(emit(x)) == x),
// JSON has the documented shape, and files are written all or nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/output_file.h"
#include "core/cluster_builder.h"
#include "io/manifest_decoder.h"
#include "io/policy_encoder.h"

namespace netpolgen {
namespace {

core::Modification sampleModification() {
    core::Modification m;
    core::NetworkPolicy p;
    p.ns = "shop";
    p.name = "stackrox-generated-web";
    p.labels = {{"network-policy-generator.stackrox.io/generated", "true"}};
    p.pod_selector = core::LabelSelector{{{"app", "web"}},
                                         {{"tier", core::SelectorOperator::kNotIn, {"db", "80"}}}};
    p.policy_types = {core::PolicyType::kIngress};
    core::PolicyRule from_peers;
    from_peers.peers.push_back(
        {core::selectorFromLabels({{"app", "api"}}), std::nullopt, std::nullopt});
    from_peers.peers.push_back({core::selectorFromLabels({{"app", "yes"}}),
                                core::LabelSelector{{{"kubernetes.io/metadata.name", "null"}}, {}},
                                std::nullopt});
    from_peers.ports.push_back({core::Protocol::kTcp, true, core::PortValue{8080, {}}, {}});
    from_peers.ports.push_back({core::Protocol::kSctp, true, core::PortValue{0, "metrics"}, {}});
    p.ingress.push_back(from_peers);
    p.ingress.push_back({});  // allow all
    core::PolicyRule udp_only;
    udp_only.ports.push_back({core::Protocol::kUdp, true, std::nullopt, {}});
    p.ingress.push_back(udp_only);
    m.apply.push_back(p);
    core::NetworkPolicy deny = p;
    deny.name = "stackrox-generated-db";
    deny.ingress.clear();
    m.apply.push_back(deny);
    m.to_delete.push_back({"shop", "old"});
    return m;
}

TEST(Output, YamlReadsBackAsTheSamePolicies) {
    const core::Modification m = sampleModification();
    const std::string yaml = io::modificationToYaml(m);
    core::ClusterObjects objects;
    io::ManifestStats stats;
    core::Status st = io::decodeManifests(yaml, "generated.yaml", {}, objects, stats);
    ASSERT_TRUE(st.ok()) << st.error() << "\n" << yaml;
    ASSERT_EQ(objects.policies.size(), m.apply.size());
    for (size_t i = 0; i < m.apply.size(); ++i) {
        EXPECT_EQ(objects.policies[i].policy, m.apply[i]) << yaml;
    }
    EXPECT_EQ(yaml.rfind("# kubectl -n shop delete networkpolicy old\n---\n", 0), 0u) << yaml;
}

TEST(Output, YamlQuotesValuesThatWouldChangeType) {
    const std::string yaml = io::modificationToYaml(sampleModification());
    EXPECT_NE(yaml.find("network-policy-generator.stackrox.io/generated: \"true\""),
              std::string::npos);
    EXPECT_NE(yaml.find("app: \"yes\""), std::string::npos);
    EXPECT_NE(yaml.find("kubernetes.io/metadata.name: \"null\""), std::string::npos);
    EXPECT_NE(yaml.find("- \"80\""), std::string::npos);
    EXPECT_EQ(yaml.find("creationTimestamp"), std::string::npos);
}

TEST(Output, JsonHasApplyToDeleteAndNamespaceLabels) {
    core::Modification m = sampleModification();
    m.namespace_labels.push_back({"front", "name", "front"});
    auto json = nlohmann::json::parse(io::modificationToJson(m));
    ASSERT_EQ(json["apply"].size(), 2u);
    EXPECT_EQ(json["apply"][0]["kind"], "NetworkPolicy");
    EXPECT_EQ(json["apply"][0]["spec"]["ingress"][1], nlohmann::json::object());
    EXPECT_FALSE(json["apply"][1]["spec"].contains("ingress"));
    EXPECT_EQ(json["toDelete"][0], (nlohmann::json{{"namespace", "shop"}, {"name", "old"}}));
    EXPECT_EQ(json["namespaceLabels"][0]["labels"]["name"], "front");
}

TEST(Output, EmptyModificationSaysSo) {
    EXPECT_EQ(io::modificationToYaml({}), "# No policies need to be created or deleted.\n");
}

TEST(Output, FileIsReplacedAtomicallyAndFailuresLeaveNothing) {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("netpolgen-out-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path target = dir / "policies.yaml";
    std::ostringstream unused;
    ASSERT_TRUE(cli::writeOutput(target.string(), "first\n", unused).ok());
    ASSERT_TRUE(cli::writeOutput(target.string(), "second\n", unused).ok());
    std::ifstream in(target);
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(content, "second\n");
    EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()),
              1);  // no temp file left
    core::Status st = cli::writeOutput((dir / "missing" / "x.yaml").string(), "x", unused);
    EXPECT_FALSE(st.ok());
    EXPECT_NE(st.error().find("missing/x.yaml"), std::string::npos);
    fs::remove_all(dir);
}

}  // namespace
}  // namespace netpolgen

namespace netpolgen {
namespace {

TEST(Output, DevicesAreWrittenNotReplaced) {
    std::ostringstream unused;
    ASSERT_TRUE(cli::writeOutput("/dev/null", "discarded\n", unused).ok());
    EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
}

TEST(Output, DirectoryIsAnError) {
    std::ostringstream unused;
    EXPECT_FALSE(
        cli::writeOutput(std::filesystem::temp_directory_path().string(), "x", unused).ok());
}

}  // namespace
}  // namespace netpolgen
