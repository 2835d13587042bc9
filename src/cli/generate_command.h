// `netpolgen generate` and `netpolgen demo`: read a cluster and flows, write the policies.
// With --db the flows are those stored for --since/--until and the cluster is the latest stored
// snapshot unless --cluster is given (cli/inputs.h). The output is byte-identical to --flows on the
// same flows, --since/--until exact to the second, unless both fall on one UTC day (store.h).
#pragma once

#include <ostream>
#include <string>

#include "cli/inputs.h"
#include "cli/live_cluster.h"
#include "core/generator.h"

namespace netpolgen::cli {

struct GenerateCommandOptions {
    InputOptions inputs;
    LiveClusterOptions live;  // --kubeconfig / --context / --in-cluster
    core::GenerateOptions generate;
    std::string since;  // RFC 3339 or a duration back from `now`
    std::string until;
    std::string now;              // RFC 3339; empty = the current time
    std::string format = "yaml";  // yaml | json
    std::string output;           // file; empty or "-" = stdout
    bool quiet = false;           // no summary on stderr
    // Deny-all policies from no observed traffic are wanted: no --flows, no flows from --db.
    // Without it, generating from no flows, or from flows none of which resolves, is an error.
    bool no_traffic = false;
};

int runGenerate(GenerateCommandOptions options, std::ostream& out, std::ostream& err);

// The bundled demo: Online Boutique with several days of Hubble traffic.
int runDemo(GenerateCommandOptions options, std::ostream& out, std::ostream& err);

}  // namespace netpolgen::cli
