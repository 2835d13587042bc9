// Encoding policies and modifications for people and for kubectl (DESIGN.md "Output formats").
//
// A NetworkPolicy becomes the JSON object the API server would print (keys alphabetical, no
// creationTimestamp, no status); a Modification becomes either
//   YAML: "# kubectl -n NS delete networkpolicy NAME" lines, "# kubectl label namespace …" lines,
//         then one "---"-separated document per policy, ready for `kubectl create -f`;
//   JSON: {"apply":[…],"namespaceLabels":[…],"toDelete":[…]}.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/generator.h"
#include "core/network_policy.h"

namespace netpolgen::io {

nlohmann::json policyToJson(const core::NetworkPolicy& policy);
nlohmann::json selectorToJson(const core::LabelSelector& selector);

std::string modificationToYaml(const core::Modification& modification);

// modificationToYaml in pieces for a caller that encodes it again (the HTTP API escapes it into a
// JSON string): the comment lines before the documents, then the documents cut into parts, each
// passed through `encode(out, text)` (which appends text's encoding to out) document by document.
// Above 2,000 policies the parts are written by threads; encode must be thread-safe and must not
// depend on what came before. modificationToYaml(m) == head + parts joined, with an `encode`
// that appends text as it is.
struct EncodedYaml {
    std::string head;
    std::vector<std::string> parts;
};
using YamlEncoder = void (*)(std::string& out, std::string_view text);
EncodedYaml modificationToEncodedYaml(const core::Modification& modification, YamlEncoder encode);
std::string modificationToJson(const core::Modification& modification);

// The two texts in parts to write one after the other (joined: modificationToYaml and
// modificationToJson), so that a writer holds no second copy of the whole text.
std::vector<std::string> modificationYamlParts(const core::Modification& modification);
std::vector<std::string> modificationJsonParts(const core::Modification& modification);

}  // namespace netpolgen::io
