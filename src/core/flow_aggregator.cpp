#include "core/flow_aggregator.h"

#include <string>

namespace netpolgen::core {
namespace {

std::string describe(const FlowEndpoint& ep) {
    if (!ep.ns.empty()) {
        return std::string(ep.ns) + "/" + std::string(ep.name);
    }
    return std::string(!ep.ip.empty() ? ep.ip : ep.name);
}

// The workload an endpoint names, trying its name, then its pod, then its address.
Result<std::optional<size_t>> namedWorkload(const ClusterIndex& index, const FlowEndpoint& ep) {
    if (ep.workload_kind == "Pod") {
        if (auto w = index.findPod(ep.ns, ep.name)) {
            return std::optional<size_t>(*w);
        }
    }
    auto found =
        index.findWorkload(ep.ns, ep.name, ep.workload_kind == "Pod" ? "" : ep.workload_kind);
    if (found) {
        return std::optional<size_t>(*found);
    }
    if (!ep.pod.empty()) {
        if (auto w = index.findPod(ep.ns, ep.pod)) {
            return std::optional<size_t>(*w);
        }
    }
    if (!ep.ip.empty()) {
        if (auto ip = IpAddress::parse(ep.ip)) {
            if (auto w = index.findPodIp(*ip)) {
                return std::optional<size_t>(*w);
            }
        }
    }
    return Error{found.error()};
}

}  // namespace

Result<EntityId> FlowAggregator::resolveSource(const FlowEndpoint& ep) {
    switch (ep.kind) {
        case FlowEndpoint::Kind::kWorkload: {
            auto w = namedWorkload(index_, ep);
            if (!w) {
                return Error{"source: " + w.error()};
            }
            return workloadSource(**w);
        }
        case FlowEndpoint::Kind::kIp: {
            auto ip = IpAddress::parse(ep.ip);
            if (!ip) {
                return Error{"source: " + ip.error()};
            }
            if (auto w = index_.findPodIp(*ip)) {
                return workloadSource(*w);
            }
            if (ip->isPrivate() || index_.findServiceIp(*ip)) {
                ++stats_.src_internal_unresolved;
                return kInternalEntity;
            }
            ++stats_.src_internet;
            return kInternetEntity;
        }
        case FlowEndpoint::Kind::kCidr:
        case FlowEndpoint::Kind::kInternet:
            ++stats_.src_internet;
            return kInternetEntity;
        case FlowEndpoint::Kind::kInternal:
            ++stats_.src_internal_unresolved;
            return kInternalEntity;
        case FlowEndpoint::Kind::kUnknown:
            break;
    }
    return Error{"source endpoint has no identity"};
}

// A hostNetwork pod sends from its node's address: to a NetworkPolicy that is the node (an
// in-cluster source that no selector matches), not a pod (docs/egress-and-flavours.md §1.8).
EntityId FlowAggregator::workloadSource(size_t workload) {
    if (index_.cluster().workloads[workload].host_network) {
        ++stats_.src_host_network;
        return kInternalEntity;
    }
    return workloadEntity(workload);
}

Status FlowAggregator::addToDestination(const FlowObservation& flow, EntityId src) {
    const FlowEndpoint& ep = flow.dst;
    auto add = [&](size_t workload, uint32_t port) {
        const EdgeKey key{src, workloadEntity(workload), port, flow.protocol};
        // One well-predicted branch: the generate path (no buckets) stays a direct graph add.
        if (buckets_ == nullptr) {
            graph_.add(key, flow.count, flow.time);
        } else {
            buckets_->add(key, flow.count, flow.time);
        }
    };
    switch (ep.kind) {
        case FlowEndpoint::Kind::kWorkload: {
            auto w = namedWorkload(index_, ep);
            if (!w) {
                return Error{"destination: " + w.error()};
            }
            add(**w, flow.port);
            return {};
        }
        case FlowEndpoint::Kind::kIp: {
            auto ip = IpAddress::parse(ep.ip);
            if (!ip) {
                return Error{"destination: " + ip.error()};
            }
            if (auto w = index_.findPodIp(*ip)) {
                add(*w, flow.port);
                return {};
            }
            if (auto s = index_.findServiceIp(*ip)) {
                auto targets = index_.serviceTargets(*s, flow.port, flow.protocol);
                if (!targets.empty()) {
                    ++stats_.via_service_ip;
                    for (const auto& t : targets) {
                        add(t.workload, t.port);
                    }
                    return {};
                }
            }
            break;
        }
        case FlowEndpoint::Kind::kUnknown:
            return Error{"destination endpoint has no identity"};
        default:
            break;
    }
    ++stats_.dst_not_workload;
    return {};
}

Status FlowAggregator::add(const FlowObservation& flow) {
    ++stats_.flows;
    if (flow.time == kUndated) {
        if (window_.since || window_.until) {
            ++stats_.undated_in_window;
        }
    } else if ((window_.since && flow.time < *window_.since) ||
               (window_.until && flow.time > *window_.until)) {
        ++stats_.outside_window;
        return {};
    }
    auto src = resolveSource(flow.src);
    if (!src) {
        return Error{src.error() + " (" + describe(flow.src) + " → " + describe(flow.dst) + ")"};
    }
    const uint64_t before = stats_.dst_not_workload;
    Status st = addToDestination(flow, *src);
    if (st && stats_.dst_not_workload == before) {
        ++stats_.aggregated;
    }
    return st;
}

}  // namespace netpolgen::core
