#include "server/cluster_inputs.h"

namespace netpolgen::server {

ClusterInputs loadClusterInputs(const ServerOptions& options,
                                const std::string& cluster,
                                const core::TimeWindow& window,
                                bool windowed_counts) {
    if (!options.cluster_paths.empty() && cluster != options.cluster_name) {
        return {nullptr,
                apiError(404,
                         "unknown cluster \"" + cluster + "\": this server serves \"" +
                             options.cluster_name + "\"")};
    }
    store::InputOptions in;
    in.db = options.db;
    in.cluster_paths = options.cluster_paths;
    in.cluster_name = cluster;
    in.window = window;
    in.windowed_counts = windowed_counts;
    auto loaded = store::loadInputs(in);
    if (!loaded) {
        // The user can fix a missing snapshot; anything else is the server's problem.
        const bool missing = loaded.error().find("no cluster snapshot stored") != std::string::npos;
        return {nullptr, apiError(missing ? 404 : 500, loaded.error())};
    }
    return {std::move(*loaded), {}};
}

}  // namespace netpolgen::server
