// Writing a command's output all or nothing: to stdout only once it is complete, to a file
// through a temporary file in the same directory that is renamed over the target on success.
#pragma once

#include <ostream>
#include <string>

#include "core/result.h"

namespace netpolgen::cli {

// `path` empty or "-" writes to `out`.
core::Status writeOutput(const std::string& path, const std::string& content, std::ostream& out);

}  // namespace netpolgen::cli
