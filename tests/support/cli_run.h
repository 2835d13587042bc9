// `netpolgen ARGS…` run in-process through cli::runCli, as the binary runs it, with its exit
// status and what it wrote to stdout and stderr.
//
//   const CliRun r = runNetpolgen({"generate", "--db", db, "-q"});
//   EXPECT_EQ(r.status, 0) << r.err;
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "cli/app.h"

namespace netpolgen::testing_support {

struct CliRun {
    int status = 0;
    std::string out;
    std::string err;
};

inline CliRun runNetpolgen(std::vector<std::string> args) {
    args.insert(args.begin(), "netpolgen");
    std::vector<const char*> argv;
    for (const auto& a : args) {
        argv.push_back(a.c_str());
    }
    std::ostringstream out;
    std::ostringstream err;
    const int status = cli::runCli(static_cast<int>(argv.size()), argv.data(), out, err);
    return {status, out.str(), err.str()};
}

}  // namespace netpolgen::testing_support
