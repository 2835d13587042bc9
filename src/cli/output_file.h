// Writing a command's output all or nothing: to stdout only once it is complete, to a file
// through a temporary file in the same directory that is renamed over the target on success.
#pragma once

#include <ostream>
#include <span>
#include <string>

#include "core/result.h"

namespace netpolgen::cli {

// `path` empty or "-" writes to `out`.
core::Status writeOutput(const std::string& path, const std::string& content, std::ostream& out);
// The same for content given in parts, written one after the other (no joined copy).
core::Status writeOutput(const std::string& path,
                         std::span<const std::string> parts,
                         std::ostream& out);

}  // namespace netpolgen::cli
