// ASCII case folding for protocol and option words (HTTP media types, query scopes, CLI choices):
// locale-independent, byte by byte, so "TEXT/Plain" and "text/plain" compare equal everywhere.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>

namespace netpolgen::core {

inline std::string asciiLower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
        return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    return out;
}

}  // namespace netpolgen::core
