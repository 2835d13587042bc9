#include "kube/object_text.h"

#include <gtest/gtest.h>

#include "nlohmann/json.hpp"

namespace netpolgen::kube {
namespace {

TEST(ObjectText, ManagedFieldsAreCutWhereverTheyStandAndTheRestIsKeptAsSent) {
    for (const std::string json : {
             R"({"metadata":{"managedFields":[{"manager":"kubectl"}],"name":"a","namespace":"n"}})",
             R"({"metadata":{"name":"a","managedFields":[{"manager":"kubectl"}],"namespace":"n"}})",
             R"({"metadata":{"name":"a","namespace":"n","managedFields":[{"m":"]\"}"}]}})",
             R"({"metadata":{"name":"a","namespace":"n", "managedFields" : [ ] }})",
         }) {
        auto o = objectText(json);
        ASSERT_TRUE(o) << json << ": " << o.error();
        EXPECT_EQ(o->key(), "n/a");
        const auto j = nlohmann::json::parse(o->text);
        EXPECT_FALSE(j["metadata"].contains("managedFields")) << o->text;
        EXPECT_EQ(j["metadata"]["name"], "a") << o->text;
    }
}

TEST(ObjectText, AnObjectWithoutNameIsAnError) {
    EXPECT_FALSE(objectText(R"({"metadata":{}})"));
    EXPECT_FALSE(objectText(R"([1])"));
    EXPECT_FALSE(objectText(R"({"metadata":)"));
}

TEST(ListPage, ItemsWithoutKindAndTheListResourceVersion) {
    auto page = listPage(
        R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"42","continue":"x"},)"
        R"("items":[{"metadata":{"name":"a","namespace":"n","resourceVersion":"40"}},)"
        R"({"metadata":{"name":"b","namespace":"n"}}]})");
    ASSERT_TRUE(page) << page.error();
    EXPECT_EQ(page->resource_version, "42");
    ASSERT_EQ(page->items.size(), 2u);
    EXPECT_EQ(page->items[0].resource_version, "40");
    EXPECT_EQ(page->items[1].key(), "n/b");
    auto empty = listPage(R"({"kind":"PodList","metadata":{"resourceVersion":"1"},"items":null})");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->items.empty());
    EXPECT_FALSE(listPage(R"({"kind":"Status","code":500})"));
}

TEST(WatchEvent, EveryTypeAsTheApiServerSendsIt) {
    auto added = watchEvent(
        R"({"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"p",)"
        R"("namespace":"n","resourceVersion":"7"}}})");
    ASSERT_TRUE(added) << added.error();
    EXPECT_EQ(added->type, WatchEvent::Type::kAdded);
    EXPECT_EQ(added->object.resource_version, "7");
    auto bookmark =
        watchEvent(R"({"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{)"
                   R"("resourceVersion":"12","creationTimestamp":null}}})");
    ASSERT_TRUE(bookmark) << bookmark.error();
    EXPECT_EQ(bookmark->type, WatchEvent::Type::kBookmark);
    EXPECT_EQ(bookmark->object.resource_version, "12");
    auto error = watchEvent(
        R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},)"
        R"j("status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired",)j"
        R"("code":410}})");
    ASSERT_TRUE(error) << error.error();
    EXPECT_EQ(error->type, WatchEvent::Type::kError);
    EXPECT_EQ(error->error_code, 410);
    EXPECT_EQ(error->error_message, "too old resource version: 1 (5)");
    EXPECT_FALSE(watchEvent(R"({"type":"RENAMED","object":{"metadata":{"name":"x"}}})"));
    EXPECT_FALSE(watchEvent(R"({"type":"ADDED"})"));
}

TEST(PodAddresses, AddressesOwnerAndPhase) {
    auto pod = podAddresses(
        R"({"metadata":{"name":"web-5d9-a1b2c","namespace":"shop","ownerReferences":[)"
        R"({"kind":"Node","name":"n1"},{"kind":"ReplicaSet","name":"web-5d9","controller":true}]},)"
        R"("spec":{},"status":{"phase":"Running","podIP":"10.0.0.5","podIPs":[{"ip":"10.0.0.5"},)"
        R"({"ip":"fd00::5"}],"startTime":"2026-01-01T00:00:00Z"}})");
    ASSERT_TRUE(pod) << pod.error();
    EXPECT_EQ(pod->tenant.owner_kind, "ReplicaSet");
    EXPECT_EQ(pod->tenant.owner_name, "web-5d9");
    ASSERT_EQ(pod->ips.size(), 2u);
    EXPECT_EQ(pod->ips[1], *core::IpAddress::parse("fd00::5"));
    EXPECT_EQ(pod->started, std::optional<int64_t>(1767225600));
    EXPECT_FALSE(pod->finished);
    auto host = podAddresses(
        R"({"metadata":{"name":"agent","namespace":"kube-system"},"spec":{"hostNetwork":true},)"
        R"("status":{"phase":"Running","podIP":"192.168.1.10"}})");
    ASSERT_TRUE(host);
    EXPECT_TRUE(host->ips.empty());  // the node's address: no pod's
    auto done = podAddresses(
        R"({"metadata":{"name":"job-x","namespace":"n"},"status":{"phase":"Succeeded","podIP":"10.0.0.9"}})");
    ASSERT_TRUE(done);
    EXPECT_TRUE(done->finished);
}

}  // namespace
}  // namespace netpolgen::kube
