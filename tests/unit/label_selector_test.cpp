#include "core/label_selector.h"

#include <gtest/gtest.h>

namespace netpolgen::core {
namespace {

TEST(LabelSelector, EmptySelectorMatchesEverything) {
    EXPECT_TRUE(LabelSelector{}.matches({}));
    EXPECT_TRUE(LabelSelector{}.matches({{"app", "x"}}));
}

TEST(LabelSelector, MatchLabelsAreAnded) {
    LabelSelector s{{{"app", "web"}, {"tier", "front"}}, {}};
    EXPECT_TRUE(s.matches({{"app", "web"}, {"tier", "front"}, {"extra", "1"}}));
    EXPECT_FALSE(s.matches({{"app", "web"}}));
    EXPECT_FALSE(s.matches({{"app", "web"}, {"tier", "back"}}));
}

TEST(LabelSelector, InNeedsKeyAndValue) {
    LabelSelector s{{}, {{"env", SelectorOperator::kIn, {"prod", "stage"}}}};
    EXPECT_TRUE(s.matches({{"env", "stage"}}));
    EXPECT_FALSE(s.matches({{"env", "dev"}}));
    EXPECT_FALSE(s.matches({}));
}

TEST(LabelSelector, NotInMatchesAbsentKey) {
    LabelSelector s{{}, {{"env", SelectorOperator::kNotIn, {"prod"}}}};
    EXPECT_TRUE(s.matches({}));
    EXPECT_TRUE(s.matches({{"env", "dev"}}));
    EXPECT_FALSE(s.matches({{"env", "prod"}}));
}

TEST(LabelSelector, ExistsAndDoesNotExist) {
    LabelSelector exists{{}, {{"gpu", SelectorOperator::kExists, {}}}};
    LabelSelector absent{{}, {{"gpu", SelectorOperator::kDoesNotExist, {}}}};
    EXPECT_TRUE(exists.matches({{"gpu", ""}}));
    EXPECT_FALSE(exists.matches({}));
    EXPECT_TRUE(absent.matches({}));
    EXPECT_FALSE(absent.matches({{"gpu", "a100"}}));
}

TEST(LabelSelector, LabelsAndExpressionsAreAnded) {
    LabelSelector s{{{"app", "db"}}, {{"role", SelectorOperator::kIn, {"primary"}}}};
    EXPECT_TRUE(s.matches({{"app", "db"}, {"role", "primary"}}));
    EXPECT_FALSE(s.matches({{"app", "db"}, {"role", "replica"}}));
    EXPECT_FALSE(s.matches({{"app", "web"}, {"role", "primary"}}));
}

TEST(LabelSelector, ValidateRejectsInWithoutValues) {
    LabelSelector s{{}, {{"env", SelectorOperator::kIn, {}}}};
    ASSERT_TRUE(s.validate().has_value());
    EXPECT_NE(s.validate()->find("must be specified"), std::string::npos);
}

TEST(LabelSelector, ValidateRejectsExistsWithValues) {
    LabelSelector s{{}, {{"env", SelectorOperator::kExists, {"x"}}}};
    EXPECT_TRUE(s.validate().has_value());
    EXPECT_FALSE(LabelSelector{}.validate().has_value());
}

TEST(LabelSelector, OperatorNamesRoundTrip) {
    for (auto op : {SelectorOperator::kIn,
                    SelectorOperator::kNotIn,
                    SelectorOperator::kExists,
                    SelectorOperator::kDoesNotExist}) {
        EXPECT_EQ(parseSelectorOperator(selectorOperatorName(op)), op);
    }
    EXPECT_FALSE(parseSelectorOperator("in").has_value());
    EXPECT_FALSE(parseSelectorOperator("Equals").has_value());
}

}  // namespace
}  // namespace netpolgen::core
