// A JSON List cut into its items (io/json_list_items.h), and the manifest decoder reading such a
// list item by item: the same objects, origins, counts and messages as reading it whole (an item
// that is not strict JSON sends the whole text to the whole-text reader).
#include "io/json_list_items.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/manifest_decoder.h"

namespace netpolgen::io {
namespace {

std::vector<std::string> itemsOf(std::string_view text) {
    auto list = splitJsonList(text);
    EXPECT_TRUE(list.has_value()) << text;
    std::vector<std::string> out;
    if (list) {
        for (auto item : list->items) {
            out.emplace_back(item);
        }
    }
    return out;
}

TEST(JsonListItems, CutsTheItemsArrayIntoItsObjects) {
    const std::string text =
        R"( {"kind":"PodList","items" : [ {"a":"]}\"[{","b":[1,{"c":2}]} ,{}],)"
        "\n"
        R"("metadata":{"resourceVersion":"7","x":"items"}} )";
    EXPECT_EQ(itemsOf(text), (std::vector<std::string>{R"({"a":"]}\"[{","b":[1,{"c":2}]})", "{}"}));
    auto list = splitJsonList(text);
    ASSERT_TRUE(list);
    EXPECT_EQ(list->head(),
              " {\"kind\":\"PodList\",\"items\" : [],\n"
              R"("metadata":{"resourceVersion":"7","x":"items"}} )");
    EXPECT_EQ(itemsOf(R"({"items":[]})").size(), 0u);
    EXPECT_EQ(itemsOf("{\"items\":[\n]}").size(), 0u);
}

TEST(JsonListItems, LeavesEverythingElseToBeParsedWhole) {
    for (const char* text : {
             "",
             "[]",
             R"({"kind":"List"})",                  // no items
             R"({"items":null})",                   // not an array
             R"({"items":[1,2]})",                  // not objects
             R"({"items":[{}],"items":[{}]})",      // twice
             R"({"items":[{},]})",                  // trailing comma
             R"({"items":[{} {}]})",                // no comma
             R"({"items":[{"a":"unterminated}]})",  // open string
             R"({"items":[{"a":[}]})",              // unbalanced
             R"({"items":[{}]} {"items":[]})",      // a second document
             R"({"items":[{}]}x)",                  // trailing bytes
             "{\"items\":[{}]",                     // unclosed object
             "{\"ite\\u006ds\":[{}]}",              // escaped key: whole
             "\xEF\xBB\xBF{\"items\":[{}]}",        // BOM: whole
         }) {
        EXPECT_FALSE(splitJsonList(text).has_value()) << text;
    }
}

struct Decoded {
    core::Status status;
    core::ClusterObjects objects;
    ManifestStats stats;
};

Decoded decode(const std::string& text, bool skip_invalid = false) {
    Decoded d;
    ManifestOptions options;
    options.skip_invalid = skip_invalid;
    d.status = decodeManifests(text, "list.json", options, d.objects, d.stats);
    return d;
}

template <typename T>
std::vector<std::string> origins(const std::vector<T>& objects) {
    std::vector<std::string> out;
    for (const auto& o : objects) {
        out.push_back(o.origin);
    }
    return out;
}

// `text` read item by item equals the same text read whole (a UTF-8 byte order mark in front
// keeps it from being cut into items; lines are counted the same).
void expectSameAsWhole(const std::string& text, bool skip_invalid = false) {
    ASSERT_TRUE(splitJsonList(text).has_value());
    const Decoded by_items = decode(text, skip_invalid);
    const Decoded whole = decode("\xEF\xBB\xBF" + text, skip_invalid);
    ASSERT_EQ(by_items.status.ok(), whole.status.ok());
    if (!whole.status.ok()) {
        EXPECT_EQ(by_items.status.error(), whole.status.error());
        return;
    }
    EXPECT_EQ(origins(by_items.objects.workloads), origins(whole.objects.workloads));
    EXPECT_EQ(origins(by_items.objects.pods), origins(whole.objects.pods));
    EXPECT_EQ(origins(by_items.objects.services), origins(whole.objects.services));
    EXPECT_EQ(origins(by_items.objects.policies), origins(whole.objects.policies));
    EXPECT_EQ(origins(by_items.objects.namespaces), origins(whole.objects.namespaces));
    EXPECT_EQ(by_items.stats.objects, whole.stats.objects);
    EXPECT_EQ(by_items.stats.documents, whole.stats.documents);
    EXPECT_EQ(by_items.stats.invalid, whole.stats.invalid);
    EXPECT_EQ(by_items.stats.invalid_examples, whole.stats.invalid_examples);
    EXPECT_EQ(by_items.stats.warnings, whole.stats.warnings);
}

const std::string kPod = R"({
      "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
      "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 8080}]}]},
      "status": {"podIP": "10.0.0.5"}
    })";

std::string podList(const std::string& items) {
    return "{\n  \"kind\": \"PodList\",\n  \"apiVersion\": \"v1\",\n  \"metadata\": "
           "{\"resourceVersion\": \"12\"},\n  \"items\": [\n    " +
           items + "\n  ]\n}\n";
}

TEST(ListByItems, AListOfKindsDecodesAsWhole) {
    const std::string text = R"({"kind": "List", "apiVersion": "v1", "items": [
  {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": "shop", "labels": {"team": "a"}}},
  {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": {"name": "web", "namespace": "shop"},
   "spec": {"selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]}}}},
  {"kind": "List", "apiVersion": "v1", "items": [
    {"kind": "Service", "apiVersion": "v1", "metadata": {"name": "web", "namespace": "shop"},
     "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}}]},
  {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "x", "namespace": "shop"}},
  {"kind": "Widget", "apiVersion": "example.com/v1", "metadata": {"name": "w"}},
  {"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1",
   "metadata": {"name": "np", "namespace": "shop"}, "spec": {"podSelector": {}}}
]})";
    expectSameAsWhole(text);
    const Decoded d = decode(text);
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    EXPECT_EQ(origins(d.objects.services), std::vector<std::string>{"list.json:8"});
    EXPECT_EQ(origins(d.objects.policies), std::vector<std::string>{"list.json:12"});
}

TEST(ListByItems, TypedItemsInheritTheirKindWithTheirLines) {
    const std::string text = podList(kPod + ",\n    " + kPod);
    expectSameAsWhole(text);
    const Decoded d = decode(text);
    ASSERT_TRUE(d.status.ok()) << d.status.error();
    EXPECT_EQ(origins(d.objects.pods), (std::vector<std::string>{"list.json:6", "list.json:11"}));
}

TEST(ListByItems, AnInvalidItemGivesTheWholeTextsMessage) {
    std::string bad = kPod;
    bad.replace(bad.find("8080"), 4, "70000");
    expectSameAsWhole(podList(kPod + ",\n    " + bad));
    expectSameAsWhole(podList(kPod + ",\n    " + bad), true);
    // A duplicate key, found only by parsing the item: the whole text's parse error.
    std::string dup = kPod;
    dup.replace(dup.find("\"status\""), 8, "\"spec\"");
    expectSameAsWhole(podList(kPod + ",\n    " + dup));
    // Nesting: the item's limit is the whole text's, less the list's two levels.
    std::string deep =
        "{\"metadata\":{\"name\":\"p\"},\"x\":" + std::string(61, '[') + std::string(61, ']') + "}";
    expectSameAsWhole(podList(deep));
}

TEST(ListByItems, AnItemThatIsNotJsonSendsTheWholeTextToTheYamlReader) {
    // Not JSON (`,0.5"`), but the whole text is valid YAML, which the item alone is not: read
    // whole, as before (found by fuzz_manifests).
    const std::string text = podList(
        R"({"metadata": {"name": "web-1", "namespace": "shop",0.5"}},)"
        "\n    "
        R"({"metadata": {"name": "db\"]}[{", "namespace": "shop"}, "spec": {"containers": []}})");
    expectSameAsWhole(text);
    expectSameAsWhole(text, true);
}

TEST(ListByItems, AnObjectsErrorBeforeAnItemThatDoesNotParseIsTheParseError) {
    // Read whole, the parse fails first; item by item, the first item's unknown kind comes first
    // unless the later item is looked at (found by fuzz_manifests).
    const std::string text = R"({"apiVersion":"v1","kind":"!odList","items":[)"
                             "\n"
                             R"( {"metadata":{"name":"a","namespace":"x"}},)"
                             "\n"
                             R"( {"apiVersion":"v1","kind":"Pod"6"metadata":{"name":"b"}}]})";
    expectSameAsWhole(text);
    expectSameAsWhole(text, true);
}

TEST(ListByItems, AHeadThatIsNoListStillHasItsItemsParsed) {
    // Invalid UTF-8 in an item under a head without kind: read whole, the parse error comes
    // first, with skip_invalid too (found by fuzz_manifests).
    const std::string text =
        "{\"apiVersion\":\"v1\",\"items\":[\n {\"metadata\":{\"na\xC5\xC5me\":1}}]}";
    expectSameAsWhole(text);
    expectSameAsWhole(text, true);
}

TEST(ListByItems, AHeadThatIsNoListDecodesAsTheObjectItIs) {
    expectSameAsWhole(R"({"kind": "Pod", "apiVersion": "v1", "items": [{"a": 1}],
 "metadata": {"name": "p", "namespace": "shop"}, "spec": {"containers": [{"name": "c"}]}})");
    expectSameAsWhole(R"({"kind": "PodList", "apiVersion": "v2", "items": [{"a": 1}]})");
    expectSameAsWhole(R"({"kind": "PodList", "apiVersion": "v2", "items": [{"a": 1}]})", true);
}

}  // namespace
}  // namespace netpolgen::io
