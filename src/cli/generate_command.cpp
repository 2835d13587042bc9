#include "cli/generate_command.h"

#include "cli/app.h"
#include "cli/bundled_files.h"
#include "cli/output_file.h"
#include "cli/summary.h"
#include "cli/time_window.h"
#include "io/flow_reader.h"
#include "io/policy_encoder.h"

namespace netpolgen::cli {

int runGenerate(GenerateCommandOptions options, std::ostream& out, std::ostream& err) {
    if (options.format != "yaml" && options.format != "json") {
        err << "netpolgen: --format must be yaml or json\n";
        return kExitBadInput;
    }
    if (core::Status st =
            resolveTimeWindow(options.since, options.until, options.now, options.inputs.window);
        !st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitBadInput;
    }
    auto inputs = loadInputs(options.inputs);
    if (!inputs) {
        err << "netpolgen: " << inputs.error() << "\n";
        return kExitBadInput;
    }
    auto generation =
        core::generatePolicies((*inputs)->cluster, (*inputs)->graph, options.generate);
    if (!generation) {
        err << "netpolgen: " << generation.error() << "\n";
        return kExitBadInput;
    }
    const std::string text = options.format == "json"
                                 ? io::modificationToJson(generation->modification)
                                 : io::modificationToYaml(generation->modification);
    if (core::Status st = writeOutput(options.output, text, out); !st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitFailure;
    }
    if (!options.quiet) {
        err << inputSummary(**inputs) << generationSummary(generation->report);
    }
    return kExitOk;
}

int runDemo(GenerateCommandOptions options, std::ostream& out, std::ostream& err) {
    const std::string dir = findDemoDir() + "/online-boutique";
    options.inputs.cluster_paths = {dir + "/kubernetes-manifests.yaml"};
    options.inputs.flow_paths = {dir + "/flows.hubble.jsonl"};
    if (!options.quiet) {
        err << "netpolgen demo: Online Boutique (" << dir << ")\n"
            << "  same as: netpolgen generate --cluster " << options.inputs.cluster_paths[0]
            << " --flows " << options.inputs.flow_paths[0] << "\n";
    }
    return runGenerate(std::move(options), out, err);
}

}  // namespace netpolgen::cli
