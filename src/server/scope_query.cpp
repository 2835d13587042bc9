#include "server/scope_query.h"

#include <algorithm>

#include "core/ascii.h"

namespace netpolgen::server {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    size_t pos = 0;
    while (true) {
        const size_t end = text.find(separator, pos);
        parts.push_back(text.substr(pos, end == std::string_view::npos ? end : end - pos));
        if (end == std::string_view::npos) {
            return parts;
        }
        pos = end + 1;
    }
}

std::string_view unquote(std::string_view v) {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
        return v.substr(1, v.size() - 2);
    }
    return v;
}

// Appends the values of one `Field:v1,v2` term to `out`.
core::Status addValues(std::string_view field,
                       std::string_view values,
                       std::vector<std::string>* out) {
    for (std::string_view value : split(values, ',')) {
        value = unquote(value);
        if (value.empty()) {
            return core::Error{"query: empty value for " + std::string(field)};
        }
        if (out != nullptr) {
            out->emplace_back(value);
        }
    }
    return {};
}

}  // namespace

core::Result<Scope> parseScopeQuery(std::string_view query) {
    Scope scope;
    if (query.empty()) {
        return scope;
    }
    // A literal '+' in a query string reaches us as a space (form encoding): both separate terms.
    std::string terms(query);
    std::replace(terms.begin(), terms.end(), ' ', '+');
    for (std::string_view term : split(terms, '+')) {
        const auto colon = term.find(':');
        if (colon == std::string_view::npos) {
            return core::Error{"query: expected FIELD:VALUE[,VALUE…], got \"" + std::string(term) +
                               "\""};
        }
        const std::string_view field = term.substr(0, colon);
        const std::string key = core::asciiLower(field);
        std::vector<std::string>* target = nullptr;
        if (key == "namespace") {
            target = &scope.namespaces;
        } else if (key == "deployment") {
            target = &scope.workloads;
        } else if (key != "cluster") {
            return core::Error{"query: unknown field \"" + std::string(field) +
                               "\" (Namespace, Deployment, Cluster)"};
        }
        if (auto st = addValues(field, term.substr(colon + 1), target); !st) {
            return core::Error{st.error()};
        }
    }
    return scope;
}

}  // namespace netpolgen::server
