#include "cli/inputs.h"

#include "core/cluster_builder.h"

namespace netpolgen::cli {

core::Result<std::unique_ptr<LoadedInputs>> loadInputs(const InputOptions& options) {
    auto loaded = std::make_unique<LoadedInputs>();
    if (options.cluster_paths.empty()) {
        return core::Error{
            "no cluster given: pass --cluster FILE|DIR (manifests or kubectl get -o yaml|json)"};
    }
    core::ClusterObjects objects;
    io::ManifestOptions manifest_options;
    manifest_options.skip_invalid = options.skip_invalid;
    for (const auto& path : options.cluster_paths) {
        const size_t documents_before = loaded->manifest_stats.documents;
        core::Status st =
            io::loadManifests(path, manifest_options, objects, loaded->manifest_stats);
        if (!st) {
            return core::Error{st.error()};
        }
        // An empty input is almost always a mistake (a failed `kubectl get > file`).
        if (loaded->manifest_stats.documents == documents_before) {
            if (!options.skip_invalid) {
                return core::Error{path + ": no Kubernetes objects (empty input)"};
            }
            loaded->warnings.push_back(path + ": no Kubernetes objects (empty input)");
        }
    }
    loaded->cluster = core::buildCluster(std::move(objects), loaded->warnings);

    const core::ClusterIndex index(loaded->cluster);
    core::FlowAggregator aggregator(index, options.window);
    io::FlowReadOptions flow_options;
    flow_options.format = options.flow_format;
    flow_options.skip_invalid = options.skip_invalid;
    for (const auto& path : options.flow_paths) {
        const uint64_t lines_before = loaded->flow_stats.lines;
        core::Status st = io::readFlowFile(
            path, flow_options, loaded->flow_stats, [&](const core::FlowObservation& f) {
                return aggregator.add(f);
            });
        if (!st) {
            return core::Error{st.error() + " (--skip-invalid counts and skips such lines)"};
        }
        // No traffic at all would make every policy deny everything: refuse an empty file.
        if (loaded->flow_stats.lines == lines_before) {
            if (!options.skip_invalid) {
                return core::Error{path + ": no flow lines (empty input)"};
            }
            loaded->warnings.push_back(path + ": no flow lines (empty input)");
        }
    }
    loaded->aggregation = aggregator.stats();
    loaded->graph = aggregator.takeGraph();
    return loaded;
}

}  // namespace netpolgen::cli
