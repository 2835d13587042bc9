#include "io/yaml_writer.h"

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

namespace netpolgen::io {
namespace {

using nlohmann::json;

// libyaml reads a block mapping key written plainly or in quotes ("simple key") only when it is at
// most 1024 characters long; longer keys are written as explicit `? key` entries.
constexpr size_t kMaxSimpleKeyBytes = kYamlMaxSimpleKeyBytes;
constexpr size_t kIndentStep = 2;
constexpr std::string_view kHexDigits = "0123456789ABCDEF";

char lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

// Plain scalars some YAML 1.1 or 1.2 reader types as null, a boolean, a special float, a merge
// key or a value key.
bool isKeyword(std::string_view text) {
    static constexpr std::string_view kKeywords[] = {"null",
                                                     "~",
                                                     "true",
                                                     "false",
                                                     "yes",
                                                     "no",
                                                     "on",
                                                     "off",
                                                     "y",
                                                     "n",
                                                     ".inf",
                                                     "+.inf",
                                                     "-.inf",
                                                     ".nan",
                                                     "<<",
                                                     "="};
    for (const std::string_view keyword : kKeywords) {
        if (equalsIgnoreCase(text, keyword)) {
            return true;
        }
    }
    return false;
}

// Conservative: anything that starts like a number and uses only characters that can occur in an
// integer (any base, underscores, sexagesimal), a float or a timestamp. "10.0.0.0/8" and "3rd"
// stay plain; "80", "0x1F", "1e3", ".5", "+1", "1_000", "1:20", "1.2.3", "2024-01-01" are quoted.
bool looksNumeric(std::string_view text) {
    const char first = text[0];
    if (!((first >= '0' && first <= '9') || first == '+' || first == '-' || first == '.')) {
        return false;
    }
    constexpr std::string_view kNumberChars = "0123456789abcdefABCDEFxXoObBpPtTzZ._+-: ";
    return text.find_first_not_of(kNumberChars) == std::string_view::npos;
}

// Appends `text` as a double-quoted scalar, JSON-escaped. Characters YAML treats as line breaks or
// does not allow raw (C0/C1 controls, DEL, NEL, U+2028/2029, BOM, U+FFFE/FFFF) are written as
// \uXXXX; bytes that are not valid UTF-8 become \uFFFD.
void appendQuoted(std::string& out, std::string_view text) {
    const auto append_escape = [&out](uint32_t code_point) {
        out += "\\u";
        for (int shift = 12; shift >= 0; shift -= 4) {
            out += kHexDigits[(code_point >> shift) & 0xFu];
        }
    };
    out += '"';
    size_t pos = 0;
    while (pos < text.size()) {
        const auto c = static_cast<unsigned char>(text[pos]);
        if (c < 0x80) {
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                default:
                    if (c < 0x20 || c == 0x7F) {
                        append_escape(c);
                    } else {
                        out += static_cast<char>(c);
                    }
            }
            ++pos;
            continue;
        }
        // Decode one multi-byte UTF-8 character.
        size_t len = 0;
        uint32_t code_point = 0;
        uint32_t min = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            code_point = c & 0x1Fu;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            code_point = c & 0x0Fu;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            code_point = c & 0x07u;
            min = 0x10000;
        }
        bool valid = len != 0 && pos + len <= text.size();
        for (size_t i = 1; valid && i < len; ++i) {
            const auto cc = static_cast<unsigned char>(text[pos + i]);
            valid = (cc & 0xC0u) == 0x80u;
            code_point = (code_point << 6) | (cc & 0x3Fu);
        }
        if (!valid || code_point < min || code_point > 0x10FFFF ||
            (code_point >= 0xD800 && code_point <= 0xDFFF)) {
            append_escape(0xFFFD);
            ++pos;
            continue;
        }
        if (code_point <= 0x9F || code_point == 0x2028 || code_point == 0x2029 ||
            code_point == 0xFEFF || code_point == 0xFFFE || code_point == 0xFFFF) {
            append_escape(code_point);
        } else {
            out.append(text.substr(pos, len));
        }
        pos += len;
    }
    out += '"';
}

void appendString(std::string& out, std::string_view text) {
    appendYamlString(out, text);
}

void appendScalar(std::string& out, const json& value) {
    switch (value.type()) {
        case json::value_t::string:
            appendString(out, value.get_ref<const std::string&>());
            break;
        case json::value_t::boolean:
            out += value.get<bool>() ? "true" : "false";
            break;
        case json::value_t::number_float: {
            const double d = value.get<double>();
            if (std::isnan(d)) {
                out += ".nan";
            } else if (std::isinf(d)) {
                out += d > 0 ? ".inf" : "-.inf";
            } else {
                out += value.dump();
            }
            break;
        }
        case json::value_t::number_integer:
        case json::value_t::number_unsigned:
            out += value.dump();
            break;
        case json::value_t::object:
            out += "{}";
            break;
        case json::value_t::array:
            out += "[]";
            break;
        case json::value_t::binary: {  // not produced by our code; written as a list of bytes
            out += '[';
            const char* separator = "";
            for (const uint8_t byte : value.get_binary()) {
                out += separator;
                out += std::to_string(byte);
                separator = ", ";
            }
            out += ']';
            break;
        }
        default:  // null, discarded
            out += "null";
            break;
    }
}

bool isBlock(const json& value) {
    return (value.is_object() || value.is_array()) && !value.empty();
}

// One open block collection. Entries of a collection that starts right after "- " continue that
// line: the first entry is not indented.
struct Frame {
    const json* container;
    json::const_iterator next;
    size_t indent;
    bool first_inline;
    bool first = true;
};

}  // namespace

bool yamlNeedsQuotes(std::string_view text) {
    if (text.empty() || isKeyword(text) || looksNumeric(text)) {
        return true;
    }
    constexpr std::string_view kIndicators = "-?:,[]{}#&*!|>'\"%@` ";
    if (kIndicators.find(text.front()) != std::string_view::npos) {
        return true;
    }
    if (text.back() == ' ' || text.back() == ':') {
        return true;
    }
    if (text.find(": ") != std::string_view::npos || text.find(" #") != std::string_view::npos ||
        text.substr(0, 3) == "...") {
        return true;
    }
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7F) {  // controls, newlines, tabs, DEL, non-ASCII
            return true;
        }
    }
    return false;
}

void appendYamlString(std::string& out, std::string_view text) {
    if (yamlNeedsQuotes(text)) {
        appendQuoted(out, text);
    } else {
        out.append(text);
    }
}

std::string writeYaml(const json& value) {
    std::string out;
    if (!isBlock(value)) {
        appendScalar(out, value);
        out += '\n';
        return out;
    }
    // An explicit stack instead of recursion: the value may nest arbitrarily deep.
    std::vector<Frame> stack;
    stack.push_back(Frame{&value, value.cbegin(), 0, false});
    while (!stack.empty()) {
        Frame& frame = stack.back();
        if (frame.next == frame.container->cend()) {
            stack.pop_back();
            continue;
        }
        if (!frame.first || !frame.first_inline) {
            out.append(frame.indent, ' ');
        }
        frame.first = false;
        const size_t indent = frame.indent;
        const json::const_iterator entry = frame.next++;
        const json& child = entry.value();
        // `frame` may dangle after a push_back below.
        if (frame.container->is_array()) {
            out += "- ";
            if (isBlock(child)) {
                stack.push_back(Frame{&child, child.cbegin(), indent + kIndentStep, true});
            } else {
                appendScalar(out, child);
                out += '\n';
            }
            continue;
        }
        std::string key;
        appendString(key, entry.key());
        if (key.size() > kMaxSimpleKeyBytes) {
            // ? key
            // : value
            out += "? ";
            out += key;
            out += '\n';
            out.append(indent, ' ');
            out += ':';
            if (isBlock(child)) {
                out += '\n';
                stack.push_back(Frame{&child, child.cbegin(), indent + kIndentStep, false});
            } else {
                out += ' ';
                appendScalar(out, child);
                out += '\n';
            }
            continue;
        }
        out += key;
        out += ':';
        if (isBlock(child)) {
            out += '\n';
            // kubectl style: a list under a key starts at the key's own indentation.
            const size_t child_indent = child.is_array() ? indent : indent + kIndentStep;
            stack.push_back(Frame{&child, child.cbegin(), child_indent, false});
        } else {
            out += ' ';
            appendScalar(out, child);
            out += '\n';
        }
    }
    return out;
}

}  // namespace netpolgen::io
