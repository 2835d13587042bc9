#include "server/json_text.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace netpolgen::server {
namespace {

using nlohmann::json;

constexpr int kIndent = 2;

// Length of the valid UTF-8 sequence at the start of `s` (non-empty, first byte >= 0x80), or 0.
size_t utf8SequenceLength(std::string_view s) {
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char b0 = byte(0);
    size_t length = 0;
    unsigned char low = 0x80;  // bounds of the second byte: no overlong forms, no surrogates
    unsigned char high = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        length = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        length = 3;
        low = b0 == 0xE0 ? 0xA0 : 0x80;
        high = b0 == 0xED ? 0x9F : 0xBF;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        length = 4;
        low = b0 == 0xF0 ? 0x90 : 0x80;
        high = b0 == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (s.size() < length || byte(1) < low || byte(1) > high) {
        return 0;
    }
    for (size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xBF) {
            return 0;
        }
    }
    return length;
}

// The escape of an ASCII byte, or nullptr when it is written as is.
const char* shortEscape(unsigned char c) {
    switch (c) {
        case '"':
            return "\\\"";
        case '\\':
            return "\\\\";
        case '\b':
            return "\\b";
        case '\f':
            return "\\f";
        case '\n':
            return "\\n";
        case '\r':
            return "\\r";
        case '\t':
            return "\\t";
        default:
            return nullptr;
    }
}

void newline(std::string& out, int level) {
    out += '\n';
    out.append(static_cast<size_t>(level * kIndent), ' ');
}

template <typename Integer>
void appendInteger(std::string& out, Integer value) {
    char buffer[24];
    const auto end = std::to_chars(buffer, buffer + sizeof buffer, value).ptr;
    out.append(buffer, end);
}

void appendValue(std::string& out, const json& value, int level) {
    switch (value.type()) {
        case json::value_t::object: {
            if (value.empty()) {
                out += "{}";
                return;
            }
            out += '{';
            bool first = true;
            for (const auto& [key, member] : value.items()) {
                out += first ? "" : ",";
                first = false;
                newline(out, level + 1);
                appendJsonString(out, key);
                out += ": ";
                appendValue(out, member, level + 1);
            }
            newline(out, level);
            out += '}';
            return;
        }
        case json::value_t::array: {
            if (value.empty()) {
                out += "[]";
                return;
            }
            out += '[';
            for (size_t i = 0; i < value.size(); ++i) {
                out += i == 0 ? "" : ",";
                newline(out, level + 1);
                appendValue(out, value[i], level + 1);
            }
            newline(out, level);
            out += ']';
            return;
        }
        case json::value_t::string:
            appendJsonString(out, value.get_ref<const std::string&>());
            return;
        case json::value_t::number_integer:
            appendInteger(out, value.get<int64_t>());
            return;
        case json::value_t::number_unsigned:
            appendInteger(out, value.get<uint64_t>());
            return;
        default:  // null, booleans, floating point: nlohmann's own text
            out += value.dump();
            return;
    }
}

// Bytes copied as they are: printable ASCII but '"' and '\\'.
constexpr std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> plain{};
    for (int c = 0x20; c < 0x80; ++c) {
        plain[static_cast<size_t>(c)] = c != '"' && c != '\\';
    }
    return plain;
}();

}  // namespace

// True when one of the 8 bytes of `word` is not plain: a control character, '"', '\\' or
// non-ASCII. Most of a YAML document is plain: the loop skips it 8 bytes at a time.
bool hasSpecialByte(uint64_t word) {
    constexpr uint64_t kOnes = 0x0101010101010101ULL;
    constexpr uint64_t kHigh = 0x8080808080808080ULL;
    const auto zeroByte = [&](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    const uint64_t below_space = (word - kOnes * 0x20) & ~word & kHigh;
    return ((word & kHigh) | below_space | zeroByte(word ^ (kOnes * '"')) |
            zeroByte(word ^ (kOnes * '\\'))) != 0;
}

void appendJsonString(std::string& out, std::string_view text) {
    out += '"';
    appendJsonEscaped(out, text);
    out += '"';
}

void appendJsonEscaped(std::string& out, std::string_view text) {
    if (out.capacity() - out.size() < text.size() + 2) {
        // One allocation for a large string and its escapes (a newline every ~40 bytes in YAML),
        // growing geometrically so that many small strings stay linear.
        out.reserve(std::max(out.size() + text.size() + text.size() / 16 + 16, 2 * out.size()));
    }
    size_t run = 0;  // start of the bytes not yet copied
    size_t i = 0;
    const auto flush = [&] { out.append(text.data() + run, i - run); };
    while (i < text.size()) {
        if (uint64_t word = 0; i + 8 <= text.size()) {
            std::memcpy(&word, text.data() + i, 8);
            if (!hasSpecialByte(word)) {
                i += 8;
                continue;
            }
        }
        const auto c = static_cast<unsigned char>(text[i]);
        if (kPlain[c]) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            if (const size_t length = utf8SequenceLength(text.substr(i)); length > 0) {
                i += length;
                continue;
            }
            flush();
            out += "\xEF\xBF\xBD";  // U+FFFD for the invalid byte
            run = ++i;
            continue;
        }
        flush();
        if (const char* escape = shortEscape(c)) {
            out += escape;
        } else {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\u00";
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        }
        run = ++i;
    }
    flush();
}

std::string jsonText(const json& value) {
    std::string out;
    appendValue(out, value, 0);
    return out;
}

}  // namespace netpolgen::server
