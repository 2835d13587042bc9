#include "io/source_tree.h"

#include <yaml.h>

#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace netpolgen::io {
namespace {

// Keys quoted in error messages are cut to this many bytes.
constexpr size_t kMaxKeyInMessage = 64;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kStrTag = "tag:yaml.org,2002:str";
// The non-specific tag `! text`: the scalar is a string.
constexpr std::string_view kNonSpecificTag = "!";

// A 1-based position.
struct Mark {
    uint32_t line = 1;
    uint32_t column = 1;

    bool operator<(const Mark& other) const {
        return line != other.line ? line < other.line : column < other.column;
    }
};

uint32_t oneBased(size_t zero_based) {
    if (zero_based >= std::numeric_limits<uint32_t>::max()) {
        return std::numeric_limits<uint32_t>::max();
    }
    return static_cast<uint32_t>(zero_based + 1);
}

Mark fromYaml(const yaml_mark_t& mark) {
    return Mark{oneBased(mark.line), oneBased(mark.column)};
}

bool isUtf8Continuation(unsigned char c) {
    return (c & 0xC0u) == 0x80u;
}

// Advances `mark` over one byte of UTF-8 text. Columns count characters, as libyaml's do; a CR LF
// pair is one line break.
void advanceMark(Mark& mark, std::string_view text, size_t pos) {
    const auto c = static_cast<unsigned char>(text[pos]);
    if (c == '\n' || (c == '\r' && (pos + 1 >= text.size() || text[pos + 1] != '\n'))) {
        if (mark.line < std::numeric_limits<uint32_t>::max()) {
            ++mark.line;
        }
        mark.column = 1;
    } else if (c != '\r' && !isUtf8Continuation(c) &&
               mark.column < std::numeric_limits<uint32_t>::max()) {
        ++mark.column;
    }
}

// The position of byte `offset` (libyaml reports reader errors as byte offsets).
Mark markAtOffset(std::string_view text, size_t offset) {
    Mark mark;
    const size_t end = offset < text.size() ? offset : text.size();
    for (size_t pos = 0; pos < end; ++pos) {
        advanceMark(mark, text, pos);
    }
    return mark;
}

core::Error errorAt(Mark mark, std::string_view what) {
    return core::Error{"line " + std::to_string(mark.line) + ", column " +
                       std::to_string(mark.column) + ": " + std::string(what)};
}

// `"text"` for an error message: cut to kMaxKeyInMessage bytes, with quotes, backslashes and
// control bytes escaped.
std::string quoteForMessage(std::string_view text) {
    bool cut = false;
    if (text.size() > kMaxKeyInMessage) {
        size_t end = kMaxKeyInMessage;
        while (end > 0 && isUtf8Continuation(static_cast<unsigned char>(text[end]))) {
            --end;
        }
        text = text.substr(0, end);
        cut = true;
    }
    std::string out = "\"";
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += ch;
        } else if (c < 0x20 || c == 0x7F) {
            constexpr std::string_view kHex = "0123456789abcdef";
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 0xFu];
        } else {
            out += ch;
        }
    }
    out += cut ? "...\"" : "\"";
    return out;
}

// Decodes one UTF-8 character at `pos`: its length, or 0 for an invalid (overlong, surrogate,
// truncated, out of range) sequence.
size_t utf8Length(std::string_view text, size_t pos) {
    const auto byte = [&](size_t i) -> unsigned {
        return pos + i < text.size() ? static_cast<unsigned char>(text[pos + i]) : 0u;
    };
    const unsigned c0 = byte(0);
    const auto cont = [&](size_t i, unsigned lo, unsigned hi) {
        const unsigned c = byte(i);
        return c >= lo && c <= hi;
    };
    if (c0 < 0x80) {
        return 1;
    }
    if (c0 >= 0xC2 && c0 <= 0xDF) {
        return cont(1, 0x80, 0xBF) ? 2 : 0;
    }
    if (c0 >= 0xE0 && c0 <= 0xEF) {
        const unsigned lo = c0 == 0xE0 ? 0xA0 : 0x80;
        const unsigned hi = c0 == 0xED ? 0x9F : 0xBF;
        return cont(1, lo, hi) && cont(2, 0x80, 0xBF) ? 3 : 0;
    }
    if (c0 >= 0xF0 && c0 <= 0xF4) {
        const unsigned lo = c0 == 0xF0 ? 0x90 : 0x80;
        const unsigned hi = c0 == 0xF4 ? 0x8F : 0xBF;
        return cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
}

void appendUtf8(std::string& out, uint32_t code_point) {
    if (code_point < 0x80) {
        out += static_cast<char>(code_point);
    } else if (code_point < 0x800) {
        out += static_cast<char>(0xC0 | (code_point >> 6));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else if (code_point < 0x10000) {
        out += static_cast<char>(0xE0 | (code_point >> 12));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code_point >> 18));
        out += static_cast<char>(0x80 | ((code_point >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code_point >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code_point & 0x3F));
    }
}

// Builds one document's tree from a stream of scalar / start / end calls, with an explicit stack
// instead of recursion. Enforces the depth limit, scalar keys and unique keys.
class TreeBuilder {
public:
    explicit TreeBuilder(uint32_t max_depth) : max_depth_(max_depth) {}

    // A scalar node (its line, column, value and quoted flag already set).
    core::Status scalar(SourceNode node) {
        const Mark mark{node.line, node.column};
        return attach(std::move(node), mark);
    }

    core::Status startCollection(SourceNode::Kind kind, Mark mark) {
        if (!stack_.empty() && stack_.back().node.isMapping() && stack_.back().expecting_key) {
            return errorAt(mark, "mapping keys must be scalars");
        }
        if (stack_.size() >= max_depth_) {
            return errorAt(mark, "nesting deeper than " + std::to_string(max_depth_) + " levels");
        }
        Frame frame;
        frame.node.kind = kind;
        frame.node.line = mark.line;
        frame.node.column = mark.column;
        stack_.push_back(std::move(frame));
        return {};
    }

    // REQUIRES: a collection is open (the event stream / JSON grammar guarantees it).
    core::Status endCollection() {
        SourceNode node = std::move(stack_.back().node);
        stack_.pop_back();
        const Mark mark{node.line, node.column};
        return attach(std::move(node), mark);
    }

    // The finished document root, if one was completed since the last call.
    std::optional<SourceNode> takeRoot() {
        std::optional<SourceNode> root = std::move(root_);
        root_.reset();
        return root;
    }

private:
    struct Frame {
        SourceNode node;
        std::unordered_set<std::string> keys;
        bool expecting_key = true;
        std::string pending_key;
    };

    core::Status attach(SourceNode node, Mark mark) {
        if (stack_.empty()) {
            root_ = std::move(node);
            return {};
        }
        Frame& top = stack_.back();
        if (top.node.isSequence()) {
            top.node.children.push_back(std::move(node));
            return {};
        }
        if (top.expecting_key) {
            if (!node.isScalar()) {
                return errorAt(mark, "mapping keys must be scalars");
            }
            if (!top.keys.insert(node.value).second) {
                return errorAt(mark, "duplicate key " + quoteForMessage(node.value));
            }
            top.pending_key = std::move(node.value);
            top.expecting_key = false;
            return {};
        }
        node.key = std::move(top.pending_key);
        top.pending_key.clear();
        top.expecting_key = true;
        top.node.children.push_back(std::move(node));
        return {};
    }

    uint32_t max_depth_;
    std::vector<Frame> stack_;
    std::optional<SourceNode> root_;
};

// ---------------------------------------------------------------------------------------------
// JSON. libyaml rejects some valid JSON (escaped surrogate pairs such as "\ud83d\ude00", keys
// longer than 1024 characters, a key and its ':' on different lines), so input that starts with
// '{' or '[' is read by this small iterative parser first.

struct JsonFailure {
    Mark mark;
    std::string message;  // "line L, column C: what"
    bool syntax = true;   // a grammar error (YAML may still accept the text), not a limit
};

class JsonParser {
public:
    JsonParser(std::string_view text, const ParseLimits& limits)
        : text_(text), builder_(limits.max_depth) {}

    // The document, or the failure (in failure()).
    std::optional<SourceNode> parse() {
        if (text_.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
            pos_ = kUtf8Bom.size();
        }
        if (!parseValues()) {
            return std::nullopt;
        }
        skipSpace();
        if (pos_ < text_.size()) {
            fail("unexpected text after the JSON value");
            return std::nullopt;
        }
        return builder_.takeRoot();
    }

    const JsonFailure& failure() const { return failure_; }

private:
    // What the parser expects next inside the innermost open collection.
    enum class Expect : uint8_t { kValue, kKeyOrEnd, kKey, kValueOrEnd, kCommaOrEnd };

    bool parseValues() {
        std::vector<char> closers;  // '}' or ']' for every open collection
        Expect expect = Expect::kValue;
        while (true) {
            skipSpace();
            if (expect == Expect::kCommaOrEnd) {
                if (closers.empty()) {
                    return true;
                }
                const char c = peek();
                if (c == ',') {
                    bump();
                    expect = closers.back() == '}' ? Expect::kKey : Expect::kValue;
                    continue;
                }
                if (c != closers.back()) {
                    return fail(closers.back() == '}' ? "expected ',' or '}'"
                                                      : "expected ',' or ']'");
                }
                bump();
                closers.pop_back();
                if (!check(builder_.endCollection())) {
                    return false;
                }
                continue;
            }
            const char c = peek();
            if ((expect == Expect::kKeyOrEnd && c == '}') ||
                (expect == Expect::kValueOrEnd && c == ']')) {
                bump();
                closers.pop_back();
                if (!check(builder_.endCollection())) {
                    return false;
                }
                expect = Expect::kCommaOrEnd;
                continue;
            }
            if (expect == Expect::kKey || expect == Expect::kKeyOrEnd) {
                if (c != '"') {
                    return fail("expected a string key");
                }
                if (!parseString()) {
                    return false;
                }
                skipSpace();
                if (peek() != ':') {
                    return fail("expected ':'");
                }
                bump();
                expect = Expect::kValue;
                continue;
            }
            // A value.
            const Mark start = mark_;
            if (c == '{' || c == '[') {
                if (!check(builder_.startCollection(
                        c == '{' ? SourceNode::Kind::kMapping : SourceNode::Kind::kSequence,
                        start))) {
                    return false;
                }
                bump();
                closers.push_back(c == '{' ? '}' : ']');
                expect = c == '{' ? Expect::kKeyOrEnd : Expect::kValueOrEnd;
                continue;
            }
            bool ok = false;
            if (c == '"') {
                ok = parseString();
            } else if (c == '-' || (c >= '0' && c <= '9')) {
                ok = parseNumber();
            } else if (c == 't' || c == 'f' || c == 'n') {
                ok = parseLiteral();
            } else {
                return fail(pos_ < text_.size() ? "expected a JSON value"
                                                : "unexpected end of input");
            }
            if (!ok) {
                return false;
            }
            expect = Expect::kCommaOrEnd;
        }
    }

    char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

    void bump() {
        advanceMark(mark_, text_, pos_);
        ++pos_;
    }

    void skipSpace() {
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            bump();
        }
    }

    bool fail(std::string_view what) {
        failure_ = JsonFailure{mark_, errorAt(mark_, what).message, true};
        return false;
    }

    // A builder error is a limit or semantic error: YAML would reject the text the same way.
    bool check(const core::Status& status) {
        if (status.ok()) {
            return true;
        }
        failure_ = JsonFailure{mark_, status.error(), false};  // already "line L, column C: …"
        return false;
    }

    bool emitScalar(Mark start, std::string value, bool quoted) {
        SourceNode node;
        node.line = start.line;
        node.column = start.column;
        node.value = std::move(value);
        node.quoted = quoted;
        return check(builder_.scalar(std::move(node)));
    }

    bool parseLiteral() {
        const Mark start = mark_;
        for (const std::string_view word : {"true", "false", "null"}) {
            if (text_.substr(pos_, word.size()) == word) {
                for (size_t i = 0; i < word.size(); ++i) {
                    bump();
                }
                return emitScalar(start, std::string(word), false);
            }
        }
        return fail("invalid literal");
    }

    bool isDigit() const { return peek() >= '0' && peek() <= '9'; }

    bool parseNumber() {
        const Mark start = mark_;
        const size_t begin = pos_;
        if (peek() == '-') {
            bump();
        }
        if (peek() == '0') {
            bump();
        } else if (isDigit()) {
            while (isDigit()) {
                bump();
            }
        } else {
            return fail("invalid number");
        }
        if (peek() == '.') {
            bump();
            if (!isDigit()) {
                return fail("invalid number");
            }
            while (isDigit()) {
                bump();
            }
        }
        if (peek() == 'e' || peek() == 'E') {
            bump();
            if (peek() == '+' || peek() == '-') {
                bump();
            }
            if (!isDigit()) {
                return fail("invalid number");
            }
            while (isDigit()) {
                bump();
            }
        }
        return emitScalar(start, std::string(text_.substr(begin, pos_ - begin)), false);
    }

    // Four hex digits after "\u".
    bool parseHex4(uint32_t& out) {
        out = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = peek();
            uint32_t digit = 0;
            if (c >= '0' && c <= '9') {
                digit = static_cast<uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                digit = static_cast<uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                digit = static_cast<uint32_t>(c - 'A' + 10);
            } else {
                return fail("invalid \\u escape");
            }
            out = out * 16 + digit;
            bump();
        }
        return true;
    }

    bool parseEscape(std::string& value) {
        bump();  // the backslash
        const char c = peek();
        if (pos_ >= text_.size()) {
            return fail("unterminated string");
        }
        bump();
        switch (c) {
            case '"':
            case '\\':
            case '/':
                value += c;
                return true;
            case 'b':
                value += '\b';
                return true;
            case 'f':
                value += '\f';
                return true;
            case 'n':
                value += '\n';
                return true;
            case 'r':
                value += '\r';
                return true;
            case 't':
                value += '\t';
                return true;
            case 'u':
                break;
            default:
                return fail("invalid escape");
        }
        uint32_t code_point = 0;
        if (!parseHex4(code_point)) {
            return false;
        }
        if (code_point >= 0xDC00 && code_point <= 0xDFFF) {
            return fail("invalid \\u escape: lone low surrogate");
        }
        if (code_point >= 0xD800 && code_point <= 0xDBFF) {
            uint32_t low = 0;
            if (peek() != '\\' || pos_ + 1 >= text_.size() || text_[pos_ + 1] != 'u') {
                return fail("invalid \\u escape: lone high surrogate");
            }
            bump();
            bump();
            if (!parseHex4(low)) {
                return false;
            }
            if (low < 0xDC00 || low > 0xDFFF) {
                return fail("invalid \\u escape: lone high surrogate");
            }
            code_point = 0x10000 + ((code_point - 0xD800) << 10) + (low - 0xDC00);
        }
        appendUtf8(value, code_point);
        return true;
    }

    // A string value or key at the opening quote.
    bool parseString() {
        const Mark start = mark_;
        bump();
        std::string value;
        while (true) {
            if (pos_ >= text_.size()) {
                return fail("unterminated string");
            }
            const auto c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') {
                bump();
                break;
            }
            if (c == '\\') {
                if (!parseEscape(value)) {
                    return false;
                }
                continue;
            }
            if (c < 0x20) {
                return fail("control character in string");
            }
            const size_t len = utf8Length(text_, pos_);
            if (len == 0) {
                return fail("invalid UTF-8");
            }
            value.append(text_.substr(pos_, len));
            for (size_t i = 0; i < len; ++i) {
                bump();
            }
        }
        return emitScalar(start, std::move(value), true);
    }

    std::string_view text_;
    size_t pos_ = 0;
    Mark mark_;
    TreeBuilder builder_;
    JsonFailure failure_;
};

bool looksLikeJson(std::string_view text) {
    if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) {
        text.remove_prefix(kUtf8Bom.size());
    }
    const size_t first = text.find_first_not_of(" \t\r\n");
    return first != std::string_view::npos && (text[first] == '{' || text[first] == '[');
}

// ---------------------------------------------------------------------------------------------
// YAML via libyaml's event API.

struct ParserDeleter {
    void operator()(yaml_parser_t* parser) const {
        yaml_parser_delete(parser);
        delete parser;
    }
};

struct Event {
    yaml_event_t event{};
    Event() = default;
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;
    ~Event() { yaml_event_delete(&event); }
};

struct YamlFailure {
    Mark mark;
    core::Error error;
};

YamlFailure parserError(const yaml_parser_t& parser, std::string_view text) {
    std::string what = parser.problem != nullptr ? parser.problem : "invalid YAML";
    Mark mark;
    if (parser.error == YAML_READER_ERROR) {
        mark = markAtOffset(text, parser.problem_offset);
        if (parser.problem_value != -1) {
            constexpr std::string_view kHex = "0123456789ABCDEF";
            std::string hex;
            for (auto v = static_cast<unsigned>(parser.problem_value); hex.empty() || v != 0;
                 v >>= 4) {
                hex.insert(hex.begin(), kHex[v & 0xFu]);
            }
            what += " #x" + hex;
        }
    } else {
        mark = fromYaml(parser.problem_mark);
        if (parser.context != nullptr) {
            const Mark context = fromYaml(parser.context_mark);
            what += " (" + std::string(parser.context) + " at line " +
                    std::to_string(context.line) + ", column " + std::to_string(context.column) +
                    ")";
        }
    }
    return YamlFailure{mark, errorAt(mark, what)};
}

std::string_view viewOf(const yaml_char_t* text, size_t length) {
    return text == nullptr ? std::string_view{}
                           : std::string_view(reinterpret_cast<const char*>(text), length);
}

std::string_view tagOf(const yaml_char_t* tag) {
    return tag == nullptr ? std::string_view{}
                          : std::string_view(reinterpret_cast<const char*>(tag));
}

// The documents, or the failure with the position it happened at.
std::variant<std::vector<SourceNode>, YamlFailure> parseYaml(std::string_view text,
                                                             const ParseLimits& limits) {
    std::unique_ptr<yaml_parser_t, ParserDeleter> parser(new yaml_parser_t{});
    if (yaml_parser_initialize(parser.get()) == 0) {
        return YamlFailure{Mark{}, errorAt(Mark{}, "out of memory")};
    }
    yaml_parser_set_encoding(parser.get(), YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(
        parser.get(), reinterpret_cast<const unsigned char*>(text.data()), text.size());

    std::vector<SourceNode> documents;
    TreeBuilder builder(limits.max_depth);
    const auto fail = [](const yaml_event_t& event, const core::Status& status) {
        return YamlFailure{fromYaml(event.start_mark), core::Error{status.error()}};
    };
    while (true) {
        Event holder;
        yaml_event_t& event = holder.event;
        if (yaml_parser_parse(parser.get(), &event) == 0) {
            return parserError(*parser, text);
        }
        const Mark start = fromYaml(event.start_mark);
        switch (event.type) {
            case YAML_STREAM_END_EVENT:
                return documents;
            case YAML_ALIAS_EVENT:
                return YamlFailure{start, errorAt(start, "aliases are not supported")};
            case YAML_SCALAR_EVENT: {
                SourceNode node;
                node.line = start.line;
                node.column = start.column;
                node.value = std::string(viewOf(event.data.scalar.value, event.data.scalar.length));
                const std::string_view tag = tagOf(event.data.scalar.tag);
                node.quoted = event.data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
                              tag == kStrTag || tag == kNonSpecificTag;
                if (auto status = builder.scalar(std::move(node)); !status) {
                    return fail(event, status);
                }
                break;
            }
            case YAML_SEQUENCE_START_EVENT:
            case YAML_MAPPING_START_EVENT: {
                const auto kind = event.type == YAML_SEQUENCE_START_EVENT
                                      ? SourceNode::Kind::kSequence
                                      : SourceNode::Kind::kMapping;
                if (auto status = builder.startCollection(kind, start); !status) {
                    return fail(event, status);
                }
                break;
            }
            case YAML_SEQUENCE_END_EVENT:
            case YAML_MAPPING_END_EVENT:
                if (auto status = builder.endCollection(); !status) {
                    return fail(event, status);
                }
                break;
            case YAML_DOCUMENT_END_EVENT: {
                std::optional<SourceNode> root = builder.takeRoot();
                // An empty document (a lone `---`) has an empty plain scalar as its root.
                if (!root || (root->isScalar() && !root->quoted && root->value.empty())) {
                    break;
                }
                if (documents.size() >= limits.max_documents) {
                    const Mark mark{root->line, root->column};
                    return YamlFailure{mark,
                                       errorAt(mark,
                                               "more than " + std::to_string(limits.max_documents) +
                                                   " documents")};
                }
                documents.push_back(std::move(*root));
                break;
            }
            default:  // stream start, document start
                break;
        }
    }
}

// Accumulates `digits` in `base` into `magnitude`; false for a bad digit, no digits or overflow.
bool parseMagnitude(std::string_view digits, unsigned base, uint64_t& magnitude) {
    magnitude = 0;
    bool any = false;
    for (const char c : digits) {
        unsigned digit = 0;
        if (c >= '0' && c <= '9') {
            digit = static_cast<unsigned>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            digit = static_cast<unsigned>(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            digit = static_cast<unsigned>(c - 'A' + 10);
        } else {
            return false;
        }
        if (digit >= base) {
            return false;
        }
        if (magnitude > (std::numeric_limits<uint64_t>::max() - digit) / base) {
            return false;
        }
        magnitude = magnitude * base + digit;
        any = true;
    }
    return any;
}

}  // namespace

const SourceNode* SourceNode::find(std::string_view k) const {
    if (kind != Kind::kMapping) {
        return nullptr;
    }
    for (const SourceNode& child : children) {
        if (child.key == k) {
            return &child;
        }
    }
    return nullptr;
}

core::Result<std::vector<SourceNode>> parseDocuments(std::string_view text,
                                                     const ParseLimits& limits) {
    if (text.size() > limits.max_bytes) {
        return errorAt(Mark{},
                       "input is larger than " + std::to_string(limits.max_bytes) + " bytes");
    }
    std::optional<JsonFailure> json_failure;
    if (looksLikeJson(text)) {
        JsonParser json(text, limits);
        if (std::optional<SourceNode> root = json.parse()) {
            if (limits.max_documents == 0) {
                return errorAt(Mark{root->line, root->column}, "more than 0 documents");
            }
            std::vector<SourceNode> documents;
            documents.push_back(std::move(*root));
            return documents;
        }
        if (!json.failure().syntax) {
            return core::Error{json.failure().message};
        }
        // Not JSON after all (a YAML flow collection, several documents, comments): try YAML.
        json_failure = json.failure();
    }
    auto yaml = parseYaml(text, limits);
    if (auto* documents = std::get_if<std::vector<SourceNode>>(&yaml)) {
        return std::move(*documents);
    }
    auto& failure = std::get<YamlFailure>(yaml);
    // Both failed: the parser that got further understood more of the text.
    if (json_failure && failure.mark < json_failure->mark) {
        return core::Error{json_failure->message};
    }
    return std::move(failure.error);
}

bool isNull(const SourceNode& node) {
    if (!node.isScalar() || node.quoted) {
        return false;
    }
    const std::string& v = node.value;
    return v.empty() || v == "~" || v == "null" || v == "Null" || v == "NULL";
}

std::optional<bool> asBool(const SourceNode& node) {
    if (!node.isScalar() || node.quoted) {
        return std::nullopt;
    }
    // The YAML 1.1 booleans go-yaml v2 (sigs.k8s.io/yaml) resolves, in exactly these spellings.
    static constexpr std::string_view kTrue[] = {
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
    static constexpr std::string_view kFalse[] = {
        "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"};
    for (const std::string_view word : kTrue) {
        if (node.value == word) {
            return true;
        }
    }
    for (const std::string_view word : kFalse) {
        if (node.value == word) {
            return false;
        }
    }
    return std::nullopt;
}

std::optional<int64_t> asInteger(const SourceNode& node) {
    if (!node.isScalar() || node.quoted) {
        return std::nullopt;
    }
    // go-yaml v2 tries integers only for scalars that start with a sign or a digit, and removes
    // every underscore before calling strconv.ParseInt(text, 0, 64).
    const std::string& value = node.value;
    if (value.empty() ||
        !(value[0] == '+' || value[0] == '-' || (value[0] >= '0' && value[0] <= '9'))) {
        return std::nullopt;
    }
    std::string digits;
    digits.reserve(value.size());
    for (const char c : value) {
        if (c != '_') {
            digits += c;
        }
    }
    std::string_view text = digits;
    bool negative = false;
    if (text[0] == '+' || text[0] == '-') {
        negative = text[0] == '-';
        text.remove_prefix(1);
    }
    if (text.empty() || text[0] < '0' || text[0] > '9') {
        return std::nullopt;
    }
    unsigned base = 10;
    if (text.size() > 1 && text[0] == '0') {
        const char p = text[1];
        if (p == 'x' || p == 'X') {
            base = 16;
            text.remove_prefix(2);
        } else if (p == 'o' || p == 'O') {
            base = 8;
            text.remove_prefix(2);
        } else if (p == 'b' || p == 'B') {
            base = 2;
            text.remove_prefix(2);
        } else {
            base = 8;  // YAML 1.1: 0755
            text.remove_prefix(1);
        }
    }
    uint64_t magnitude = 0;
    if (!parseMagnitude(text, base, magnitude)) {
        return std::nullopt;
    }
    constexpr auto kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    if (negative) {
        if (magnitude > kMax + 1) {
            return std::nullopt;
        }
        return magnitude == kMax + 1 ? std::numeric_limits<int64_t>::min()
                                     : -static_cast<int64_t>(magnitude);
    }
    if (magnitude > kMax) {
        return std::nullopt;
    }
    return static_cast<int64_t>(magnitude);
}

}  // namespace netpolgen::io
