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

#include "core/generator.h"
#include "core/network_policy.h"

namespace netpolgen::io {

nlohmann::json policyToJson(const core::NetworkPolicy& policy);
nlohmann::json selectorToJson(const core::LabelSelector& selector);

std::string modificationToYaml(const core::Modification& modification);
std::string modificationToJson(const core::Modification& modification);

}  // namespace netpolgen::io
