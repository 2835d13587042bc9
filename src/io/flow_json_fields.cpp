#include "io/flow_json_fields.h"

namespace netpolgen::io::detail {
namespace {

constexpr size_t kMaxTokenInMessage = 64;

}  // namespace

// A token from the line, short and without control characters, for a message.
std::string printable(std::string_view s) {
    std::string out(s.substr(0, kMaxTokenInMessage));
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
            c = '?';
        }
    }
    if (s.size() > kMaxTokenInMessage) {
        out += "...";
    }
    return out;
}

std::string describe(const FieldProblem& p) {
    const std::string field(p.field);
    const std::string token = printable(p.token);
    switch (p.problem) {
        case Problem::kNone:
            break;
        case Problem::kNotString:
            return "\"" + field + "\" must be a string";
        case Problem::kNotInteger:
            return "\"" + field + "\" must be an integer" + (token.empty() ? "" : ", got " + token);
        case Problem::kNotObject:
            return "\"" + field + "\" must be an object";
        case Problem::kNotArray:
            return "\"" + field + "\" must be an array";
        case Problem::kNotBool:
            return "\"" + field + "\" must be true or false";
        case Problem::kPortRange:
            return field + " " + token + " out of range 0-65535";
        case Problem::kCountRange:
            return field + " must be a positive integer, got " + token;
        case Problem::kUnknownProtocol:
            return "unknown protocol \"" + token + "\" (expected TCP, UDP, SCTP or ICMP)";
        case Problem::kTimeType:
            return "\"time\" must be an RFC 3339 string or Unix seconds";
        case Problem::kTimeRange:
            return "time " + token + " out of range (Unix seconds, 0 to " +
                   std::to_string(kMaxUnixSeconds) + ")";
        case Problem::kBadIp:
            return field + ": invalid IP address \"" + token + "\"";
    }
    return "invalid value";
}

}  // namespace netpolgen::io::detail
