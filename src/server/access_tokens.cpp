#include "server/access_tokens.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

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

}  // namespace

core::Result<AccessTokens> AccessTokens::parse(std::string_view text, const std::string& name) {
    AccessTokens tokens;
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
        const auto space = line.find_first_of(" \t");
        if (space == std::string_view::npos) {
            return core::Error{where + "expected \"TOKEN read\" or \"TOKEN admin\""};
        }
        auto role = parseRole(trim(line.substr(space)));
        if (!role) {
            return core::Error{where + role.error()};
        }
        if (!tokens.roles_.emplace(std::string(line.substr(0, space)), *role).second) {
            return core::Error{where + "token given twice"};
        }
    }
    return tokens;
}

std::optional<Role> AccessTokens::roleOf(std::string_view authorization) const {
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.substr(0, kBearer.size()) != kBearer) {
        return std::nullopt;
    }
    const std::string_view token = trim(authorization.substr(kBearer.size()));
    std::optional<Role> found;
    for (const auto& [known, role] : roles_) {
        if (constantTimeEqual(known, token)) {
            found = role;
        }
    }
    return found;
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
