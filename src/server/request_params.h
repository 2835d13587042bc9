// Validation of query parameters: every parameter is known, given once, and well-formed; errors
// name it ("includePorts: expected true or false, got \"yes\"").
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/flow.h"
#include "core/result.h"

namespace netpolgen::server {

using Params = std::multimap<std::string, std::string>;

// Errors: a parameter not in `known` ("unknown parameter \"x\" (known: a, b)"), one given twice.
core::Status checkParams(const Params& params, std::initializer_list<std::string_view> known);

// The value of `name`, nullopt when absent.
std::optional<std::string> param(const Params& params, const std::string& name);

// true|false; `fallback` when absent.
core::Result<bool> boolParam(const Params& params, const std::string& name, bool fallback);

// A positive integer; nullopt when absent.
core::Result<std::optional<int64_t>> positiveParam(const Params& params, const std::string& name);

// RFC 3339 or a duration back from now ("7d"); nullopt when absent.
core::Result<std::optional<core::Timestamp>> timeParam(const Params& params,
                                                       const std::string& name);

// When one of the time parameters `names` is a duration back from now: all of them as given
// ("since=7d&until=…"), the cache key of a window that moves with the clock; else "".
std::string relativeWindowText(const Params& params, const std::vector<std::string>& names);

// A Kubernetes-style name: 1–253 of [a-zA-Z0-9._-]. `what` names it in the error.
core::Status checkName(const std::string& value, const std::string& what);

// "a,b": the names (each checked by checkName); empty when absent or empty.
core::Result<std::set<std::string>> nameListParam(const Params& params, const std::string& name);

// A notifier id, part of the paths clients build: a name (checkName) that starts with a letter or
// digit, so never "." or "..".
core::Status checkId(const std::string& value, const std::string& what);

}  // namespace netpolgen::server
