// The commands' inputs: the cluster and the flows, loaded by store/inputs.h (shared with the HTTP
// server). Re-declared here because the commands use these names unqualified.
#pragma once

#include "cli/store_inputs.h"
#include "store/inputs.h"

namespace netpolgen::cli {

using store::InputOptions;
using store::LoadedInputs;
using store::loadInputs;
using store::noResolvedTraffic;
using store::StoreSource;

}  // namespace netpolgen::cli
