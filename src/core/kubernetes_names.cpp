#include "core/kubernetes_names.h"

#include <vector>

namespace netpolgen::core {
namespace {

constexpr size_t kMaxShownBytes = 80;
constexpr size_t kQualifiedNameMaxLength = 63;

// The API server's texts (apimachinery's validation.go), examples and regexes included.
constexpr std::string_view kSubdomainMessage =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
constexpr std::string_view kLabelMessage =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and "
    "must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
constexpr std::string_view kQualifiedNameMessage =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
constexpr std::string_view kLabelValueMessage =
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or "
    "'my_value',  or '12345', regex used for validation is "
    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

bool isLowerAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool isAlnum(char c) {
    return isLowerAlnum(c) || (c >= 'A' && c <= 'Z');
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool isLabel(std::string_view s) {
    if (s.empty() || !isLowerAlnum(s.front()) || !isLowerAlnum(s.back())) {
        return false;
    }
    for (char c : s) {
        if (!isLowerAlnum(c) && c != '-') {
            return false;
        }
    }
    return true;
}

// Labels joined by '.'.
bool isSubdomain(std::string_view s) {
    for (;;) {
        const size_t dot = s.find('.');
        if (!isLabel(s.substr(0, dot))) {
            return false;
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        s.remove_prefix(dot + 1);
    }
}

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], or empty when `empty_ok`.
bool isQualifiedPart(std::string_view s, bool empty_ok) {
    if (s.empty()) {
        return empty_ok;
    }
    if (!isAlnum(s.front()) || !isAlnum(s.back())) {
        return false;
    }
    for (char c : s) {
        if (!isAlnum(c) && c != '-' && c != '_' && c != '.') {
            return false;
        }
    }
    return true;
}

std::string maxLength(size_t n) {
    return "must be no more than " + std::to_string(n) + " characters";
}

std::optional<std::string> joined(const std::vector<std::string>& problems) {
    if (problems.empty()) {
        return std::nullopt;
    }
    std::string out;
    for (const std::string& p : problems) {
        out += out.empty() ? p : "; " + p;
    }
    return out;
}

std::vector<std::string> subdomainProblems(std::string_view value) {
    std::vector<std::string> out;
    if (value.size() > kDns1123SubdomainMaxLength) {
        out.push_back(maxLength(kDns1123SubdomainMaxLength));
    }
    if (!isSubdomain(value)) {
        out.emplace_back(kSubdomainMessage);
    }
    return out;
}

}  // namespace

std::optional<std::string> dns1123SubdomainProblem(std::string_view value) {
    return joined(subdomainProblems(value));
}

std::optional<std::string> dns1123LabelProblem(std::string_view value) {
    std::vector<std::string> out;
    if (value.size() > kDns1123LabelMaxLength) {
        out.push_back(maxLength(kDns1123LabelMaxLength));
    }
    if (!isLabel(value)) {
        out.emplace_back(kLabelMessage);
    }
    return joined(out);
}

std::optional<std::string> labelKeyProblem(std::string_view value) {
    std::vector<std::string> out;
    std::string_view name = value;
    const size_t slash = value.find('/');
    if (slash != std::string_view::npos) {
        if (value.find('/', slash + 1) != std::string_view::npos) {
            return "a qualified name " + std::string(kQualifiedNameMessage) +
                   " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
        }
        const std::string_view prefix = value.substr(0, slash);
        name = value.substr(slash + 1);
        if (prefix.empty()) {
            out.emplace_back("prefix part must be non-empty");
        }
        for (const std::string& p :
             prefix.empty() ? std::vector<std::string>{} : subdomainProblems(prefix)) {
            out.push_back("prefix part " + p);
        }
    }
    if (name.empty()) {
        out.emplace_back("name part must be non-empty");
    } else if (name.size() > kQualifiedNameMaxLength) {
        out.push_back("name part " + maxLength(kQualifiedNameMaxLength));
    }
    if (!isQualifiedPart(name, false)) {
        out.push_back("name part " + std::string(kQualifiedNameMessage));
    }
    return joined(out);
}

std::optional<std::string> labelValueProblem(std::string_view value) {
    std::vector<std::string> out;
    if (value.size() > kLabelValueMaxLength) {
        out.push_back(maxLength(kLabelValueMaxLength));
    }
    if (!isQualifiedPart(value, true)) {
        out.emplace_back(kLabelValueMessage);
    }
    return joined(out);
}

std::string shortText(std::string_view text) {
    std::string_view cut = text;
    bool truncated = false;
    if (cut.size() > kMaxShownBytes) {
        size_t n = kMaxShownBytes;
        while (n > 0 && (static_cast<unsigned char>(cut[n]) & 0xC0) == 0x80) {
            --n;
        }
        cut = cut.substr(0, n);
        truncated = true;
    }
    std::string out;
    for (char ch : cut) {
        const auto u = static_cast<unsigned char>(ch);
        if (ch == '"' || ch == '\\') {
            out += '\\';
            out += ch;
        } else if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\t') {
            out += "\\t";
        } else if (u < 0x20 || u == 0x7f) {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[u >> 4];
            out += kHex[u & 15];
        } else {
            out += ch;
        }
    }
    if (truncated) {
        out += "...";
    }
    return out;
}

std::string quotedText(std::string_view text) {
    // Appended piecewise: `"\"" + s + "\""` trips g++ 12's false -Wrestrict at -O3.
    std::string out = "\"";
    out += shortText(text);
    out += '"';
    return out;
}

std::string invalidValue(std::string_view path, std::string_view value, std::string_view problem) {
    std::string out(path);
    out += ": Invalid value: ";
    out += quotedText(value);
    out += ": ";
    out += problem;
    return out;
}

}  // namespace netpolgen::core
