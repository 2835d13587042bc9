// Loading what every command reads: the cluster snapshot (manifests) and the observed flows,
// aggregated into a graph. Errors name the file and line; warnings and counts go to the report.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/cluster_index.h"
#include "core/flow_aggregator.h"
#include "core/flow_graph.h"
#include "core/result.h"
#include "io/flow_reader.h"
#include "io/manifest_decoder.h"

namespace netpolgen::cli {

struct InputOptions {
    std::vector<std::string> cluster_paths;
    std::vector<std::string> flow_paths;  // "-" = stdin
    io::FlowFormat flow_format = io::FlowFormat::kAuto;
    core::TimeWindow window;
    bool skip_invalid = false;
};

struct LoadedInputs {
    core::Cluster cluster;
    core::FlowGraph graph;
    io::ManifestStats manifest_stats;
    io::FlowReadStats flow_stats;
    core::AggregationStats aggregation;
    std::vector<std::string> warnings;
};

core::Result<std::unique_ptr<LoadedInputs>> loadInputs(const InputOptions& options);

}  // namespace netpolgen::cli
