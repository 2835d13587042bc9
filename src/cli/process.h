// Running an external program (kubectl) without a shell: argv as given, text on its stdin, its
// stdout and stderr captured. No shell means no quoting problems with names from manifests.
//
//   auto r = runProcess({"kubectl", "create", "-f", "-"}, yaml);
//   if (!r) { /* could not start: r.error() */ }
//   if (r->exit_code != 0) { /* failed: r->err */ }
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace netpolgen::cli {

struct ProcessResult {
    int exit_code = 0;  // 128 + signal number when killed by a signal
    std::string out;
    std::string err;
};

// argv[0] is looked up on PATH unless it contains a slash. Errors: the program could not be
// started ("cannot run kubectl: No such file or directory"); a non-zero exit is not an error.
core::Result<ProcessResult> runProcess(const std::vector<std::string>& argv,
                                       const std::string& input);

}  // namespace netpolgen::cli
