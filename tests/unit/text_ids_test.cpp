#include "core/text_ids.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace netpolgen::core {
namespace {

TEST(TextIds, EqualTextsGetOneIdInOrderOfFirstSight) {
    TextIds ids;
    EXPECT_EQ(ids.find("shop/web"), TextIds::kNone);
    EXPECT_EQ(ids.intern("shop/web"), std::make_pair(0u, true));
    EXPECT_EQ(ids.intern("shop/cart"), std::make_pair(1u, true));
    // Another copy of the bytes, not the same pointer.
    const std::string again = std::string("shop/") + "web";
    EXPECT_EQ(ids.intern(again), std::make_pair(0u, false));
    EXPECT_EQ(ids.find("shop/cart"), 1u);
    EXPECT_EQ(ids.find("shop/car"), TextIds::kNone);
    EXPECT_EQ(ids.intern(""), std::make_pair(2u, true));
    EXPECT_EQ(ids.intern(""), std::make_pair(2u, false));
    EXPECT_EQ(ids.text(0), "shop/web");
    EXPECT_EQ(ids.text(1), "shop/cart");
    EXPECT_EQ(ids.text(2), "");
    EXPECT_EQ(ids.size(), 3u);
}

// Every text of every length up to 40, with texts that differ in one byte only, through several
// rehashes: each keeps its id and its bytes.
TEST(TextIds, ManyTextsSurviveGrowth) {
    TextIds ids;
    std::vector<std::string> texts;
    for (int i = 0; i < 20000; ++i) {
        std::string t(static_cast<size_t>(i % 41), 'a');
        if (!t.empty()) {
            t[static_cast<size_t>(i) % t.size()] = static_cast<char>('b' + i / 41 % 20);
            t += std::to_string(i / 820);
        }
        texts.push_back(t);
    }
    std::vector<uint32_t> first(texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
        first[i] = ids.intern(texts[i]).first;
    }
    for (size_t i = 0; i < texts.size(); ++i) {
        ASSERT_EQ(ids.intern(texts[i]), std::make_pair(first[i], false)) << texts[i];
        ASSERT_EQ(ids.text(first[i]), texts[i]);
        ASSERT_EQ(ids.find(texts[i]), first[i]);
    }
}

// With a hash that gives every text the same value, equal texts still resolve identically and
// different texts stay apart (compared byte for byte).
struct SameHash {
    uint64_t operator()(std::string_view) const { return 42; }
};

TEST(TextIds, FullHashCollisionsAreToldApart) {
    BasicTextIds<SameHash> ids;
    const std::vector<std::string> texts = {"a/b", "a/c", "b/b", "a/b/c", "", "a/bb"};
    for (size_t round = 0; round < 2; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
            const auto [id, added] = ids.intern(texts[i]);
            EXPECT_EQ(id, i) << texts[i];
            EXPECT_EQ(added, round == 0) << texts[i];
        }
    }
    for (int i = 0; i < 200; ++i) {  // a long probe chain through rehashes
        ids.intern("x" + std::to_string(i));
    }
    for (size_t i = 0; i < texts.size(); ++i) {
        EXPECT_EQ(ids.find(texts[i]), i);
    }
    EXPECT_EQ(ids.find("zz"), decltype(ids)::kNone);
}

TEST(TextHash, DependsOnEveryByteAndTheLength) {
    const TextHash h;
    EXPECT_NE(h("ab"), h("ba"));
    EXPECT_NE(h("a"), h(std::string_view("a\0", 2)));
    EXPECT_NE(h("abcdefgh"), h("abcdefgi"));
    EXPECT_NE(h("abcdefghijklmnop1"), h("abcdefghijklmnop2"));
    EXPECT_NE(h("shop/frontend-0001"), h("shop/frontend-0002"));
    EXPECT_EQ(h(std::string("shop/web")), h("shop/web"));
}

}  // namespace
}  // namespace netpolgen::core
