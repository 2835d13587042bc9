#include "io/json_list_items.h"

namespace netpolgen::io {
namespace {

bool isSpace(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

// Walks JSON text by structure only. Every step is bounded by the text's size.
class Scanner {
public:
    explicit Scanner(std::string_view text) : s_(text) {}

    size_t at() const { return i_; }
    bool done() const { return i_ >= s_.size(); }
    char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
    void next() { ++i_; }
    void skipSpace() {
        while (i_ < s_.size() && isSpace(s_[i_])) {
            ++i_;
        }
    }

    // At a '"': past the closing quote; its raw contents (escapes kept) in `raw`.
    bool string(std::string_view& raw) {
        const size_t start = ++i_;
        while (i_ < s_.size()) {
            const char c = s_[i_];
            if (c == '\\') {
                i_ += 2;
                continue;
            }
            ++i_;
            if (c == '"') {
                raw = s_.substr(start, i_ - 1 - start);
                return true;
            }
        }
        return false;
    }

    // Past one value: a string, an object or array (nesting followed, strings skipped), or a
    // scalar up to the next separator.
    bool value() {
        std::string_view ignored;
        const char first = peek();
        if (first == '"') {
            return string(ignored);
        }
        if (first != '{' && first != '[') {
            const size_t start = i_;
            while (i_ < s_.size() && !isSpace(s_[i_]) && s_[i_] != ',' && s_[i_] != '}' &&
                   s_[i_] != ']') {
                ++i_;
            }
            return i_ > start;
        }
        size_t depth = 0;
        while (i_ < s_.size()) {
            const char c = s_[i_];
            if (c == '"') {
                if (!string(ignored)) {
                    return false;
                }
                continue;
            }
            ++i_;
            if (c == '{' || c == '[') {
                ++depth;
            } else if ((c == '}' || c == ']') && --depth == 0) {
                return true;
            }
        }
        return false;
    }

private:
    std::string_view s_;
    size_t i_ = 0;
};

// At the items array's '[': its elements, which must be objects.
bool scanItems(Scanner& sc, std::string_view text, std::vector<std::string_view>& items) {
    sc.next();
    sc.skipSpace();
    if (sc.peek() == ']') {
        sc.next();
        return true;
    }
    while (true) {
        sc.skipSpace();
        if (sc.peek() != '{') {
            return false;
        }
        const size_t start = sc.at();
        if (!sc.value()) {
            return false;
        }
        items.push_back(text.substr(start, sc.at() - start));
        sc.skipSpace();
        if (sc.peek() == ']') {
            sc.next();
            return true;
        }
        if (sc.peek() != ',') {
            return false;
        }
        sc.next();
    }
}

}  // namespace

std::string JsonListItems::head() const {
    std::string out;
    out.reserve(text.size() - (items_end - items_begin) + 2);
    out.append(text.substr(0, items_begin));
    out.append("[]");
    out.append(text.substr(items_end));
    return out;
}

std::optional<JsonListItems> splitJsonList(std::string_view text) {
    Scanner sc(text);
    sc.skipSpace();
    if (sc.peek() != '{') {
        return std::nullopt;
    }
    sc.next();
    JsonListItems out;
    out.text = text;
    bool found = false;
    while (true) {
        sc.skipSpace();
        if (sc.peek() == '}') {
            sc.next();
            break;
        }
        std::string_view key;
        if (sc.peek() != '"' || !sc.string(key)) {
            return std::nullopt;
        }
        sc.skipSpace();
        if (sc.peek() != ':') {
            return std::nullopt;
        }
        sc.next();
        sc.skipSpace();
        if (key == "items") {
            if (found || sc.peek() != '[') {
                return std::nullopt;  // twice (the parser says which), or not an array
            }
            found = true;
            out.items_begin = sc.at();
            if (!scanItems(sc, text, out.items)) {
                return std::nullopt;
            }
            out.items_end = sc.at();
        } else if (!sc.value()) {
            return std::nullopt;
        }
        sc.skipSpace();
        if (sc.peek() == ',') {
            sc.next();
            continue;
        }
        if (sc.peek() != '}') {
            return std::nullopt;
        }
        sc.next();
        break;
    }
    sc.skipSpace();
    if (!sc.done() || !found) {
        return std::nullopt;
    }
    return out;
}

}  // namespace netpolgen::io
