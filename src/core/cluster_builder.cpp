#include "core/cluster_builder.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>
#include <tuple>

namespace netpolgen::core {
namespace {

using WorkloadKey = std::tuple<std::string, std::string, std::string>;  // ns, kind, name

WorkloadKey keyOf(const Workload& w) {
    return {w.ns, std::string(workloadKindName(w.kind)), w.name};
}

// The owner that controls an object: the one marked controller, else the first.
const OwnerRef* controllerOf(const std::vector<OwnerRef>& owners) {
    for (const auto& o : owners) {
        if (o.controller) {
            return &o;
        }
    }
    return owners.empty() ? nullptr : &owners.front();
}

class OwnershipResolver {
public:
    explicit OwnershipResolver(const std::vector<Workload>& workloads) : workloads_(workloads) {
        for (size_t i = 0; i < workloads.size(); ++i) {
            by_key_.emplace(keyOf(workloads[i]), i);
        }
    }

    // Index of the workload that owns `owners` in `ns` through a chain of known objects, or -1.
    long ownerIndex(const std::string& ns, const std::vector<OwnerRef>& owners) const {
        const OwnerRef* ref = controllerOf(owners);
        long found = -1;
        for (int depth = 0; ref != nullptr && depth < 16; ++depth) {
            auto it = by_key_.find({ns, ref->kind, ref->name});
            if (it == by_key_.end()) {
                break;
            }
            found = static_cast<long>(it->second);
            ref = controllerOf(workloads_[it->second].owners);
        }
        return found;
    }

    // A workload is top-level unless its controller is a known workload.
    bool isTopLevel(const Workload& w) const { return ownerIndex(w.ns, w.owners) < 0; }

private:
    const std::vector<Workload>& workloads_;
    std::map<WorkloadKey, size_t> by_key_;
};

void addNamespace(std::map<std::string, Namespace>& all, const std::string& name) {
    if (all.count(name) == 0) {
        Namespace ns;
        ns.name = name;
        all.emplace(name, std::move(ns));
    }
}

std::vector<Namespace> collectNamespaces(ClusterObjects& objects) {
    std::map<std::string, Namespace> all;
    for (auto& ns : objects.namespaces) {
        ns.declared = true;
        all[ns.name] = ns;
    }
    for (const auto& w : objects.workloads) {
        addNamespace(all, w.ns);
    }
    for (const auto& p : objects.pods) {
        addNamespace(all, p.ns);
    }
    for (const auto& s : objects.services) {
        addNamespace(all, s.ns);
    }
    for (const auto& r : objects.routes) {
        addNamespace(all, r.ns);
    }
    for (const auto& p : objects.policies) {
        addNamespace(all, p.policy.ns);
    }
    std::vector<Namespace> out;
    for (auto& [name, ns] : all) {
        ns.labels.emplace(std::string(kNamespaceNameLabel), name);
        out.push_back(std::move(ns));
    }
    return out;
}

// The first top-level workload of the pod's namespace whose selector matches its labels.
long matchBySelector(const std::vector<Workload>& top, const Pod& pod) {
    for (size_t i = 0; i < top.size(); ++i) {
        const Workload& w = top[i];
        if (w.ns == pod.ns && w.selector && !w.selector->empty() &&
            w.selector->matches(pod.labels)) {
            return static_cast<long>(i);
        }
    }
    return -1;
}

Workload standalonePod(const Pod& pod) {
    Workload w;
    w.kind = WorkloadKind::kPod;
    w.ns = pod.ns;
    w.name = pod.name;
    w.pod_labels = pod.labels;
    w.ports = pod.ports;
    w.host_network = pod.host_network;
    w.origin = pod.origin;
    return w;
}

// The pod-template-hash of a ReplicaSet: its template label, else the suffix of its name after
// the owner's ("<deployment>-<hash>").
std::string templateHash(const Workload& replica_set, const std::string& owner_name) {
    if (auto it = replica_set.pod_labels.find("pod-template-hash");
        it != replica_set.pod_labels.end()) {
        return it->second;
    }
    const std::string& name = replica_set.name;
    if (name.size() > owner_name.size() + 1 &&
        name.compare(0, owner_name.size(), owner_name) == 0 && name[owner_name.size()] == '-') {
        return name.substr(owner_name.size() + 1);
    }
    return {};
}

void attachPod(Workload& w, const Pod& pod) {
    w.pod_ips.insert(w.pod_ips.end(), pod.ips.begin(), pod.ips.end());
    w.pod_names.push_back(pod.name);
    for (const auto& port : pod.ports) {
        if (std::find(w.ports.begin(), w.ports.end(), port) == w.ports.end()) {
            w.ports.push_back(port);
        }
    }
}

// Keeps the last of the objects that share a key, in input order: the same object twice in the
// inputs (Cilium's connectivity-check file repeats objects) is one object, and the later one wins
// as `kubectl apply` of the files in order would leave it. Each dropped copy is a warning naming
// both places.
template <typename T, typename KeyFn>
void keepLastOfEach(std::vector<T>& objects,
                    std::string_view what,
                    KeyFn key,
                    std::vector<std::string>& warnings) {
    std::map<std::string, const T*> later;  // key → the copy that wins
    std::vector<bool> keep(objects.size(), true);
    for (size_t i = objects.size(); i-- > 0;) {
        const std::string k = key(objects[i]);
        const auto [it, first] = later.emplace(k, &objects[i]);
        if (!first) {
            keep[i] = false;
            warnings.push_back(it->second->origin + ": " + std::string(what) + " " + k +
                               " is also defined at " + objects[i].origin +
                               "; the later one is used");
        }
    }
    if (later.size() == objects.size()) {
        return;
    }
    std::vector<T> kept;
    kept.reserve(later.size());
    for (size_t i = 0; i < objects.size(); ++i) {
        if (keep[i]) {
            kept.push_back(std::move(objects[i]));
        }
    }
    objects = std::move(kept);
}

std::string nsName(const std::string& ns, const std::string& name) {
    return ns + "/" + name;
}

void keepLastCopies(ClusterObjects& objects, std::vector<std::string>& warnings) {
    keepLastOfEach(
        objects.namespaces, "Namespace", [](const Namespace& n) { return n.name; }, warnings);
    keepLastOfEach(
        objects.workloads,
        "workload",
        [](const Workload& w) {
            return std::string(workloadKindName(w.kind)) + " " + nsName(w.ns, w.name);
        },
        warnings);
    keepLastOfEach(
        objects.pods, "Pod", [](const Pod& p) { return nsName(p.ns, p.name); }, warnings);
    keepLastOfEach(
        objects.services,
        "Service",
        [](const Service& s) { return nsName(s.ns, s.name); },
        warnings);
    keepLastOfEach(
        objects.routes, "Route", [](const Route& r) { return nsName(r.ns, r.name); }, warnings);
    keepLastOfEach(
        objects.policies,
        "NetworkPolicy",
        [](const PolicyObject& p) { return nsName(p.policy.ns, p.policy.name); },
        warnings);
}

}  // namespace

bool isProtectedNamespace(std::string_view ns) {
    if (ns == "stackrox" || ns == "istio-system") {
        return true;
    }
    if (ns == "openshift-operators") {
        return false;
    }
    // ^kube. needs at least one character after "kube"; ^openshift.* and ^redhat.* need none.
    return (ns.size() > 4 && ns.substr(0, 4) == "kube") || ns.substr(0, 9) == "openshift" ||
           ns.substr(0, 6) == "redhat";
}

Cluster buildCluster(ClusterObjects objects, std::vector<std::string>& warnings) {
    keepLastCopies(objects, warnings);
    Cluster cluster;
    cluster.namespaces = collectNamespaces(objects);

    const OwnershipResolver resolver(objects.workloads);
    std::vector<Workload> all = objects.workloads;
    std::vector<size_t> top_of(all.size());
    std::map<size_t, size_t> position;  // index in `all` → index in cluster.workloads
    for (size_t i = 0; i < all.size(); ++i) {
        if (resolver.isTopLevel(all[i])) {
            position[i] = cluster.workloads.size();
            cluster.workloads.push_back(all[i]);
        }
    }
    for (size_t i = 0; i < all.size(); ++i) {
        const long top = all[i].kind == WorkloadKind::kReplicaSet
                             ? resolver.ownerIndex(all[i].ns, all[i].owners)
                             : -1;
        if (top >= 0) {
            Workload& owner = cluster.workloads[position.at(static_cast<size_t>(top))];
            if (std::string hash = templateHash(all[i], owner.name); !hash.empty()) {
                owner.template_hashes.push_back(std::move(hash));
            }
        }
    }
    std::map<WorkloadKey, size_t> synthesized;  // workloads made from missing owners
    for (const auto& pod : objects.pods) {
        long owner = pod.owners.empty() ? -1 : resolver.ownerIndex(pod.ns, pod.owners);
        if (owner >= 0) {
            // Climb to the top-level workload the chain ends in.
            size_t idx = static_cast<size_t>(owner);
            attachPod(cluster.workloads[position.at(idx)], pod);
            continue;
        }
        long matched = pod.owners.empty() ? -1 : matchBySelector(cluster.workloads, pod);
        if (matched >= 0) {
            attachPod(cluster.workloads[static_cast<size_t>(matched)], pod);
            continue;
        }
        const OwnerRef* missing = controllerOf(pod.owners);
        // Only workload kinds group pods: static pods owned by a Node stay standalone.
        if (missing != nullptr && parseWorkloadKind(missing->kind)) {
            // The owner is not in the snapshot (e.g. `kubectl get pods` only): its pods form a
            // workload of that kind and name, as netpol-analyzer and StackRox both show them.
            const auto kind = parseWorkloadKind(missing->kind);
            const WorkloadKey key{pod.ns, missing->kind, missing->name};
            auto it = synthesized.find(key);
            if (it == synthesized.end()) {
                Workload w = standalonePod(pod);
                w.kind = kind.value_or(WorkloadKind::kPod);
                w.name = kind ? missing->name : pod.name;
                warnings.push_back(pod.origin + ": pod " + pod.ns + "/" + pod.name + ": its " +
                                   missing->kind + " " + missing->name +
                                   " is not in the snapshot and no workload selects the pod; its "
                                   "pods are grouped as " +
                                   missing->kind + " " + missing->name);
                it = synthesized.emplace(key, cluster.workloads.size()).first;
                cluster.workloads.push_back(std::move(w));
            }
            attachPod(cluster.workloads[it->second], pod);
            continue;
        }
        Workload w = standalonePod(pod);
        attachPod(w, pod);
        cluster.workloads.push_back(std::move(w));
    }
    for (auto& w : cluster.workloads) {
        w.owners.clear();
    }
    std::sort(cluster.workloads.begin(), cluster.workloads.end(), [](const auto& a, const auto& b) {
        return keyOf(a) < keyOf(b);
    });
    cluster.services = std::move(objects.services);
    cluster.routes = std::move(objects.routes);
    cluster.policies = std::move(objects.policies);
    std::sort(cluster.policies.begin(), cluster.policies.end(), [](const auto& a, const auto& b) {
        return std::tie(a.policy.ns, a.policy.name) < std::tie(b.policy.ns, b.policy.name);
    });
    return cluster;
}

}  // namespace netpolgen::core
