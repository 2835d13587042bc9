#include "server/request_params.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "io/time_text.h"

namespace netpolgen::server {

core::Status checkParams(const Params& params, std::initializer_list<std::string_view> known) {
    for (auto it = params.begin(); it != params.end(); it = params.upper_bound(it->first)) {
        bool found = false;
        std::string list;
        for (std::string_view k : known) {
            found = found || k == it->first;
            list += (list.empty() ? "" : ", ") + std::string(k);
        }
        if (!found) {
            return core::Error{"unknown parameter \"" + it->first +
                               "\" (known: " + (list.empty() ? "none" : list) + ")"};
        }
        if (params.count(it->first) > 1) {
            return core::Error{it->first + ": given more than once"};
        }
    }
    return {};
}

std::optional<std::string> param(const Params& params, const std::string& name) {
    const auto it = params.find(name);
    if (it == params.end()) {
        return std::nullopt;
    }
    return it->second;
}

core::Result<bool> boolParam(const Params& params, const std::string& name, bool fallback) {
    const auto value = param(params, name);
    if (!value) {
        return fallback;
    }
    if (*value == "true") {
        return true;
    }
    if (*value == "false") {
        return false;
    }
    return core::Error{name + ": expected true or false, got \"" + *value + "\""};
}

core::Result<std::optional<int64_t>> positiveParam(const Params& params, const std::string& name) {
    const auto value = param(params, name);
    if (!value) {
        return std::optional<int64_t>{};
    }
    int64_t n = 0;
    const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
    if (ec != std::errc{} || end != value->data() + value->size() || n < 1) {
        return core::Error{name + ": expected a positive integer, got \"" + *value + "\""};
    }
    return std::optional<int64_t>{n};
}

core::Result<std::optional<core::Timestamp>> timeParam(const Params& params,
                                                       const std::string& name) {
    const auto value = param(params, name);
    if (!value) {
        return std::optional<core::Timestamp>{};
    }
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    auto t = io::parseInstantOrAgo(*value, static_cast<core::Timestamp>(now));
    if (!t) {
        return core::Error{name + ": " + t.error()};
    }
    return std::optional<core::Timestamp>{*t};
}

std::string relativeWindowText(const Params& params, const std::vector<std::string>& names) {
    std::string text;
    bool relative = false;
    for (const std::string& name : names) {
        if (const auto value = param(params, name)) {
            relative = relative || io::parseDuration(*value).ok();
            text += (text.empty() ? "" : "&") + name + "=" + *value;
        }
    }
    return relative ? text : std::string();
}

core::Status checkName(const std::string& value, const std::string& what) {
    constexpr size_t kMaxName = 253;
    bool ok = !value.empty() && value.size() <= kMaxName;
    for (char c : value) {
        ok = ok &&
             (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-');
    }
    if (!ok) {
        return core::Error{what + ": expected 1 to 253 letters, digits, '.', '_' or '-', got \"" +
                           value + "\""};
    }
    return {};
}

core::Result<std::set<std::string>> nameListParam(const Params& params, const std::string& name) {
    const std::string list = param(params, name).value_or("");
    std::set<std::string> names;
    size_t pos = 0;
    while (!list.empty() && pos <= list.size()) {
        const size_t end = std::min(list.find(',', pos), list.size());
        std::string one = list.substr(pos, end - pos);
        if (auto st = checkName(one, name); !st) {
            return core::Error{st.error()};
        }
        names.insert(std::move(one));
        pos = end + 1;
    }
    return names;
}

core::Status checkId(const std::string& value, const std::string& what) {
    if (auto st = checkName(value, what); !st) {
        return st;
    }
    if (std::isalnum(static_cast<unsigned char>(value[0])) == 0) {
        return core::Error{what + ": must start with a letter or digit, got \"" + value + "\""};
    }
    return {};
}

}  // namespace netpolgen::server
