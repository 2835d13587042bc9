#include "cli/generate_command.h"

#include "cli/app.h"
#include "cli/bundled_files.h"
#include "cli/output_file.h"
#include "cli/summary.h"
#include "cli/time_window.h"
#include "io/flow_reader.h"
#include "io/policy_encoder.h"

namespace netpolgen::cli {

namespace {

// Without observed traffic every policy denies all ingress: an outage if applied, so it must be
// asked for (--no-traffic) rather than be what a forgotten --flows produces.
core::Status checkTrafficOptions(GenerateCommandOptions& options) {
    InputOptions& in = options.inputs;
    if (options.no_traffic) {
        if (!in.flow_paths.empty()) {
            return core::Error{"--no-traffic and --flows cannot be combined"};
        }
        in.flows_from_db = false;  // --db then gives only the cluster
        return {};
    }
    if (in.flow_paths.empty() && in.db.empty()) {
        return core::Error{
            "no flows given: pass --flows FILE or --db DB (flows stored by netpolgen ingest); "
            "--no-traffic generates deny-all policies from no observed traffic"};
    }
    return {};
}

// What to check or pass when the flows gave no traffic to generate from.
const char* denyAllHint(const store::NoResolvedTraffic& none, const InputOptions& in) {
    if (none.observed) {
        return " (are the flows and the cluster from the same cluster?)";
    }
    return in.flow_paths.empty() ? " (--no-traffic if that is wanted)" : "";
}

}  // namespace

int runGenerate(GenerateCommandOptions options, std::ostream& out, std::ostream& err) {
    if (options.format != "yaml" && options.format != "json") {
        err << "netpolgen: --format must be yaml or json\n";
        return kExitBadInput;
    }
    if (core::Status st = checkTrafficOptions(options); !st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitBadInput;
    }
    if (core::Status st =
            resolveTimeWindow(options.since, options.until, options.now, options.inputs.window);
        !st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitBadInput;
    }
    if (core::Status st = addLiveCluster(options.live, options.inputs, err, options.quiet); !st) {
        err << "netpolgen: " << st.error() << "\n";
        return kExitBadInput;
    }
    auto inputs = loadInputs(options.inputs);
    if (!inputs) {
        err << "netpolgen: " << inputs.error() << "\n";
        return kExitBadInput;
    }
    if (auto none = noResolvedTraffic(options.inputs, **inputs)) {
        err << "netpolgen: " << none->reason << "; policies from that would deny all ingress"
            << denyAllHint(*none, options.inputs) << "\n";
        return kExitBadInput;
    }
    auto generation =
        core::generatePolicies((*inputs)->cluster, (*inputs)->graph, options.generate);
    if (!generation) {
        err << "netpolgen: " << generation.error() << "\n";
        return kExitBadInput;
    }
    // In parts, written one after the other: no second copy of a text of hundreds of MB.
    const std::vector<std::string> text = options.format == "json"
                                              ? io::modificationJsonParts(generation->modification)
                                              : io::modificationYamlParts(generation->modification);
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
