// Bearer tokens of the HTTP API and what each may do.
//
// Token file: one token per line, `TOKEN ROLE [NAME]`, ROLE `read` (GET endpoints, generate,
// simulate) or `admin` (also apply, revert and notifier configuration). NAME ([A-Za-z0-9._-]+,
// default `ROLE-LINE`, e.g. `admin-3`) is what the apply history records, never the token. Blank
// lines and lines starting with `#` are skipped. Errors name the line: "tokens.txt:3: unknown
// role "write": expected read or admin".
//
//   auto tokens = loadAccessTokens("tokens.txt");
//   tokens->find("Bearer s3cret")   // {Role::kAdmin, "ci"}, or nullopt; the scheme in any case
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace netpolgen::server {

enum class Role { kRead, kAdmin };

struct AccessToken {
    Role role = Role::kRead;
    std::string name;
};

class AccessTokens {
public:
    // Errors: a role other than read/admin, a line without role, a token given twice, a bad or
    // repeated name.
    static core::Result<AccessTokens> parse(std::string_view text, const std::string& name);

    bool empty() const { return roles_.empty(); }
    // The token in an Authorization header value ("Bearer TOKEN", the scheme in any case);
    // nullopt when the header is missing, not a bearer token, or an unknown token. Compares in
    // constant time per token, so a caller cannot find a token byte by byte from response times.
    std::optional<AccessToken> find(std::string_view authorization) const;
    std::optional<Role> roleOf(std::string_view authorization) const;

private:
    std::map<std::string, AccessToken> roles_;
};

// Reads and parses a token file. Errors: "FILE: cannot read …", and those of parse.
core::Result<AccessTokens> loadAccessTokens(const std::string& path);

}  // namespace netpolgen::server
