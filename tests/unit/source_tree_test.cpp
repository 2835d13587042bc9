#include "io/source_tree.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "../support/kubernetes_json.h"
#include "io/yaml_writer.h"

namespace netpolgen::io {
namespace {

using nlohmann::json;

using testing::toJson;

SourceNode scalar(std::string value, bool quoted = false) {
    SourceNode n;
    n.value = std::move(value);
    n.quoted = quoted;
    return n;
}

std::vector<SourceNode> parseOk(std::string_view text, const ParseLimits& limits = {}) {
    auto docs = parseDocuments(text, limits);
    EXPECT_TRUE(docs.ok()) << (docs.ok() ? "" : docs.error()) << "\ninput: " << text;
    return docs.ok() ? std::move(*docs) : std::vector<SourceNode>{};
}

std::string parseError(std::string_view text, const ParseLimits& limits = {}) {
    auto docs = parseDocuments(text, limits);
    EXPECT_FALSE(docs.ok()) << "input: " << text;
    return docs.ok() ? "" : docs.error();
}

json parseOneAsJson(std::string_view text) {
    auto docs = parseOk(text);
    EXPECT_EQ(docs.size(), 1u) << text;
    return docs.empty() ? json() : toJson(docs[0]);
}

TEST(SourceTree, EmptyInputHasNoDocuments) {
    for (const char* text : {"",
                             "   \n\n",
                             "# only a comment\n",
                             "---\n",
                             "---\n...\n",
                             "--- # c\n---\n",
                             "\xEF\xBB\xBF"}) {
        auto docs = parseDocuments(text, {});
        ASSERT_TRUE(docs.ok()) << text << ": " << docs.error();
        EXPECT_TRUE(docs->empty()) << text;
    }
}

TEST(SourceTree, MultiDocumentStreamSkipsEmptyDocuments) {
    auto docs = parseOk("---\nkind: A\n---\n---\n# nothing\n---\nkind: B\n...\n---\n- 1\n");
    ASSERT_EQ(docs.size(), 3u);
    EXPECT_EQ(docs[0].find("kind")->value, "A");
    EXPECT_EQ(docs[1].find("kind")->value, "B");
    EXPECT_TRUE(docs[2].isSequence());
    EXPECT_EQ(docs[1].find("kind")->line, 7u);
    // A document that is explicitly null or an empty string is not empty.
    EXPECT_EQ(parseOk("--- ~\n--- ''\n").size(), 2u);
}

TEST(SourceTree, RecordsLinesAndColumns) {
    auto docs = parseOk(
        "apiVersion: v1\n"
        "kind: List\n"
        "items:\n"
        "- name: a\n"
        "  ports: [80, \"http\"]\n"
        "  labels:\n"
        "    app: web\n");
    ASSERT_EQ(docs.size(), 1u);
    const SourceNode& root = docs[0];
    EXPECT_EQ(root.line, 1u);
    EXPECT_EQ(root.column, 1u);
    const SourceNode* kind = root.find("kind");
    ASSERT_NE(kind, nullptr);
    EXPECT_EQ(kind->key, "kind");
    EXPECT_EQ(kind->line, 2u);
    EXPECT_EQ(kind->column, 7u);
    const SourceNode* items = root.find("items");
    ASSERT_NE(items, nullptr);
    ASSERT_TRUE(items->isSequence());
    EXPECT_EQ(items->line, 4u);
    EXPECT_EQ(items->column, 1u);
    const SourceNode& item = items->children.at(0);
    EXPECT_EQ(item.line, 4u);
    EXPECT_EQ(item.column, 3u);
    const SourceNode* ports = item.find("ports");
    ASSERT_NE(ports, nullptr);
    EXPECT_EQ(ports->line, 5u);
    EXPECT_EQ(ports->column, 10u);
    EXPECT_EQ(ports->children.at(1).column, 15u);
    const SourceNode* app = item.find("labels")->find("app");
    ASSERT_NE(app, nullptr);
    EXPECT_EQ(app->line, 7u);
    EXPECT_EQ(app->column, 10u);
    // Columns count characters, not bytes.
    auto utf8 = parseOk("\xC3\xA9t\xC3\xA9: x\n");
    EXPECT_EQ(utf8.at(0).find("\xC3\xA9t\xC3\xA9")->column, 6u);
}

TEST(SourceTree, QuotedVersusPlain) {
    auto docs = parseOk(
        "a: \"80\"\n"
        "b: 80\n"
        "c: '80'\n"
        "d: |\n"
        "  80\n"
        "e: !!str 80\n"
        "f: ! 80\n"
        "g: !custom 80\n"
        "h: >-\n"
        "  folded\n"
        "  text\n"
        "i: \"esc\\taped \\u00e9\"\n");
    ASSERT_EQ(docs.size(), 1u);
    const SourceNode& r = docs[0];
    EXPECT_TRUE(r.find("a")->quoted);
    EXPECT_FALSE(r.find("b")->quoted);
    EXPECT_TRUE(r.find("c")->quoted);
    EXPECT_TRUE(r.find("d")->quoted);
    EXPECT_EQ(r.find("d")->value, "80\n");
    EXPECT_TRUE(r.find("e")->quoted);
    EXPECT_TRUE(r.find("f")->quoted);
    EXPECT_FALSE(r.find("g")->quoted);
    EXPECT_EQ(r.find("h")->value, "folded text");
    EXPECT_EQ(r.find("i")->value, "esc\taped \xC3\xA9");
    EXPECT_EQ(asInteger(*r.find("b")), 80);
    EXPECT_EQ(asInteger(*r.find("a")), std::nullopt);
    EXPECT_EQ(asInteger(*r.find("e")), std::nullopt);
}

TEST(SourceTree, ParsesKubectlJson) {
    const char* text = R"({
    "apiVersion": "v1",
    "items": [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "labels": {"app": "web", "enabled": "true"}},
            "spec": {"ports": [{"port": 80, "targetPort": "http", "nodePort": null}], "x": true}
        }
    ],
    "kind": "List",
    "metadata": {"resourceVersion": ""}
}
)";
    auto docs = parseOk(text);
    ASSERT_EQ(docs.size(), 1u);
    const SourceNode& root = docs[0];
    EXPECT_EQ(root.find("apiVersion")->line, 2u);
    EXPECT_EQ(root.find("apiVersion")->column, 19u);
    EXPECT_TRUE(root.find("apiVersion")->quoted);
    const SourceNode& item = root.find("items")->children.at(0);
    EXPECT_EQ(item.line, 4u);
    EXPECT_EQ(item.column, 9u);
    const SourceNode* port = item.find("spec")->find("ports")->children.at(0).find("port");
    ASSERT_NE(port, nullptr);
    EXPECT_FALSE(port->quoted);
    EXPECT_EQ(asInteger(*port), 80);
    EXPECT_EQ(port->line, 8u);
    EXPECT_TRUE(item.find("metadata")->find("labels")->find("enabled")->quoted);
    EXPECT_EQ(toJson(root), json::parse(text));
}

TEST(SourceTree, ParsesCompactAndNestedJson) {
    EXPECT_EQ(parseOneAsJson(R"({"a":1,"b":[1,2]})"), json::parse(R"({"a":1,"b":[1,2]})"));
    const char* nested = R"({"a":{"b":{"c":[[],[{}],[1,[2,[3]]]]}},"d":-1.5e3,"e":false,"f":null})";
    EXPECT_EQ(parseOneAsJson(nested), json::parse(nested));
    EXPECT_EQ(parseOneAsJson("[1,\"x\",true]"), json::parse("[1,\"x\",true]"));
    EXPECT_EQ(parseOneAsJson("\t{\r\n\"a\"\t:\t[ ]\r\n}\r\n"), json::parse(R"({"a":[]})"));
    // Valid JSON that libyaml would reject.
    EXPECT_EQ(parseOneAsJson(R"({"e":"\ud83d\ude00 \u00e9 \/ \u0000"})"),
              json::parse(R"({"e":"\ud83d\ude00 \u00e9 / \u0000"})"));
    EXPECT_EQ(parseOneAsJson("{\"a\"\n:\n1}"), json::parse(R"({"a":1})"));
    const std::string long_key(3000, 'k');
    EXPECT_EQ(parseOneAsJson("{\"" + long_key + "\": 1}"), json({{long_key, 1}}));
    // JSON strings are quoted; numbers and literals are plain.
    auto docs = parseOk(R"({"s":"1","n":1,"t":true,"z":null})");
    EXPECT_TRUE(docs.at(0).find("s")->quoted);
    EXPECT_FALSE(docs.at(0).find("n")->quoted);
    EXPECT_FALSE(docs.at(0).find("t")->quoted);
    EXPECT_TRUE(isNull(*docs.at(0).find("z")));
    EXPECT_EQ(docs.at(0).find("n")->column, 14u);
}

TEST(SourceTree, JsonLookingYamlFallsBackToYaml) {
    EXPECT_EQ(parseOneAsJson("{a: 1, b: [x, z, y]}"), json::parse(R"({"a":1,"b":["x","z",true]})"));
    EXPECT_EQ(parseOneAsJson(R"({"a": tru})"), json::parse(R"({"a":"tru"})"));
    EXPECT_EQ(parseOneAsJson("[a, 'b']  # comment"), json::parse(R"(["a","b"])"));
    EXPECT_EQ(parseOneAsJson(R"({"a": 1,})"), json::parse(R"({"a":1})"));
    EXPECT_EQ(parseOk("{}\n---\n[]\n").size(), 2u);
}

TEST(SourceTree, JsonErrorsHavePositions) {
    // When both JSON and YAML reject the text, the error that comes later in the text wins (on a
    // tie, libyaml's message, which names the construct being parsed).
    EXPECT_EQ(parseError("{\"a\": [1, 2}"),
              "line 1, column 12: did not find expected ',' or ']' (while parsing a flow sequence "
              "at line 1, column 7)");
    EXPECT_EQ(parseError("{\"a\": \"\\ud800\"}"),
              "line 1, column 14: invalid \\u escape: lone high surrogate");
    EXPECT_EQ(parseError("[1,\n 2,\n \"x").rfind("line 3, column 4: ", 0), 0u);
    EXPECT_EQ(parseError("{\"a\": \"\xFF\"}"),
              "line 1, column 8: invalid leading UTF-8 octet #xFF");
    EXPECT_EQ(parseError("{\"a\": 1, \"b\": {\"a\": 2, \"a\": 3}}"),
              "line 1, column 24: duplicate key \"a\"");
}

TEST(SourceTree, RejectsDuplicateKeys) {
    EXPECT_EQ(parseError("a: 1\nb: 2\na: 3\n"), "line 3, column 1: duplicate key \"a\"");
    EXPECT_EQ(parseError("x:\n  'a': 1\n  \"a\": 2\n"), "line 3, column 3: duplicate key \"a\"");
    EXPECT_EQ(parseError("{a: 1, a: 2}"), "line 1, column 8: duplicate key \"a\"");
    // The same key in different mappings is fine.
    EXPECT_EQ(parseOk("a: {x: 1}\nb: {x: 2}\n").size(), 1u);
    const std::string long_key(100, 'q');
    EXPECT_EQ(parseError(long_key + ": 1\n" + long_key + ": 2\n"),
              "line 2, column 1: duplicate key \"" + std::string(64, 'q') + "...\"");
}

TEST(SourceTree, RejectsAliases) {
    EXPECT_EQ(parseError("a: &x 1\nb: *x\n"), "line 2, column 4: aliases are not supported");
    EXPECT_EQ(parseError("base: &b {x: 1}\nd:\n  <<: *b\n"),
              "line 3, column 7: aliases are not supported");
    // An anchor that is never used is harmless.
    auto docs = parseOk("a: &x 1\n");
    EXPECT_EQ(docs.at(0).find("a")->value, "1");
}

TEST(SourceTree, RejectsNonScalarKeys) {
    EXPECT_EQ(parseError("? [a]\n: 1\n"), "line 1, column 3: mapping keys must be scalars");
    EXPECT_EQ(parseError("{[a]: 1}"), "line 1, column 2: mapping keys must be scalars");
    EXPECT_EQ(parseError("? {a: 1}\n: 1\n"), "line 1, column 3: mapping keys must be scalars");
}

TEST(SourceTree, LimitsDepth) {
    const std::string deep_json(10000, '[');
    EXPECT_EQ(parseError(deep_json), "line 1, column 65: nesting deeper than 64 levels");
    // The mapping is the first level.
    EXPECT_EQ(parseError("a: " + deep_json), "line 1, column 67: nesting deeper than 64 levels");
    const std::string deep_map = [] {
        std::string s;
        for (int i = 0; i < 10000; ++i) {
            s += "{\"a\":";
        }
        return s;
    }();
    EXPECT_EQ(parseError(deep_map), "line 1, column 321: nesting deeper than 64 levels");

    // Block nesting: exactly max_depth levels is fine, one more is not.
    const auto block = [](int levels) {
        std::string s;
        for (int i = 0; i < levels; ++i) {
            s += std::string(static_cast<size_t>(i), ' ') + "k:\n";
        }
        return s + std::string(static_cast<size_t>(levels), ' ') + "k: v\n";
    };
    ParseLimits limits;
    limits.max_depth = 8;
    EXPECT_EQ(parseOk(block(7), limits).size(), 1u);
    EXPECT_EQ(parseError(block(8), limits), "line 9, column 9: nesting deeper than 8 levels");
    EXPECT_EQ(parseOk(std::string(8, '[') + std::string(8, ']'), limits).size(), 1u);
    EXPECT_FALSE(parseDocuments(std::string(9, '[') + std::string(9, ']'), limits).ok());
}

TEST(SourceTree, LimitsBytesAndDocuments) {
    ParseLimits limits;
    limits.max_bytes = 10;
    EXPECT_EQ(parseError("a: 12345678", limits), "line 1, column 1: input is larger than 10 bytes");
    EXPECT_EQ(parseOk("a: 1234567", limits).size(), 1u);
    limits = {};
    limits.max_documents = 2;
    EXPECT_EQ(parseOk("a\n---\nb\n---\n---\n", limits).size(), 2u);
    EXPECT_EQ(parseError("a\n---\nb\n---\nc\n", limits), "line 5, column 1: more than 2 documents");
    limits.max_documents = 0;
    EXPECT_EQ(parseError("{}", limits), "line 1, column 1: more than 0 documents");
}

TEST(SourceTree, ReportsYamlSyntaxErrors) {
    const std::string unclosed = parseError("a: [1, 2\nb: 3\n");
    EXPECT_EQ(unclosed.rfind("line 2, column 2: did not find expected ',' or ']'", 0), 0u)
        << unclosed;
    EXPECT_NE(unclosed.find("while parsing a flow sequence at line 1, column 4"), std::string::npos)
        << unclosed;
    const std::string nested = parseError("a: b: c\n");
    EXPECT_EQ(nested.rfind("line 1, column 5: mapping values are not allowed", 0), 0u) << nested;
    const std::string tab = parseError("a:\n\tb: 1\n");
    EXPECT_EQ(tab.rfind("line 2, column 1: ", 0), 0u) << tab;
}

TEST(SourceTree, GarbageIsACleanError) {
    const std::string invalid_utf8 = parseError("a: ok\nb: \xC3\x28\n");
    EXPECT_EQ(invalid_utf8.rfind("line 2, column 5: invalid trailing UTF-8 octet #x28", 0), 0u)
        << invalid_utf8;
    const std::string control = parseError(std::string("a: \x01\n", 5));
    EXPECT_EQ(control.rfind("line 1, column 4: control characters are not allowed", 0), 0u)
        << control;
    EXPECT_FALSE(parseDocuments(std::string("\0\0\0", 3), {}).ok());
    const std::string utf16("\xFF\xFE\x61\0b\0", 6);  // UTF-16 is not accepted
    EXPECT_FALSE(parseDocuments(utf16, {}).ok());

    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<size_t> length(0, 200);
    const std::string alphabet = "{}[]:,-?#&*!|>'\"%@ \n\t\\ax1.";
    for (int round = 0; round < 3000; ++round) {
        std::string text(length(rng), '\0');
        for (char& c : text) {
            c = round % 2 == 0 ? static_cast<char>(byte(rng))
                               : alphabet[static_cast<size_t>(byte(rng)) % alphabet.size()];
        }
        auto docs = parseDocuments(text, {});
        if (!docs.ok()) {
            EXPECT_EQ(docs.error().rfind("line ", 0), 0u) << docs.error();
        }
    }
}

TEST(SourceTree, FindLooksUpMappingKeys) {
    auto docs = parseOk("a: 1\nb: {c: 2}\nl: [x]\n");
    const SourceNode& root = docs.at(0);
    EXPECT_EQ(root.find("a")->value, "1");
    EXPECT_EQ(root.find("b")->find("c")->value, "2");
    EXPECT_EQ(root.find("missing"), nullptr);
    EXPECT_EQ(root.find("l")->find("x"), nullptr);
    EXPECT_EQ(root.find("a")->find("a"), nullptr);
}

TEST(SourceTree, IsNull) {
    for (const char* text : {"", "~", "null", "Null", "NULL"}) {
        EXPECT_TRUE(isNull(scalar(text))) << text;
        EXPECT_FALSE(isNull(scalar(text, true))) << text;
    }
    for (const char* text : {"nUll", "none", "0", "false", "nil"}) {
        EXPECT_FALSE(isNull(scalar(text))) << text;
    }
    SourceNode mapping;
    mapping.kind = SourceNode::Kind::kMapping;
    EXPECT_FALSE(isNull(mapping));
    auto docs = parseOk("a:\nb: ~\nc: ''\n");
    EXPECT_TRUE(isNull(*docs.at(0).find("a")));
    EXPECT_TRUE(isNull(*docs.at(0).find("b")));
    EXPECT_FALSE(isNull(*docs.at(0).find("c")));
}

TEST(SourceTree, AsBool) {
    for (const char* text :
         {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) {
        EXPECT_EQ(asBool(scalar(text)), true) << text;
        EXPECT_EQ(asBool(scalar(text, true)), std::nullopt) << text;
    }
    for (const char* text :
         {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}) {
        EXPECT_EQ(asBool(scalar(text)), false) << text;
    }
    for (const char* text : {"tRUE", "yES", "1", "0", "", "t", "truth", "null"}) {
        EXPECT_EQ(asBool(scalar(text)), std::nullopt) << text;
    }
}

TEST(SourceTree, AsInteger) {
    const std::pair<const char*, int64_t> good[] = {
        {"0", 0},
        {"80", 80},
        {"+80", 80},
        {"-80", -80},
        {"0x1F", 31},
        {"0X1f", 31},
        {"-0x10", -16},
        {"0o17", 15},
        {"0755", 493},
        {"00", 0},
        {"0b101", 5},
        {"1_000", 1000},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
        {"0x7FFFFFFFFFFFFFFF", INT64_MAX},
    };
    for (const auto& [text, value] : good) {
        EXPECT_EQ(asInteger(scalar(text)), value) << text;
        EXPECT_EQ(asInteger(scalar(text, true)), std::nullopt) << text;
    }
    for (const char* text : {"",
                             "1.5",
                             "1.0",
                             "1e3",
                             ".5",
                             "08",
                             "0x",
                             "0xG",
                             "abc",
                             "80a",
                             " 80",
                             "80 ",
                             "9223372036854775808",
                             "-9223372036854775809",
                             "99999999999999999999999",
                             "_1",
                             "+",
                             "-",
                             "0o8",
                             "1:20",
                             "~"}) {
        EXPECT_EQ(asInteger(scalar(text)), std::nullopt) << text;
    }
    SourceNode sequence;
    sequence.kind = SourceNode::Kind::kSequence;
    EXPECT_EQ(asInteger(sequence), std::nullopt);
}

TEST(SourceTree, KubernetesTypingOfAManifest) {
    EXPECT_EQ(
        parseOneAsJson("port: 80\nname: \"80\"\non: yes\nv: 1.5\nn: ~\ns: web\nf: 1e400\nu: _7\n"),
        json::parse(R"({"port":80,"name":"80","on":true,"v":1.5,"n":null,"s":"web",
                              "f":"1e400","u":"_7"})"));
}

// ---------------------------------------------------------------------------------------------
// Round trip: random JSON → writeYaml → parseDocuments → toJson is the identity.

const std::vector<std::string>& nastyStrings() {
    static const std::vector<std::string> strings = {"true",
                                                     "True",
                                                     "TRUE",
                                                     "tRuE",
                                                     "false",
                                                     "yes",
                                                     "Yes",
                                                     "no",
                                                     "NO",
                                                     "on",
                                                     "off",
                                                     "y",
                                                     "Y",
                                                     "n",
                                                     "N",
                                                     "null",
                                                     "Null",
                                                     "~",
                                                     "",
                                                     "80",
                                                     "8080",
                                                     "-1",
                                                     "+1",
                                                     "0x1F",
                                                     "0o17",
                                                     "0755",
                                                     "1e3",
                                                     "1E+3",
                                                     ".5",
                                                     "-.5",
                                                     "1_000",
                                                     "_7",
                                                     "._5",
                                                     "+_1",
                                                     "1:20",
                                                     "190:20:30.15",
                                                     "1.2.3",
                                                     "2024-01-01",
                                                     "2001-12-14t21:59:43.10-05:00",
                                                     "1.",
                                                     ".",
                                                     "+",
                                                     "-",
                                                     " a",
                                                     "a ",
                                                     "a: b",
                                                     "a:b",
                                                     "a:",
                                                     "- x",
                                                     "-x",
                                                     "--- a",
                                                     "---",
                                                     "...",
                                                     "... x",
                                                     "#",
                                                     "a #b",
                                                     "a#b",
                                                     "?",
                                                     "? x",
                                                     ":",
                                                     ":x",
                                                     "'q'",
                                                     "\"dq\"",
                                                     "it's",
                                                     "say \"hi\"",
                                                     "back\\slash",
                                                     "tab\there",
                                                     "line\nbreak",
                                                     "trailing\n",
                                                     "\n",
                                                     "crlf\r\n",
                                                     "\xC3\xA9",
                                                     "\xE6\x97\xA5\xE6\x9C\xAC",
                                                     "\xF0\x9F\x98\x80",
                                                     "\xE2\x80\xA8",
                                                     "\xC2\x85",
                                                     "\xEF\xBB\xBF\x62om",
                                                     "\xEF\xBF\xBE",
                                                     "\x7F",
                                                     "\x01",
                                                     std::string("nul\0byte", 8),
                                                     "%x",
                                                     "@x",
                                                     "`x",
                                                     "&a",
                                                     "*a",
                                                     "!tag",
                                                     "|",
                                                     "> x",
                                                     "{a}",
                                                     "[b]",
                                                     "a,b",
                                                     "<<",
                                                     "=",
                                                     ".inf",
                                                     "-.inf",
                                                     ".NaN",
                                                     "NaN",
                                                     "inf",
                                                     "10.0.0.0/8",
                                                     "web-1",
                                                     "app.kubernetes.io/name",
                                                     "3rd",
                                                     "0x",
                                                     "1e400",
                                                     "a  b",
                                                     "a\\nb",
                                                     "\\",
                                                     "'",
                                                     "\"",
                                                     std::string(1500, 'x'),
                                                     std::string(1100, '"')};
    return strings;
}

class RandomJson {
public:
    explicit RandomJson(uint32_t seed) : rng_(seed) {}

    // NOLINTNEXTLINE(misc-no-recursion): depth is bounded by `depth`.
    json value(int depth) {
        const int kind = pick(depth > 0 ? 9 : 5);
        switch (kind) {
            case 0:
                return nullptr;
            case 1:
                return pick(2) == 0;
            case 2: {
                static const int64_t kInts[] = {0, 1, -1, 80, 65535, INT64_MAX, INT64_MIN};
                return pick(2) == 0 ? json(kInts[pick(7)])
                                    : json(std::uniform_int_distribution<int64_t>()(rng_));
            }
            case 3: {
                static const double kFloats[] = {1.5, -0.25, 0.1, 1e300, 2.5e-8, 100.0, -3.0};
                return kFloats[pick(7)];
            }
            case 4:
            case 5:
                return string();
            case 6:
            case 7: {
                json object = json::object();
                const int n = pick(5);
                for (int i = 0; i < n; ++i) {
                    object[string()] = value(depth - 1);
                }
                return object;
            }
            default: {
                json array = json::array();
                const int n = pick(5);
                for (int i = 0; i < n; ++i) {
                    array.push_back(value(depth - 1));
                }
                return array;
            }
        }
    }

    std::string string() {
        if (pick(2) == 0) {
            return nastyStrings()[static_cast<size_t>(
                pick(static_cast<int>(nastyStrings().size())))];
        }
        static const std::vector<std::string> pieces = {
            "a",    "b",  "1",  "0",  " ", ":", "#", "-",        "'",
            "\"",   "\\", "\n", "\t", ".", "x", "e", "+",        "_",
            "{",    "[",  ",",  "?",  "!", "&", "*", "\xC3\xA9", "\xF0\x9F\x98\x80",
            "true", "\r", "%",  "@",  "|", ">", "~"};
        std::string s;
        const int n = pick(8);
        for (int i = 0; i < n; ++i) {
            s += pieces[static_cast<size_t>(pick(static_cast<int>(pieces.size())))];
        }
        return s;
    }

private:
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

    std::mt19937 rng_;
};

TEST(SourceTreeRoundTrip, NastyStringsSurviveAsValuesAndKeys) {
    for (const std::string& s : nastyStrings()) {
        for (const json& value : {json(s),
                                  json({{"k", s}}),
                                  json({{s, s}}),
                                  json::array({s}),
                                  json({{"l", json::array({json({{s, 1}}), s})}})}) {
            const std::string yaml = writeYaml(value);
            auto docs = parseDocuments(yaml, {});
            ASSERT_TRUE(docs.ok()) << docs.error() << "\n" << yaml;
            ASSERT_EQ(docs->size(), 1u) << yaml;
            EXPECT_EQ(toJson(docs->at(0)), value) << yaml;
        }
    }
}

TEST(SourceTreeRoundTrip, RandomValues) {
    RandomJson random(20240601);
    for (int round = 0; round < 3000; ++round) {
        const json value = random.value(4);
        const std::string yaml = writeYaml(value);
        auto docs = parseDocuments(yaml, {});
        ASSERT_TRUE(docs.ok()) << docs.error() << "\n" << yaml;
        // An empty string at the top is written as "" and is not an empty document.
        ASSERT_EQ(docs->size(), 1u) << yaml;
        ASSERT_EQ(toJson(docs->at(0)), value) << value.dump() << "\n" << yaml;
        // Writing is deterministic and stable.
        ASSERT_EQ(writeYaml(toJson(docs->at(0))), yaml);
    }
}

TEST(SourceTreeRoundTrip, DeepValueWithinLimit) {
    json value = "leaf";
    for (int i = 0; i < 64; ++i) {
        value = i % 2 == 0 ? json::array({value}) : json({{"k", value}});
    }
    auto docs = parseDocuments(writeYaml(value), {});
    ASSERT_TRUE(docs.ok()) << docs.error();
    EXPECT_EQ(toJson(docs->at(0)), value);
    value = json::array({value});
    EXPECT_FALSE(parseDocuments(writeYaml(value), {}).ok());
}

}  // namespace
}  // namespace netpolgen::io
