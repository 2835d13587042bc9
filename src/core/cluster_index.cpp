#include "core/cluster_index.h"

#include <algorithm>

namespace netpolgen::core {
namespace {

bool selectorSubset(const Labels& selector, const Labels& labels) {
    if (selector.empty()) {
        return false;  // a Service without a selector selects no pods
    }
    return std::all_of(selector.begin(), selector.end(), [&](const auto& kv) {
        auto it = labels.find(kv.first);
        return it != labels.end() && it->second == kv.second;
    });
}

template <typename T>
const T* findSorted(const std::vector<std::pair<IpAddress, T>>& v, const IpAddress& ip) {
    auto it = std::lower_bound(
        v.begin(), v.end(), ip, [](const auto& e, const IpAddress& x) { return e.first < x; });
    return it != v.end() && it->first == ip ? &it->second : nullptr;
}

}  // namespace

ClusterIndex::ClusterIndex(const Cluster& cluster) : cluster_(cluster) {
    for (size_t i = 0; i < cluster.workloads.size(); ++i) {
        const Workload& w = cluster.workloads[i];
        by_name_[w.ns + "/" + w.name].push_back(i);
        for (const auto& pod : w.pod_names) {
            by_pod_[w.ns + "/" + pod].push_back(i);
        }
        for (const auto& ip : w.pod_ips) {
            if (ip.isV4()) {
                by_ipv4_.emplace(ip.v4(), i);
            } else {
                by_ip_other_.emplace_back(ip, i);
            }
        }
    }
    std::sort(by_ip_other_.begin(), by_ip_other_.end());
    for (size_t i = 0; i < cluster.services.size(); ++i) {
        for (const auto& ip : cluster.services[i].cluster_ips) {
            service_ips_.emplace_back(ip, i);
        }
    }
    std::sort(service_ips_.begin(), service_ips_.end());

    // Workloads are sorted by namespace: each Service scans only its own namespace.
    service_selects_.resize(cluster.services.size());
    for (size_t s = 0; s < cluster.services.size(); ++s) {
        const Service& service = cluster.services[s];
        if (!service.selector) {
            continue;
        }
        auto first =
            std::lower_bound(cluster.workloads.begin(),
                             cluster.workloads.end(),
                             service.ns,
                             [](const Workload& w, const std::string& ns) { return w.ns < ns; });
        for (auto it = first; it != cluster.workloads.end() && it->ns == service.ns; ++it) {
            if (selectorSubset(*service.selector, it->pod_labels)) {
                service_selects_[s].push_back(static_cast<size_t>(it - cluster.workloads.begin()));
            }
        }
    }
}

Result<size_t> ClusterIndex::findWorkload(std::string_view ns,
                                          std::string_view name,
                                          std::string_view kind) const {
    scratch_.assign(ns);
    scratch_ += '/';
    scratch_ += name;
    auto it = by_name_.find(std::string_view(scratch_));
    if (it != by_name_.end()) {
        if (kind.empty() && it->second.size() == 1) {
            return it->second.front();
        }
        for (size_t i : it->second) {
            if (workloadKindName(cluster_.workloads[i].kind) == kind) {
                return i;
            }
        }
        if (kind.empty()) {
            return Error{"ambiguous workload \"" + scratch_ + "\": name the kind, e.g. \"" +
                         std::string(ns) + "/" +
                         std::string(workloadKindName(cluster_.workloads[it->second[0]].kind)) +
                         "/" + std::string(name) + "\""};
        }
    }
    std::string what = kind.empty()
                           ? scratch_
                           : std::string(ns) + "/" + std::string(kind) + "/" + std::string(name);
    return Error{"unknown workload \"" + what + "\": not in the cluster snapshot"};
}

bool ClusterIndex::nameIsAmbiguous(std::string_view ns, std::string_view name) const {
    scratch_.assign(ns);
    scratch_ += '/';
    scratch_ += name;
    auto it = by_name_.find(std::string_view(scratch_));
    return it != by_name_.end() && it->second.size() > 1;
}

std::optional<size_t> ClusterIndex::findPod(std::string_view ns, std::string_view pod) const {
    scratch_.assign(ns);
    scratch_ += '/';
    scratch_ += pod;
    auto it = by_pod_.find(std::string_view(scratch_));
    if (it == by_pod_.end()) {
        return std::nullopt;
    }
    return it->second.front();
}

std::optional<size_t> ClusterIndex::findPodIp(const IpAddress& ip) const {
    if (ip.isV4()) {
        auto it = by_ipv4_.find(ip.v4());
        return it == by_ipv4_.end() ? std::nullopt : std::optional<size_t>(it->second);
    }
    const size_t* found = findSorted(by_ip_other_, ip);
    return found ? std::optional<size_t>(*found) : std::nullopt;
}

std::optional<size_t> ClusterIndex::findServiceIp(const IpAddress& ip) const {
    const size_t* found = findSorted(service_ips_, ip);
    return found ? std::optional<size_t>(*found) : std::nullopt;
}

const std::vector<size_t>& ClusterIndex::selectedBy(size_t service_index) const {
    return service_selects_.at(service_index);
}

std::vector<ResolvedTarget> ClusterIndex::serviceTargets(size_t service_index,
                                                         uint32_t port,
                                                         Protocol protocol) const {
    const Service& service = cluster_.services[service_index];
    std::vector<ResolvedTarget> out;
    const ServicePort* sp = nullptr;
    for (const auto& p : service.ports) {
        if (p.port == port && p.protocol == protocol) {
            sp = &p;
            break;
        }
    }
    for (size_t w : selectedBy(service_index)) {
        uint32_t target = port;
        if (sp != nullptr && sp->target_port.isNamed()) {
            for (const auto& cp : cluster_.workloads[w].ports) {
                if (cp.name == sp->target_port.name && cp.protocol == protocol) {
                    target = cp.port;
                }
            }
        } else if (sp != nullptr && sp->target_port.number != 0) {
            target = sp->target_port.number;
        }
        out.push_back({w, target});
    }
    return out;
}

}  // namespace netpolgen::core
