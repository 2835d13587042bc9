// A NetworkPolicy and a Modification as JSON, written straight from the core types.
//
// The bytes are those of nlohmann's dump(2) of policyToJson(policy) and of the modification's
// tree {"apply":[…],"namespaceLabels":[…],"toDelete":[…]} (tested on random policies): keys in
// alphabetical order, two-space indentation, `"key": value`, `{}` and `[]` for empty collections,
// the same string escapes (strings with non-ASCII bytes go through nlohmann itself, so invalid
// UTF-8 throws as it did). Building the whole tree first cost 1.9 GB at 10,000 workloads and 1M
// edges (BENCHMARKS.md "Whole command").
//
//   std::string out;
//   appendPolicyJson(out, policy, 0);    // "{\n  \"apiVersion\": \"networking.k8s.io/v1\",\n…}"
//   auto parts = modificationJsonParts(m);  // io/policy_encoder.h; joined: modificationToJson(m)
#pragma once

#include <string>
#include <vector>

#include "core/generator.h"
#include "core/network_policy.h"

namespace netpolgen::io {

// `policy` as a JSON object whose first line is not indented and whose following lines are
// indented by `indent` spaces more than dump(2) would (its place inside the modification).
void appendPolicyJson(std::string& out, const core::NetworkPolicy& policy, size_t indent);

// modificationJsonParts (io/policy_encoder.h) is written here too.

}  // namespace netpolgen::io
