// What an endpoint answers: an HTTP status and a JSON body. Errors are always
// {"error": "<message naming the parameter or object>", "code": <status>}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/generator.h"

namespace netpolgen::server {

// The string value that `spliced` replaces in the body's text.
inline constexpr const char* kSplicedMarker = "@netpolgen-spliced@";

struct ApiResponse {
    int status = 200;
    nlohmann::json body;
    // When not empty: pieces of one JSON string, already escaped (server/json_text.h), sent in
    // place of the body's string kSplicedMarker without being joined first. A generate answer at
    // 10,000 workloads holds 124 MB of YAML: joining and escaping it again as one string touched
    // hundreds of MB of fresh memory per request.
    std::vector<std::string> spliced = {};
};

inline ApiResponse apiError(int status, const std::string& message) {
    return {status, {{"error", message}, {"code", status}}};
}

// StackRox's NetworkPolicyModification: {"applyYaml": "<policies as generate prints them>",
// "toDelete": [{"namespace","name"}…]}. The deletions are only in toDelete, not also as comment
// lines in applyYaml, so that posting the object back deletes each policy once.
nlohmann::json modificationJson(core::Modification modification);  // by value: 10,000 policies

// {"modification": modificationJson(m)} with applyYaml spliced: written by threads, escaped as
// written.
ApiResponse modificationResponse(core::Modification modification);

}  // namespace netpolgen::server
