#include "io/flow_line_parser.h"

#include <array>
#include <cmath>
#include <limits>
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
constexpr uint64_t kPolicyVerdictEvent = 5;         // event_type.type of policy-verdict events
constexpr size_t kMaxTokenInMessage = 64;
constexpr size_t kMaxIpText = 45;  // "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"

struct KeyName {
    std::string_view text;
    Key key = Key::kOther;
};

constexpr KeyName kKeyNames[] = {
    {"src", Key::kSrc},
    {"dst", Key::kDst},
    {"port", Key::kPort},
    {"protocol", Key::kProtocol},
    {"time", Key::kTime},
    {"count", Key::kCount},
    {"flow", Key::kFlow},
    {"node_status", Key::kNonFlow},
    {"nodeStatus", Key::kNonFlow},
    {"lost_events", Key::kNonFlow},
    {"lostEvents", Key::kNonFlow},
    {"agent_event", Key::kNonFlow},
    {"agentEvent", Key::kNonFlow},
    {"debug_event", Key::kNonFlow},
    {"debugEvent", Key::kNonFlow},
    {"verdict", Key::kVerdict},
    {"IP", Key::kIp},
    {"l4", Key::kL4},
    {"source", Key::kSource},
    {"destination", Key::kDestination},
    {"is_reply", Key::kIsReply},
    {"isReply", Key::kIsReply},
    {"reply", Key::kReply},
    {"event_type", Key::kEventType},
    {"eventType", Key::kEventType},
    {"trace_reason", Key::kTraceReason},
    {"traceReason", Key::kTraceReason},
    {"aggregate", Key::kAggregate},
    {"Type", Key::kFlowMarker},
    {"traffic_direction", Key::kFlowMarker},
    {"trafficDirection", Key::kFlowMarker},
    {"trace_observation_point", Key::kFlowMarker},
    {"traceObservationPoint", Key::kFlowMarker},
    {"drop_reason_desc", Key::kFlowMarker},
    {"dropReasonDesc", Key::kFlowMarker},
    {"TCP", Key::kTcp},
    {"UDP", Key::kUdp},
    {"SCTP", Key::kSctp},
    {"ICMPv4", Key::kIcmpV4},
    {"ICMPv6", Key::kIcmpV6},
    {"source_port", Key::kSourcePort},
    {"sourcePort", Key::kSourcePort},
    {"destination_port", Key::kDestinationPort},
    {"destinationPort", Key::kDestinationPort},
    {"flags", Key::kFlags},
    {"SYN", Key::kSyn},
    {"ACK", Key::kAck},
    {"namespace", Key::kNamespace},
    {"labels", Key::kLabels},
    {"pod_name", Key::kPodName},
    {"podName", Key::kPodName},
    {"workloads", Key::kWorkloads},
    {"name", Key::kName},
    {"kind", Key::kKind},
    {"identity", Key::kIdentity},
    {"type", Key::kType},
    {"ingress_flow_count", Key::kFlowCount},
    {"ingressFlowCount", Key::kFlowCount},
    {"egress_flow_count", Key::kFlowCount},
    {"egressFlowCount", Key::kFlowCount},
    {"unknown_direction_flow_count", Key::kFlowCount},
    {"unknownDirectionFlowCount", Key::kFlowCount},
};

// An open-addressing table built at compile time; the slot comes from the length and three bytes,
// so a lookup costs a few instructions and one comparison.
constexpr size_t kKeyTableSize = 256;

constexpr size_t keySlot(std::string_view s) {
    const auto at = [&](size_t i) { return static_cast<size_t>(static_cast<unsigned char>(s[i])); };
    return (s.size() * 97 + at(0) * 31 + at(s.size() / 2) * 7 + at(s.size() - 1)) &
           (kKeyTableSize - 1);
}

constexpr std::array<KeyName, kKeyTableSize> buildKeyTable() {
    std::array<KeyName, kKeyTableSize> table{};
    for (const KeyName& k : kKeyNames) {
        size_t i = keySlot(k.text);
        while (table[i].key != Key::kOther) {
            i = (i + 1) & (kKeyTableSize - 1);
        }
        table[i] = k;
    }
    return table;
}

constexpr std::array<KeyName, kKeyTableSize> kKeyTable = buildKeyTable();

Key lookupKey(std::string_view s) {
    if (s.empty()) {
        return Key::kOther;
    }
    for (size_t i = keySlot(s);; i = (i + 1) & (kKeyTableSize - 1)) {
        const KeyName& k = kKeyTable[i];
        if (k.key == Key::kOther || k.text == s) {
            return k.key;
        }
    }
}

// The key as written in the line; a key with escapes is unescaped into the parser's buffer.
ErrorCode fieldKey(simdjson::ondemand::field& field, std::string_view& key) {
    // The raw key is quote-terminated: stage 1 has matched every quote of the line.
    const char* raw = field.key().raw();
    size_t n = 0;
    while (raw[n] != '"' && raw[n] != '\\') {
        ++n;
    }
    if (raw[n] == '"') {
        key = std::string_view(raw, n);
        return SUCCESS;
    }
    return field.unescaped_key().get(key);
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
        simdjson::ondemand::field field;
        if ((e = std::move(result).get(field)) != SUCCESS) {
            return e;
        }
        std::string_view key;
        if ((e = fieldKey(field, key)) != SUCCESS) {
            return e;
        }
        if ((e = fn(lookupKey(key), field.value())) != SUCCESS) {
            return e;
        }
    }
    return SUCCESS;
}

// The raw text of a scalar, without the whitespace that may follow it.
std::string_view tokenOf(Value& value) {
    std::string_view t = value.raw_json_token();
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t' || t.back() == '\r' ||
                          t.back() == '\n')) {
        t.remove_suffix(1);
    }
    return t;
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

// An integer in [min, max]; null leaves `out` unchanged. A fraction records kNotInteger, a number
// outside the range records `range`.
ErrorCode readInteger(Value& value,
                      int64_t min,
                      uint64_t max,
                      uint64_t& out,
                      FieldProblem& problem,
                      std::string_view name,
                      Problem range) {
    json_type type{};
    if (ErrorCode e = value.type().get(type); e != SUCCESS) {
        return e;
    }
    if (type != json_type::number) {
        if (type != json_type::null) {
            problem.set(Problem::kNotInteger, name);
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
    if (e == simdjson::INCORRECT_TYPE) {
        problem.set(Problem::kNotInteger, name, tokenOf(value));
        return SUCCESS;
    }
    if (e == simdjson::NUMBER_OUT_OF_RANGE) {
        problem.set(range, name, tokenOf(value));
        return SUCCESS;
    }
    return e;
}

ErrorCode readPort(Value& value, uint32_t& out, FieldProblem& problem, std::string_view name) {
    uint64_t port = out;
    const ErrorCode e = readInteger(value, 0, kMaxPort, port, problem, name, Problem::kPortRange);
    out = static_cast<uint32_t>(port);
    return e;
}

// "time": an RFC 3339 string (parsed later, only if the line is used) or Unix seconds.
ErrorCode readTime(Value& value, FlowLineParser::TimeValue& out, FieldProblem& problem) {
    json_type type{};
    if (ErrorCode e = value.type().get(type); e != SUCCESS) {
        return e;
    }
    if (type == json_type::string) {
        out.present = true;
        out.is_text = true;
        return value.get_string().get(out.text);
    }
    if (type == json_type::null) {
        return SUCCESS;
    }
    if (type != json_type::number) {
        problem.set(Problem::kTimeType, "time");
        return SUCCESS;
    }
    int64_t n = 0;
    ErrorCode e = value.get_int64().get(n);
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

bool isJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool isLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// RFC 1123 label: what Kubernetes accepts as a namespace name.
bool isDnsLabel(std::string_view s) {
    constexpr size_t kMaxLabel = 63;
    if (s.empty() || s.size() > kMaxLabel || !isLowerAlnum(s.front()) || !isLowerAlnum(s.back())) {
        return false;
    }
    for (char c : s) {
        if (!isLowerAlnum(c) && c != '-') {
            return false;
        }
    }
    return true;
}

// RFC 1123 subdomain: what Kubernetes accepts as a workload name.
bool isDnsSubdomain(std::string_view s) {
    constexpr size_t kMaxSubdomain = 253;
    if (s.empty() || s.size() > kMaxSubdomain || !isLowerAlnum(s.front()) ||
        !isLowerAlnum(s.back())) {
        return false;
    }
    for (char c : s) {
        if (!isLowerAlnum(c) && c != '-' && c != '.') {
            return false;
        }
    }
    return true;
}

// A kind such as Deployment or StatefulSet.
bool isKindName(std::string_view s) {
    constexpr size_t kMaxKind = 63;
    if (s.empty() || s.size() > kMaxKind || !((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'))) {
        return false;
    }
    for (char c : s) {
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return true;
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

// Canonical "src" / "dst": NAMESPACE/NAME, NAMESPACE/KIND/NAME, internet, internal, IP or CIDR.
// Returns an empty string or the reason it is not valid.
std::string parseCanonicalEndpoint(std::string_view text,
                                   std::string_view which,
                                   core::FlowEndpoint& ep) {
    using Kind = core::FlowEndpoint::Kind;
    ep = core::FlowEndpoint{};
    if (text == "internet") {
        ep.kind = Kind::kInternet;
        return {};
    }
    if (text == "internal") {
        ep.kind = Kind::kInternal;
        return {};
    }
    const auto bad = [&](std::string_view why) {
        return std::string(which) + " \"" + printable(text) + "\": " + std::string(why);
    };
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos) {
        if (!core::IpAddress::parse(text)) {
            return bad(
                "expected NAMESPACE/NAME, NAMESPACE/KIND/NAME, internet, internal, an IP address "
                "or a CIDR");
        }
        ep.kind = Kind::kIp;
        ep.ip = text;
        return {};
    }
    const std::string_view first = text.substr(0, slash);
    if (first.find_first_of(".:") != std::string_view::npos) {
        // Namespaces hold neither dots nor colons: this is an address range.
        if (!core::Cidr::parse(text)) {
            return bad("invalid CIDR");
        }
        ep.kind = Kind::kCidr;
        ep.cidr = text;
        return {};
    }
    std::string_view rest = text.substr(slash + 1);
    std::string_view kind;
    if (const size_t second = rest.find('/'); second != std::string_view::npos) {
        kind = rest.substr(0, second);
        rest = rest.substr(second + 1);
        if (!isKindName(kind)) {
            return bad("invalid kind \"" + printable(kind) + "\" in NAMESPACE/KIND/NAME");
        }
    }
    if (!isDnsLabel(first)) {
        return bad(first.empty() ? "empty namespace"
                                 : "invalid namespace \"" + printable(first) + "\"");
    }
    if (!isDnsSubdomain(rest)) {
        return bad(rest.empty() ? "empty name" : "invalid name \"" + printable(rest) + "\"");
    }
    ep.kind = Kind::kWorkload;
    ep.ns = first;
    ep.name = rest;
    ep.workload_kind = kind;
    return {};
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

core::FlowEndpoint hubbleEndpoint(const FlowLineParser::HubbleEndpoint& e, std::string_view ip) {
    using Kind = core::FlowEndpoint::Kind;
    core::FlowEndpoint ep;
    ep.ip = ip;
    ep.pod = e.pod;
    if (!e.ns.empty() && !e.workload_name.empty()) {
        ep.kind = Kind::kWorkload;
        ep.ns = e.ns;
        ep.name = e.workload_name;
        ep.workload_kind = e.workload_kind;
    } else if (!e.ns.empty() && !e.pod.empty()) {
        // A pod without a controller: the pod is the workload.
        ep.kind = Kind::kWorkload;
        ep.ns = e.ns;
        ep.name = e.pod;
        ep.workload_kind = "Pod";
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
    return ep;
}

core::Status resolveTime(const FlowLineParser::TimeValue& t, core::Timestamp& out) {
    if (!t.present) {
        out = core::kUndated;
        return {};
    }
    if (!t.is_text) {
        out = t.seconds;
        return {};
    }
    auto parsed = parseRfc3339(t.text);
    if (!parsed) {
        return core::Error{parsed.error()};
    }
    out = *parsed;
    return {};
}

// Endpoint.labels: only the reserved:… and cidr:… labels matter here; the raw text is compared
// without unescaping (these labels never hold escapes).
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
        if (s[0] == 'r' && rawStartsWith(s, "reserved:")) {
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
    canonical_ = Canonical{};
    hubble_ = Hubble{};
    top_time_ = TimeValue{};
    time_problem_ = FieldProblem{};

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
        simdjson::ondemand::field field;
        if ((e = std::move(result).get(field)) != SUCCESS) {
            return invalidJson(e);
        }
        std::string_view key;
        if ((e = fieldKey(field, key)) != SUCCESS) {
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

ErrorCode FlowLineParser::topField(std::string_view key_text, Value& value) {
    const Key key = lookupKey(key_text);
    switch (key) {
        case Key::kTime:
            return readTime(value, top_time_, time_problem_);
        case Key::kSrc:
            if (!want_canonical_) {
                return SUCCESS;
            }
            canonical_.shape = true;
            canonical_.src_seen = false;
            if (ErrorCode e = readString(value, canonical_.src, canonical_.problem, "src"); e) {
                return e;
            }
            canonical_.src_seen = canonical_.src.data() != nullptr;
            return SUCCESS;
        case Key::kDst:
            if (!want_canonical_) {
                return SUCCESS;
            }
            canonical_.shape = true;
            canonical_.dst_seen = false;
            if (ErrorCode e = readString(value, canonical_.dst, canonical_.problem, "dst"); e) {
                return e;
            }
            canonical_.dst_seen = canonical_.dst.data() != nullptr;
            return SUCCESS;
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
            hubble_.envelope = true;
            return forEachField(value, hubble_.problem, "flow", [&](Key k, Value& v) {
                if (k == Key::kTime) {
                    return readTime(v, hubble_.time, hubble_.problem);
                }
                return flowField(k, v, false);
            });
        case Key::kNonFlow:
            hubble_.non_flow = true;
            return SUCCESS;
        default:
            // A bare Flow (legacy JSON): the Flow's fields are at the top level.
            return want_hubble_ ? flowField(key, value, true) : SUCCESS;
    }
}

ErrorCode FlowLineParser::canonicalProtocol(Value& value) {
    std::string_view text;
    const ErrorCode e = readString(value, text, canonical_.problem, "protocol");
    if (e != SUCCESS || text.data() == nullptr) {
        return e;
    }
    const auto protocol = core::parseProtocol(text);
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
            std::string_view verdict;
            const ErrorCode e = readString(value, verdict, h.problem, "verdict");
            h.dropped = verdict == "DROPPED" || verdict == "ERROR";
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
                    return readInteger(
                        v, 0, kMaxUint32, h.event_type, h.problem, "event_type.type", Problem::kNotInteger);
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
            std::string_view reason;
            const ErrorCode e = readString(value, reason, h.problem, "trace_reason");
            h.trace_new = reason == "NEW";
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
                return readString(v, ep.ns, problem, name("source.namespace", "destination.namespace"));
            case Key::kPodName:
                return readString(v, ep.pod, problem, name("source.pod_name", "destination.pod_name"));
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
    if (!c.src_seen) {
        return invalid("missing \"src\"");
    }
    if (!c.dst_seen) {
        return invalid("missing \"dst\"");
    }
    out = core::FlowObservation{};
    if (std::string why = parseCanonicalEndpoint(c.src, "src", out.src); !why.empty()) {
        return invalid(std::move(why));
    }
    if (std::string why = parseCanonicalEndpoint(c.dst, "dst", out.dst); !why.empty()) {
        return invalid(std::move(why));
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
    out = core::FlowObservation{};
    const TimeValue& time = h.time.present ? h.time : top_time_;
    if (!h.time.present && time_problem_) {
        return invalid(describe(time_problem_));
    }
    if (core::Status st = resolveTime(time, out.time); !st) {
        return invalid(st.error());
    }
    out.src = hubbleEndpoint(h.source, h.src_ip);
    out.dst = hubbleEndpoint(h.destination, h.dst_ip);
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
