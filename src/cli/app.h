// The netpolgen command line: parses argv with CLI11 and runs one subcommand.
// Exit status: 0 success, 2 bad input or usage, 3 reserved for "observed traffic would be
// blocked" (simulate --fail-on-blocked), 1 anything unexpected.
#pragma once

#include <ostream>

namespace netpolgen::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

int runCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace netpolgen::cli
