#include "io/hubble_endpoint.h"

#include "io/endpoint_text.h"

namespace netpolgen::io::detail {
namespace {

bool isWorldIdentity(uint64_t id) {
    constexpr uint64_t kWorld = 2, kWorldV4 = 9, kWorldV6 = 10;
    return id == kWorld || id == kWorldV4 || id == kWorldV6;
}

// host 1, unmanaged 3, health 4, init 5, remote-node 6, kube-apiserver 7, ingress 8.
bool isInternalIdentity(uint64_t id) {
    constexpr uint64_t kHost = 1, kIngress = 8, kWorld = 2;
    return id >= kHost && id <= kIngress && id != kWorld;
}

}  // namespace

void hubbleEndpoint(const HubbleEndpoint& e, std::string_view ip, core::FlowEndpoint& ep) {
    using Kind = core::FlowEndpoint::Kind;
    clearEndpoint(ep);
    ep.ip = ip;
    ep.pod = e.pod;
    const bool reserved = e.world || e.internal || e.cidr;
    const bool names_pod = !e.workload_name.empty() || !e.pod.empty() || e.k8s_labels;
    if ((!e.ns.empty() && names_pod) || (e.ns.empty() && e.k8s_labels && !reserved)) {
        ep.kind = Kind::kWorkload;
        ep.ns = e.ns;
        ep.name = e.workload_name;
        ep.workload_kind = e.workload_kind;
        ep.labels = e.labels;
    } else if (e.cidr && !ip.empty()) {
        // A CIDR identity (a policy names this range): the address says more than "world".
        ep.kind = Kind::kIp;
    } else if (e.world || isWorldIdentity(e.identity)) {
        ep.kind = Kind::kInternet;
    } else if (e.internal || isInternalIdentity(e.identity)) {
        ep.kind = Kind::kInternal;
    } else if (!ip.empty()) {
        ep.kind = Kind::kIp;
    }
}

}  // namespace netpolgen::io::detail
