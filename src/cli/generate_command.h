// `netpolgen generate` and `netpolgen demo`: read a cluster and flows, write the policies.
#pragma once

#include <ostream>
#include <string>

#include "cli/inputs.h"
#include "core/generator.h"

namespace netpolgen::cli {

struct GenerateCommandOptions {
    InputOptions inputs;
    core::GenerateOptions generate;
    std::string since;  // RFC 3339 or a duration back from `now`
    std::string until;
    std::string now;              // RFC 3339; empty = the current time
    std::string format = "yaml";  // yaml | json
    std::string output;           // file; empty or "-" = stdout
    bool quiet = false;           // no summary on stderr
};

int runGenerate(GenerateCommandOptions options, std::ostream& out, std::ostream& err);

// The bundled demo: Online Boutique with several days of Hubble traffic.
int runDemo(GenerateCommandOptions options, std::ostream& out, std::ostream& err);

}  // namespace netpolgen::cli
