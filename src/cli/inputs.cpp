#include "cli/inputs.h"

#include "core/cluster_builder.h"

namespace netpolgen::cli {

core::Result<std::unique_ptr<LoadedInputs>> loadInputs(const InputOptions& options) {
    auto loaded = std::make_unique<LoadedInputs>();
    if (options.cluster_paths.empty()) {
        return core::Error{"no cluster given: pass --cluster FILE|DIR (manifests or kubectl get -o yaml|json)"};
    }
    core::ClusterObjects objects;
    io::ManifestOptions manifest_options;
    manifest_options.skip_invalid = options.skip_invalid;
    for (const auto& path : options.cluster_paths) {
        core::Status st = io::loadManifests(path, manifest_options, objects, loaded->manifest_stats);
        if (!st) {
            return core::Error{st.error()};
        }
    }
    loaded->cluster = core::buildCluster(std::move(objects), loaded->warnings);

    const core::ClusterIndex index(loaded->cluster);
    core::FlowAggregator aggregator(index, options.window);
    io::FlowReadOptions flow_options;
    flow_options.format = options.flow_format;
    flow_options.skip_invalid = options.skip_invalid;
    for (const auto& path : options.flow_paths) {
        core::Status st = io::readFlowFile(path, flow_options, loaded->flow_stats, [&](const core::FlowObservation& f) {
            return aggregator.add(f);
        });
        if (!st) {
            return core::Error{st.error() + " (--skip-invalid counts and skips such lines)"};
        }
    }
    loaded->aggregation = aggregator.stats();
    loaded->graph = aggregator.takeGraph();
    return loaded;
}

}  // namespace netpolgen::cli
