// EndpointResolver: the workload a flow endpoint of kind kWorkload stands for, as Hubble exports
// really describe it (docs/decisions.md "Resolving Hubble endpoints"). In this order:
//   1. its workload name (canonical NS/NAME, Hubble `workloads[0]`; an intermediate ReplicaSet or
//      Job also finds its Deployment or CronJob by name);
//   2. its pod: a Pod of the snapshot, else the controller naming patterns (core/pod_names.h)
//      checked against the snapshot's workloads of that namespace and kind (a Deployment's
//      pod-template-hash must be one of its ReplicaSets' when the snapshot has them);
//   3. its `k8s:` labels (namespace from `k8s:io.kubernetes.pod.namespace` when the endpoint has
//      none) against the pod selectors of the namespace's workloads: exactly one must match,
//      several are reported as ambiguous;
//   4. its address, against the snapshot's pod IPs.
// Steps 1-3 are cached by the endpoint's text: a flow file names a few hundred endpoints on
// millions of lines. Unresolved endpoints get a stable id whose name reports them
// ("shop/checkout", "shop/{app=cart} (labels match Deployment/cart, Deployment/cart-v2)").
//
//   EndpointResolver resolver(index);
//   EndpointResolution r = resolver.resolve(flow.dst);
//   if (r.outcome != EndpointResolution::Outcome::kWorkload) count(resolver.unresolvedName(r.id));
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/cluster_index.h"
#include "core/flow.h"

namespace netpolgen::core {

struct EndpointResolution {
    enum class Outcome : uint8_t {
        kWorkload,       // `workload` is the endpoint's workload
        kNotInSnapshot,  // names a workload, pod or labels the snapshot does not have
        kAmbiguous,      // its labels match several workloads
        kInvalid,        // a canonical NS/NAME that several kinds share: the line must name one
    };
    Outcome outcome = Outcome::kNotInSnapshot;
    size_t workload = 0;  // kWorkload
    uint32_t id = 0;      // otherwise: see EndpointResolver::unresolvedName()
};

class EndpointResolver {
public:
    explicit EndpointResolver(const ClusterIndex& index) : index_(index) {}

    // REQUIRES: ep.kind == FlowEndpoint::Kind::kWorkload.
    EndpointResolution resolve(const FlowEndpoint& ep);

    // What an unresolved endpoint is called in reports (kInvalid: the error message).
    const std::string& unresolvedName(uint32_t id) const { return unresolved_names_.at(id); }
    size_t unresolvedCount() const { return unresolved_names_.size(); }

private:
    struct StringHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    using Cache = std::unordered_map<std::string, EndpointResolution, StringHash, std::equal_to<>>;

    EndpointResolution byNameOrPod(std::string_view ns, const FlowEndpoint& ep);
    EndpointResolution byLabels(std::string_view ns, std::string_view labels);
    std::optional<size_t> findNamed(std::string_view ns, const FlowEndpoint& ep) const;
    std::optional<size_t> findPod(std::string_view ns, std::string_view pod) const;
    std::optional<size_t> findKind(std::string_view ns,
                                   std::string_view name,
                                   WorkloadKind kind,
                                   std::string_view hash) const;
    EndpointResolution unresolved(EndpointResolution::Outcome outcome, std::string name);

    const ClusterIndex& index_;
    Cache by_name_;    // ns, name, kind, pod → resolution
    Cache by_labels_;  // ns, raw labels → resolution
    std::vector<std::string> unresolved_names_;
    std::unordered_map<std::string, uint32_t> unresolved_ids_;
    std::string scratch_;
};

// The labels of a Hubble label list (FlowEndpoint::labels) that pods carry: `k8s:` labels without
// Cilium's own (io.cilium.*, io.kubernetes.pod.namespace). `ns` receives the namespace label.
Labels podLabelsOf(std::string_view raw_labels, std::string* ns = nullptr);

}  // namespace netpolgen::core
