// The cluster and flows an endpoint works on, loaded as the commands load them (store/inputs.h):
// the latest stored snapshot of the cluster (or the --cluster files of `serve`), and the flows
// stored for the window.
#pragma once

#include <memory>
#include <string>

#include "core/flow_aggregator.h"
#include "server/api_response.h"
#include "server/server_options.h"
#include "store/inputs.h"

namespace netpolgen::server {

struct ClusterInputs {
    std::shared_ptr<const store::LoadedInputs> inputs;  // null when `error` is set
    ApiResponse error;
};

// `windowed_counts`: as simulate's replay needs (store/inputs.h). Through options.inputs_cache
// when set (server/inputs_cache.h); `relative_window`: the window's parameters when relative to
// now (relativeWindowText in server/request_params.h), so requests within the cache's max age
// share one load. Errors: 404 for a cluster
// without snapshot (or another than the --cluster files serve), 500 when the store fails.
ClusterInputs loadClusterInputs(const ServerOptions& options,
                                const std::string& cluster,
                                const core::TimeWindow& window,
                                bool windowed_counts,
                                const std::string& relative_window = {});

}  // namespace netpolgen::server
