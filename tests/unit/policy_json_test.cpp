// modificationToJson and modificationJsonParts, written straight from the core types, give the
// bytes of the nlohmann tree dumped with an indent of 2 (the encoder before 2026-12), on random
// modifications that use every field and strings that need escaping.
#include "io/policy_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "io/policy_encoder.h"
#include "random_policies.h"

namespace netpolgen::io {
namespace {

using nlohmann::json;
using test_policies::RandomPolicies;

// The encoder as it was: one tree of the whole modification, then dump(2).
std::string treeDump(const core::Modification& m) {
    json apply = json::array();
    for (const auto& p : m.apply) {
        apply.push_back(policyToJson(p));
    }
    json to_delete = json::array();
    for (const auto& ref : m.to_delete) {
        to_delete.push_back({{"namespace", ref.ns}, {"name", ref.name}});
    }
    json labels = json::array();
    for (const auto& l : m.namespace_labels) {
        labels.push_back({{"namespace", l.ns}, {"labels", {{l.key, l.value}}}});
    }
    json out = {{"apply", std::move(apply)},
                {"toDelete", std::move(to_delete)},
                {"namespaceLabels", std::move(labels)}};
    return out.dump(2) + "\n";
}

std::string joined(const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& part : parts) {
        out += part;
    }
    return out;
}

core::Modification randomModification(RandomPolicies& random, size_t policies) {
    core::Modification m;
    for (size_t i = 0; i < policies; ++i) {
        m.apply.push_back(random.policy());
    }
    for (int i = random.below(3); i > 0; --i) {
        m.to_delete.push_back({random.text(), random.text()});
    }
    for (int i = random.below(3); i > 0; --i) {
        m.namespace_labels.push_back({random.text(), random.text(), random.text()});
    }
    return m;
}

// Invalid UTF-8 (one of the random texts) makes nlohmann throw: the new encoder throws too.
void expectSameAsTree(const core::Modification& m, const std::string& what) {
    std::string expected;
    bool expected_throws = false;
    try {
        expected = treeDump(m);
    } catch (const json::exception&) {
        expected_throws = true;
    }
    if (expected_throws) {
        EXPECT_THROW(modificationToJson(m), json::exception) << what;
        return;
    }
    ASSERT_EQ(modificationToJson(m), expected) << what;
    ASSERT_EQ(joined(modificationJsonParts(m)), expected) << what;
}

TEST(PolicyJson, WritesTheBytesOfTheTreeOnRandomModifications) {
    RandomPolicies random(20261207);
    int thrown = 0;
    for (int i = 0; i < 2000; ++i) {
        const core::Modification m = randomModification(random, static_cast<size_t>(i % 4));
        expectSameAsTree(m, "modification " + std::to_string(i));
        try {
            treeDump(m);
        } catch (const json::exception&) {
            ++thrown;
        }
    }
    EXPECT_GT(thrown, 0);  // the invalid UTF-8 case was met
}

TEST(PolicyJson, EmptyModification) {
    expectSameAsTree({}, "empty");
    EXPECT_EQ(modificationToJson({}),
              "{\n  \"apply\": [],\n  \"namespaceLabels\": [],\n  \"toDelete\": []\n}\n");
}

TEST(PolicyJson, EscapesEveryAsciiByteAsNlohmannDoes) {
    core::NetworkPolicy p;
    for (int c = 1; c < 0x80; ++c) {
        p.name += static_cast<char>(c);
    }
    p.ns = "caf\xc3\xa9 \xe2\x82\xac";
    p.labels[p.name] = p.ns;
    core::Modification m;
    m.apply.push_back(p);
    expectSameAsTree(m, "ASCII");
}

// Many policies span several parts; the parts joined are the one text.
TEST(PolicyJson, ManyPoliciesInParts) {
    RandomPolicies random(7);
    core::Modification m;
    // Just past one 4 MiB part (the compact dumps are smaller than the indented output), so that
    // the test stays quick under the sanitizers.
    size_t bytes = 0;
    while (bytes < (size_t{5} << 20)) {
        core::NetworkPolicy p = random.policy();
        try {
            bytes += policyToJson(p).dump().size();
        } catch (const json::exception&) {
            continue;  // invalid UTF-8: the other tests cover it
        }
        m.apply.push_back(std::move(p));
    }
    const std::string expected = treeDump(m);
    const auto parts = modificationJsonParts(m);
    EXPECT_GT(parts.size(), 1u);
    EXPECT_EQ(joined(parts), expected);
}

}  // namespace
}  // namespace netpolgen::io
