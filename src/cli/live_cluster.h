// --kubeconfig / --context / --in-cluster: a live cluster as the cluster source of a command,
// read through the API server (src/kube) and handed to the store layer as manifest texts, so that
// it is decoded exactly as files are.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/result.h"
#include "kube/api_client.h"
#include "store/inputs.h"

namespace netpolgen::cli {

struct LiveClusterOptions {
    std::string kubeconfig;  // a file, loaded alone
    std::string context;     // with --kubeconfig, or $KUBECONFIG / ~/.kube/config
    bool in_cluster = false;
    double qps = 5;
    int burst = 10;
    int page_size = 500;           // items per list request (client-go's pager default)
    bool consistent_read = false;  // kube::ListFrom::kLatest instead of the watch cache

    bool wanted() const { return !kubeconfig.empty() || !context.empty() || in_cluster; }
};

void addLiveClusterOptions(CLI::App& cmd, LiveClusterOptions& options);

// A client for the cluster the options name (kubeconfig, context or in-cluster).
core::Result<std::unique_ptr<kube::ApiClient>> connectLive(const LiveClusterOptions& options);

// Reads every decoded kind of the cluster (kube/cluster_reader.h). Warnings (optional kinds that
// could not be read) go to `err` unless quiet. Errors name the kubeconfig or the request.
core::Result<std::vector<store::NamedManifest>> readLiveCluster(const LiveClusterOptions& options,
                                                                std::ostream& err,
                                                                bool quiet);

// When options.wanted(): reads the cluster into inputs.cluster_texts; --cluster besides is an
// error (one cluster source).
core::Status addLiveCluster(const LiveClusterOptions& options,
                            store::InputOptions& inputs,
                            std::ostream& err,
                            bool quiet);

}  // namespace netpolgen::cli
