// server/json_text.h: the API's JSON text equals nlohmann's dump(2) byte for byte.
#include "server/json_text.h"

#include <gtest/gtest.h>

#include <random>

namespace netpolgen::server {
namespace {

using nlohmann::json;

// A random string: mostly ASCII with every escape, some valid multi-byte UTF-8.
std::string randomText(std::mt19937& rng) {
    static const std::vector<std::string> pieces = {"a",
                                                    "Z",
                                                    "9",
                                                    " ",
                                                    "\"",
                                                    "\\",
                                                    "/",
                                                    "\n",
                                                    "\r",
                                                    "\t",
                                                    "\b",
                                                    "\f",
                                                    std::string(1, '\0'),
                                                    "\x01",
                                                    "\x1f",
                                                    "\x7f",
                                                    "é",
                                                    "€",
                                                    "𝄞",
                                                    "ü",
                                                    "apiVersion: networking.k8s.io/v1\n"};
    std::string out;
    const size_t n = rng() % 40;  // long enough for the 8-byte steps
    for (size_t i = 0; i < n; ++i) {
        out += pieces[rng() % pieces.size()];
    }
    return out;
}

json randomValue(std::mt19937& rng, int depth) {
    switch (rng() % (depth > 3 ? 6 : 8)) {
        case 0:
            return nullptr;
        case 1:
            return rng() % 2 == 0;
        case 2:
            return static_cast<int64_t>(rng()) - (1LL << 31);
        case 3:
            return static_cast<uint64_t>(rng()) << 20;
        case 4:
            return static_cast<double>(rng() % 1000) / 8.0;
        case 5:
            return randomText(rng);
        case 6: {
            json a = json::array();
            for (size_t i = rng() % 4; i > 0; --i) {
                a.push_back(randomValue(rng, depth + 1));
            }
            return a;
        }
        default: {
            json o = json::object();
            for (size_t i = rng() % 4; i > 0; --i) {
                o[randomText(rng)] = randomValue(rng, depth + 1);
            }
            return o;
        }
    }
}

TEST(JsonText, EqualsNlohmannDumpOnRandomValues) {
    std::mt19937 rng(20261127);
    for (int i = 0; i < 3000; ++i) {
        const json value = randomValue(rng, 0);
        ASSERT_EQ(jsonText(value), value.dump(2)) << "case " << i;
    }
}

TEST(JsonText, EmptyContainersAndNesting) {
    const json value = {{"a", json::array()}, {"b", json::object()}, {"c", {1, {{"d", "x"}}}}};
    EXPECT_EQ(jsonText(value), value.dump(2));
}

TEST(JsonText, InvalidUtf8BecomesReplacementCharacters) {
    // A lone continuation byte, a truncated sequence, an overlong form, a surrogate.
    std::string out;
    appendJsonString(out,
                     "a\x80"
                     "b\xE2\x82"
                     "c\xC0\xAF"
                     "d\xED\xA0\x80");
    const std::string r = "\xEF\xBF\xBD";
    EXPECT_EQ(out, "\"a" + r + "b" + r + r + "c" + r + r + "d" + r + r + r + "\"");
    EXPECT_EQ(json::parse(out).get<std::string>().size(), out.size() - 2);
}

}  // namespace
}  // namespace netpolgen::server
