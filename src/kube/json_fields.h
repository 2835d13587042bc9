// Reading fields of JSON the API server or a plugin sent: a field of the wrong type reads as
// absent instead of throwing (nlohmann's value() throws type_error on `"kind": 4`).
#pragma once

#include <string>

#include "nlohmann/json.hpp"

namespace netpolgen::kube {

// The string at `key` of an object, or "" when `j` is no object or the field is no string.
inline std::string stringField(const nlohmann::json& j, const char* key) {
    if (!j.is_object()) {
        return {};
    }
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace netpolgen::kube
