#include "io/flow_line_parser.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <utility>

#include "core/ip_address.h"
#include "core/protocol.h"

namespace netpolgen::io {

// Every key the decoder looks at, in any object; aliases (snake_case / lowerCamelCase) share one.
enum class FlowKey : uint8_t {
    kOther,
    // canonical and envelope
    kSrc,
    kDst,
    kPort,
    kProtocol,
    kTime,
    kCount,
    kFlow,
    kNonFlow,
    // Flow
    kVerdict,
    kIp,
    kL4,
    kSource,
    kDestination,
    kIsReply,
    kReply,
    kEventType,
    kTraceReason,
    kAggregate,
    kFlowMarker,
    // Layer4
    kTcp,
    kUdp,
    kSctp,
    kIcmpV4,
    kIcmpV6,
    kSourcePort,
    kDestinationPort,
    kFlags,
    kSyn,
    kAck,
    // Endpoint
    kNamespace,
    kLabels,
    kPodName,
    kWorkloads,
    kName,
    kKind,
    kIdentity,
    // event_type, aggregate
    kType,
    kFlowCount,
};

namespace {

using Key = FlowKey;

using simdjson::SUCCESS;
using simdjson::ondemand::json_type;
using ErrorCode = simdjson::error_code;
using Value = simdjson::ondemand::value;

constexpr size_t kInitialParserCapacity = 64u << 10;
constexpr uint64_t kMaxPort = 65535;
constexpr uint64_t kMaxUint32 = std::numeric_limits<uint32_t>::max();
constexpr int64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z
constexpr uint64_t kPolicyVerdictEvent = 5;        // event_type.type of policy-verdict events
constexpr size_t kMaxTokenInMessage = 64;
constexpr size_t kMaxIpText = 45;  // "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"

constexpr size_t kMaxKeyLength = 32;  // longer keys are none of ours

// True when the quote-terminated raw key at `r` is `lit`. REQUIRES: sizeof lit bytes readable from
// r, which holds for a key in the padded line (a key is followed by ':', a value and
// SIMDJSON_PADDING bytes) and for the copy made by classifyEscapedKey().
template <size_t N>
bool isKey(const char* r, const char (&lit)[N]) {
    static_assert(N - 1 <= kMaxKeyLength);
    return std::memcmp(r, lit, N - 1) == 0 && r[N - 1] == '"';
}

// The key at `r` (raw, quote-terminated). A switch on the first byte, then fixed-size compares:
// short dependency chains and branches that follow the (stable) key order of a producer.
Key classifyKey(const char* r) {
    switch (r[0]) {
        case 'A':
            return isKey(r, "ACK") ? Key::kAck : Key::kOther;
        case 'I':
            return isKey(r, "IP")       ? Key::kIp
                   : isKey(r, "ICMPv4") ? Key::kIcmpV4
                   : isKey(r, "ICMPv6") ? Key::kIcmpV6
                                        : Key::kOther;
        case 'S':
            return isKey(r, "SYN") ? Key::kSyn : isKey(r, "SCTP") ? Key::kSctp : Key::kOther;
        case 'T':
            return isKey(r, "TCP") ? Key::kTcp : isKey(r, "Type") ? Key::kFlowMarker : Key::kOther;
        case 'U':
            return isKey(r, "UDP") ? Key::kUdp : Key::kOther;
        case 'a':
            return isKey(r, "aggregate")                               ? Key::kAggregate
                   : isKey(r, "agent_event") || isKey(r, "agentEvent") ? Key::kNonFlow
                                                                       : Key::kOther;
        case 'c':
            return isKey(r, "count") ? Key::kCount : Key::kOther;
        case 'd':
            if (isKey(r, "dst")) {
                return Key::kDst;
            }
            if (isKey(r, "destination")) {
                return Key::kDestination;
            }
            if (isKey(r, "destination_port") || isKey(r, "destinationPort")) {
                return Key::kDestinationPort;
            }
            if (isKey(r, "drop_reason_desc") || isKey(r, "dropReasonDesc")) {
                return Key::kFlowMarker;
            }
            return isKey(r, "debug_event") || isKey(r, "debugEvent") ? Key::kNonFlow : Key::kOther;
        case 'e':
            if (isKey(r, "event_type") || isKey(r, "eventType")) {
                return Key::kEventType;
            }
            return isKey(r, "egress_flow_count") || isKey(r, "egressFlowCount") ? Key::kFlowCount
                                                                                : Key::kOther;
        case 'f':
            return isKey(r, "flow") ? Key::kFlow : isKey(r, "flags") ? Key::kFlags : Key::kOther;
        case 'i':
            if (isKey(r, "is_reply") || isKey(r, "isReply")) {
                return Key::kIsReply;
            }
            if (isKey(r, "identity")) {
                return Key::kIdentity;
            }
            return isKey(r, "ingress_flow_count") || isKey(r, "ingressFlowCount") ? Key::kFlowCount
                                                                                  : Key::kOther;
        case 'k':
            return isKey(r, "kind") ? Key::kKind : Key::kOther;
        case 'l':
            if (isKey(r, "l4")) {
                return Key::kL4;
            }
            if (isKey(r, "labels")) {
                return Key::kLabels;
            }
            return isKey(r, "lost_events") || isKey(r, "lostEvents") ? Key::kNonFlow : Key::kOther;
        case 'n':
            if (isKey(r, "namespace")) {
                return Key::kNamespace;
            }
            if (isKey(r, "name")) {
                return Key::kName;
            }
            return isKey(r, "node_status") || isKey(r, "nodeStatus") ? Key::kNonFlow : Key::kOther;
        case 'p':
            if (isKey(r, "port")) {
                return Key::kPort;
            }
            if (isKey(r, "protocol")) {
                return Key::kProtocol;
            }
            return isKey(r, "pod_name") || isKey(r, "podName") ? Key::kPodName : Key::kOther;
        case 'r':
            return isKey(r, "reply") ? Key::kReply : Key::kOther;
        case 's':
            if (isKey(r, "src")) {
                return Key::kSrc;
            }
            if (isKey(r, "source")) {
                return Key::kSource;
            }
            return isKey(r, "source_port") || isKey(r, "sourcePort") ? Key::kSourcePort
                                                                     : Key::kOther;
        case 't':
            if (isKey(r, "time")) {
                return Key::kTime;
            }
            if (isKey(r, "type")) {
                return Key::kType;
            }
            if (isKey(r, "trace_reason") || isKey(r, "traceReason")) {
                return Key::kTraceReason;
            }
            if (isKey(r, "traffic_direction") || isKey(r, "trafficDirection") ||
                isKey(r, "trace_observation_point") || isKey(r, "traceObservationPoint")) {
                return Key::kFlowMarker;
            }
            return Key::kOther;
        case 'u':
            return isKey(r, "unknown_direction_flow_count") || isKey(r, "unknownDirectionFlowCount")
                       ? Key::kFlowCount
                       : Key::kOther;
        case 'v':
            return isKey(r, "verdict") ? Key::kVerdict : Key::kOther;
        case 'w':
            return isKey(r, "workloads") ? Key::kWorkloads : Key::kOther;
        default:
            return Key::kOther;
    }
}

// A key written with escapes ("\u0073rc"): unescaped, copied with a closing quote, classified.
[[gnu::noinline]] ErrorCode classifyEscapedKey(simdjson::ondemand::field& field, Key& key) {
    std::string_view text;
    if (ErrorCode e = field.unescaped_key().get(text); e != SUCCESS) {
        return e;
    }
    key = Key::kOther;
    if (text.size() <= kMaxKeyLength) {
        std::array<char, kMaxKeyLength + 2> copy{};  // the key, a quote, zeros
        std::memcpy(copy.data(), text.data(), text.size());
        copy[text.size()] = '"';
        key = classifyKey(copy.data());
    }
    return SUCCESS;
}

// The key of `field`, compared as written in the line; only a key with escapes is unescaped.
inline ErrorCode readKey(simdjson::ondemand::field& field, Key& key) {
    const char* raw = field.key().raw();
    key = classifyKey(raw);
    if (key != Key::kOther) {
        return SUCCESS;  // the literal matched up to its closing quote: no escape in it
    }
    for (size_t i = 0; raw[i] != '"'; ++i) {
        if (raw[i] == '\\') {
            return classifyEscapedKey(field, key);
        }
    }
    return SUCCESS;
}

// Calls fn(Key, Value&) for every field of the object `value`; a value that is not an object
// records kNotObject for `name`.
template <typename Fn>
ErrorCode forEachField(Value& value, FieldProblem& problem, std::string_view name, Fn&& fn) {
    simdjson::ondemand::object object;
    ErrorCode e = value.get_object().get(object);
    if (e == simdjson::INCORRECT_TYPE) {
        problem.set(Problem::kNotObject, name);
        return SUCCESS;
    }
    if (e != SUCCESS) {
        return e;
    }
    for (auto result : object) {
        // Used in place: moving the field out costs a store-forwarding stall per key.
        if ((e = result.error()) != SUCCESS) {
            return e;
        }
        simdjson::ondemand::field& field = result.value_unsafe();
        Key key = Key::kOther;
        if ((e = readKey(field, key)) != SUCCESS) {
            return e;
        }
        if ((e = fn(key, field.value())) != SUCCESS) {
            return e;
        }
    }
    return SUCCESS;
}

// The raw text of a scalar, without the whitespace that may follow it.
[[gnu::always_inline]] inline std::string_view tokenOf(Value& value) {
    std::string_view t = value.raw_json_token();
    while (!t.empty() &&
           (t.back() == ' ' || t.back() == '\t' || t.back() == '\r' || t.back() == '\n')) {
        t.remove_suffix(1);
    }
    return t;
}

// SWAR helpers over 8 bytes. All exact per byte (no carries between bytes).
constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;
constexpr uint64_t kLowBits = 0x7f7f7f7f7f7f7f7fULL;

// Bit 7 of each byte equal to `c`.
constexpr uint64_t swarEqual(uint64_t w, unsigned char c) {
    const uint64_t x = w ^ (kOnes * c);
    return ~(((x & kLowBits) + kLowBits) | x) & kHighBits;
}

// True when `text` holds a backslash. REQUIRES: 8 bytes readable from every position of `text`
// (it lies in the padded line).
[[gnu::always_inline]] inline bool hasBackslash(std::string_view text) {
    if constexpr (std::endian::native == std::endian::little) {
        for (size_t i = 0; i < text.size(); i += 8) {
            uint64_t w = 0;
            std::memcpy(&w, text.data() + i, sizeof w);
            uint64_t hits = swarEqual(w, '\\');
            if (text.size() - i < 8) {
                hits &= (uint64_t{1} << (8 * (text.size() - i))) - 1;
            }
            if (hits != 0) {
                return true;
            }
        }
        return false;
    } else {
        return text.find('\\') != std::string_view::npos;
    }
}

// The text of a string value as written in the line, when it is a string without escapes: no
// copy and no unescaping, and the value is left unconsumed. Empty (null data) otherwise.
[[gnu::always_inline]] inline std::string_view plainString(Value& value) {
    const std::string_view token = tokenOf(value);
    if (token.size() < 2 || token.front() != '"' || token.back() != '"') {
        return {};
    }
    const std::string_view text = token.substr(1, token.size() - 2);
    if (hasBackslash(text)) {
        return {};
    }
    return text;
}

// A value of the wrong type: null counts as absent, anything else records `problem`.
ErrorCode wrongType(Value& value, FieldProblem& problem, Problem p, std::string_view name) {
    json_type type{};
    if (ErrorCode e = value.type().get(type); e != SUCCESS) {
        return e;
    }
    if (type != json_type::null) {
        problem.set(p, name);
    }
    return SUCCESS;
}

ErrorCode readString(Value& value,
                     std::string_view& out,
                     FieldProblem& problem,
                     std::string_view name) {
    ErrorCode e = value.get_string().get(out);
    if (e != simdjson::INCORRECT_TYPE) {
        return e;
    }
    return wrongType(value, problem, Problem::kNotString, name);
}

ErrorCode readBool(Value& value, int8_t& out, FieldProblem& problem, std::string_view name) {
    bool b = false;
    ErrorCode e = value.get_bool().get(b);
    if (e == SUCCESS) {
        out = b ? 1 : 0;
        return SUCCESS;
    }
    if (e != simdjson::INCORRECT_TYPE) {
        return e;
    }
    return wrongType(value, problem, Problem::kNotBool, name);
}

// A plain JSON integer token (no sign, no leading zero, at most 18 digits) read without the
// generic number parser; false for anything else, which then goes through simdjson.
[[gnu::always_inline]] inline bool plainUnsigned(std::string_view token, uint64_t& out) {
    constexpr size_t kMaxDigits = 18;  // below 2^63
    if (token.empty() || token.size() > kMaxDigits || (token[0] == '0' && token.size() > 1)) {
        return false;
    }
    uint64_t n = 0;
    for (char c : token) {
        const auto digit = static_cast<unsigned>(static_cast<unsigned char>(c) - '0');
        if (digit > 9) {
            return false;
        }
        n = n * 10 + digit;
    }
    out = n;
    return true;
}

// An integer in [min, max]; null leaves `out` unchanged. A fraction records kNotInteger, a number
// outside the range records `range`.
ErrorCode readInteger(Value& value,
                      int64_t min,
                      uint64_t max,
                      uint64_t& out,
                      FieldProblem& problem,
                      std::string_view name,
                      Problem range) {
    if (uint64_t plain = 0; plainUnsigned(tokenOf(value), plain)) {
        // Left unconsumed: the enclosing object skips it.
        if (plain > max || static_cast<int64_t>(plain) < min) {
            problem.set(range, name, tokenOf(value));
        } else {
            out = plain;
        }
        return SUCCESS;
    }
    int64_t n = 0;
    const ErrorCode e = value.get_int64().get(n);
    if (e == SUCCESS) {
        if (n < min || (n >= 0 && static_cast<uint64_t>(n) > max)) {
            problem.set(range, name, tokenOf(value));
        } else {
            out = static_cast<uint64_t>(n);
        }
        return SUCCESS;
    }
    if (e == simdjson::NUMBER_OUT_OF_RANGE) {
        problem.set(range, name, tokenOf(value));
        return SUCCESS;
    }
    if (e != simdjson::INCORRECT_TYPE) {
        return e;
    }
    json_type type{};
    if (ErrorCode te = value.type().get(type); te != SUCCESS) {
        return te;
    }
    if (type == json_type::number) {
        problem.set(Problem::kNotInteger, name, tokenOf(value));  // a fraction or an exponent
    } else if (type != json_type::null) {
        problem.set(Problem::kNotInteger, name);
    }
    return SUCCESS;
}

ErrorCode readPort(Value& value, uint32_t& out, FieldProblem& problem, std::string_view name) {
    uint64_t port = out;
    const ErrorCode e = readInteger(value, 0, kMaxPort, port, problem, name, Problem::kPortRange);
    out = static_cast<uint32_t>(port);
    return e;
}

// "time": an RFC 3339 string (parsed later, only if the line is used) or Unix seconds.
ErrorCode readTime(Value& value, FlowLineParser::TimeValue& out, FieldProblem& problem) {
    // The common cases straight from the line: text without escapes, or whole seconds.
    if (const std::string_view text = plainString(value); text.data() != nullptr) {
        out.present = true;
        out.is_text = true;
        out.text = text;
        return SUCCESS;
    }
    if (uint64_t seconds = 0; plainUnsigned(tokenOf(value), seconds)) {
        if (seconds > static_cast<uint64_t>(kMaxUnixSeconds)) {
            problem.set(Problem::kTimeRange, "time", tokenOf(value));
            return SUCCESS;
        }
        out.present = true;
        out.is_text = false;
        out.seconds = static_cast<int64_t>(seconds);
        return SUCCESS;
    }
    ErrorCode e = value.get_string().get(out.text);
    if (e == SUCCESS) {
        out.present = true;
        out.is_text = true;
        return SUCCESS;
    }
    if (e != simdjson::INCORRECT_TYPE) {
        return e;
    }
    json_type type{};
    if ((e = value.type().get(type)) != SUCCESS) {
        return e;
    }
    if (type == json_type::null) {
        return SUCCESS;
    }
    if (type != json_type::number) {
        problem.set(Problem::kTimeType, "time");
        return SUCCESS;
    }
    int64_t n = 0;
    e = value.get_int64().get(n);
    if (e == simdjson::INCORRECT_TYPE) {
        double d = 0;
        if ((e = value.get_double().get(d)) != SUCCESS) {
            return e;
        }
        if (!std::isfinite(d) || d < 0 || d > static_cast<double>(kMaxUnixSeconds)) {
            problem.set(Problem::kTimeRange, "time", tokenOf(value));
            return SUCCESS;
        }
        n = static_cast<int64_t>(std::floor(d));
    } else if (e == simdjson::NUMBER_OUT_OF_RANGE) {
        problem.set(Problem::kTimeRange, "time", tokenOf(value));
        return SUCCESS;
    } else if (e != SUCCESS) {
        return e;
    }
    if (n < 0 || n > kMaxUnixSeconds) {
        problem.set(Problem::kTimeRange, "time", tokenOf(value));
        return SUCCESS;
    }
    out.present = true;
    out.is_text = false;
    out.seconds = n;
    return SUCCESS;
}

// core::parseProtocol, with the usual spellings decided without building a string.
std::optional<core::Protocol> protocolOf(std::string_view t) {
    const auto up = [](char c) {
        return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    };
    if (t.size() == 3) {
        const char a = up(t[0]), b = up(t[1]), c = up(t[2]);
        if (a == 'T' && b == 'C' && c == 'P') {
            return core::Protocol::kTcp;
        }
        if (a == 'U' && b == 'D' && c == 'P') {
            return core::Protocol::kUdp;
        }
    }
    return core::parseProtocol(t);
}

// A string value left escaped: `raw` points after its opening quote. Null leaves `raw` null.
ErrorCode readRaw(Value& value, const char*& raw, FieldProblem& problem, std::string_view name) {
    simdjson::ondemand::raw_json_string r;
    const ErrorCode e = value.get_raw_json_string().get(r);
    if (e == SUCCESS) {
        raw = r.raw();
        return SUCCESS;
    }
    if (e != simdjson::INCORRECT_TYPE) {
        return e;
    }
    return wrongType(value, problem, Problem::kNotString, name);
}

// Compares a raw JSON string (quote-terminated) with a prefix that holds no quote.
bool rawStartsWith(const char* raw, std::string_view prefix) {
    for (size_t i = 0; i < prefix.size(); ++i) {
        if (raw[i] != prefix[i]) {
            return false;
        }
    }
    return true;
}

bool rawEquals(const char* raw, std::string_view text) {
    return rawStartsWith(raw, text) && raw[text.size()] == '"';
}

bool isJsonSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Character classes for the endpoint syntax, one table lookup per byte.
enum CharClass : uint8_t {
    kLowerChar = 1,
    kDigitChar = 2,
    kDashChar = 4,
    kDotChar = 8,
    kColonChar = 16,
    kUpperChar = 32,
    kSlashChar = 64,
    kOtherChar = 128,
};

constexpr std::array<uint8_t, 256> buildCharClasses() {
    std::array<uint8_t, 256> t{};
    for (size_t c = 0; c < t.size(); ++c) {
        uint8_t cls = kOtherChar;
        if (c >= 'a' && c <= 'z') {
            cls = kLowerChar;
        } else if (c >= 'A' && c <= 'Z') {
            cls = kUpperChar;
        } else if (c >= '0' && c <= '9') {
            cls = kDigitChar;
        } else if (c == '-') {
            cls = kDashChar;
        } else if (c == '.') {
            cls = kDotChar;
        } else if (c == ':') {
            cls = kColonChar;
        } else if (c == '/') {
            cls = kSlashChar;
        }
        t[c] = cls;
    }
    return t;
}

constexpr std::array<uint8_t, 256> kCharClasses = buildCharClasses();

uint8_t charClass(char c) {
    return kCharClasses[static_cast<unsigned char>(c)];
}

// A segment of NAMESPACE/KIND/NAME: only the classes in `allowed`, 1..max_size bytes, starting
// and ending with a lower-case letter or digit (RFC 1123), or with a letter for a kind.
bool isSegment(std::string_view s, uint8_t classes, uint8_t allowed, size_t max_size) {
    return !s.empty() && s.size() <= max_size && (classes & ~allowed) == 0 &&
           (charClass(s.front()) & (allowed & ~(kDashChar | kDotChar))) != 0 &&
           (charClass(s.back()) & (allowed & ~(kDashChar | kDotChar))) != 0;
}

// An address as Hubble prints it. IPv4 is checked exactly (no allocation); IPv6 by its alphabet,
// since the resolver parses it anyway.
bool isIpText(std::string_view s) {
    if (s.find(':') == std::string_view::npos) {
        return core::IpAddress::parse(s).ok();
    }
    if (s.size() < 2 || s.size() > kMaxIpText) {
        return false;
    }
    for (char c : s) {
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex && c != ':' && c != '.') {
            return false;
        }
    }
    return true;
}

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

using EndpointIssue = FlowLineParser::EndpointIssue;

std::string describeEndpointIssue(std::string_view text,
                                  std::string_view which,
                                  const EndpointIssue& issue) {
    using What = EndpointIssue::What;
    std::string why;
    switch (issue.what) {
        case What::kNone:
        case What::kUnrecognised:
            why =
                "expected NAMESPACE/NAME, NAMESPACE/KIND/NAME, internet, internal, an IP address "
                "or a CIDR";
            break;
        case What::kBadCidr:
            why = "invalid CIDR";
            break;
        case What::kTooManySegments:
            why = "expected NAMESPACE/NAME or NAMESPACE/KIND/NAME";
            break;
        case What::kEmptyNamespace:
            why = "empty namespace";
            break;
        case What::kBadNamespace:
            why = "invalid namespace \"" + printable(issue.part) + "\"";
            break;
        case What::kBadKind:
            why = "invalid kind \"" + printable(issue.part) + "\" in NAMESPACE/KIND/NAME";
            break;
        case What::kEmptyName:
            why = "empty name";
            break;
        case What::kBadName:
            why = "invalid name \"" + printable(issue.part) + "\"";
            break;
    }
    return std::string(which) + " \"" + printable(text) + "\": " + why;
}

// Canonical "src" / "dst": NAMESPACE/NAME, NAMESPACE/KIND/NAME, internet, internal, IP or CIDR.
// One pass classifies the bytes of each '/'-separated segment; no allocation unless the text is
// an IPv6 address or range. parseWorkloadFast() is the fast path in front of it.
EndpointIssue parseEndpointSegments(std::string_view text, core::FlowEndpoint& ep) {
    using Kind = core::FlowEndpoint::Kind;
    using What = EndpointIssue::What;
    constexpr size_t kMaxSegments = 3;
    constexpr size_t kMaxNamespace = 63;
    constexpr size_t kMaxName = 253;
    constexpr size_t kMaxKind = 63;
    if (text == "internet") {
        ep.kind = Kind::kInternet;
        return {};
    }
    if (text == "internal") {
        ep.kind = Kind::kInternal;
        return {};
    }
    // Segment i is [starts[i], starts[i+1] - 1). Filled as found: zero-initialising these arrays
    // makes GCC emit `rep stos`, which is slow for a few bytes.
    std::array<size_t, kMaxSegments + 1> starts;  // NOLINT(cppcoreguidelines-pro-type-member-init)
    std::array<uint8_t, kMaxSegments> classes;    // NOLINT(cppcoreguidelines-pro-type-member-init)
    starts[0] = 0;
    size_t segments = 1;
    uint8_t current = 0;  // the classes of the segment being read, kept out of memory
    for (size_t i = 0; i < text.size(); ++i) {
        const uint8_t cls = charClass(text[i]);
        if (cls != kSlashChar) {
            current |= cls;
            continue;
        }
        if (segments == kMaxSegments) {
            segments = kMaxSegments + 1;
            break;
        }
        classes[segments - 1] = current;
        current = 0;
        starts[segments++] = i + 1;
    }
    if (segments <= kMaxSegments) {
        classes[segments - 1] = current;
    }
    const bool address = (classes[0] & (kDotChar | kColonChar)) != 0;
    if (segments == 1) {
        if (!address || !core::IpAddress::parse(text)) {
            return {What::kUnrecognised, {}};
        }
        ep.kind = Kind::kIp;
        ep.ip = text;
        return {};
    }
    if (address) {
        // Namespaces hold neither dots nor colons: this is an address range.
        if (!core::Cidr::parse(text)) {
            return {What::kBadCidr, {}};
        }
        ep.kind = Kind::kCidr;
        ep.cidr = text;
        return {};
    }
    if (segments > kMaxSegments) {
        return {What::kTooManySegments, {}};
    }
    starts[segments] = text.size() + 1;
    const auto segment = [&](size_t i) {
        return text.substr(starts[i], starts[i + 1] - 1 - starts[i]);
    };
    const std::string_view ns = segment(0);
    if (!isSegment(ns, classes[0], kLowerChar | kDigitChar | kDashChar, kMaxNamespace)) {
        return {ns.empty() ? What::kEmptyNamespace : What::kBadNamespace, ns};
    }
    std::string_view kind;
    if (segments == kMaxSegments) {
        kind = segment(1);
        if (!isSegment(kind, classes[1], kLowerChar | kUpperChar | kDigitChar, kMaxKind) ||
            (charClass(kind.front()) & kDigitChar) != 0) {
            return {What::kBadKind, kind};
        }
    }
    const std::string_view name = segment(segments - 1);
    if (!isSegment(name,
                   classes[segments - 1],
                   kLowerChar | kDigitChar | kDashChar | kDotChar,
                   kMaxName)) {
        return {name.empty() ? What::kEmptyName : What::kBadName, name};
    }
    ep.kind = Kind::kWorkload;
    ep.ns = ns;
    ep.name = name;
    ep.workload_kind = kind;
    return {};
}

// Resets an endpoint member by member: assigning FlowEndpoint{} makes GCC emit `rep stos`, whose
// start-up cost is felt once per endpoint.
void clearEndpoint(core::FlowEndpoint& e) {
    e.kind = core::FlowEndpoint::Kind::kUnknown;
    e.ns = {};
    e.name = {};
    e.workload_kind = {};
    e.pod = {};
    e.labels = {};
    e.ip = {};
    e.cidr = {};
    e.text = {};
}

// Bit 7 of each ASCII byte >= `lo` (bytes with bit 7 set must be rejected separately).
constexpr uint64_t swarAtLeast(uint64_t w, unsigned char lo) {
    return ((w & kLowBits) + kOnes * static_cast<unsigned char>(0x80 - lo)) & kHighBits;
}

constexpr uint64_t swarBetween(uint64_t w, unsigned char lo, unsigned char hi) {
    return swarAtLeast(w, lo) & ~swarAtLeast(w, static_cast<unsigned char>(hi + 1));
}

// The common case, NAMESPACE/NAME in lower case, checked 8 bytes at a time. REQUIRES: 8 bytes
// readable from every position of `text` (it lies in the padded line). False when the slow path
// must decide (another form, or an error).
[[gnu::always_inline]] inline bool parseWorkloadFast(std::string_view text,
                                                     core::FlowEndpoint& ep) {
    constexpr size_t kMaxFast = 64;
    constexpr size_t kMaxNamespace = 63;
    constexpr uint64_t kFiller = kOnes * 'a';
    if constexpr (std::endian::native != std::endian::little) {
        return false;
    }
    const size_t n = text.size();
    if (n < 3 || n > kMaxFast) {
        return false;
    }
    uint64_t bad = 0;
    size_t slashes = 0;
    size_t slash = 0;
    size_t first_dot = n;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = 0;
        std::memcpy(&w, text.data() + i, sizeof w);
        if (n - i < 8) {
            const uint64_t keep = (uint64_t{1} << (8 * (n - i))) - 1;
            w = (w & keep) | (kFiller & ~keep);
        }
        // '-' '.' '/' '0'-'9' are 0x2d-0x39; 'a'-'z' are 0x61-0x7a.
        const uint64_t allowed = swarBetween(w, '-', '9') | swarBetween(w, 'a', 'z');
        bad |= (w & kHighBits) | (~allowed & kHighBits);
        const uint64_t slash_bits = swarEqual(w, '/');
        if (slash_bits != 0 && slashes == 0) {
            slash = i + static_cast<size_t>(std::countr_zero(slash_bits)) / 8;
        }
        // 0, 1 or "2 or more" per word is enough (std::popcount is a library call without POPCNT).
        slashes += static_cast<size_t>(slash_bits != 0) +
                   static_cast<size_t>((slash_bits & (slash_bits - 1)) != 0);
        const uint64_t dot_bits = swarEqual(w, '.');
        if (dot_bits != 0 && first_dot == n) {
            first_dot = i + static_cast<size_t>(std::countr_zero(dot_bits)) / 8;
        }
    }
    // One slash, no dot in the namespace (that would be a CIDR), both parts non-empty and starting
    // and ending with a letter or digit.
    if (bad != 0 || slashes != 1 || first_dot < slash || slash == 0 || slash > kMaxNamespace ||
        slash + 1 == n) {
        return false;
    }
    constexpr uint8_t kAlnum = kLowerChar | kDigitChar;
    if ((charClass(text[0]) & kAlnum) == 0 || (charClass(text[slash - 1]) & kAlnum) == 0 ||
        (charClass(text[slash + 1]) & kAlnum) == 0 || (charClass(text[n - 1]) & kAlnum) == 0) {
        return false;
    }
    ep.kind = core::FlowEndpoint::Kind::kWorkload;
    ep.ns = text.substr(0, slash);
    ep.name = text.substr(slash + 1);
    return true;
}

// The cache slot of an endpoint text: its size and first and last words. REQUIRES: 8 bytes
// readable from text.data() (it lies in the padded line).
size_t endpointCacheSlot(std::string_view text) {
    uint64_t first = 0;
    uint64_t last = 0;
    std::memcpy(&first, text.data(), sizeof first);
    if (text.size() >= sizeof last) {
        std::memcpy(&last, text.data() + text.size() - sizeof last, sizeof last);
    }
    if (text.size() < sizeof first) {
        first &= (uint64_t{1} << (8 * text.size())) - 1;
    }
    constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
    const uint64_t h = (first * kGolden) ^ (last + text.size()) * 0xc2b2ae3d27d4eb4fULL;
    return static_cast<size_t>(h >> 56) % FlowLineParser::kEndpointCacheSize;
}

bool isWorldIdentity(uint64_t id) {
    constexpr uint64_t kWorld = 2, kWorldV4 = 9, kWorldV6 = 10;
    return id == kWorld || id == kWorldV4 || id == kWorldV6;
}

// host 1, unmanaged 3, health 4, init 5, remote-node 6, kube-apiserver 7, ingress 8.
bool isInternalIdentity(uint64_t id) {
    constexpr uint64_t kHost = 1, kIngress = 8, kWorld = 2;
    return id >= kHost && id <= kIngress && id != kWorld;
}

// A pod: what identifies it is passed on as read (workload, pod name, labels), and the
// cluster-aware resolution is left to core::EndpointResolver. Otherwise an entity or an address.
void hubbleEndpoint(const FlowLineParser::HubbleEndpoint& e,
                    std::string_view ip,
                    core::FlowEndpoint& ep) {
    using Kind = core::FlowEndpoint::Kind;
    clearEndpoint(ep);
    ep.ip = ip;
    ep.pod = e.pod;
    const bool reserved = e.world || e.internal || e.cidr;
    const bool names_pod = !e.workload_name.empty() || !e.pod.empty() || e.k8s_labels;
    if ((!e.ns.empty() && names_pod) || (e.ns.empty() && e.k8s_labels && !reserved)) {
        ep.kind = Kind::kWorkload;
        ep.ns = e.ns;
        ep.name = e.workload_name;
        ep.workload_kind = e.workload_kind;
        ep.labels = e.labels;
    } else if (e.cidr && !ip.empty()) {
        // A CIDR identity (a policy names this range): the address says more than "world".
        ep.kind = Kind::kIp;
    } else if (e.world || isWorldIdentity(e.identity)) {
        ep.kind = Kind::kInternet;
    } else if (e.internal || isInternalIdentity(e.identity)) {
        ep.kind = Kind::kInternal;
    } else if (!ip.empty()) {
        ep.kind = Kind::kIp;
    }
}

// The end of a raw JSON string (just after its closing quote). REQUIRES: `raw` points just after
// an opening quote of a string simdjson validated.
const char* rawStringEnd(const char* raw) {
    while (*raw != '"') {
        raw += *raw == '\\' ? 2 : 1;
    }
    return raw + 1;
}

// Endpoint.labels: the reserved:… and cidr:… labels decide the kind of endpoint; the raw text is
// compared without unescaping (these labels never hold escapes). The raw text of all the elements
// is kept for core::EndpointResolver, which parses it only for pods no name resolves.
ErrorCode labelsArray(Value& value,
                      FlowLineParser::HubbleEndpoint& ep,
                      FieldProblem& problem,
                      std::string_view name) {
    simdjson::ondemand::array array;
    ErrorCode e = value.get_array().get(array);
    if (e == simdjson::INCORRECT_TYPE) {
        return wrongType(value, problem, Problem::kNotArray, name);
    }
    if (e != SUCCESS) {
        return e;
    }
    const char* first = nullptr;
    const char* end = nullptr;
    for (auto element : array) {
        Value label_value;
        if ((e = std::move(element).get(label_value)) != SUCCESS) {
            return e;
        }
        simdjson::ondemand::raw_json_string raw;
        e = label_value.get_raw_json_string().get(raw);
        if (e == simdjson::INCORRECT_TYPE) {
            problem.set(Problem::kNotString, name);
            continue;
        }
        if (e != SUCCESS) {
            return e;
        }
        const char* s = raw.raw();
        first = first == nullptr ? s - 1 : first;
        end = rawStringEnd(s);
        if (s[0] == 'k' && rawStartsWith(s, "k8s:")) {
            ep.k8s_labels = true;
        } else if (s[0] == 'r' && rawStartsWith(s, "reserved:")) {
            constexpr size_t kReservedPrefix = 9;
            const char* r = s + kReservedPrefix;
            // reserved:world, and since Cilium 1.15 reserved:world-ipv4 / reserved:world-ipv6.
            if (rawStartsWith(r, "world") && (r[5] == '"' || r[5] == '-')) {
                ep.world = true;
            } else if (rawEquals(r, "host") || rawEquals(r, "remote-node") ||
                       rawEquals(r, "kube-apiserver") || rawEquals(r, "health") ||
                       rawEquals(r, "init") || rawEquals(r, "ingress") ||
                       rawEquals(r, "unmanaged")) {
                ep.internal = true;
            }
        } else if (s[0] == 'c' && rawStartsWith(s, "cidr:")) {
            ep.cidr = true;
        }
    }
    if (first != nullptr) {
        ep.labels = std::string_view(first, static_cast<size_t>(end - first));
    }
    return SUCCESS;
}

// Endpoint.workloads: the first one is the pod's top-level controller.
ErrorCode workloadsArray(Value& value,
                         FlowLineParser::HubbleEndpoint& ep,
                         FieldProblem& problem,
                         std::string_view name) {
    simdjson::ondemand::array array;
    ErrorCode e = value.get_array().get(array);
    if (e == simdjson::INCORRECT_TYPE) {
        return wrongType(value, problem, Problem::kNotArray, name);
    }
    if (e != SUCCESS) {
        return e;
    }
    for (auto element : array) {
        Value workload;
        if ((e = std::move(element).get(workload)) != SUCCESS) {
            return e;
        }
        // Only the first element; the rest of the array is skipped by the enclosing object.
        return forEachField(workload, problem, name, [&](Key k, Value& v) {
            if (k == Key::kName) {
                return readString(v, ep.workload_name, problem, name);
            }
            if (k == Key::kKind) {
                return readString(v, ep.workload_kind, problem, name);
            }
            return SUCCESS;
        });
    }
    return SUCCESS;
}

}  // namespace

FlowLineParser::FlowLineParser(FlowFormat format)
    : format_(format),
      want_canonical_(format != FlowFormat::kHubble),
      want_hubble_(format != FlowFormat::kCanonical) {
    // A failure here only means the first line allocates instead (and reports MEMALLOC if that
    // fails too). The depth is kept for later reallocations; On-Demand skips nested values without
    // recursion, and the decoder itself descends at most five levels.
    const ErrorCode e = parser_.allocate(kInitialParserCapacity, kMaxDepth);
    static_cast<void>(e);
}

core::Status FlowLineParser::resolveTime(const TimeValue& t, core::Timestamp& out) {
    if (!t.present) {
        out = core::kUndated;
        return {};
    }
    if (!t.is_text) {
        out = t.seconds;
        return {};
    }
    // Consecutive lines often carry the same instant (canonical files at second resolution).
    if (last_time_ok_ && t.text == last_time_text_) {
        out = last_time_;
        return {};
    }
    auto parsed = parseRfc3339(t.text);
    if (!parsed) {
        return core::Error{parsed.error()};
    }
    out = *parsed;
    last_time_text_.assign(t.text);
    last_time_ = out;
    last_time_ok_ = true;
    return {};
}

// Member by member, for the same reason as clearEndpoint(). The views are reset too: finishHubble()
// reads them whether or not their keys were present.
void FlowLineParser::resetHubble() {
    Hubble& h = hubble_;
    h.envelope = false;
    h.flow_key = false;
    h.non_flow = false;
    h.dropped = false;
    h.is_reply = -1;
    h.reply = -1;
    h.trace_new = false;
    h.flags = false;
    h.syn = 0;
    h.ack = 0;
    h.has_aggregate = false;
    h.protocol = core::Protocol::kUnknown;
    h.src_port = 0;
    h.dst_port = 0;
    h.event_type = 0;
    h.aggregate = 0;
    h.src_ip = {};
    h.dst_ip = {};
    h.time.present = false;
    for (HubbleEndpoint* ep : {&h.source, &h.destination}) {
        ep->ns = {};
        ep->pod = {};
        ep->workload_name = {};
        ep->workload_kind = {};
        ep->labels = {};
        ep->k8s_labels = false;
        ep->identity = 0;
        ep->world = false;
        ep->internal = false;
        ep->cidr = false;
    }
    h.problem.problem = Problem::kNone;
}

LineOutcome FlowLineParser::invalid(std::string message) {
    error_ = std::move(message);
    return LineOutcome::kInvalid;
}

LineOutcome FlowLineParser::invalidJson(ErrorCode code) {
    return invalid(std::string("invalid JSON: ") + simdjson::error_message(code));
}

LineOutcome FlowLineParser::parse(const char* data,
                                  size_t size,
                                  size_t capacity,
                                  core::FlowObservation& out) {
    size_t first = 0;
    while (first < size && isJsonSpace(data[first])) {
        ++first;
    }
    if (first == size) {
        return LineOutcome::kNonFlow;
    }
    if (data[first] != '{') {
        return invalid("expected a JSON object");
    }
    out_ = &out;
    // Only what is read before being written: the views are used only when their flags are set.
    canonical_.shape = false;
    canonical_.src.seen = false;
    canonical_.dst.seen = false;
    canonical_.port = 0;
    canonical_.protocol = core::Protocol::kTcp;
    canonical_.count = 1;
    canonical_.problem.problem = Problem::kNone;
    top_time_.present = false;
    time_problem_.problem = Problem::kNone;
    if (hubble_dirty_) {
        // Lines of canonical flows never touch the (larger) Hubble state.
        resetHubble();
        hubble_dirty_ = false;
    }

    simdjson::ondemand::document doc;
    ErrorCode e = parser_.iterate(data, size, capacity).get(doc);
    if (e != SUCCESS) {
        return invalidJson(e);
    }
    simdjson::ondemand::object object;
    if ((e = doc.get_object().get(object)) != SUCCESS) {
        return invalidJson(e);
    }
    for (auto result : object) {
        // Used in place: moving the field out costs a store-forwarding stall per key.
        if ((e = result.error()) != SUCCESS) {
            return invalidJson(e);
        }
        simdjson::ondemand::field& field = result.value_unsafe();
        Key key = Key::kOther;
        if ((e = readKey(field, key)) != SUCCESS) {
            return invalidJson(e);
        }
        if ((e = topField(key, field.value())) != SUCCESS) {
            return invalidJson(e);
        }
    }
    // Anything after the closing brace.
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == SUCCESS) {
        return invalid("unexpected content after the JSON object");
    }

    const bool canonical_shape = canonical_.shape;
    const bool hubble_shape = hubble_.envelope || hubble_.flow_key;
    switch (format_) {
        case FlowFormat::kCanonical:
            return finishCanonical(out);
        case FlowFormat::kHubble:
            if (hubble_shape) {
                return finishHubble(out);
            }
            if (hubble_.non_flow) {
                return LineOutcome::kNonFlow;
            }
            return invalid("not a Hubble flow (no \"flow\" key and no Flow fields)");
        case FlowFormat::kAuto:
            break;
    }
    if (canonical_shape) {
        return finishCanonical(out);
    }
    if (hubble_shape) {
        return finishHubble(out);
    }
    if (hubble_.non_flow) {
        return LineOutcome::kNonFlow;
    }
    return invalid(
        "not a flow: expected a canonical flow (\"src\", \"dst\") or a Hubble flow (\"flow\", or "
        "Flow fields such as \"IP\", \"l4\", \"source\")");
}

[[gnu::flatten]] ErrorCode FlowLineParser::topField(Key key, Value& value) {
    switch (key) {
        case Key::kTime:
            return readTime(value, top_time_, time_problem_);
        case Key::kSrc:
            if (!want_canonical_) {
                return SUCCESS;
            }
            canonical_.shape = true;
            return canonicalEndpoint(value, "src", canonical_.src, out_->src);
        case Key::kDst:
            if (!want_canonical_) {
                return SUCCESS;
            }
            canonical_.shape = true;
            return canonicalEndpoint(value, "dst", canonical_.dst, out_->dst);
        case Key::kPort:
            if (!want_canonical_) {
                return SUCCESS;
            }
            return readPort(value, canonical_.port, canonical_.problem, "port");
        case Key::kProtocol:
            return want_canonical_ ? canonicalProtocol(value) : SUCCESS;
        case Key::kCount:
            if (!want_canonical_) {
                return SUCCESS;
            }
            return readInteger(value,
                               1,
                               std::numeric_limits<int64_t>::max(),
                               canonical_.count,
                               canonical_.problem,
                               "count",
                               Problem::kCountRange);
        case Key::kFlow:
            if (!want_hubble_) {
                return SUCCESS;
            }
            hubble_dirty_ = true;
            hubble_.envelope = true;
            return forEachField(value, hubble_.problem, "flow", [&](Key k, Value& v) {
                if (k == Key::kTime) {
                    return readTime(v, hubble_.time, hubble_.problem);
                }
                return flowField(k, v, false);
            });
        case Key::kNonFlow:
            hubble_dirty_ = true;
            hubble_.non_flow = true;
            return SUCCESS;
        default:
            if (!want_hubble_ || key == Key::kOther) {
                return SUCCESS;
            }
            // A bare Flow (legacy JSON): the Flow's fields are at the top level.
            hubble_dirty_ = true;
            return flowField(key, value, true);
    }
}

ErrorCode FlowLineParser::canonicalEndpoint(Value& value,
                                            std::string_view name,
                                            CanonicalEndpoint& out,
                                            core::FlowEndpoint& endpoint) {
    out.seen = false;
    out.issue = EndpointIssue{};
    clearEndpoint(endpoint);
    const std::string_view token = tokenOf(value);
    if (token.size() >= 2 && token.front() == '"' && token.back() == '"') {
        // The raw text lies in the padded line, as parseWorkloadFast() and the cache require.
        const std::string_view raw = token.substr(1, token.size() - 2);
        EndpointCacheEntry& cached = endpoint_cache_[endpointCacheSlot(raw)];
        if (!raw.empty() && cached.size == raw.size() &&
            std::memcmp(cached.text.data(), raw.data(), raw.size()) == 0) {
            cached.apply(raw, endpoint);
            endpoint.text = raw;
            out.seen = true;
            out.text = raw;
            return SUCCESS;
        }
        // parseWorkloadFast() accepts no backslash: only the general parser needs the check.
        const bool fast = parseWorkloadFast(raw, endpoint);
        if (fast || !hasBackslash(raw)) {
            if (!fast) {
                out.issue = parseEndpointSegments(raw, endpoint);
            }
            if (out.issue.what == EndpointIssue::What::kNone) {
                cached.store(raw, endpoint);
            }
            endpoint.text = raw;
            out.seen = true;
            out.text = raw;
            return SUCCESS;
        }
    }
    // Escapes, another type or null.
    std::string_view text;
    const ErrorCode e = readString(value, text, canonical_.problem, name);
    if (e != SUCCESS || text.data() == nullptr) {
        return e;
    }
    out.seen = true;
    out.text = text;
    out.issue = parseEndpointSegments(text, endpoint);
    endpoint.text = text;
    return SUCCESS;
}

ErrorCode FlowLineParser::canonicalProtocol(Value& value) {
    std::string_view text = plainString(value);
    if (text.data() == nullptr) {
        const ErrorCode e = readString(value, text, canonical_.problem, "protocol");
        if (e != SUCCESS || text.data() == nullptr) {
            return e;
        }
    }
    const auto protocol = protocolOf(text);
    if (!protocol) {
        canonical_.problem.set(Problem::kUnknownProtocol, "protocol", text);
    } else {
        canonical_.protocol = *protocol;
    }
    return SUCCESS;
}

ErrorCode FlowLineParser::flowField(Key key, Value& value, bool top) {
    Hubble& h = hubble_;
    switch (key) {
        case Key::kVerdict: {
            h.flow_key = h.flow_key || top;
            const char* verdict = nullptr;
            const ErrorCode e = readRaw(value, verdict, h.problem, "verdict");
            h.dropped = verdict != nullptr &&
                        (rawEquals(verdict, "DROPPED") || rawEquals(verdict, "ERROR"));
            return e;
        }
        case Key::kIp:
            h.flow_key = h.flow_key || top;
            return ipObject(value);
        case Key::kL4:
            h.flow_key = h.flow_key || top;
            return l4Object(value);
        case Key::kSource:
            h.flow_key = h.flow_key || top;
            return endpointObject(value, h.source, true);
        case Key::kDestination:
            h.flow_key = h.flow_key || top;
            return endpointObject(value, h.destination, false);
        case Key::kEventType:
            h.flow_key = h.flow_key || top;
            return forEachField(value, h.problem, "event_type", [&](Key k, Value& v) {
                if (k == Key::kType) {
                    return readInteger(v,
                                       0,
                                       kMaxUint32,
                                       h.event_type,
                                       h.problem,
                                       "event_type.type",
                                       Problem::kNotInteger);
                }
                return SUCCESS;
            });
        case Key::kFlowMarker:
            h.flow_key = h.flow_key || top;
            return SUCCESS;
        case Key::kIsReply:
            return readBool(value, h.is_reply, h.problem, "is_reply");
        case Key::kReply:
            return readBool(value, h.reply, h.problem, "reply");
        case Key::kTraceReason: {
            const char* reason = nullptr;
            const ErrorCode e = readRaw(value, reason, h.problem, "trace_reason");
            h.trace_new = reason != nullptr && rawEquals(reason, "NEW");
            return e;
        }
        case Key::kAggregate:
            h.has_aggregate = true;
            return forEachField(value, h.problem, "aggregate", [&](Key k, Value& v) {
                if (k != Key::kFlowCount) {
                    return SUCCESS;
                }
                uint64_t n = 0;
                const ErrorCode e = readInteger(
                    v, 0, kMaxUint32, n, h.problem, "aggregate count", Problem::kNotInteger);
                h.aggregate += n;
                return e;
            });
        default:
            return SUCCESS;
    }
}

ErrorCode FlowLineParser::ipObject(Value& value) {
    Hubble& h = hubble_;
    return forEachField(value, h.problem, "IP", [&](Key k, Value& v) {
        if (k == Key::kSource) {
            return readString(v, h.src_ip, h.problem, "IP.source");
        }
        if (k == Key::kDestination) {
            return readString(v, h.dst_ip, h.problem, "IP.destination");
        }
        return SUCCESS;
    });
}

ErrorCode FlowLineParser::l4Object(Value& value) {
    Hubble& h = hubble_;
    return forEachField(value, h.problem, "l4", [&](Key k, Value& v) {
        switch (k) {
            case Key::kTcp:
                h.protocol = core::Protocol::kTcp;
                return l4Ports(v, true);
            case Key::kUdp:
                h.protocol = core::Protocol::kUdp;
                return l4Ports(v, false);
            case Key::kSctp:
                h.protocol = core::Protocol::kSctp;
                return l4Ports(v, false);
            case Key::kIcmpV4:
            case Key::kIcmpV6:
                h.protocol = core::Protocol::kIcmp;
                return SUCCESS;
            default:
                return SUCCESS;
        }
    });
}

ErrorCode FlowLineParser::l4Ports(Value& value, bool tcp) {
    Hubble& h = hubble_;
    return forEachField(value, h.problem, "l4 protocol", [&](Key k, Value& v) {
        switch (k) {
            case Key::kSourcePort:
                return readPort(v, h.src_port, h.problem, "l4 source_port");
            case Key::kDestinationPort:
                return readPort(v, h.dst_port, h.problem, "l4 destination_port");
            case Key::kFlags:
                if (!tcp) {
                    return SUCCESS;
                }
                h.flags = true;
                return forEachField(v, h.problem, "l4.TCP.flags", [&](Key f, Value& b) {
                    if (f == Key::kSyn) {
                        return readBool(b, h.syn, h.problem, "l4.TCP.flags.SYN");
                    }
                    if (f == Key::kAck) {
                        return readBool(b, h.ack, h.problem, "l4.TCP.flags.ACK");
                    }
                    return SUCCESS;
                });
            default:
                return SUCCESS;
        }
    });
}

ErrorCode FlowLineParser::endpointObject(Value& value, HubbleEndpoint& ep, bool source) {
    FieldProblem& problem = hubble_.problem;
    const auto name = [source](std::string_view src_name, std::string_view dst_name) {
        return source ? src_name : dst_name;
    };
    return forEachField(value, problem, name("source", "destination"), [&](Key k, Value& v) {
        switch (k) {
            case Key::kNamespace:
                return readString(
                    v, ep.ns, problem, name("source.namespace", "destination.namespace"));
            case Key::kPodName:
                return readString(
                    v, ep.pod, problem, name("source.pod_name", "destination.pod_name"));
            case Key::kIdentity:
                return readInteger(v,
                                   0,
                                   kMaxUint32,
                                   ep.identity,
                                   problem,
                                   name("source.identity", "destination.identity"),
                                   Problem::kNotInteger);
            case Key::kLabels:
                return labelsArray(v, ep, problem, name("source.labels", "destination.labels"));
            case Key::kWorkloads:
                return workloadsArray(
                    v, ep, problem, name("source.workloads", "destination.workloads"));
            default:
                return SUCCESS;
        }
    });
}

LineOutcome FlowLineParser::finishCanonical(core::FlowObservation& out) {
    const Canonical& c = canonical_;
    if (c.problem) {
        return invalid(describe(c.problem));
    }
    if (time_problem_) {
        return invalid(describe(time_problem_));
    }
    if (!c.src.seen) {
        return invalid("missing \"src\"");
    }
    if (!c.dst.seen) {
        return invalid("missing \"dst\"");
    }
    if (c.src.issue.what != EndpointIssue::What::kNone) {
        return invalid(describeEndpointIssue(c.src.text, "src", c.src.issue));
    }
    if (c.dst.issue.what != EndpointIssue::What::kNone) {
        return invalid(describeEndpointIssue(c.dst.text, "dst", c.dst.issue));
    }
    if (core::Status st = resolveTime(top_time_, out.time); !st) {
        return invalid(st.error());
    }
    out.protocol = c.protocol;
    out.port = c.protocol == core::Protocol::kIcmp ? 0 : c.port;
    out.count = c.count;
    return LineOutcome::kFlow;
}

LineOutcome FlowLineParser::finishHubble(core::FlowObservation& out) {
    const Hubble& h = hubble_;
    if (h.problem) {
        return invalid(describe(h.problem));
    }
    if (h.is_reply == 1 || (h.is_reply < 0 && h.reply == 1)) {
        return LineOutcome::kReply;
    }
    if (h.dropped) {
        return LineOutcome::kDropped;
    }
    const bool opening = h.syn == 1 && h.ack != 1;
    if (h.protocol == core::Protocol::kTcp && h.flags && !opening && !h.trace_new &&
        h.event_type != kPolicyVerdictEvent) {
        return LineOutcome::kNotInitial;
    }
    if (!h.src_ip.empty() && !isIpText(h.src_ip)) {
        return invalid(describe({Problem::kBadIp, "IP.source", h.src_ip}));
    }
    if (!h.dst_ip.empty() && !isIpText(h.dst_ip)) {
        return invalid(describe({Problem::kBadIp, "IP.destination", h.dst_ip}));
    }
    const TimeValue& time = h.time.present ? h.time : top_time_;
    if (!h.time.present && time_problem_) {
        return invalid(describe(time_problem_));
    }
    if (core::Status st = resolveTime(time, out.time); !st) {
        return invalid(st.error());
    }
    hubbleEndpoint(h.source, h.src_ip, out.src);
    hubbleEndpoint(h.destination, h.dst_ip, out.dst);
    out.protocol = h.protocol;
    out.port = isPolicyProtocol(h.protocol) ? h.dst_port : 0;
    out.count = h.has_aggregate && h.aggregate > 0 ? h.aggregate : 1;
    if (!h.src_ip.empty() && !h.dst_ip.empty() && h.src_port != 0 && h.dst_port != 0 &&
        dedupe_.seen(h.src_ip,
                     h.src_port,
                     h.dst_ip,
                     h.dst_port,
                     static_cast<uint8_t>(h.protocol),
                     out.time)) {
        return LineOutcome::kDuplicate;
    }
    return LineOutcome::kFlow;
}

}  // namespace netpolgen::io
