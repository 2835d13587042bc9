// ClusterIndex: lookups from what flows name (workload names, pod names, IP addresses) to the
// workloads of a Cluster. Built once per snapshot; the cluster must outlive the index.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/cluster.h"
#include "core/result.h"

namespace netpolgen::core {

// A destination a flow to an address reaches, with the port translated to the container port.
struct ResolvedTarget {
    size_t workload = 0;
    uint32_t port = 0;
};

class ClusterIndex {
public:
    explicit ClusterIndex(const Cluster& cluster);

    const Cluster& cluster() const { return cluster_; }

    // The workload named ns/name (kind may be empty). An error when none matches or when the
    // name is ambiguous without a kind.
    Result<size_t> findWorkload(std::string_view ns,
                                std::string_view name,
                                std::string_view kind) const;
    // More than one workload (of different kinds) is called ns/name.
    bool nameIsAmbiguous(std::string_view ns, std::string_view name) const;
    // The workload a pod (by its own name) belongs to.
    std::optional<size_t> findPod(std::string_view ns, std::string_view pod) const;
    // The workload that owns a pod IP.
    std::optional<size_t> findPodIp(const IpAddress& ip) const;
    // The Service with this cluster IP.
    std::optional<size_t> findServiceIp(const IpAddress& ip) const;
    // The workloads a Service selects, each with `port` (a Service port of `protocol`: one
    // Service may map 80/UDP and 80/TCP to different targets) translated to the container port
    // (numbered or named targetPort). Empty when it selects nothing.
    std::vector<ResolvedTarget> serviceTargets(size_t service_index,
                                               uint32_t port,
                                               Protocol protocol) const;
    // Workloads selected by cluster().services[service_index] (its selector is a subset of their
    // pod labels), computed once.
    const std::vector<size_t>& selectedBy(size_t service_index) const;

private:
    struct StringHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    using NameMap =
        std::unordered_map<std::string, std::vector<size_t>, StringHash, std::equal_to<>>;

    const Cluster& cluster_;
    NameMap by_name_;  // "ns/name" → workloads
    NameMap by_pod_;   // "ns/pod" → workload
    std::unordered_map<uint64_t, size_t> by_ipv4_;
    std::vector<std::pair<IpAddress, size_t>> by_ip_other_;  // IPv6, sorted
    std::vector<std::pair<IpAddress, size_t>> service_ips_;  // sorted
    std::vector<std::vector<size_t>> service_selects_;       // per service
    mutable std::string scratch_;
};

}  // namespace netpolgen::core
