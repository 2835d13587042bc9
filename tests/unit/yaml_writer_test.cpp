#include "io/yaml_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace netpolgen::io {
namespace {

using nlohmann::json;

TEST(YamlWriter, KubectlLayout) {
    const json policy = json::parse(R"({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "ingress": [{
                "from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                "ports": [{"port": 8080, "protocol": "TCP"}]
            }],
            "podSelector": {},
            "policyTypes": ["Ingress"]
        }
    })");
    EXPECT_EQ(writeYaml(policy),
              "apiVersion: networking.k8s.io/v1\n"
              "kind: NetworkPolicy\n"
              "metadata:\n"
              "  name: web\n"
              "  namespace: shop\n"
              "spec:\n"
              "  ingress:\n"
              "  - from:\n"
              "    - podSelector:\n"
              "        matchLabels:\n"
              "          app: web\n"
              "    ports:\n"
              "    - port: 8080\n"
              "      protocol: TCP\n"
              "  podSelector: {}\n"
              "  policyTypes:\n"
              "  - Ingress\n");
}

TEST(YamlWriter, Scalars) {
    EXPECT_EQ(writeYaml(nullptr), "null\n");
    EXPECT_EQ(writeYaml(true), "true\n");
    EXPECT_EQ(writeYaml(false), "false\n");
    EXPECT_EQ(writeYaml(42), "42\n");
    EXPECT_EQ(writeYaml(-7), "-7\n");
    EXPECT_EQ(writeYaml(18446744073709551615u), "18446744073709551615\n");
    EXPECT_EQ(writeYaml(1.5), "1.5\n");
    EXPECT_EQ(writeYaml(100.0), "100.0\n");
    EXPECT_EQ(writeYaml(std::numeric_limits<double>::infinity()), ".inf\n");
    EXPECT_EQ(writeYaml(std::numeric_limits<double>::quiet_NaN()), ".nan\n");
    EXPECT_EQ(writeYaml(""), "\"\"\n");
    EXPECT_EQ(writeYaml("web"), "web\n");
    EXPECT_EQ(writeYaml(json::object()), "{}\n");
    EXPECT_EQ(writeYaml(json::array()), "[]\n");
}

TEST(YamlWriter, EmptyCollectionsAndNullsAsValues) {
    EXPECT_EQ(writeYaml(json::parse(R"({"a":{},"b":[],"c":null,"d":[{},[],null]})")),
              "a: {}\n"
              "b: []\n"
              "c: null\n"
              "d:\n"
              "- {}\n"
              "- []\n"
              "- null\n");
}

TEST(YamlWriter, NestedSequences) {
    EXPECT_EQ(writeYaml(json::parse(R"([["a","b"],"c",[["d"]],{"k":["x"],"m":1}])")),
              "- - a\n"
              "  - b\n"
              "- c\n"
              "- - - d\n"
              "- k:\n"
              "  - x\n"
              "  m: 1\n");
}

TEST(YamlWriter, QuotesStringsThatWouldChangeType) {
    EXPECT_EQ(writeYaml(json::parse(R"({"a":"true","b":"80","c":"null","d":"y","e":"0x1F",
                                        "f":"1e3","g":"","h":"~","i":"1:20","j":"No"})")),
              "a: \"true\"\n"
              "b: \"80\"\n"
              "c: \"null\"\n"
              "d: \"y\"\n"
              "e: \"0x1F\"\n"
              "f: \"1e3\"\n"
              "g: \"\"\n"
              "h: \"~\"\n"
              "i: \"1:20\"\n"
              "j: \"No\"\n");
    EXPECT_EQ(writeYaml(json::parse(R"({"80":"x","true":"y","a b":"z"})")),
              "\"80\": x\n"
              "a b: z\n"
              "\"true\": \"y\"\n");
}

TEST(YamlWriter, EscapesInsideDoubleQuotes) {
    EXPECT_EQ(writeYaml("line\nbreak"), "\"line\\nbreak\"\n");
    EXPECT_EQ(writeYaml("tab\t\"q\" \\"), "\"tab\\t\\\"q\\\" \\\\\"\n");
    EXPECT_EQ(writeYaml("\xC3\xA9t\xC3\xA9"), "\"\xC3\xA9t\xC3\xA9\"\n");
    EXPECT_EQ(writeYaml(std::string("\x01\x7F", 2)), "\"\\u0001\\u007F\"\n");
    EXPECT_EQ(writeYaml(std::string("a\0b", 3)), "\"a\\u0000b\"\n");
    EXPECT_EQ(writeYaml("\xC2\x85 \xE2\x80\xA8 \xE2\x80\xA9 \xEF\xBB\xBF"),
              "\"\\u0085 \\u2028 \\u2029 \\uFEFF\"\n");
    EXPECT_EQ(writeYaml("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"\n");
    // Bytes that are not UTF-8 cannot be written; they become U+FFFD.
    EXPECT_EQ(writeYaml("a\xFF\xC3"), "\"a\\uFFFD\\uFFFD\"\n");
    EXPECT_EQ(writeYaml("\xED\xA0\x80"), "\"\\uFFFD\\uFFFD\\uFFFD\"\n");
}

TEST(YamlWriter, LongKeysUseExplicitEntries) {
    const std::string key(1500, 'k');
    EXPECT_EQ(writeYaml(json({{key, 1}})), "? " + key + "\n: 1\n");
    EXPECT_EQ(writeYaml(json({{"a", {{key, {{"b", json::array({1})}}}}}})),
              "a:\n  ? " + key + "\n  :\n    b:\n    - 1\n");
    const std::string short_key(900, 'k');
    EXPECT_EQ(writeYaml(json({{short_key, 1}})), short_key + ": 1\n");
}

TEST(YamlWriter, DeepNestingDoesNotRecurse) {
    json value = "leaf";
    for (int i = 0; i < 100000; ++i) {
        value = json::array({std::move(value)});
    }
    const std::string yaml = writeYaml(value);
    EXPECT_EQ(yaml.size(), 100000u * 2 + 5);
    EXPECT_EQ(yaml.substr(yaml.size() - 7), "- leaf\n");
}

TEST(YamlWriter, NeedsQuotes) {
    for (const char* text :
         {"",     "true",  "TRUE",  "tRuE", "false", "yes",   "No",   "on",       "OFF",
          "y",    "N",     "null",  "NULL", "~",     "80",    "-1",   "+1",       "0x1F",
          "0o17", "0755",  "1e3",   "1E3",  ".5",    "1_000", "1:20", "1.2.3",    "2024-01-01",
          ".inf", "-.Inf", ".nan",  "<<",   "=",     "-",     "- x",  "-x",       "?x",
          ":x",   ",x",    "[x",    "]x",   "{x",    "}x",    "#x",   "&x",       "*x",
          "!x",   "|x",    ">x",    "'x",   "\"x",   "%x",    "@x",   "`x",       " x",
          "x ",   "x:",    "a: b",  "a #b", "a\nb",  "a\tb",  "a\rb", "\xC3\xA9", "a\x7F",
          "---",  "...",   "... x", "+",    "."}) {
        EXPECT_TRUE(yamlNeedsQuotes(text)) << text;
    }
    for (const char* text : {"web",        "app.kubernetes.io/name",
                             "10.0.0.0/8", "a:b",
                             "a#b",        "3rd",
                             "web-1",      "hello world",
                             "Ingress",    "TCP",
                             "x-y_z",      "a,b",
                             "a[0]",       "path/to:file",
                             "inf",        "NaN",
                             "truex",      "nulls",
                             ".hidden",    "sha256:abc"}) {
        EXPECT_FALSE(yamlNeedsQuotes(text)) << text;
    }
}

TEST(YamlWriter, EndsWithNewline) {
    for (const json& value : {json(1), json::parse(R"({"a":[1]})"), json::parse(R"([{"a":1}])")}) {
        const std::string yaml = writeYaml(value);
        ASSERT_FALSE(yaml.empty());
        EXPECT_EQ(yaml.back(), '\n');
    }
}

}  // namespace
}  // namespace netpolgen::io
