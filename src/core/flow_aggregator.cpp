#include "core/flow_aggregator.h"

#include <algorithm>
#include <string>

namespace netpolgen::core {
namespace {

constexpr size_t kPendingAdds = 256;  // a few groups of FlowGraph::addAll

std::string describe(const FlowEndpoint& ep) {
    if (!ep.ns.empty()) {
        return std::string(ep.ns) + "/" + std::string(!ep.name.empty() ? ep.name : ep.pod);
    }
    return std::string(!ep.ip.empty() ? ep.ip : ep.name);
}

}  // namespace

Status FlowAggregator::countUnresolved(const EndpointResolution& r, const char* end) {
    const std::string& name = resolver_.unresolvedName(r.id);
    if (r.outcome == EndpointResolution::Outcome::kInvalid) {
        return Error{std::string(end) + ": " + name};
    }
    if (reject_unresolved_) {
        const char* why = r.outcome == EndpointResolution::Outcome::kAmbiguous
                              ? "ambiguous workload"
                              : "unknown workload";
        return Error{std::string(end) + ": " + why + " \"" + name +
                     "\": not in the cluster snapshot (--strict)"};
    }
    stats_.ambiguous += r.outcome == EndpointResolution::Outcome::kAmbiguous ? 1 : 0;
    if (unresolved_counts_.size() <= r.id) {
        unresolved_counts_.resize(r.id + 1);
    }
    ++unresolved_counts_[r.id];
    return {};
}

EndpointResolution FlowAggregator::resolveWorkload(const FlowEndpoint& ep) {
    if (ep.text.empty()) {
        return resolver_.resolve(ep);
    }
    const auto [id, added] = endpoint_texts_.intern(ep.text);
    if (added) {
        resolved_texts_.push_back(resolver_.resolve(ep));
    }
    return resolved_texts_[id];
}

std::optional<EndpointResolution> FlowAggregator::tenantOf(const IpAddress& ip, Timestamp time) {
    if (tenancies_ == nullptr || time == kUndated) {
        return std::nullopt;
    }
    const PodTenant* tenant = tenancies_->tenantAt(ip, time);
    if (tenant == nullptr) {
        return std::nullopt;
    }
    // The pod by its controller (a ReplicaSet leads to its Deployment), else by its name.
    FlowEndpoint ep;
    ep.kind = FlowEndpoint::Kind::kWorkload;
    ep.ns = tenant->ns;
    ep.pod = tenant->pod;
    ep.name = tenant->owner_name;
    ep.workload_kind = tenant->owner_kind;
    return resolver_.resolve(ep);
}

Result<std::optional<EntityId>> FlowAggregator::resolveSource(const FlowEndpoint& ep,
                                                              Timestamp time) {
    switch (ep.kind) {
        case FlowEndpoint::Kind::kWorkload: {
            const EndpointResolution r = resolveWorkload(ep);
            if (r.outcome == EndpointResolution::Outcome::kWorkload) {
                return std::optional<EntityId>(workloadSource(r.workload));
            }
            if (Status st = countUnresolved(r, "source"); !st) {
                return Error{st.error()};
            }
            return std::optional<EntityId>();
        }
        case FlowEndpoint::Kind::kIp: {
            auto ip = IpAddress::parse(ep.ip);
            if (!ip) {
                return Error{"source: " + ip.error()};
            }
            if (auto r = tenantOf(*ip, time)) {
                if (r->outcome == EndpointResolution::Outcome::kWorkload) {
                    return std::optional<EntityId>(workloadSource(r->workload));
                }
                if (Status st = countUnresolved(*r, "source"); !st) {
                    return Error{st.error()};
                }
                return std::optional<EntityId>();
            }
            if (auto w = index_.findPodIp(*ip)) {
                return std::optional<EntityId>(workloadSource(*w));
            }
            if (ip->isPrivate() || index_.findServiceIp(*ip)) {
                ++stats_.src_internal_unresolved;
                return std::optional<EntityId>(kInternalEntity);
            }
            ++stats_.src_internet;
            return std::optional<EntityId>(kInternetEntity);
        }
        case FlowEndpoint::Kind::kCidr:
        case FlowEndpoint::Kind::kInternet:
            ++stats_.src_internet;
            return std::optional<EntityId>(kInternetEntity);
        case FlowEndpoint::Kind::kInternal:
            ++stats_.src_internal_unresolved;
            return std::optional<EntityId>(kInternalEntity);
        case FlowEndpoint::Kind::kUnknown:
            break;
    }
    return Error{"source endpoint has no identity"};
}

// A hostNetwork pod sends from its node's address: to a NetworkPolicy that is the node (an
// in-cluster source that no selector matches), not a pod (docs/egress-and-flavours.md §1.8).
EntityId FlowAggregator::workloadSource(size_t workload) {
    if (host_network_.empty()) {
        const auto& workloads = index_.cluster().workloads;
        host_network_.reserve(workloads.size());
        for (const Workload& w : workloads) {
            host_network_.push_back(w.host_network ? 1 : 0);
        }
    }
    if (host_network_[workload] != 0) {
        ++stats_.src_host_network;
        return kInternalEntity;
    }
    return workloadEntity(workload);
}

Status FlowAggregator::addToDestination(const FlowObservation& flow,
                                        EntityId src,
                                        size_t dst_workload) {
    const FlowEndpoint& ep = flow.dst;
    auto add = [&](size_t workload, uint32_t port) {
        const EdgeKey key{src, workloadEntity(workload), port, flow.protocol};
        // One well-predicted branch: the generate path (no buckets) stays a direct graph add.
        if (buckets_ == nullptr) {
            pending_.push_back({key, flow.count, flow.time});
            if (pending_.size() == kPendingAdds) {
                flushPending();
            }
        } else {
            buckets_->add(key, flow.count, flow.time);
        }
    };
    switch (ep.kind) {
        case FlowEndpoint::Kind::kWorkload:
            add(dst_workload, flow.port);
            ++stats_.aggregated;
            return {};
        case FlowEndpoint::Kind::kIp: {
            auto ip = IpAddress::parse(ep.ip);
            if (!ip) {
                return Error{"destination: " + ip.error()};
            }
            if (auto r = tenantOf(*ip, flow.time)) {
                if (r->outcome == EndpointResolution::Outcome::kWorkload) {
                    add(r->workload, flow.port);
                    ++stats_.aggregated;
                    return {};
                }
                ++stats_.unresolved;
                return countUnresolved(*r, "destination");
            }
            if (auto w = index_.findPodIp(*ip)) {
                add(*w, flow.port);
                ++stats_.aggregated;
                return {};
            }
            if (auto s = index_.findServiceIp(*ip)) {
                auto targets = index_.serviceTargets(*s, flow.port, flow.protocol);
                if (!targets.empty()) {
                    ++stats_.via_service_ip;
                    for (const auto& t : targets) {
                        add(t.workload, t.port);
                    }
                    ++stats_.aggregated;
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
    auto src = resolveSource(flow.src, flow.time);
    if (!src) {
        return Error{src.error() + " (" + describe(flow.src) + " → " + describe(flow.dst) + ")"};
    }
    // Both ends are looked at before the flow is left out, so that each unknown end is counted.
    EndpointResolution dst;
    if (flow.dst.kind == FlowEndpoint::Kind::kWorkload) {
        dst = resolveWorkload(flow.dst);
        if (dst.outcome != EndpointResolution::Outcome::kWorkload) {
            if (Status st = countUnresolved(dst, "destination"); !st) {
                return st;
            }
        }
    }
    if (!*src || (flow.dst.kind == FlowEndpoint::Kind::kWorkload &&
                  dst.outcome != EndpointResolution::Outcome::kWorkload)) {
        ++stats_.unresolved;
        return {};
    }
    return addToDestination(flow, **src, dst.workload);
}

AggregationStats FlowAggregator::stats() const {
    AggregationStats out = stats_;
    std::vector<std::pair<std::string, uint64_t>> all;
    for (uint32_t id = 0; id < unresolved_counts_.size(); ++id) {
        if (unresolved_counts_[id] > 0) {
            all.emplace_back(resolver_.unresolvedName(id), unresolved_counts_[id]);
        }
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    all.resize(std::min(all.size(), kTopUnresolved));
    out.top_unresolved = std::move(all);
    return out;
}

}  // namespace netpolgen::core
