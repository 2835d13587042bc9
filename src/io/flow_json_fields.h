// Reading the fields of one flow line with simdjson On-Demand: what can be wrong with a value
// (Problem, FieldProblem: the message is only built when the line is rejected), the typed readers
// (strings, booleans, integers in a range, ports, "time", protocols, strings left escaped), raw
// JSON string compares, and forEachField, the one-pass walk over an object's keys. Internal to io
// (the flow line decoder and io/hubble_endpoint.h).
//
// The readers are inline: they run for every field of every line. A reader records a wrong type or
// a value out of range in its FieldProblem and returns simdjson::SUCCESS; only a JSON error is
// returned (the line is then invalid JSON). Null counts as absent. REQUIRES for the raw-text
// readers: the value lies in the padded line (SIMDJSON_PADDING readable bytes after it).
#pragma once

#include <simdjson.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "core/protocol.h"
#include "io/flow_keys.h"
#include "io/swar_bytes.h"

namespace netpolgen::io::detail {

using ErrorCode = simdjson::error_code;
using Value = simdjson::ondemand::value;

inline constexpr uint64_t kMaxPort = 65535;
inline constexpr uint64_t kMaxUint32 = std::numeric_limits<uint32_t>::max();
inline constexpr int64_t kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// What went wrong with a field's value; the message is only built when the line is rejected.
enum class Problem : uint8_t {
    kNone,
    kNotString,
    kNotInteger,
    kNotObject,
    kNotArray,
    kNotBool,
    kPortRange,
    kCountRange,
    kUnknownProtocol,
    kTimeType,
    kTimeRange,
    kBadIp,
};

struct FieldProblem {
    Problem problem = Problem::kNone;
    std::string_view field;  // a static name such as "port" or "IP.source"
    std::string_view token;  // the offending text from the line, if any

    void set(Problem p, std::string_view f, std::string_view t = {}) {
        if (problem == Problem::kNone) {
            problem = p;
            field = f;
            token = t;
        }
    }
    explicit operator bool() const { return problem != Problem::kNone; }
};

// A "time" value: RFC 3339 text (parsed only when the line is used) or Unix seconds.
struct TimeValue {
    bool present = false;
    bool is_text = false;
    std::string_view text;
    int64_t seconds = 0;
};

// A token from the line, short and without control characters, for a message.
std::string printable(std::string_view s);

// The message for a problem recorded while reading a line.
std::string describe(const FieldProblem& p);

// The raw text of a scalar, without the whitespace that may follow it.
[[gnu::always_inline]] inline std::string_view tokenOf(Value& value) {
    std::string_view t = value.raw_json_token();
    while (!t.empty() &&
           (t.back() == ' ' || t.back() == '\t' || t.back() == '\r' || t.back() == '\n')) {
        t.remove_suffix(1);
    }
    return t;
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

// Calls fn(FlowKey, Value&) for every field of the object `value`; a value that is not an object
// records kNotObject for `name`.
template <typename Fn>
ErrorCode forEachField(Value& value, FieldProblem& problem, std::string_view name, Fn&& fn) {
    simdjson::ondemand::object object;
    ErrorCode e = value.get_object().get(object);
    if (e == simdjson::INCORRECT_TYPE) {
        problem.set(Problem::kNotObject, name);
        return simdjson::SUCCESS;
    }
    if (e != simdjson::SUCCESS) {
        return e;
    }
    for (auto result : object) {
        // Used in place: moving the field out costs a store-forwarding stall per key.
        if ((e = result.error()) != simdjson::SUCCESS) {
            return e;
        }
        simdjson::ondemand::field& field = result.value_unsafe();
        FlowKey key = FlowKey::kOther;
        if ((e = readKey(field, key)) != simdjson::SUCCESS) {
            return e;
        }
        if ((e = fn(key, field.value())) != simdjson::SUCCESS) {
            return e;
        }
    }
    return simdjson::SUCCESS;
}

// A value of the wrong type: null counts as absent, anything else records `problem`.
inline ErrorCode wrongType(Value& value, FieldProblem& problem, Problem p, std::string_view name) {
    simdjson::ondemand::json_type type{};
    if (ErrorCode e = value.type().get(type); e != simdjson::SUCCESS) {
        return e;
    }
    if (type != simdjson::ondemand::json_type::null) {
        problem.set(p, name);
    }
    return simdjson::SUCCESS;
}

inline ErrorCode readString(Value& value,
                            std::string_view& out,
                            FieldProblem& problem,
                            std::string_view name) {
    ErrorCode e = value.get_string().get(out);
    if (e != simdjson::INCORRECT_TYPE) {
        return e;
    }
    return wrongType(value, problem, Problem::kNotString, name);
}

inline ErrorCode readBool(Value& value, int8_t& out, FieldProblem& problem, std::string_view name) {
    bool b = false;
    ErrorCode e = value.get_bool().get(b);
    if (e == simdjson::SUCCESS) {
        out = b ? 1 : 0;
        return simdjson::SUCCESS;
    }
    if (e != simdjson::INCORRECT_TYPE) {
        return e;
    }
    return wrongType(value, problem, Problem::kNotBool, name);
}

// Calls fn(simdjson::ondemand::array&) with the array `value`; a value of another type records
// kNotArray for `name` (null counts as absent).
template <typename Fn>
ErrorCode withArray(Value& value, FieldProblem& problem, std::string_view name, Fn&& fn) {
    simdjson::ondemand::array array;
    const ErrorCode e = value.get_array().get(array);
    if (e == simdjson::INCORRECT_TYPE) {
        return wrongType(value, problem, Problem::kNotArray, name);
    }
    if (e != simdjson::SUCCESS) {
        return e;
    }
    return fn(array);
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
inline ErrorCode readInteger(Value& value,
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
        return simdjson::SUCCESS;
    }
    int64_t n = 0;
    const ErrorCode e = value.get_int64().get(n);
    if (e == simdjson::SUCCESS) {
        if (n < min || (n >= 0 && static_cast<uint64_t>(n) > max)) {
            problem.set(range, name, tokenOf(value));
        } else {
            out = static_cast<uint64_t>(n);
        }
        return simdjson::SUCCESS;
    }
    if (e == simdjson::NUMBER_OUT_OF_RANGE) {
        problem.set(range, name, tokenOf(value));
        return simdjson::SUCCESS;
    }
    if (e != simdjson::INCORRECT_TYPE) {
        return e;
    }
    simdjson::ondemand::json_type type{};
    if (ErrorCode te = value.type().get(type); te != simdjson::SUCCESS) {
        return te;
    }
    if (type == simdjson::ondemand::json_type::number) {
        problem.set(Problem::kNotInteger, name, tokenOf(value));  // a fraction or an exponent
    } else if (type != simdjson::ondemand::json_type::null) {
        problem.set(Problem::kNotInteger, name);
    }
    return simdjson::SUCCESS;
}

inline ErrorCode readPort(Value& value,
                          uint32_t& out,
                          FieldProblem& problem,
                          std::string_view name) {
    uint64_t port = out;
    const ErrorCode e = readInteger(value, 0, kMaxPort, port, problem, name, Problem::kPortRange);
    out = static_cast<uint32_t>(port);
    return e;
}

// "time": an RFC 3339 string (parsed later, only if the line is used) or Unix seconds.
inline ErrorCode readTime(Value& value, TimeValue& out, FieldProblem& problem) {
    // The common cases straight from the line: text without escapes, or whole seconds.
    if (const std::string_view text = plainString(value); text.data() != nullptr) {
        out.present = true;
        out.is_text = true;
        out.text = text;
        return simdjson::SUCCESS;
    }
    if (uint64_t seconds = 0; plainUnsigned(tokenOf(value), seconds)) {
        if (seconds > static_cast<uint64_t>(kMaxUnixSeconds)) {
            problem.set(Problem::kTimeRange, "time", tokenOf(value));
            return simdjson::SUCCESS;
        }
        out.present = true;
        out.is_text = false;
        out.seconds = static_cast<int64_t>(seconds);
        return simdjson::SUCCESS;
    }
    ErrorCode e = value.get_string().get(out.text);
    if (e == simdjson::SUCCESS) {
        out.present = true;
        out.is_text = true;
        return simdjson::SUCCESS;
    }
    if (e != simdjson::INCORRECT_TYPE) {
        return e;
    }
    simdjson::ondemand::json_type type{};
    if ((e = value.type().get(type)) != simdjson::SUCCESS) {
        return e;
    }
    if (type == simdjson::ondemand::json_type::null) {
        return simdjson::SUCCESS;
    }
    if (type != simdjson::ondemand::json_type::number) {
        problem.set(Problem::kTimeType, "time");
        return simdjson::SUCCESS;
    }
    int64_t n = 0;
    e = value.get_int64().get(n);
    if (e == simdjson::INCORRECT_TYPE) {
        double d = 0;
        if ((e = value.get_double().get(d)) != simdjson::SUCCESS) {
            return e;
        }
        if (!std::isfinite(d) || d < 0 || d > static_cast<double>(kMaxUnixSeconds)) {
            problem.set(Problem::kTimeRange, "time", tokenOf(value));
            return simdjson::SUCCESS;
        }
        n = static_cast<int64_t>(std::floor(d));
    } else if (e == simdjson::NUMBER_OUT_OF_RANGE) {
        problem.set(Problem::kTimeRange, "time", tokenOf(value));
        return simdjson::SUCCESS;
    } else if (e != simdjson::SUCCESS) {
        return e;
    }
    if (n < 0 || n > kMaxUnixSeconds) {
        problem.set(Problem::kTimeRange, "time", tokenOf(value));
        return simdjson::SUCCESS;
    }
    out.present = true;
    out.is_text = false;
    out.seconds = n;
    return simdjson::SUCCESS;
}

// core::parseProtocol, with the usual spellings decided without building a string.
inline std::optional<core::Protocol> protocolOf(std::string_view t) {
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
inline ErrorCode readRaw(Value& value,
                         const char*& raw,
                         FieldProblem& problem,
                         std::string_view name) {
    simdjson::ondemand::raw_json_string r;
    const ErrorCode e = value.get_raw_json_string().get(r);
    if (e == simdjson::SUCCESS) {
        raw = r.raw();
        return simdjson::SUCCESS;
    }
    if (e != simdjson::INCORRECT_TYPE) {
        return e;
    }
    return wrongType(value, problem, Problem::kNotString, name);
}

// Compares a raw JSON string (quote-terminated) with a prefix that holds no quote.
inline bool rawStartsWith(const char* raw, std::string_view prefix) {
    for (size_t i = 0; i < prefix.size(); ++i) {
        if (raw[i] != prefix[i]) {
            return false;
        }
    }
    return true;
}

inline bool rawEquals(const char* raw, std::string_view text) {
    return rawStartsWith(raw, text) && raw[text.size()] == '"';
}

// The end of a raw JSON string (just after its closing quote). REQUIRES: `raw` points just after
// an opening quote of a string simdjson validated.
inline const char* rawStringEnd(const char* raw) {
    while (*raw != '"') {
        raw += *raw == '\\' ? 2 : 1;
    }
    return raw + 1;
}

}  // namespace netpolgen::io::detail
