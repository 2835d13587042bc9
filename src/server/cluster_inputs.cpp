#include "server/cluster_inputs.h"

namespace netpolgen::server {
namespace {

// The inputs of the open window, when they are cached and `window` starts before every stored
// flow: then they are exactly the window's (every edge is in it, with all its flows: the counts of
// the window are those of everything stored). A 7-day window on a store of a few days, or 30 days
// on a 30-day store, is then answered from what `serve` loaded at start instead of reading every
// day bucket again.
InputsCache::Inputs everythingStored(const ServerOptions& options,
                                     const std::string& cluster,
                                     const core::TimeWindow& window) {
    if (!options.inputs_cache || !window.since || window.until) {
        return nullptr;
    }
    InputsCache::Inputs all = options.inputs_cache->peek({cluster, {}, {}, false, ""});
    if (!all) {
        return nullptr;
    }
    for (const auto& [key, stats] : all->graph.edges()) {
        if (stats.first_seen != core::kUndated && stats.first_seen < *window.since) {
            return nullptr;  // a flow before the window
        }
    }
    return all;
}

}  // namespace

ClusterInputs loadClusterInputs(const ServerOptions& options,
                                const std::string& cluster,
                                const core::TimeWindow& window,
                                bool windowed_counts,
                                const std::string& relative_window) {
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
    in.cluster_memo = options.inputs_cache ? &options.inputs_cache->clusterMemo() : nullptr;
    ApiResponse error;
    const auto load = [&]() -> InputsCache::Inputs {
        auto loaded = store::loadInputs(in);
        if (!loaded) {
            // The user can fix a missing snapshot; anything else is the server's problem.
            const bool missing =
                loaded.error().find("no cluster snapshot stored") != std::string::npos;
            error = apiError(missing ? 404 : 500, loaded.error());
            return nullptr;
        }
        return std::move(*loaded);
    };
    if (auto all = everythingStored(options, cluster, window)) {
        return {std::move(all), {}};
    }
    InputsKey key{cluster, window.since, window.until, windowed_counts, relative_window};
    // Counts of the window and of everything stored are the same for windows without `since`,
    // and windows with `until` always count the window (store::EdgeQuery): one entry for both.
    key.windowed_counts = windowed_counts && window.since && !window.until;
    if (!relative_window.empty()) {
        key.since = key.until = std::nullopt;
    }
    InputsCache::Inputs inputs =
        options.inputs_cache ? options.inputs_cache->get(key, load) : load();
    if (!inputs) {
        return {nullptr, std::move(error)};
    }
    return {std::move(inputs), {}};
}

}  // namespace netpolgen::server
