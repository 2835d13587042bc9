// Aligned plain-text tables for the listing commands (history, ingests).
#pragma once

#include <string>
#include <vector>

namespace netpolgen::cli {

// Every column as wide as its widest cell, two spaces apart, the last column not padded; one
// line per row (the first row is usually the header).
std::string alignedTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace netpolgen::cli
