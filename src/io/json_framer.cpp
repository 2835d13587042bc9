#include "io/json_framer.h"

#include <array>
#include <string>

namespace netpolgen::io::detail {
namespace {

// What a byte means to the framer; everything else is kPlain.
enum Class : uint8_t { kPlain, kQuote, kBackslash, kNewline, kOpen, kClose, kComma, kSpace };

constexpr std::array<uint8_t, 256> buildClasses() {
    std::array<uint8_t, 256> c{};
    c['"'] = kQuote;
    c['\\'] = kBackslash;
    c['\n'] = kNewline;
    c['{'] = kOpen;
    c['['] = kOpen;
    c['}'] = kClose;
    c[']'] = kClose;
    c[','] = kComma;
    c[' '] = kSpace;
    c['\t'] = kSpace;
    c['\r'] = kSpace;
    return c;
}

constexpr std::array<uint8_t, 256> kClasses = buildClasses();

// The bytes that end a run of plain bytes inside a string: 1 for '"', '\\' and newline.
constexpr std::array<uint8_t, 256> buildInString() {
    std::array<uint8_t, 256> c{};
    c['"'] = 1;
    c['\\'] = 1;
    c['\n'] = 1;
    return c;
}

constexpr std::array<uint8_t, 256> kInString = buildInString();

uint8_t classOf(char c) {
    return kClasses[static_cast<unsigned char>(c)];
}

bool isSpace(char c) {
    const uint8_t k = classOf(c);
    return k == kSpace || k == kNewline;
}

size_t skipSpace(const char* data, size_t pos, size_t size) {
    while (pos < size && isSpace(data[pos])) {
        ++pos;
    }
    return pos;
}

// A byte for a message: itself when printable, else its code.
std::string shown(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
        return std::string("`") + c + "`";
    }
    constexpr const char* kHex = "0123456789abcdef";
    return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

}  // namespace

LineShape lineShape(const char* data, size_t size) {
    const size_t first = skipSpace(data, 0, size);
    if (first == size) {
        return LineShape::kBlank;
    }
    if (data[first] == '[') {
        return LineShape::kArray;
    }
    if (data[first] != '{') {
        return LineShape::kOther;
    }
    // A top-level "{" is always framed as an object: the first event is its end or kNeedMore.
    JsonFramer framer(1);
    if (framer.next(data + first, size - first) != JsonFramer::Event::kRecord) {
        return LineShape::kUnclosed;
    }
    const size_t rest = skipSpace(data, first + framer.record().end, size);
    if (rest == size) {
        return LineShape::kOneObject;
    }
    return data[rest] == '{' || data[rest] == '[' ? LineShape::kMore : LineShape::kOther;
}

void JsonFramer::shift(size_t by) {
    pos_ -= by;
    if (in_value_) {
        record_.begin = dropped_ ? 0 : record_.begin - by;
    }
}

JsonFramer::Event JsonFramer::invalid(std::string message) {
    message_ = std::move(message);
    return Event::kInvalid;
}

JsonFramer::Event JsonFramer::fatal(char c) {
    record_.has_ordinal = false;
    record_.line = line_;
    message_ = "expected a JSON object or array, got " + shown(c) + "; " + kFramingHint;
    return Event::kFatal;
}

// Scans the value being read; true when it has ended at pos_ (one past its last byte). The state
// is kept in locals while scanning: the bytes read are chars, which may alias the members.
bool JsonFramer::scanValue(const char* base, size_t len) {
    const bool element = record_.element;
    size_t pos = pos_;
    uint64_t line = line_;
    uint64_t depth = depth_;
    bool in_string = in_string_;
    bool escaped = escaped_;
    bool ended = false;
    while (pos < len && !ended) {
        if (in_string) {
            if (escaped) {
                escaped = false;
                line += base[pos] == '\n' ? 1 : 0;
                ++pos;
                continue;
            }
            while (pos < len && kInString[static_cast<unsigned char>(base[pos])] == 0) {
                ++pos;
            }
            if (pos == len) {
                break;
            }
            const char c = base[pos++];
            if (c == '"') {
                in_string = false;
            } else if (c == '\\') {
                escaped = true;
            } else {
                ++line;  // a raw newline: invalid JSON, but still a line
            }
            continue;
        }
        const char c = base[pos];
        switch (classOf(c)) {
            case kQuote:
                in_string = true;
                break;
            case kNewline:
                ++line;
                break;
            case kOpen:
                ++depth;
                break;
            case kClose:
                if (depth == 0) {
                    // Only in an element (a top-level object ends when its depth reaches 0): a
                    // "]" ends the element and the array; a stray "}" is part of the element.
                    ended = c == ']';
                    if (ended) {
                        continue;
                    }
                    break;
                }
                ended = --depth == 0 && !element;
                break;
            case kComma:
                ended = element && depth == 0;
                if (ended) {
                    continue;
                }
                break;
            default:
                break;
        }
        ++pos;
    }
    pos_ = pos;
    line_ = line;
    depth_ = depth;
    in_string_ = in_string;
    escaped_ = escaped;
    return ended;
}

JsonFramer::Event JsonFramer::endValue() {
    in_value_ = false;
    record_.end = pos_;
    if (record_.element) {
        expect_ = Expect::kAfterElement;
    }
    if (dropped_) {
        dropped_ = false;
        return Event::kNeedMore;  // already reported as too long
    }
    return Event::kRecord;
}

JsonFramer::Event JsonFramer::next(const char* base, size_t len) {
    while (pos_ < len) {
        if (in_value_) {
            if (!scanValue(base, len)) {
                break;
            }
            if (const Event e = endValue(); e != Event::kNeedMore) {
                return e;
            }
            continue;
        }
        const char c = base[pos_];
        const uint8_t k = classOf(c);
        if (k == kSpace || k == kNewline) {
            line_ += k == kNewline ? 1 : 0;
            ++pos_;
            continue;
        }
        record_ = Record{pos_, pos_, line_, 0, in_array_, true};
        if (!in_array_) {
            if (c == '{') {
                record_.ordinal = ++objects_;
                in_value_ = true;
                depth_ = 0;
                continue;
            }
            if (c == '[') {
                in_array_ = true;
                array_line_ = line_;
                elements_ = 0;
                expect_ = Expect::kFirst;
                ++pos_;
                continue;
            }
            return fatal(c);
        }
        if (c == ']') {
            ++pos_;
            in_array_ = false;
            if (expect_ == Expect::kAfterComma) {
                record_.ordinal = elements_;
                return invalid("trailing comma after the last element of the array");
            }
            continue;
        }
        if (c == ',') {
            ++pos_;
            if (expect_ == Expect::kAfterElement) {
                expect_ = Expect::kAfterComma;
                continue;
            }
            record_.ordinal = ++elements_;
            return invalid("empty array element");
        }
        record_.ordinal = ++elements_;
        in_value_ = true;
        depth_ = 0;
    }
    return Event::kNeedMore;
}

JsonFramer::Event JsonFramer::finish() {
    if (in_value_) {
        if (record_.element && depth_ == 0 && !in_string_) {
            // A whole element with no "]" after it: parse it, then report the unclosed array.
            return endValue() == Event::kRecord ? Event::kRecord : finish();
        }
        in_value_ = false;
        in_array_ = false;  // one report for the element and its array
        if (dropped_) {
            dropped_ = false;
            return Event::kNeedMore;
        }
        return invalid(std::string(record_.element ? "element" : "object") +
                       " not closed at the end of the input (truncated?)");
    }
    if (in_array_) {
        in_array_ = false;
        record_ = Record{pos_, pos_, array_line_, 0, false, false};
        return invalid(
            "the JSON array is not closed: no \"]\" before the end of the input (truncated?)");
    }
    return Event::kNeedMore;
}

}  // namespace netpolgen::io::detail
