#include "core/endpoint_resolver.h"

#include <algorithm>
#include <charconv>

#include "core/pod_names.h"

namespace netpolgen::core {
namespace {

constexpr std::string_view kK8sPrefix = "k8s:";
constexpr std::string_view kNamespaceLabel = "io.kubernetes.pod.namespace";

// One JSON string starting at raw[pos] == '"', unescaped into `out`; returns the position after
// its closing quote. Only the escapes label text can hold are decoded (\" \\ \/ and ASCII \u).
size_t readJsonString(std::string_view raw, size_t pos, std::string& out) {
    out.clear();
    for (size_t i = pos + 1; i < raw.size(); ++i) {
        const char c = raw[i];
        if (c == '"') {
            return i + 1;
        }
        if (c != '\\' || i + 1 == raw.size()) {
            out += c;
            continue;
        }
        const char e = raw[++i];
        constexpr size_t kHexDigits = 4;
        if (e == 'u' && i + kHexDigits < raw.size()) {
            // Not from_chars' error: the reader validated the string; a bad escape stays '?'.
            unsigned code = 0x80;
            const char* hex = raw.data() + i + 1;
            std::from_chars(hex, hex + kHexDigits, code, 16);
            out += code < 0x80 ? static_cast<char>(code) : '?';
            i += kHexDigits;
        } else {
            out += e;
        }
    }
    return raw.size();
}

// Labels the controllers add to each pod and Cilium leaves out of identities: they never select.
bool isPerPodLabel(std::string_view key) {
    return key == "pod-template-hash" || key == "controller-revision-hash" ||
           key == "statefulset.kubernetes.io/pod-name" || key == "apps.kubernetes.io/pod-index" ||
           key == "controller-uid" || key == "batch.kubernetes.io/controller-uid" ||
           key == "job-name" || key == "batch.kubernetes.io/job-name";
}

// Every label of the workload's pod template (per-pod ones aside) is among `labels`.
bool templateLabelsWithin(const Workload& w, const Labels& labels) {
    return std::all_of(w.pod_labels.begin(), w.pod_labels.end(), [&](const auto& kv) {
        if (isPerPodLabel(kv.first)) {
            return true;
        }
        auto it = labels.find(kv.first);
        return it != labels.end() && it->second == kv.second;
    });
}

bool selectsLabels(const Workload& w, const Labels& labels) {
    if (w.selector && !w.selector->empty()) {
        return w.selector->matches(labels);
    }
    return !w.pod_labels.empty() && templateLabelsWithin(w, labels);
}

// A broad selector (app=web) also matches the pods of a narrower workload (app=web, track=canary):
// of the workloads whose whole template the labels carry, the one with the most template labels
// wins, when exactly one has that many.
void narrowToMostSpecific(const std::vector<Workload>& all,
                          const Labels& labels,
                          std::vector<size_t>& matches) {
    size_t best_size = 0;
    std::vector<size_t> best;
    for (size_t w : matches) {
        if (!templateLabelsWithin(all[w], labels)) {
            continue;
        }
        const size_t size = all[w].pod_labels.size();
        if (best.empty() || size > best_size) {
            best = {w};
            best_size = size;
        } else if (size == best_size) {
            best.push_back(w);
        }
    }
    if (best.size() == 1) {
        matches = best;
    }
}

std::string describeLabels(std::string_view ns, const Labels& labels) {
    std::string out = std::string(ns) + "/{";
    for (const auto& [key, value] : labels) {
        out += (out.back() == '{' ? "" : ",") + key + "=" + value;
    }
    return out + "}";
}

std::string describeWorkload(const Workload& w) {
    return std::string(workloadKindName(w.kind)) + "/" + w.name;
}

// The name an unresolved endpoint is counted under: its workload, else the workload its pod
// name points at, else the pod.
std::string unresolvedNameOf(std::string_view ns, const FlowEndpoint& ep) {
    std::string out = std::string(ns) + "/";
    if (!ep.name.empty()) {
        const bool kind = !ep.workload_kind.empty() && ep.workload_kind != "Pod";
        return out + (kind ? std::string(ep.workload_kind) + "/" : "") + std::string(ep.name);
    }
    const auto guesses = controllerGuesses(ep.pod);
    return out + std::string(guesses.empty() ? ep.pod : guesses.front().name);
}

FlowEndpoint withoutPod(const FlowEndpoint& ep) {
    FlowEndpoint out = ep;
    out.pod = {};
    return out;
}

// The namespace label of a raw label list, without parsing the rest.
std::string_view namespaceInLabels(std::string_view raw) {
    const std::string needle = std::string(kK8sPrefix) + std::string(kNamespaceLabel) + "=";
    const size_t at = raw.find(needle);
    if (at == std::string_view::npos) {
        return {};
    }
    const size_t begin = at + needle.size();
    const size_t end = raw.find('"', begin);
    return raw.substr(begin, end == std::string_view::npos ? end : end - begin);
}

}  // namespace

Labels podLabelsOf(std::string_view raw, std::string* ns) {
    Labels out;
    std::string label;
    for (size_t i = 0; i < raw.size();) {
        if (raw[i] != '"') {
            ++i;  // separators and white space between the strings
            continue;
        }
        i = readJsonString(raw, i, label);
        std::string_view text(label);
        if (text.substr(0, kK8sPrefix.size()) != kK8sPrefix) {
            continue;
        }
        text.remove_prefix(kK8sPrefix.size());
        const size_t eq = text.find('=');
        const std::string_view key = text.substr(0, eq);
        const std::string_view value = eq == std::string_view::npos ? "" : text.substr(eq + 1);
        if (key == kNamespaceLabel) {
            if (ns != nullptr) {
                *ns = value;
            }
        } else if (key.substr(0, 10) != "io.cilium.") {
            out.emplace(key, value);
        }
    }
    return out;
}

EndpointResolution EndpointResolver::resolve(const FlowEndpoint& ep) {
    const std::string_view ns = ep.ns.empty() ? namespaceInLabels(ep.labels) : ep.ns;
    EndpointResolution r{};
    if (!ep.name.empty() || !ep.pod.empty() || ep.labels.empty()) {
        r = byNameOrPod(ns, ep);
    }
    if (r.outcome != EndpointResolution::Outcome::kWorkload && !ep.labels.empty()) {
        const EndpointResolution by_labels = byLabels(ns, ep.labels);
        // A name the snapshot lacks is the better report; labels are only a fallback.
        if (by_labels.outcome == EndpointResolution::Outcome::kWorkload ||
            (ep.name.empty() && ep.pod.empty())) {
            r = by_labels;
        }
    }
    if (r.outcome != EndpointResolution::Outcome::kWorkload && !ep.ip.empty()) {
        if (auto ip = IpAddress::parse(ep.ip)) {
            if (auto w = index_.findPodIp(*ip)) {
                return {EndpointResolution::Outcome::kWorkload, *w, 0};
            }
        }
    }
    return r;
}

EndpointResolution EndpointResolver::byNameOrPod(std::string_view ns, const FlowEndpoint& ep) {
    // Most endpoints name a workload the snapshot has: that needs no pod in the key, and a short
    // key is hashed on every line.
    if (!ep.name.empty() && !ep.pod.empty()) {
        const EndpointResolution by_name = byNameOrPod(ns, withoutPod(ep));
        if (by_name.outcome == EndpointResolution::Outcome::kWorkload) {
            return by_name;
        }
    }
    scratch_.assign(ns);
    for (std::string_view part : {ep.name, ep.workload_kind, ep.pod}) {
        scratch_ += '\x1f';
        scratch_ += part;
    }
    if (auto it = by_name_.find(std::string_view(scratch_)); it != by_name_.end()) {
        return it->second;
    }
    std::string key = scratch_;
    std::optional<size_t> found = findNamed(ns, ep);
    if (!found && !ep.pod.empty()) {
        found = findPod(ns, ep.pod);
    }
    EndpointResolution r;
    if (found) {
        r = {EndpointResolution::Outcome::kWorkload, *found, 0};
    } else if (ep.workload_kind.empty() && index_.nameIsAmbiguous(ns, ep.name)) {
        r = unresolved(EndpointResolution::Outcome::kInvalid,
                       index_.findWorkload(ns, ep.name, {}).error());
    } else {
        r = unresolved(EndpointResolution::Outcome::kNotInSnapshot, unresolvedNameOf(ns, ep));
    }
    by_name_.emplace(std::move(key), r);
    return r;
}

std::optional<size_t> EndpointResolver::findNamed(std::string_view ns,
                                                  const FlowEndpoint& ep) const {
    if (ep.name.empty()) {
        return std::nullopt;
    }
    if (ep.workload_kind == "Pod") {
        return findPod(ns, ep.name);
    }
    if (auto found = index_.findWorkload(ns, ep.name, ep.workload_kind)) {
        return *found;
    }
    // Older Hubble reports the pod's direct owner: a ReplicaSet or a Job.
    const auto kind = parseWorkloadKind(ep.workload_kind);
    for (const auto& g : kind ? ownerGuesses(*kind, ep.name) : std::vector<ControllerGuess>{}) {
        if (auto w = findKind(ns, g.name, g.kind, g.hash)) {
            return w;
        }
    }
    return std::nullopt;
}

std::optional<size_t> EndpointResolver::findPod(std::string_view ns, std::string_view pod) const {
    if (auto w = index_.findPod(ns, pod)) {
        return w;
    }
    for (const auto& g : controllerGuesses(pod)) {
        if (auto w = findKind(ns, g.name, g.kind, g.hash)) {
            return w;
        }
    }
    // A standalone pod the snapshot lists as a workload of its own.
    return findKind(ns, pod, WorkloadKind::kPod, {});
}

std::optional<size_t> EndpointResolver::findKind(std::string_view ns,
                                                 std::string_view name,
                                                 WorkloadKind kind,
                                                 std::string_view hash) const {
    auto found = index_.findWorkload(ns, name, workloadKindName(kind));
    if (!found) {
        return std::nullopt;
    }
    const auto& hashes = index_.cluster().workloads[*found].template_hashes;
    if (!hash.empty() && !hashes.empty() &&
        std::find(hashes.begin(), hashes.end(), hash) == hashes.end()) {
        return std::nullopt;  // a pod of another Deployment whose name ends like this one
    }
    return *found;
}

EndpointResolution EndpointResolver::byLabels(std::string_view ns, std::string_view labels) {
    scratch_.assign(ns);
    scratch_ += '\x1f';
    scratch_ += labels;
    if (auto it = by_labels_.find(std::string_view(scratch_)); it != by_labels_.end()) {
        return it->second;
    }
    std::string key = scratch_;
    const Labels pod_labels = podLabelsOf(labels);
    const auto& all = index_.cluster().workloads;
    std::vector<size_t> matches;
    auto first = std::lower_bound(
        all.begin(), all.end(), ns, [](const Workload& w, auto n) { return w.ns < n; });
    for (auto it = first; it != all.end() && it->ns == ns; ++it) {
        if (!pod_labels.empty() && selectsLabels(*it, pod_labels)) {
            matches.push_back(static_cast<size_t>(it - all.begin()));
        }
    }
    if (matches.size() > 1) {
        narrowToMostSpecific(all, pod_labels, matches);
    }
    EndpointResolution r;
    if (matches.size() == 1) {
        r = {EndpointResolution::Outcome::kWorkload, matches.front(), 0};
    } else if (matches.empty()) {
        r = unresolved(EndpointResolution::Outcome::kNotInSnapshot, describeLabels(ns, pod_labels));
    } else {
        std::string names;
        for (size_t w : matches) {
            names += (names.empty() ? "" : ", ") + describeWorkload(all[w]);
        }
        r = unresolved(EndpointResolution::Outcome::kAmbiguous,
                       describeLabels(ns, pod_labels) + " (labels match " + names + ")");
    }
    by_labels_.emplace(std::move(key), r);
    return r;
}

EndpointResolution EndpointResolver::unresolved(EndpointResolution::Outcome outcome,
                                                std::string name) {
    auto [it, added] =
        unresolved_ids_.emplace(name, static_cast<uint32_t>(unresolved_names_.size()));
    if (added) {
        unresolved_names_.push_back(std::move(name));
    }
    return {outcome, 0, it->second};
}

}  // namespace netpolgen::core
