// What an endpoint answers: an HTTP status and a JSON body. Errors are always
// {"error": "<message naming the parameter or object>", "code": <status>}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "core/generator.h"

namespace netpolgen::server {

struct ApiResponse {
    int status = 200;
    nlohmann::json body;
};

inline ApiResponse apiError(int status, const std::string& message) {
    return {status, {{"error", message}, {"code", status}}};
}

// StackRox's NetworkPolicyModification: {"applyYaml": "<policies as generate prints them>",
// "toDelete": [{"namespace","name"}…]}. The deletions are only in toDelete, not also as comment
// lines in applyYaml, so that posting the object back deletes each policy once.
nlohmann::json modificationJson(core::Modification modification);  // by value: 10,000 policies

}  // namespace netpolgen::server
