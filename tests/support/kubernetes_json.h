// Test oracle shared by the unit tests and the fuzz target: a SourceNode turned into JSON with the
// Kubernetes (sigs.k8s.io/yaml) typing rules, written from the rules rather than from the decoder.
#pragma once

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "io/source_tree.h"

namespace netpolgen::testing {

// go-yaml v2's float rule:
//   [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
// Only finite values in range count; anything else stays a string.
inline std::optional<double> plainFloat(const std::string& text) {
    // go-yaml tries numbers only for scalars that start with a digit, a sign or a dot, and removes
    // underscores except after a leading dot.
    if (text.empty() || !((text[0] >= '0' && text[0] <= '9') || text[0] == '+' || text[0] == '-' ||
                          text[0] == '.')) {
        return std::nullopt;
    }
    std::string s;
    for (const char c : text) {
        if (c != '_' || text[0] == '.') {
            s += c;
        }
    }
    size_t i = 0;
    const auto digits = [&] {
        const size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
        }
        return i - start;
    };
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        ++i;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (digits() == 0) {
            return std::nullopt;
        }
    } else {
        if (digits() == 0) {
            return std::nullopt;
        }
        if (i < s.size() && s[i] == '.') {
            ++i;
            digits();
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            ++i;
        }
        if (digits() == 0) {
            return std::nullopt;
        }
    }
    if (i != s.size()) {
        return std::nullopt;
    }
    const char* begin = s.data() + (s[0] == '+' ? 1 : 0);
    double value = 0;
    const auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), value);
    if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(value)) {
        return std::nullopt;
    }
    return value;
}

// SourceNode → JSON with the Kubernetes (sigs.k8s.io/yaml) typing rules: quoted scalars are
// strings; plain ones are null, booleans, integers, floats, or else strings.
inline nlohmann::json toJson(
    const io::SourceNode& node) {  // NOLINT(misc-no-recursion): depth <= max_depth
    if (node.isMapping()) {
        nlohmann::json out = nlohmann::json::object();
        for (const io::SourceNode& child : node.children) {
            out[child.key] = toJson(child);
        }
        return out;
    }
    if (node.isSequence()) {
        nlohmann::json out = nlohmann::json::array();
        for (const io::SourceNode& child : node.children) {
            out.push_back(toJson(child));
        }
        return out;
    }
    if (node.quoted) {
        return node.value;
    }
    if (io::isNull(node)) {
        return nullptr;
    }
    if (auto b = io::asBool(node)) {
        return *b;
    }
    if (auto i = io::asInteger(node)) {
        return *i;
    }
    if (auto d = plainFloat(node.value)) {
        return *d;
    }
    return node.value;
}

}  // namespace netpolgen::testing
