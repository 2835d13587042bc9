// Bearer tokens of the HTTP API and what each may do.
//
// Token file: one token per line, `TOKEN ROLE`, ROLE `read` (GET endpoints, generate, simulate) or
// `admin` (also apply, revert and notifier configuration). Blank lines and lines starting with `#`
// are skipped. Errors name the line: "tokens.txt:3: unknown role "write": expected read or admin".
//
//   auto tokens = loadAccessTokens("tokens.txt");
//   tokens->roleOf("Bearer s3cret")   // Role::kAdmin, or nullopt
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace netpolgen::server {

enum class Role { kRead, kAdmin };

class AccessTokens {
public:
    // Errors: a role other than read/admin, a line without role, a token given twice.
    static core::Result<AccessTokens> parse(std::string_view text, const std::string& name);

    bool empty() const { return roles_.empty(); }
    // The role of the token in an Authorization header value ("Bearer TOKEN"); nullopt when the
    // header is missing, not a bearer token, or an unknown token. Compares in constant time per
    // token, so a caller cannot find a token byte by byte from response times.
    std::optional<Role> roleOf(std::string_view authorization) const;

private:
    std::map<std::string, Role> roles_;
};

// Reads and parses a token file. Errors: "FILE: cannot read …", and those of parse.
core::Result<AccessTokens> loadAccessTokens(const std::string& path);

}  // namespace netpolgen::server
