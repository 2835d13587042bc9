// LabelSelector: a Kubernetes metav1.LabelSelector with full semantics.
//
// matchLabels and every matchExpression are ANDed; an empty selector matches everything.
// NotIn matches a label set that lacks the key (docs/networkpolicy-semantics.md rule 25).
//
//   LabelSelector s;
//   s.match_labels["app"] = "web";
//   s.match_expressions.push_back({"tier", SelectorOperator::kNotIn, {"db"}});
//   s.matches({{"app", "web"}})  // true: no "tier" label, so NotIn holds
#pragma once

#include <compare>
#include <optional>
#include <string>
#include <vector>

#include "core/labels.h"

namespace netpolgen::core {

enum class SelectorOperator : uint8_t { kIn, kNotIn, kExists, kDoesNotExist };

std::string_view selectorOperatorName(SelectorOperator op);
std::optional<SelectorOperator> parseSelectorOperator(std::string_view text);

struct SelectorRequirement {
    std::string key;
    SelectorOperator op = SelectorOperator::kIn;
    std::vector<std::string> values;

    auto operator<=>(const SelectorRequirement&) const = default;
};

struct LabelSelector {
    Labels match_labels;
    std::vector<SelectorRequirement> match_expressions;

    bool empty() const { return match_labels.empty() && match_expressions.empty(); }
    bool matches(const Labels& labels) const;

    // Checks the API server's rules: In/NotIn need values, Exists/DoesNotExist take none, keys
    // are not empty. Returns the first problem in the API server's wording, or nothing.
    std::optional<std::string> validate() const;

    auto operator<=>(const LabelSelector&) const = default;
};

// A selector that matches exactly the given labels (matchLabels only).
inline LabelSelector selectorFromLabels(const Labels& labels) {
    return LabelSelector{labels, {}};
}

}  // namespace netpolgen::core
