#include "cli/live_cluster.h"

#include <cstdlib>

#include "kube/api_client.h"
#include "kube/cluster_reader.h"
#include "kube/kubeconfig.h"

namespace netpolgen::cli {
namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr ? v : "";
}

core::Result<kube::RestConfig> restConfigOf(const LiveClusterOptions& o) {
    if (o.in_cluster) {
        if (!o.kubeconfig.empty() || !o.context.empty()) {
            return core::Error{"--in-cluster cannot be combined with --kubeconfig or --context"};
        }
        // The service account's files; NETPOLGEN_SERVICE_ACCOUNT_DIR moves them (tests).
        std::string dir = env("NETPOLGEN_SERVICE_ACCOUNT_DIR");
        if (dir.empty()) {
            dir = "/var/run/secrets/kubernetes.io/serviceaccount";
        }
        return kube::inClusterConfig(
            env("KUBERNETES_SERVICE_HOST"), env("KUBERNETES_SERVICE_PORT"), dir);
    }
    kube::KubeconfigRequest request;
    request.explicit_path = o.kubeconfig;
    request.kubeconfig_env = env("KUBECONFIG");
    request.home = env("HOME");
    request.context = o.context;
    return kube::loadKubeconfig(request);
}

}  // namespace

void addLiveClusterOptions(CLI::App& cmd, LiveClusterOptions& o) {
    cmd.add_option("--kubeconfig",
                   o.kubeconfig,
                   "Read the cluster from the API server of this kubeconfig instead of --cluster");
    cmd.add_option("--context",
                   o.context,
                   "kubeconfig context to use (default: current-context; without --kubeconfig: "
                   "$KUBECONFIG or ~/.kube/config)");
    cmd.add_flag("--in-cluster",
                 o.in_cluster,
                 "Read the cluster through the pod's service account (netpolgen in the cluster)");
    cmd.add_option("--kube-qps", o.qps, "Requests per second to the API server")
        ->default_str("5")
        ->check(CLI::Range(0.1, 1000.0));
    cmd.add_option("--kube-burst", o.burst, "Burst of requests to the API server")
        ->default_str("10")
        ->check(CLI::Range(1, 10000));
    cmd.add_option("--kube-page-size", o.page_size, "Objects per list request to the API server")
        ->default_str("500")
        ->check(CLI::Range(1, 100000));
    cmd.add_flag("--kube-consistent-read",
                 o.consistent_read,
                 "List the newest state page by page (as kubectl get) instead of the API "
                 "server's watch cache (one request per kind, may be a moment old)");
}

core::Result<std::unique_ptr<kube::ApiClient>> connectLive(const LiveClusterOptions& o) {
    auto config = restConfigOf(o);
    if (!config) {
        return core::Error{config.error()};
    }
    kube::ClientOptions client_options;
    client_options.qps = o.qps;
    client_options.burst = o.burst;
    client_options.user_agent = std::string("netpolgen/") + NETPOLGEN_VERSION;
    return std::make_unique<kube::ApiClient>(*config, client_options);
}

core::Result<std::vector<store::NamedManifest>> readLiveCluster(const LiveClusterOptions& o,
                                                                std::ostream& err,
                                                                bool quiet) {
    auto connected = connectLive(o);
    if (!connected) {
        return core::Error{connected.error()};
    }
    kube::ApiClient& client = **connected;
    kube::ReadReport report;
    kube::ReadOptions read_options;
    read_options.page_size = o.page_size;
    read_options.from = o.consistent_read ? kube::ListFrom::kLatest : kube::ListFrom::kWatchCache;
    auto pages = kube::readCluster(client, read_options, report);
    if (!pages) {
        return core::Error{pages.error()};
    }
    if (!quiet) {
        for (const auto& w : report.warnings) {
            err << "netpolgen: warning: " << w << "\n";
        }
    }
    std::vector<store::NamedManifest> out;
    out.reserve(pages->size());
    for (auto& p : *pages) {
        out.push_back({std::move(p.name), std::move(p.text)});
    }
    return out;
}

core::Status addLiveCluster(const LiveClusterOptions& o,
                            store::InputOptions& inputs,
                            std::ostream& err,
                            bool quiet) {
    if (!o.wanted()) {
        return {};
    }
    if (!inputs.cluster_paths.empty()) {
        return core::Error{
            "--cluster and --kubeconfig/--context/--in-cluster are two cluster "
            "sources; give one"};
    }
    auto texts = readLiveCluster(o, err, quiet);
    if (!texts) {
        return core::Error{texts.error()};
    }
    inputs.cluster_texts = std::move(*texts);
    return {};
}

}  // namespace netpolgen::cli
