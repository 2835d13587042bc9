// Stable, minimal pod selectors (`generate --selectors minimal`, issue 14): the smallest set of
// a workload's pod labels that selects its pods and no other pod of its namespace, without the
// labels controllers stamp per revision or per pod.
//
// StackRox selects a workload's pods by all of their template labels (DESIGN.md; the default,
// `--selectors stackrox`). That is exact but brittle: a label that changes with each rollout or
// names one pod (pod-template-hash, controller-revision-hash, statefulset.kubernetes.io/pod-name,
// …) would make the policy select nothing after the next rollout, and every extra label is one
// more way to drift. Here:
// - labels whose key controllers write per revision, per pod or per Job run are never used;
// - the key people use to name an application (app.kubernetes.io/name, app, k8s-app: the first
//   of them a workload has) is always part of it, so that `version: v2` alone never selects the
//   next application that uses the same value; further labels are added by name, fewest first;
// - a subset is taken when no other workload of the namespace has pods it selects (their
//   template labels, standalone pods' own labels).
// When no stable subset is exact (another workload's pods carry all of them), the stable labels
// are kept whole and the result says which workloads they also select.
//
// Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/cluster.h"
#include "core/label_selector.h"

namespace netpolgen::core {

// Keys never used in a minimal selector: written by controllers per revision, pod or run.
bool isUnstableLabelKey(std::string_view key);

struct MinimalSelector {
    LabelSelector selector;
    // "ns/name" of the other workloads whose pods the selector also picks (empty when exact).
    std::vector<std::string> also_selects;
};

// The selector of every workload, by index in `cluster.workloads`. A workload without a stable
// label keeps its own selector (as `stackrox`).
std::vector<MinimalSelector> minimalSelectors(const Cluster& cluster);

}  // namespace netpolgen::core
