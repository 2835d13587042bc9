#include "core/label_selector.h"

#include <algorithm>

namespace netpolgen::core {
namespace {

bool contains(const std::vector<std::string>& values, const std::string& v) {
    return std::find(values.begin(), values.end(), v) != values.end();
}

bool requirementMatches(const SelectorRequirement& r, const Labels& labels) {
    auto it = labels.find(r.key);
    const bool present = it != labels.end();
    switch (r.op) {
        case SelectorOperator::kIn:
            return present && contains(r.values, it->second);
        case SelectorOperator::kNotIn:
            return !present || !contains(r.values, it->second);
        case SelectorOperator::kExists:
            return present;
        case SelectorOperator::kDoesNotExist:
            return !present;
    }
    return false;
}

}  // namespace

std::string_view selectorOperatorName(SelectorOperator op) {
    switch (op) {
        case SelectorOperator::kIn:
            return "In";
        case SelectorOperator::kNotIn:
            return "NotIn";
        case SelectorOperator::kExists:
            return "Exists";
        case SelectorOperator::kDoesNotExist:
            return "DoesNotExist";
    }
    return "In";
}

std::optional<SelectorOperator> parseSelectorOperator(std::string_view text) {
    if (text == "In") {
        return SelectorOperator::kIn;
    }
    if (text == "NotIn") {
        return SelectorOperator::kNotIn;
    }
    if (text == "Exists") {
        return SelectorOperator::kExists;
    }
    if (text == "DoesNotExist") {
        return SelectorOperator::kDoesNotExist;
    }
    return std::nullopt;
}

bool LabelSelector::matches(const Labels& labels) const {
    for (const auto& [key, value] : match_labels) {
        auto it = labels.find(key);
        if (it == labels.end() || it->second != value) {
            return false;
        }
    }
    return std::all_of(match_expressions.begin(),
                       match_expressions.end(),
                       [&](const SelectorRequirement& r) { return requirementMatches(r, labels); });
}

std::optional<std::string> LabelSelector::validate() const {
    for (const auto& [key, value] : match_labels) {
        if (key.empty()) {
            return "matchLabels: Invalid value: \"\": name part must be non-empty";
        }
    }
    for (const auto& r : match_expressions) {
        if (r.key.empty()) {
            return "matchExpressions.key: Invalid value: \"\": name part must be non-empty";
        }
        const bool needs_values = r.op == SelectorOperator::kIn || r.op == SelectorOperator::kNotIn;
        if (needs_values && r.values.empty()) {
            return "matchExpressions.values: Required value: must be specified when `operator` is "
                   "'In' or 'NotIn'";
        }
        if (!needs_values && !r.values.empty()) {
            return "matchExpressions.values: Forbidden: may not be specified when `operator` is "
                   "'Exists' or 'DoesNotExist'";
        }
    }
    return std::nullopt;
}

}  // namespace netpolgen::core
