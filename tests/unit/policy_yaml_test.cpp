// appendPolicyYaml writes the bytes of the generic writer, writeYaml(policyToJson(policy)), on
// random policies that use every field, empty collections and strings that need quoting.
#include "io/policy_yaml.h"

#include <gtest/gtest.h>

#include <string>

#include "io/policy_encoder.h"
#include "io/yaml_writer.h"
#include "random_policies.h"

namespace netpolgen::io {
namespace {

using core::NetworkPolicy;
using test_policies::RandomPolicies;

TEST(PolicyYaml, WritesTheBytesOfTheGenericWriterOnRandomPolicies) {
    RandomPolicies random(20261126);
    for (int i = 0; i < 5000; ++i) {
        const NetworkPolicy p = random.policy();
        std::string direct;
        appendPolicyYaml(direct, p);
        ASSERT_EQ(direct, writeYaml(policyToJson(p))) << "policy " << i;
    }
}

// Above 2,000 policies modificationToYaml writes parts in threads: the same bytes, same order.
TEST(PolicyYaml, ManyPoliciesWrittenInPartsGiveTheBytesOfOneLoop) {
    RandomPolicies random(20261127);
    for (const size_t size : {size_t{1999}, size_t{2001}, size_t{4003}}) {
        core::Modification m;
        std::string expected;
        for (size_t i = 0; i < size; ++i) {
            m.apply.push_back(random.policy());
            expected += "---\n";
            appendPolicyYaml(expected, m.apply.back());
        }
        ASSERT_EQ(modificationToYaml(m), expected) << size << " policies";
    }
}

TEST(PolicyYaml, OverlongKeysTakeTheGenericWritersExplicitForm) {
    NetworkPolicy p;
    p.ns = "ns";
    p.name = "x";
    p.labels[std::string(1100, 'k')] = "v";
    p.pod_selector.match_labels[std::string(200, '\x01')] = "v";
    std::string direct;
    appendPolicyYaml(direct, p);
    EXPECT_EQ(direct, writeYaml(policyToJson(p)));
    EXPECT_NE(direct.find("? "), std::string::npos);
}

}  // namespace
}  // namespace netpolgen::io
