#include "cli/text_table.h"

#include <fmt/format.h>

#include <algorithm>

namespace netpolgen::cli {

std::string alignedTable(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> width;
    for (const auto& row : rows) {
        width.resize(std::max(width.size(), row.size()));
        for (size_t c = 0; c < row.size(); ++c) {
            width[c] = std::max(width[c], row[c].size());
        }
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (size_t c = 0; c < row.size(); ++c) {
            line += fmt::format("{:<{}}", row[c], c + 1 < row.size() ? width[c] + 2 : 0);
        }
        out += line + "\n";
    }
    return out;
}

}  // namespace netpolgen::cli
