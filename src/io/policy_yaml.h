// A NetworkPolicy as YAML, written straight from the core type.
//
// The bytes are those of writeYaml(policyToJson(policy)) (tested on random policies): keys in
// kubectl's (alphabetical) order, two-space indentation, "- " items at the parent key's
// indentation, strings quoted only where needed. The JSON tree in between cost 5× the generation
// itself on 10,000 workloads (BENCHMARKS.md "Store"), so modificationToYaml writes directly.
//
//   std::string out;
//   appendPolicyYaml(out, policy);  // "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n…"
#pragma once

#include <string>

#include "core/network_policy.h"

namespace netpolgen::io {

void appendPolicyYaml(std::string& out, const core::NetworkPolicy& policy);

}  // namespace netpolgen::io
