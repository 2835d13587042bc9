#include "core/simulation.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "core/connectivity.h"

namespace netpolgen::core {
namespace {

// Namespaces in which StackRox's simulator refuses any change (docs/stackrox-generator.md §4.1
// item 6): only these two, not the whole protected set of the generator.
bool isForbiddenNamespace(std::string_view ns) {
    return ns == "stackrox" || ns == "kube-system";
}

std::string refText(const ObjectRef& ref) {
    return "policy " + ref.name + " in namespace " + ref.ns;
}

void addError(PolicyInSimulation& entry, std::vector<std::string>& errors, std::string message) {
    if (!entry.error.empty()) {
        entry.error += "; ";
    }
    entry.error += message;
    errors.push_back(std::move(message));
}

// ---------------------------------------------------------------------------------------------
// Replay: policy sets compiled for many evaluations.
//
// The semantics are PolicyEvaluator's (docs/networkpolicy-semantics.md §8); only the work is
// moved: which policies select a workload, and which workloads a rule's selector peers match,
// are worked out once per policy through label postings, so judging an edge costs a bit test or a
// binary search per rule instead of a selector match per peer. A policy in both sets (UNCHANGED)
// is compiled once, and an edge whose two ends have the same rules in both sets is judged once.
// tests/unit/simulation_property_test.cpp holds replay and PolicyEvaluator equal on random cases.

using Id = uint32_t;
const std::vector<Id> kNoIds;

// Ids a selector may match: `ids` (sorted), or every id when null. `exact`: every one matches.
struct Candidates {
    const std::vector<Id>* ids = nullptr;
    bool exact = false;
};

// key → value → ids carrying that label, ascending.
class PostingIndex {
public:
    void add(Id id, const Labels& labels) {
        for (const auto& [key, value] : labels) {
            postings_[key][value].push_back(id);
        }
    }

    const std::vector<Id>& find(const std::string& key, const std::string& value) const {
        auto k = postings_.find(key);
        if (k == postings_.end()) {
            return kNoIds;
        }
        auto v = k->second.find(value);
        return v == k->second.end() ? kNoIds : v->second;
    }

    // Narrows by the smallest matchLabels posting, else by the first In or Exists requirement
    // (its union is built in `scratch`).
    Candidates candidates(const LabelSelector& selector, std::vector<Id>& scratch) const {
        const bool single = selector.match_labels.size() + selector.match_expressions.size() == 1;
        const std::vector<Id>* best = nullptr;
        for (const auto& [key, value] : selector.match_labels) {
            const std::vector<Id>& ids = find(key, value);
            if (best == nullptr || ids.size() < best->size()) {
                best = &ids;
            }
        }
        if (best != nullptr) {
            return {best, single};
        }
        for (const SelectorRequirement& r : selector.match_expressions) {
            if (r.op != SelectorOperator::kIn && r.op != SelectorOperator::kExists) {
                continue;
            }
            scratch.clear();
            auto k = postings_.find(r.key);
            if (k != postings_.end()) {
                for (const auto& [value, ids] : k->second) {
                    const bool wanted =
                        r.op == SelectorOperator::kExists ||
                        std::find(r.values.begin(), r.values.end(), value) != r.values.end();
                    if (wanted) {
                        scratch.insert(scratch.end(), ids.begin(), ids.end());
                    }
                }
            }
            std::sort(scratch.begin(), scratch.end());
            return {&scratch, single};
        }
        return {};
    }

private:
    std::unordered_map<std::string, std::unordered_map<std::string, std::vector<Id>>> postings_;
};

// The workloads of a cluster grouped by namespace, with label postings for workloads and for
// the namespaces they live in.
class WorkloadIndex {
public:
    explicit WorkloadIndex(const Cluster& cluster) : cluster_(cluster) {
        for (const Workload& w : cluster.workloads) {
            ns_names_.push_back(w.ns);
        }
        std::sort(ns_names_.begin(), ns_names_.end());
        ns_names_.erase(std::unique(ns_names_.begin(), ns_names_.end()), ns_names_.end());
        ns_workloads_.resize(ns_names_.size());
        in_set_.assign(ns_names_.size(), 0);
        for (Id n = 0; n < ns_names_.size(); ++n) {
            const Namespace* ns = cluster.findNamespace(ns_names_[n]);
            ns_labels_.push_back(ns != nullptr ? ns->labels : Labels{});
            ns_postings_.add(n, ns_labels_.back());
        }
        for (Id w = 0; w < cluster.workloads.size(); ++w) {
            const Workload& workload = cluster.workloads[w];
            const Id n = *namespaceId(workload.ns);
            ns_of_.push_back(n);
            ns_workloads_[n].push_back(w);
            postings_.add(w, workload.pod_labels);
        }
    }

    const Cluster& cluster() const { return cluster_; }

    std::optional<Id> namespaceId(std::string_view ns) const {
        auto it = std::lower_bound(ns_names_.begin(), ns_names_.end(), ns);
        if (it == ns_names_.end() || *it != ns) {
            return std::nullopt;
        }
        return static_cast<Id>(it - ns_names_.begin());
    }

    // Workloads of namespace `ns` that `selector` matches, appended to `out` (ascending).
    void selectInNamespace(Id ns, const LabelSelector& selector, std::vector<Id>& out) const {
        const Candidates c = postings_.candidates(selector, scratch_);
        const std::vector<Id>& ids = c.ids != nullptr ? *c.ids : ns_workloads_[ns];
        for (Id w : ids) {
            if (ns_of_[w] == ns && (c.exact || podMatches(selector, w))) {
                out.push_back(w);
            }
        }
    }

    // Workloads a selector peer of a policy in namespace `policy_ns` matches, appended to `out`.
    void selectPeer(const PolicyPeer& peer, Id policy_ns, std::vector<Id>& out) const {
        std::vector<Id>& namespaces = namespaces_;
        namespaces.clear();
        if (!peer.namespace_selector) {
            namespaces.push_back(policy_ns);
        } else {
            const LabelSelector& selector = *peer.namespace_selector;
            const Candidates c = ns_postings_.candidates(selector, ns_scratch_);
            const size_t count = c.ids != nullptr ? c.ids->size() : ns_names_.size();
            for (size_t i = 0; i < count; ++i) {
                const Id n = c.ids != nullptr ? (*c.ids)[i] : static_cast<Id>(i);
                if (c.exact || selector.matches(ns_labels_[n])) {
                    namespaces.push_back(n);
                }
            }
        }
        if (!peer.pod_selector) {
            for (Id n : namespaces) {
                out.insert(out.end(), ns_workloads_[n].begin(), ns_workloads_[n].end());
            }
            return;
        }
        if (namespaces.size() == 1) {
            selectInNamespace(namespaces[0], *peer.pod_selector, out);
            return;
        }
        const Candidates c = postings_.candidates(*peer.pod_selector, scratch_);
        if (c.ids == nullptr) {
            for (Id n : namespaces) {
                for (Id w : ns_workloads_[n]) {
                    if (podMatches(*peer.pod_selector, w)) {
                        out.push_back(w);
                    }
                }
            }
            return;
        }
        for (Id n : namespaces) {
            in_set_[n] = 1;
        }
        for (Id w : *c.ids) {
            if (in_set_[ns_of_[w]] != 0 && (c.exact || podMatches(*peer.pod_selector, w))) {
                out.push_back(w);
            }
        }
        for (Id n : namespaces) {
            in_set_[n] = 0;
        }
    }

private:
    bool podMatches(const LabelSelector& selector, Id w) const {
        return selector.matches(cluster_.workloads[w].pod_labels);
    }

    const Cluster& cluster_;
    std::vector<std::string> ns_names_;  // namespaces that have workloads, sorted
    std::vector<Labels> ns_labels_;
    std::vector<std::vector<Id>> ns_workloads_;
    std::vector<Id> ns_of_;  // per workload
    PostingIndex postings_;
    PostingIndex ns_postings_;
    // Scratch space, reused from call to call (one index serves one thread).
    mutable std::vector<Id> scratch_;
    mutable std::vector<Id> ns_scratch_;
    mutable std::vector<Id> namespaces_;
    mutable std::vector<char> in_set_;
};

// One end of a replayed connection: a workload (with its first pod IP, if known) or an address.
struct End {
    std::optional<Id> workload;
    std::optional<IpAddress> ip;
};

struct CompiledIpBlock {
    std::optional<Cidr> cidr;  // nothing when unparsable: matches nothing
    std::vector<Cidr> except;  // unparsable entries left out
};

// A rule's selector peers as a set of workloads: sorted ids, or a bitset when that is smaller.
class WorkloadSet {
public:
    WorkloadSet(std::vector<Id> ids, size_t universe) {
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        if (ids.size() * sizeof(Id) * 8 < universe) {
            ids_ = std::move(ids);
            return;
        }
        bits_.assign((universe + 63) / 64, 0);
        for (Id w : ids) {
            bits_[w / 64] |= uint64_t{1} << (w % 64);
        }
    }

    bool contains(Id w) const {
        if (!bits_.empty()) {
            return ((bits_[w / 64] >> (w % 64)) & 1u) != 0;
        }
        return std::binary_search(ids_.begin(), ids_.end(), w);
    }

private:
    std::vector<Id> ids_;
    std::vector<uint64_t> bits_;
};

struct CompiledRule {
    bool any_peer = false;  // no peers: every source or destination
    WorkloadSet workloads;  // matched by its selector peers
    std::vector<CompiledIpBlock> ip_blocks;
    const std::vector<PolicyPort>* ports = nullptr;
};

// The rules that apply to one workload in one direction.
struct DirectionRules {
    bool isolated = false;
    std::vector<Id> rules;  // into RuleStore

    bool operator==(const DirectionRules&) const = default;
};

// Compiled policies of one cluster, each compiled once however many sets use it.
class RuleStore {
public:
    RuleStore(const Cluster& cluster, bool ipblock_matches_pods)
        : index_(cluster), ipblock_matches_pods_(ipblock_matches_pods) {}

    struct Compiled {
        std::vector<Id> selected;  // workloads its podSelector matches in its namespace
        std::vector<Id> ingress;   // rule ids; empty when it does not affect that direction
        std::vector<Id> egress;
        bool ingress_isolates = false;
        bool egress_isolates = false;
    };

    const Compiled& compile(const NetworkPolicy* p) {
        auto [it, inserted] = compiled_.try_emplace(p);
        if (!inserted) {
            return it->second;
        }
        Compiled& c = it->second;
        const auto ns = index_.namespaceId(p->ns);
        if (!ns) {
            return c;  // no workload in its namespace: inert
        }
        index_.selectInNamespace(*ns, p->pod_selector, c.selected);
        if (c.selected.empty()) {
            return c;
        }
        c.ingress_isolates = p->affectsIngress();
        c.egress_isolates = p->affectsEgress();
        if (c.ingress_isolates) {
            c.ingress = addRules(*ns, p->ingress);
        }
        if (c.egress_isolates) {
            c.egress = addRules(*ns, p->egress);
        }
        return c;
    }

    size_t workloads() const { return index_.cluster().workloads.size(); }

    bool directionAllows(const DirectionRules& d,
                         const End& peer,
                         const End& dst,
                         Protocol protocol,
                         uint32_t port) const {
        if (!d.isolated) {
            return true;
        }
        for (Id r : d.rules) {
            const CompiledRule& rule = rules_[r];
            if (peerMatches(rule, peer) && portsMatch(*rule.ports, dst, protocol, port)) {
                return true;
            }
        }
        return false;
    }

private:
    std::vector<Id> addRules(Id policy_ns, const std::vector<PolicyRule>& rules) {
        std::vector<Id> ids;
        for (const PolicyRule& rule : rules) {
            std::vector<Id> workloads;
            std::vector<CompiledIpBlock> ip_blocks;
            for (const PolicyPeer& peer : rule.peers) {
                if (peer.ip_block) {
                    ip_blocks.push_back(compileIpBlock(*peer.ip_block));
                } else {
                    index_.selectPeer(peer, policy_ns, workloads);
                }
            }
            ids.push_back(static_cast<Id>(rules_.size()));
            rules_.push_back({rule.peers.empty(),
                              WorkloadSet(std::move(workloads), this->workloads()),
                              std::move(ip_blocks),
                              &rule.ports});
        }
        return ids;
    }

    static CompiledIpBlock compileIpBlock(const IpBlock& block) {
        CompiledIpBlock out;
        if (auto cidr = Cidr::parse(block.cidr)) {
            out.cidr = *cidr;
        }
        for (const std::string& e : block.except) {
            if (auto ex = Cidr::parse(e)) {
                out.except.push_back(*ex);
            }
        }
        return out;
    }

    bool peerMatches(const CompiledRule& rule, const End& peer) const {
        if (rule.any_peer) {
            return true;
        }
        if (peer.workload && rule.workloads.contains(*peer.workload)) {
            return true;
        }
        if (!peer.ip || (peer.workload && !ipblock_matches_pods_)) {
            return false;
        }
        return std::any_of(rule.ip_blocks.begin(), rule.ip_blocks.end(), [&](const auto& b) {
            return b.cidr && b.cidr->contains(*peer.ip) &&
                   std::none_of(b.except.begin(), b.except.end(), [&](const Cidr& ex) {
                       return ex.contains(*peer.ip);
                   });
        });
    }

    bool portsMatch(const std::vector<PolicyPort>& ports,
                    const End& dst,
                    Protocol protocol,
                    uint32_t port) const {
        if (ports.empty()) {
            return true;
        }
        for (const PolicyPort& e : ports) {
            if (e.protocol != protocol) {
                continue;
            }
            if (!e.port) {
                return true;
            }
            if (!e.port->isNamed()) {
                if (e.port->number <= port && port <= e.end_port.value_or(e.port->number)) {
                    return true;
                }
                continue;
            }
            if (!dst.workload) {
                continue;  // a named port never matches an external destination
            }
            const auto& container_ports = index_.cluster().workloads[*dst.workload].ports;
            const bool named = std::any_of(
                container_ports.begin(), container_ports.end(), [&](const ContainerPort& cp) {
                    return cp.name == e.port->name && cp.protocol == protocol && cp.port == port;
                });
            if (named) {
                return true;
            }
        }
        return false;
    }

    WorkloadIndex index_;
    bool ipblock_matches_pods_;
    std::vector<CompiledRule> rules_;
    std::unordered_map<const NetworkPolicy*, Compiled> compiled_;
};

// A policy set over a RuleStore: the rules that apply to each workload in each direction.
class CompiledPolicySet {
public:
    CompiledPolicySet(RuleStore& store, const std::vector<const NetworkPolicy*>& policies)
        : store_(store), ingress_(store.workloads()), egress_(store.workloads()) {
        for (const NetworkPolicy* p : policies) {
            const RuleStore::Compiled& c = store.compile(p);
            for (Id w : c.selected) {
                if (c.ingress_isolates) {
                    add(ingress_[w], c.ingress);
                }
                if (c.egress_isolates) {
                    add(egress_[w], c.egress);
                }
            }
        }
    }

    bool allowed(const End& src, const End& dst, Protocol protocol, uint32_t port) const {
        if (src.workload &&
            !store_.directionAllows(egress_[*src.workload], dst, dst, protocol, port)) {
            return false;
        }
        return !dst.workload ||
               store_.directionAllows(ingress_[*dst.workload], src, dst, protocol, port);
    }

    const DirectionRules& ingress(Id w) const { return ingress_[w]; }
    const DirectionRules& egress(Id w) const { return egress_[w]; }

private:
    static void add(DirectionRules& d, const std::vector<Id>& rules) {
        d.isolated = true;
        d.rules.insert(d.rules.end(), rules.begin(), rules.end());
    }

    const RuleStore& store_;
    std::vector<DirectionRules> ingress_;  // per workload
    std::vector<DirectionRules> egress_;
};

ReplayVerdict verdictFor(bool before, bool after) {
    if (before) {
        return after ? ReplayVerdict::kAllowedInBoth : ReplayVerdict::kNewlyBlocked;
    }
    return after ? ReplayVerdict::kNewlyAllowed : ReplayVerdict::kBlockedInBoth;
}

bool policySelects(const NetworkPolicy* p, const Workload& w) {
    return p != nullptr && p->ns == w.ns && p->pod_selector.matches(w.pod_labels);
}

}  // namespace

std::string_view policyStatusName(PolicyStatus status) {
    switch (status) {
        case PolicyStatus::kUnchanged:
            return "UNCHANGED";
        case PolicyStatus::kModified:
            return "MODIFIED";
        case PolicyStatus::kAdded:
            return "ADDED";
        case PolicyStatus::kDeleted:
            break;
    }
    return "DELETED";
}

std::string_view replayVerdictName(ReplayVerdict verdict) {
    switch (verdict) {
        case ReplayVerdict::kAllowedInBoth:
            return "allowed in both";
        case ReplayVerdict::kNewlyBlocked:
            return "newly blocked";
        case ReplayVerdict::kNewlyAllowed:
            return "newly allowed";
        case ReplayVerdict::kBlockedInBoth:
            return "blocked in both";
        case ReplayVerdict::kNotEvaluated:
            break;
    }
    return "not evaluated";
}

std::string_view compareVerdictName(CompareVerdict verdict) {
    switch (verdict) {
        case CompareVerdict::kSame:
            return "same";
        case CompareVerdict::kTighter:
            return "tighter";
        case CompareVerdict::kLooser:
            return "looser";
        case CompareVerdict::kDifferent:
            break;
    }
    return "different";
}

// ---------------------------------------------------------------------------------------------
// Plan

std::vector<const NetworkPolicy*> PolicyPlan::before() const {
    std::vector<const NetworkPolicy*> out;
    for (const auto& e : policies) {
        if (e.old_policy != nullptr) {
            out.push_back(e.old_policy);
        }
    }
    return out;
}

std::vector<const NetworkPolicy*> PolicyPlan::after() const {
    std::vector<const NetworkPolicy*> out;
    for (const auto& e : policies) {
        if (e.new_policy != nullptr) {
            out.push_back(e.new_policy);
        }
    }
    return out;
}

size_t PolicyPlan::count(PolicyStatus status) const {
    return static_cast<size_t>(std::count_if(
        policies.begin(), policies.end(), [&](const auto& e) { return e.status == status; }));
}

PolicyPlan planModification(const Cluster& cluster, const Modification& modification) {
    PolicyPlan plan;
    std::map<ObjectRef, size_t> by_ref;  // entry of each (namespace, name)
    std::vector<size_t> order(cluster.policies.size());
    for (size_t i = 0; i < order.size(); ++i) {
        order[i] = i;
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        const NetworkPolicy& pa = cluster.policies[a].policy;
        const NetworkPolicy& pb = cluster.policies[b].policy;
        return std::tie(pa.ns, pa.name) < std::tie(pb.ns, pb.name);
    });
    for (size_t i : order) {
        const NetworkPolicy& p = cluster.policies[i].policy;
        PolicyInSimulation e;
        e.ref = {p.ns, p.name};
        e.old_policy = &p;
        e.new_policy = &p;
        e.existing_index = i;
        by_ref.emplace(e.ref, plan.policies.size());
        plan.policies.push_back(std::move(e));
    }
    for (const ObjectRef& ref : modification.to_delete) {
        auto it = by_ref.find(ref);
        if (it == by_ref.end()) {
            plan.errors.push_back(refText(ref) + " marked for deletion does not exist");
            continue;
        }
        PolicyInSimulation& e = plan.policies[it->second];
        e.status = PolicyStatus::kDeleted;
        e.new_policy = nullptr;
    }
    for (size_t i = 0; i < modification.apply.size(); ++i) {
        const NetworkPolicy& p = modification.apply[i];
        const ObjectRef ref{p.ns, p.name};
        auto it = by_ref.find(ref);
        if (it != by_ref.end() && plan.policies[it->second].apply_index) {
            addError(plan.policies[it->second],
                     plan.errors,
                     refText(ref) + " appears more than once in the modification");
            continue;
        }
        if (it != by_ref.end()) {
            PolicyInSimulation& e = plan.policies[it->second];
            e.status = PolicyStatus::kModified;
            e.new_policy = &p;
            e.apply_index = i;
            continue;
        }
        PolicyInSimulation e;
        e.status = PolicyStatus::kAdded;
        e.ref = ref;
        e.new_policy = &p;
        e.apply_index = i;
        by_ref.emplace(ref, plan.policies.size());
        plan.policies.push_back(std::move(e));
    }
    for (PolicyInSimulation& e : plan.policies) {
        if (e.status == PolicyStatus::kUnchanged || !isForbiddenNamespace(e.ref.ns)) {
            continue;
        }
        if (e.status == PolicyStatus::kModified && *e.old_policy == *e.new_policy) {
            continue;  // re-applying the same object changes nothing
        }
        addError(e,
                 plan.errors,
                 "\"" + e.ref.name + "\" cannot be applied since network policy change in '\"" +
                     e.ref.ns + "\"' namespace is forbidden");
    }
    for (const NamespaceLabel& label : modification.namespace_labels) {
        if (cluster.findNamespace(label.ns) == nullptr) {
            plan.errors.push_back("namespace " + label.ns + " to label does not exist");
        }
    }
    return plan;
}

Cluster applyNamespaceLabels(const Cluster& cluster, const std::vector<NamespaceLabel>& labels) {
    Cluster out = cluster;
    for (const NamespaceLabel& label : labels) {
        auto it = std::lower_bound(
            out.namespaces.begin(),
            out.namespaces.end(),
            label.ns,
            [](const Namespace& ns, const std::string& name) { return ns.name < name; });
        if (it != out.namespaces.end() && it->name == label.ns) {
            it->labels[label.key] = label.value;
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Replay

ReplayResult replayFlows(const Cluster& before_cluster,
                         const std::vector<const NetworkPolicy*>& before,
                         const Cluster& after_cluster,
                         const std::vector<const NetworkPolicy*>& after,
                         const FlowGraph& graph,
                         const ReplayOptions& options) {
    // One store when both sets live on the same cluster: UNCHANGED policies compile once.
    RuleStore old_store(before_cluster, options.ipblock_matches_pods);
    std::optional<RuleStore> new_store;
    if (&after_cluster != &before_cluster) {
        new_store.emplace(after_cluster, options.ipblock_matches_pods);
    }
    const CompiledPolicySet old_set(old_store, before);
    const CompiledPolicySet new_set(new_store ? *new_store : old_store, after);
    // Workloads whose rules are the same in both sets (meaningful only with one store).
    std::vector<char> same_ingress(before_cluster.workloads.size(), 0);
    std::vector<char> same_egress(before_cluster.workloads.size(), 0);
    if (!new_store) {
        for (Id w = 0; w < same_ingress.size(); ++w) {
            same_ingress[w] = old_set.ingress(w) == new_set.ingress(w) ? 1 : 0;
            same_egress[w] = old_set.egress(w) == new_set.egress(w) ? 1 : 0;
        }
    }
    std::vector<End> ends(before_cluster.workloads.size());
    for (Id w = 0; w < ends.size(); ++w) {
        ends[w].workload = w;
        const auto& ips = before_cluster.workloads[w].pod_ips;
        if (!ips.empty()) {
            ends[w].ip = ips.front();
        }
    }
    const End internet{std::nullopt, *IpAddress::parse(kInternetReplayAddress)};

    ReplayResult result;
    for (const auto& [key, stats] : graph.edges()) {
        ReplayVerdict verdict = ReplayVerdict::kNotEvaluated;
        if (key.src != kInternalEntity) {
            const End& src = key.src == kInternetEntity ? internet : ends[workloadIndex(key.src)];
            const End& dst = ends[workloadIndex(key.dst)];
            const bool was = old_set.allowed(src, dst, key.protocol, key.port);
            const bool same = same_ingress[*dst.workload] != 0 &&
                              (!src.workload || same_egress[*src.workload] != 0);
            verdict =
                verdictFor(was, same ? was : new_set.allowed(src, dst, key.protocol, key.port));
        }
        ReplayTotals& totals = result.totals[static_cast<size_t>(verdict)];
        ++totals.edges;
        totals.flows += stats.count;
        if (verdict != ReplayVerdict::kAllowedInBoth) {
            result.edges.push_back({key, stats, verdict});
        }
    }
    std::sort(result.edges.begin(), result.edges.end(), [](const auto& a, const auto& b) {
        return std::tie(a.key.dst, a.key.src, a.key.protocol, a.key.port) <
               std::tie(b.key.dst, b.key.src, b.key.protocol, b.key.port);
    });
    return result;
}

// ---------------------------------------------------------------------------------------------
// Simulation

Simulation simulate(const Cluster& cluster,
                    const Modification& modification,
                    const FlowGraph* graph,
                    const SimulationOptions& options) {
    Simulation sim;
    sim.plan = planModification(cluster, modification);
    if (!sim.plan.errors.empty()) {
        return sim;
    }
    std::optional<Cluster> labelled;
    if (!modification.namespace_labels.empty()) {
        labelled = applyNamespaceLabels(cluster, modification.namespace_labels);
    }
    const Cluster& after_cluster = labelled ? *labelled : cluster;
    const auto before = sim.plan.before();
    const auto after = sim.plan.after();
    if (options.connectivity_diff) {
        ConnectivityOptions copts;
        copts.ipblock_matches_pods = options.ipblock_matches_pods;
        const ConnectivityMap map_before(cluster, before, copts);
        const ConnectivityMap map_after(after_cluster, after, copts);
        sim.connectivity =
            diffConnectivityMaps(cluster, map_before, after_cluster, map_after, options.diff_limit);
    }
    if (graph != nullptr) {
        ReplayOptions ropts;
        ropts.ipblock_matches_pods = options.ipblock_matches_pods;
        sim.replay = replayFlows(cluster, before, after_cluster, after, *graph, ropts);
    }
    return sim;
}

// ---------------------------------------------------------------------------------------------
// Compare

bool WorkloadComparison::policiesChanged(const PolicyPlan& plan) const {
    auto changed = [&](size_t e) { return plan.policies[e].status != PolicyStatus::kUnchanged; };
    return std::any_of(existing.begin(), existing.end(), changed) ||
           std::any_of(proposed.begin(), proposed.end(), changed);
}

std::vector<WorkloadComparison> compareWorkloads(const Cluster& cluster,
                                                 const PolicyPlan& plan,
                                                 const BoundedConnectivityDiff& diff) {
    std::map<std::string, std::vector<size_t>, std::less<>> entries_by_ns;
    for (size_t e = 0; e < plan.policies.size(); ++e) {
        entries_by_ns[plan.policies[e].ref.ns].push_back(e);
    }
    std::unordered_map<std::string, size_t> by_name;
    std::vector<WorkloadComparison> out(cluster.workloads.size());
    for (size_t w = 0; w < cluster.workloads.size(); ++w) {
        const Workload& workload = cluster.workloads[w];
        WorkloadComparison& c = out[w];
        c.workload = w;
        ConnectivityPeer peer;
        peer.workload = w;
        by_name.emplace(peerName(cluster, peer), w);
        auto ns = entries_by_ns.find(workload.ns);
        if (ns == entries_by_ns.end()) {
            continue;
        }
        for (size_t e : ns->second) {
            if (policySelects(plan.policies[e].old_policy, workload)) {
                c.existing.push_back(e);
            }
            if (policySelects(plan.policies[e].new_policy, workload)) {
                c.proposed.push_back(e);
            }
        }
        auto by_policy_name = [&](size_t a, size_t b) {
            return plan.policies[a].ref.name < plan.policies[b].ref.name;
        };
        std::stable_sort(c.existing.begin(), c.existing.end(), by_policy_name);
        std::stable_sort(c.proposed.begin(), c.proposed.end(), by_policy_name);
    }
    for (const ConnectivityDiffEntry& entry : diff.entries) {
        if (entry.type == DiffType::kUnchanged) {
            continue;
        }
        std::optional<size_t> src;
        for (const DiffPeer* p : {&entry.src, &entry.dst}) {
            if (p->kind != ConnectivityPeer::Kind::kWorkload) {
                continue;
            }
            auto it = by_name.find(p->name);
            if (it == by_name.end() || it->second == src) {
                continue;
            }
            src = it->second;
            out[it->second].changes.push_back(entry);
        }
    }
    for (WorkloadComparison& c : out) {
        const bool gained = diff.gained[c.workload];
        const bool lost = diff.lost[c.workload];
        if (gained && lost) {
            c.verdict = CompareVerdict::kDifferent;
        } else if (gained) {
            c.verdict = CompareVerdict::kLooser;
        } else if (lost) {
            c.verdict = CompareVerdict::kTighter;
        }
    }
    return out;
}

}  // namespace netpolgen::core
