// NetworkPolicy (docs/networkpolicy-semantics.md §1; the API server's ValidateNetworkPolicy):
// peers, ipBlocks, ports, rules and policyTypes. Internal to io (manifest_decoder.cpp).
#pragma once

#include "core/network_policy.h"
#include "io/manifest_fields.h"
#include "io/source_tree.h"

namespace netpolgen::io::detail {

// One NetworkPolicy, validated as the API server validates it; false with the error in `c`.
bool decodePolicy(ObjectContext& c, const SourceNode& obj, core::NetworkPolicy& out);

}  // namespace netpolgen::io::detail
