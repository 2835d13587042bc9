// Services (ports, selectors, cluster IPs) and OpenShift Routes. Internal to io
// (manifest_decoder.cpp).
#pragma once

#include "core/cluster.h"
#include "io/manifest_fields.h"
#include "io/source_tree.h"

namespace netpolgen::io::detail {

// One object of its kind each; false with the error recorded in `c`.
bool decodeService(ObjectContext& c, const SourceNode& obj, core::Service& out);

bool decodeRoute(ObjectContext& c, const SourceNode& obj, core::Route& out);

}  // namespace netpolgen::io::detail
