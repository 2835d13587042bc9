#include "io/manifest_fields.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "core/kubernetes_names.h"
#include "core/protocol.h"
#include "io/manifest_kinds.h"

namespace netpolgen::io::detail {

using core::quotedText;
using core::shortText;

namespace {

// YAML 1.1 float forms (go-yaml v2 ignores underscores), and integers too large for int64.
bool looksNumeric(std::string_view text) {
    std::string s;
    for (char ch : text) {
        if (ch != '_') {
            s += ch;
        }
    }
    static constexpr std::array<std::string_view, 12> kSpecial = {
        ".inf",
        ".Inf",
        ".INF",
        "+.inf",
        "+.Inf",
        "+.INF",
        "-.inf",
        "-.Inf",
        "-.INF",
        ".nan",
        ".NaN",
        ".NAN",
    };
    if (contains(kSpecial, s)) {
        return true;
    }
    size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        ++i;
    }
    auto digit = [&](size_t at) { return at < s.size() && s[at] >= '0' && s[at] <= '9'; };
    size_t mantissa_digits = 0;
    while (digit(i)) {
        ++i;
        ++mantissa_digits;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (digit(i)) {
            ++i;
            ++mantissa_digits;
        }
    }
    if (mantissa_digits == 0) {
        return false;
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            ++i;
        }
        if (!digit(i)) {
            return false;
        }
        while (digit(i)) {
            ++i;
        }
    }
    return i == s.size();
}

std::string keyed(std::string_view path, std::string_view key) {
    return std::string(path) + "[" + shortText(key) + "]";
}

}  // namespace

ValueType typeOf(const SourceNode& n) {
    if (n.isMapping()) {
        return ValueType::kMap;
    }
    if (n.isSequence()) {
        return ValueType::kList;
    }
    if (n.quoted) {
        return ValueType::kString;
    }
    if (isNull(n)) {
        return ValueType::kNull;
    }
    if (asBool(n)) {
        return ValueType::kBool;
    }
    if (asInteger(n)) {
        return ValueType::kInteger;
    }
    if (looksNumeric(n.value)) {
        return ValueType::kNumber;
    }
    return ValueType::kString;
}

std::string_view typeName(ValueType t) {
    switch (t) {
        case ValueType::kNull:
            return "null";
        case ValueType::kBool:
            return "bool";
        case ValueType::kInteger:
            return "integer";
        case ValueType::kNumber:
            return "number";
        case ValueType::kString:
            return "string";
        case ValueType::kMap:
            return "map";
        case ValueType::kList:
            return "list";
    }
    return "value";
}

std::string shown(const SourceNode& n) {
    switch (typeOf(n)) {
        case ValueType::kMap:
            return "{...}";
        case ValueType::kList:
            return "[...]";
        case ValueType::kString:
            return quotedText(n.value);
        default:
            return shortText(n.value);
    }
}

std::string child(std::string_view path, std::string_view key) {
    return path.empty() ? std::string(key) : std::string(path) + "." + std::string(key);
}

std::string indexed(std::string_view path, size_t i) {
    return std::string(path) + "[" + std::to_string(i) + "]";
}

bool isNullNode(const SourceNode& n) {
    return n.isScalar() && isNull(n);
}

const SourceNode* present(const SourceNode& map, std::string_view key) {
    if (!map.isMapping()) {
        return nullptr;
    }
    const SourceNode* n = map.find(key);
    if (n == nullptr || isNullNode(*n)) {
        return nullptr;
    }
    return n;
}

bool typeError(ObjectContext& c,
               const SourceNode& n,
               std::string_view path,
               std::string_view expected) {
    const ValueType t = typeOf(n);
    std::string message =
        "Invalid type: expected " + std::string(expected) + ", got " + std::string(typeName(t));
    if (n.isScalar()) {
        message += " " + shown(n);
    }
    if (expected == "string" &&
        (t == ValueType::kBool || t == ValueType::kInteger || t == ValueType::kNumber)) {
        message += " (quote it to make it a string: " + quotedText(n.value) + ")";
    }
    return c.fail(n, path, message);
}

bool mapField(ObjectContext& c,
              const SourceNode& parent,
              std::string_view key,
              std::string_view path,
              const SourceNode*& out) {
    out = present(parent, key);
    if (out != nullptr && !out->isMapping()) {
        const SourceNode& bad = *out;
        out = nullptr;
        return typeError(c, bad, path, "map");
    }
    return true;
}

bool listField(ObjectContext& c,
               const SourceNode& parent,
               std::string_view key,
               std::string_view path,
               const SourceNode*& out) {
    out = present(parent, key);
    if (out != nullptr && !out->isSequence()) {
        const SourceNode& bad = *out;
        out = nullptr;
        return typeError(c, bad, path, "list");
    }
    return true;
}

bool stringValue(ObjectContext& c, const SourceNode& n, std::string_view path, std::string& out) {
    if (typeOf(n) != ValueType::kString) {
        return typeError(c, n, path, "string");
    }
    out = n.value;
    return true;
}

bool stringField(ObjectContext& c,
                 const SourceNode& parent,
                 std::string_view key,
                 std::string_view path,
                 std::string& out) {
    const SourceNode* n = present(parent, key);
    return n == nullptr || stringValue(c, *n, path, out);
}

bool intValue(ObjectContext& c, const SourceNode& n, std::string_view path, int64_t& out) {
    if (typeOf(n) != ValueType::kInteger) {
        return typeError(c, n, path, "integer");
    }
    out = *asInteger(n);
    return true;
}

bool boolValue(ObjectContext& c, const SourceNode& n, std::string_view path, bool& out) {
    if (typeOf(n) != ValueType::kBool) {
        return typeError(c, n, path, "bool");
    }
    out = *asBool(n);
    return true;
}

bool stringMap(ObjectContext& c, const SourceNode& n, std::string_view path, core::Labels& out) {
    if (!n.isMapping()) {
        return typeError(c, n, path, "map");
    }
    for (const SourceNode& entry : n.children) {
        std::string value;
        if (isNullNode(entry)) {
            // encoding/json leaves a null map value as the zero value "".
            out[entry.key] = value;
            continue;
        }
        if (!stringValue(c, entry, keyed(path, entry.key), value)) {
            return false;
        }
        out[entry.key] = std::move(value);
    }
    return true;
}

bool stringList(ObjectContext& c,
                const SourceNode& n,
                std::string_view path,
                std::vector<std::string>& out) {
    if (!n.isSequence()) {
        return typeError(c, n, path, "list");
    }
    for (size_t i = 0; i < n.children.size(); ++i) {
        std::string value;
        if (!stringValue(c, n.children[i], indexed(path, i), value)) {
            return false;
        }
        out.push_back(std::move(value));
    }
    return true;
}

bool intOrStringValue(ObjectContext& c,
                      const SourceNode& n,
                      std::string_view path,
                      IntOrString& out) {
    const ValueType t = typeOf(n);
    if (t == ValueType::kInteger) {
        out.numeric = true;
        out.number = *asInteger(n);
        return true;
    }
    if (t == ValueType::kString) {
        out.numeric = false;
        out.name = n.value;
        return true;
    }
    return typeError(c, n, path, "integer or string");
}

bool validPort(int64_t n) {
    return n >= 1 && n <= 65535;
}

std::optional<std::string> portNameProblem(std::string_view name) {
    constexpr std::string_view kCharset =
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
    if (name.size() > 15) {
        return "must be no more than 15 characters";
    }
    if (name.empty()) {
        return std::string(kCharset);  // the charset regexp needs one character
    }
    bool letter = false;
    for (char ch : name) {
        const bool lower = ch >= 'a' && ch <= 'z';
        if (!lower && !(ch >= '0' && ch <= '9') && ch != '-') {
            return std::string(kCharset);
        }
        letter = letter || lower;
    }
    if (!letter) {
        return "must contain at least one letter (a-z)";
    }
    if (name.find("--") != std::string_view::npos) {
        return "must not contain consecutive hyphens";
    }
    if (name.front() == '-' || name.back() == '-') {
        return "must not begin or end with a hyphen";
    }
    return std::nullopt;
}

bool protocolField(ObjectContext& c,
                   const SourceNode& parent,
                   std::string_view path,
                   core::Protocol& out,
                   bool* set,
                   std::string_view supported) {
    const SourceNode* n = present(parent, "protocol");
    if (n == nullptr) {
        return true;
    }
    std::string text;
    if (!stringValue(c, *n, path, text)) {
        return false;
    }
    if (text == "TCP") {
        out = core::Protocol::kTcp;
    } else if (text == "UDP") {
        out = core::Protocol::kUdp;
    } else if (text == "SCTP") {
        out = core::Protocol::kSctp;
    } else {
        return c.fail(*n,
                      path,
                      "Unsupported value: " + quotedText(text) +
                          ": supported values: " + std::string(supported));
    }
    if (set != nullptr) {
        *set = true;
    }
    return true;
}

}  // namespace netpolgen::io::detail
