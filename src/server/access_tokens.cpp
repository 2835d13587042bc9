#include "server/access_tokens.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

namespace netpolgen::server {
namespace {

std::string_view trim(std::string_view s) {
    const auto begin = s.find_first_not_of(" \t\r");
    if (begin == std::string_view::npos) {
        return {};
    }
    const auto end = s.find_last_not_of(" \t\r");
    return s.substr(begin, end - begin + 1);
}

// Equal strings in time that depends on the lengths only.
bool constantTimeEqual(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    unsigned char diff = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    }
    return diff == 0;
}

core::Result<Role> parseRole(std::string_view role) {
    if (role == "read") {
        return Role::kRead;
    }
    if (role == "admin") {
        return Role::kAdmin;
    }
    return core::Error{"unknown role \"" + std::string(role) + "\": expected read or admin"};
}

// The words of a line, split at spaces and tabs.
std::vector<std::string_view> splitWords(std::string_view line) {
    std::vector<std::string_view> words;
    size_t pos = 0;
    while ((pos = line.find_first_not_of(" \t", pos)) != std::string_view::npos) {
        const size_t end = std::min(line.find_first_of(" \t", pos), line.size());
        words.push_back(line.substr(pos, end - pos));
        pos = end;
    }
    return words;
}

bool validName(std::string_view name) {
    return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
    });
}

}  // namespace

core::Result<AccessTokens> AccessTokens::parse(std::string_view text, const std::string& name) {
    AccessTokens tokens;
    std::set<std::string> names;
    size_t line_number = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        const size_t end = std::min(text.find('\n', pos), text.size());
        const std::string_view line = trim(text.substr(pos, end - pos));
        pos = end + 1;
        ++line_number;
        if (line.empty() || line.front() == '#') {
            continue;
        }
        const std::string where = name + ":" + std::to_string(line_number) + ": ";
        const std::vector<std::string_view> words = splitWords(line);
        if (words.size() < 2 || words.size() > 3) {
            return core::Error{where + "expected \"TOKEN read|admin [NAME]\""};
        }
        auto role = parseRole(words[1]);
        if (!role) {
            return core::Error{where + role.error()};
        }
        AccessToken token{*role,
                          words.size() == 3
                              ? std::string(words[2])
                              : std::string(words[1]) + "-" + std::to_string(line_number)};
        if (!validName(token.name)) {
            return core::Error{where + "a token name is made of A-Z a-z 0-9 . _ -"};
        }
        if (!names.insert(token.name).second) {
            return core::Error{where + "token name \"" + token.name + "\" given twice"};
        }
        if (!tokens.roles_.emplace(std::string(words[0]), std::move(token)).second) {
            return core::Error{where + "token given twice"};
        }
    }
    return tokens;
}

std::optional<AccessToken> AccessTokens::find(std::string_view authorization) const {
    constexpr std::string_view kBearer = "bearer ";
    if (authorization.size() < kBearer.size() ||
        !std::equal(kBearer.begin(), kBearer.end(), authorization.begin(), [](char a, char b) {
            return a == std::tolower(static_cast<unsigned char>(b));
        })) {
        return std::nullopt;
    }
    const std::string_view token = trim(authorization.substr(kBearer.size()));
    std::optional<AccessToken> found;
    for (const auto& [known, entry] : roles_) {
        if (constantTimeEqual(known, token)) {
            found = entry;
        }
    }
    return found;
}

std::optional<Role> AccessTokens::roleOf(std::string_view authorization) const {
    const auto token = find(authorization);
    return token ? std::optional<Role>(token->role) : std::nullopt;
}

core::Result<AccessTokens> loadAccessTokens(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return core::Error{path + ": cannot read: " + std::strerror(errno)};
    }
    std::ostringstream text;
    text << in.rdbuf();
    return AccessTokens::parse(text.str(), path);
}

}  // namespace netpolgen::server
