// The human summary a command prints on stderr: what was read, what was generated, what was
// skipped and why, and which rules allow everyone and why (DESIGN.md decision 7).
#pragma once

#include <string>

#include "cli/inputs.h"
#include "core/generator.h"

namespace netpolgen::cli {

std::string inputSummary(const LoadedInputs& inputs);
std::string generationSummary(const core::GenerationReport& report);
// "  N flows with an end not in the cluster snapshot left out …" and the most frequent ends, or
// nothing when every end resolved.
void appendUnresolved(std::string& out, const core::AggregationStats& aggregation);

}  // namespace netpolgen::cli
