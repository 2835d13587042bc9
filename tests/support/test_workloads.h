// Workloads of namespace "shop" for core tests: kind, name, the pod labels (also the selector) and
// the owners, as a decoder would read them before buildCluster.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/cluster.h"

namespace netpolgen::testing_support {

inline core::Workload shopWorkload(core::WorkloadKind kind,
                                   std::string name,
                                   core::Labels labels,
                                   std::vector<core::OwnerRef> owners = {}) {
    core::Workload w;
    w.kind = kind;
    w.ns = "shop";
    w.name = std::move(name);
    w.selector = core::selectorFromLabels(labels);
    w.pod_labels = std::move(labels);
    w.owners = std::move(owners);
    return w;
}

}  // namespace netpolgen::testing_support
