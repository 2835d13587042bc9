#include "core/minimal_selector.h"

#include <algorithm>
#include <array>
#include <map>
#include <optional>

namespace netpolgen::core {
namespace {

// Subsets are tried up to this size; beyond, the stable labels are kept whole (a workload with
// more than 4 labels needed to tell it apart is rare, and the search stays small).
constexpr size_t kMaxSubsetSize = 4;

constexpr std::array<std::string_view, 3> kPreferredKeys = {
    "app.kubernetes.io/name", "app", "k8s-app"};

size_t preference(std::string_view key) {
    for (size_t i = 0; i < kPreferredKeys.size(); ++i) {
        if (kPreferredKeys[i] == key)
            return i;
    }
    return kPreferredKeys.size();
}

// The stable labels in the order they are tried.
std::vector<std::pair<std::string, std::string>> candidates(const Labels& labels) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [key, value] : labels) {
        if (!isUnstableLabelKey(key))
            out.emplace_back(key, value);
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return preference(a.first) < preference(b.first);
    });
    return out;
}

// One workload and the others of its namespace.
struct Neighbourhood {
    const Cluster& cluster;
    size_t index;
    const std::vector<size_t>& same_namespace;  // every workload of the namespace, itself too
};

// The other workloads of the namespace whose pods `selector` picks.
std::vector<std::string> othersSelected(const Neighbourhood& n, const LabelSelector& selector) {
    std::vector<std::string> others;
    for (size_t i : n.same_namespace) {
        const Workload& w = n.cluster.workloads[i];
        if (i != n.index && selector.matches(w.pod_labels))
            others.push_back(w.ns + "/" + w.name);
    }
    return others;
}

LabelSelector fromChosen(const std::vector<std::pair<std::string, std::string>>& labels,
                         const std::vector<size_t>& chosen) {
    LabelSelector s;
    for (size_t i : chosen)
        s.match_labels.emplace(labels[i].first, labels[i].second);
    return s;
}

// The first exact subset of `extra` labels from labels[first…] (combinations in preference
// order), with labels[0] too when it is the anchor (first == 1).
std::optional<LabelSelector> exactSubset(
    const Neighbourhood& n,
    const std::vector<std::pair<std::string, std::string>>& labels,
    size_t first,
    size_t extra) {
    const size_t count = labels.size() - first;
    if (extra > count)
        return std::nullopt;
    std::vector<size_t> chosen(extra);
    for (size_t i = 0; i < extra; ++i)
        chosen[i] = first + i;
    for (;;) {
        std::vector<size_t> with_anchor = chosen;
        if (first == 1)
            with_anchor.insert(with_anchor.begin(), 0);
        LabelSelector s = fromChosen(labels, with_anchor);
        if (!s.empty() && othersSelected(n, s).empty())
            return s;
        // Next combination in lexicographic order.
        size_t i = extra;
        while (i > 0 && chosen[i - 1] == first + count - extra + i - 1)
            --i;
        if (i == 0)
            return std::nullopt;
        ++chosen[i - 1];
        for (size_t j = i; j < extra; ++j)
            chosen[j] = chosen[j - 1] + 1;
    }
}

}  // namespace

bool isUnstableLabelKey(std::string_view key) {
    static constexpr std::array<std::string_view, 9> kExact = {
        "pod-template-hash",
        "controller-revision-hash",
        "pod-template-generation",
        "statefulset.kubernetes.io/pod-name",
        "apps.kubernetes.io/pod-index",
        "controller-uid",
        "job-name",
        "batch.kubernetes.io/job-completion-index",
        "job-completion-index",
    };
    if (std::find(kExact.begin(), kExact.end(), key) != kExact.end())
        return true;
    // batch.kubernetes.io/controller-uid, batch.kubernetes.io/job-name, …: per Job run.
    return key.starts_with("batch.kubernetes.io/");
}

namespace {

MinimalSelector minimalSelector(const Neighbourhood& n) {
    const Workload& w = n.cluster.workloads[n.index];
    const auto labels = candidates(w.pod_labels);
    if (labels.empty()) {
        LabelSelector own = w.policySelector();
        return {own, othersSelected(n, own)};
    }
    // The application's name, when it has one, is always part of it: a selector of other
    // labels alone (`version: v2`) would pick the next application to use the same value.
    const size_t first = preference(labels[0].first) < kPreferredKeys.size() ? 1 : 0;
    for (size_t extra = 0; first + extra <= std::min(labels.size(), kMaxSubsetSize); ++extra) {
        if (auto exact = exactSubset(n, labels, first, extra))
            return {*exact, {}};
    }
    std::vector<size_t> all(labels.size());
    for (size_t i = 0; i < all.size(); ++i)
        all[i] = i;
    LabelSelector whole = fromChosen(labels, all);
    return {whole, othersSelected(n, whole)};
}

}  // namespace

std::vector<MinimalSelector> minimalSelectors(const Cluster& cluster) {
    std::map<std::string_view, std::vector<size_t>> by_namespace;
    for (size_t i = 0; i < cluster.workloads.size(); ++i) {
        by_namespace[cluster.workloads[i].ns].push_back(i);
    }
    std::vector<MinimalSelector> out;
    out.reserve(cluster.workloads.size());
    for (size_t i = 0; i < cluster.workloads.size(); ++i) {
        out.push_back(minimalSelector({cluster, i, by_namespace[cluster.workloads[i].ns]}));
    }
    return out;
}

}  // namespace netpolgen::core
