#include "core/connectivity.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "core/connection_table.h"
#include "core/ipv4_atoms.h"
#include "core/rule_ports.h"

namespace netpolgen::core {
namespace {

// How the engine works (docs/networkpolicy-semantics.md §8, evaluated per class):
//  1. Workloads with the same (namespace, pod labels, container ports, matched ipBlocks) form a
//     class; everything below is computed per class, never per workload pair.
//  2. A label index (key=value → classes) turns every selector into a bitset of classes.
//  3. Every rule is compiled once: the classes and External atoms its peers match, and its
//     ports as an interned connection-set id (named ports resolved per port profile, memoised).
//  4. A class's "profile" per direction is the list of rules of the policies selecting it. For
//     every distinct profile one row is computed: the union of its rules per peer class/atom.
//  5. allowed(a → b) = egressRow[profile(a)][b] ∩ ingressRow[profile(b)][a], stored as an id
//     per class pair; enumerating workload pairs only reads those ids.

using detail::affects;
using detail::atomRanges;
using detail::ClassBits;
using detail::ConnTable;
using detail::externalName;
using detail::Ipv4Range;
using detail::kAll;
using detail::kEgress;
using detail::kIngress;
using detail::kNone;
using detail::makeAtoms;
using detail::NamedPorts;
using detail::parseBlock;
using detail::ParsedBlock;
using detail::resolveNamed;
using detail::rulesOf;
using detail::staticPorts;

constexpr uint32_t kNotIsolated = std::numeric_limits<uint32_t>::max();

std::string workloadName(const Workload& w) {
    std::string out = w.ns;
    out += '/';
    out += w.name;
    out += '[';
    out += workloadKindName(w.kind);
    out += ']';
    return out;
}

struct NamespaceInfo {
    std::string name;
    Labels labels;
    uint32_t first_class = 0;  // classes of a namespace are contiguous
    uint32_t end_class = 0;
};

struct ClassInfo {
    uint32_t ns = 0;
    const Labels* labels = nullptr;
    uint32_t ports = 0;            // port profile id
    std::vector<uint32_t> blocks;  // ipBlocks every pod IP lies in (ipblock_matches_pods)
    bool host_network = false;     // pods in the node's network: no selector picks them
    uint32_t profile[2] = {kNotIsolated, kNotIsolated};  // [ingress, egress]
};

struct CompiledRule {
    bool all_peers = false;
    ClassBits classes;
    std::vector<std::pair<uint32_t, uint32_t>> atoms;  // index ranges into the direction's atoms
    uint32_t static_conn = kNone;
    NamedPorts named;
};

}  // namespace

struct ConnectivityMap::Impl {
    ConnTable table;
    std::vector<NamespaceInfo> namespaces;
    std::unordered_map<std::string, uint32_t> ns_index;
    std::vector<ClassInfo> classes;
    std::vector<uint32_t> class_of;  // per workload
    std::vector<std::vector<ContainerPort>> port_profiles;
    std::map<Labels, uint32_t> label_ids;  // owns the labels ClassInfo points to

    // Label index over classes.
    struct KeyPostings {
        std::vector<uint32_t> any;
        std::unordered_map<std::string, std::vector<uint32_t>> by_value;
    };
    std::unordered_map<std::string, KeyPostings> label_index;
    std::map<LabelSelector, ClassBits> ns_selector_memo;

    std::vector<ParsedBlock> blocks;
    std::map<IpBlock, uint32_t> block_ids;
    std::vector<ClassBits> block_classes;  // per block: classes matching it through pod IPs
    ClassBits host_network_classes;        // classes of hostNetwork pods (ClassInfo::host_network)

    std::vector<Ipv4Range> atoms[2];  // [ingress (sources), egress (destinations)]
    std::vector<CompiledRule> rules[2];
    std::map<std::pair<uint32_t, uint32_t>, uint32_t> named_memo[2];  // (rule, ports) → conn

    std::vector<std::vector<uint32_t>> rows[2];  // per profile: C class entries, then atoms
    std::vector<uint32_t> pair_conn;             // C × C: allowed(class a → class b)

    std::vector<std::string> workload_names;
    std::vector<ConnectivityPeer> sources;
    std::vector<ConnectivityPeer> destinations;
    std::vector<std::string> atom_names[2];

    size_t classCount() const { return classes.size(); }

    uint32_t namespaceOf(const std::string& name) {
        auto it = ns_index.find(name);
        if (it != ns_index.end()) {
            return it->second;
        }
        const auto id = static_cast<uint32_t>(namespaces.size());
        NamespaceInfo ns;
        ns.name = name;
        ns.labels.emplace(std::string(kNamespaceNameLabel), name);
        namespaces.push_back(std::move(ns));
        ns_index.emplace(name, id);
        return id;
    }

    ClassBits postings(const std::string& key, const std::string* value) const {
        ClassBits out(classCount());
        auto it = label_index.find(key);
        if (it == label_index.end()) {
            return out;
        }
        const std::vector<uint32_t>* list = &it->second.any;
        if (value != nullptr) {
            auto v = it->second.by_value.find(*value);
            if (v == it->second.by_value.end()) {
                return out;
            }
            list = &v->second;
        }
        for (uint32_t c : *list) {
            out.set(c);
        }
        return out;
    }

    // Classes within `within` whose pod labels the selector matches.
    ClassBits selectClasses(const LabelSelector& s, const ClassBits& within) const {
        ClassBits out = within;
        for (const auto& [key, value] : s.match_labels) {
            out.andWith(postings(key, &value));
        }
        for (const auto& r : s.match_expressions) {
            ClassBits values(classCount());
            if (r.op == SelectorOperator::kIn || r.op == SelectorOperator::kNotIn) {
                for (const auto& v : r.values) {
                    values.orWith(postings(r.key, &v));
                }
            } else {
                values = postings(r.key, nullptr);
            }
            if (r.op == SelectorOperator::kIn || r.op == SelectorOperator::kExists) {
                out.andWith(values);
            } else {
                out.andNot(values);
            }
        }
        return out;
    }

    // The classes of a namespace that selectors can pick: not those of hostNetwork pods, which
    // common implementations neither isolate nor match as peers (their traffic is the node's;
    // docs/egress-and-flavours.md §1.8).
    ClassBits namespaceClasses(uint32_t ns) const {
        ClassBits out(classCount());
        out.setRange(namespaces[ns].first_class, namespaces[ns].end_class);
        out.andNot(host_network_classes);
        return out;
    }

    const ClassBits& selectNamespaces(const LabelSelector& s) {
        auto it = ns_selector_memo.find(s);
        if (it != ns_selector_memo.end()) {
            return it->second;
        }
        ClassBits out(classCount());
        for (const auto& ns : namespaces) {
            if (s.matches(ns.labels)) {
                out.setRange(ns.first_class, ns.end_class);
            }
        }
        out.andNot(host_network_classes);
        return ns_selector_memo.emplace(s, std::move(out)).first->second;
    }

    uint32_t blockId(const IpBlock& b) {
        auto it = block_ids.find(b);
        if (it != block_ids.end()) {
            return it->second;
        }
        const auto id = static_cast<uint32_t>(blocks.size());
        blocks.push_back(parseBlock(b));
        block_ids.emplace(b, id);
        return id;
    }

    uint32_t portsFor(size_t dir, uint32_t rule_id, uint32_t ports) {
        const CompiledRule& r = rules[dir][rule_id];
        if (r.named.empty()) {
            return r.static_conn;
        }
        const auto key = std::make_pair(rule_id, ports);
        auto it = named_memo[dir].find(key);
        if (it != named_memo[dir].end()) {
            return it->second;
        }
        const uint32_t id =
            table.unite(r.static_conn, table.intern(resolveNamed(r.named, port_profiles[ports])));
        named_memo[dir].emplace(key, id);
        return id;
    }

    void build(const Cluster& cluster,
               const std::vector<const NetworkPolicy*>& policies,
               const ConnectivityOptions& options);
    void buildClasses(const Cluster& cluster,
                      const std::vector<const NetworkPolicy*>& policies,
                      const ConnectivityOptions& options);
    void compileRules(const std::vector<const NetworkPolicy*>& policies,
                      const ConnectivityOptions& options);
    void buildProfiles(const std::vector<const NetworkPolicy*>& policies);
    void buildRow(size_t dir,
                  const std::vector<uint32_t>& rule_ids,
                  uint32_t subject_ports,
                  std::vector<uint32_t>& row);
    void buildPairs();
    void buildOrder(const Cluster& cluster);

    uint32_t connId(const ConnectivityPeer& src, const ConnectivityPeer& dst) const;
    std::optional<uint32_t> atomIndex(size_t dir, const ConnectivityPeer& p) const;
    // Walks every (source, destination) pair in output order and calls emit(src, dst index, id)
    // for the non-empty ones.
    template <typename Emit>
    void walk(Emit&& emit) const;

    // The id for workload class → atom x (egress), resp. atom x → workload class (ingress).
    uint32_t externalConn(size_t dir, uint32_t cls, uint32_t atom) const {
        const uint32_t profile = classes[cls].profile[dir];
        if (profile == kNotIsolated) {
            return kAll;
        }
        return rows[dir][profile][classCount() + atom];
    }
};

void ConnectivityMap::Impl::build(const Cluster& cluster,
                                  const std::vector<const NetworkPolicy*>& policies,
                                  const ConnectivityOptions& options) {
    buildClasses(cluster, policies, options);
    compileRules(policies, options);
    buildProfiles(policies);
    buildPairs();
    buildOrder(cluster);
}

void ConnectivityMap::Impl::buildClasses(const Cluster& cluster,
                                         const std::vector<const NetworkPolicy*>& policies,
                                         const ConnectivityOptions& options) {
    for (const auto& ns : cluster.namespaces) {
        const auto id = static_cast<uint32_t>(namespaces.size());
        NamespaceInfo info;
        info.name = ns.name;
        info.labels = ns.labels;
        namespaces.push_back(std::move(info));
        ns_index.emplace(ns.name, id);
    }
    // Blocks a pod IP can match, when ipBlocks match pods.
    std::vector<uint32_t> all_blocks;
    if (options.ipblock_matches_pods) {
        for (const NetworkPolicy* p : policies) {
            for (size_t dir : {kIngress, kEgress}) {
                for (const PolicyRule& r : rulesOf(*p, dir)) {
                    for (const PolicyPeer& peer : r.peers) {
                        if (peer.ip_block) {
                            all_blocks.push_back(blockId(*peer.ip_block));
                        }
                    }
                }
            }
        }
        std::sort(all_blocks.begin(), all_blocks.end());
        all_blocks.erase(std::unique(all_blocks.begin(), all_blocks.end()), all_blocks.end());
    }
    // For IPv4 pod IPs: the blocks covering each elementary range of all the blocks' intervals,
    // so a pod IP finds its blocks by one binary search.
    std::vector<Ipv4Range> cover_atoms;
    std::vector<std::vector<uint32_t>> cover;
    if (!all_blocks.empty()) {
        std::vector<const ParsedBlock*> used;
        for (uint32_t b : all_blocks) {
            used.push_back(&blocks[b]);
        }
        cover_atoms = makeAtoms(used);
        cover.resize(cover_atoms.size());
        for (uint32_t b : all_blocks) {
            for (const auto& [begin, end] : atomRanges(cover_atoms, blocks[b])) {
                for (uint32_t x = begin; x < end; ++x) {
                    cover[x].push_back(b);
                }
            }
        }
    }
    auto blocksOf = [&](const Workload& w) {
        std::vector<uint32_t> out;
        if (all_blocks.empty() || w.pod_ips.empty()) {
            return out;
        }
        const bool v4 = std::all_of(
            w.pod_ips.begin(), w.pod_ips.end(), [](const IpAddress& ip) { return ip.isV4(); });
        if (!v4) {
            for (uint32_t b : all_blocks) {
                if (std::all_of(w.pod_ips.begin(), w.pod_ips.end(), [&](const IpAddress& ip) {
                        return blocks[b].matches(ip);
                    })) {
                    out.push_back(b);
                }
            }
            return out;
        }
        for (size_t i = 0; i < w.pod_ips.size(); ++i) {
            const uint32_t ip = w.pod_ips[i].v4();
            auto it = std::upper_bound(
                cover_atoms.begin(), cover_atoms.end(), ip, [](uint32_t v, const Ipv4Range& a) {
                    return v < a.first;
                });
            const std::vector<uint32_t>& here =
                cover[static_cast<size_t>(it - cover_atoms.begin()) - 1];
            if (i == 0) {
                out = here;
            } else {
                std::vector<uint32_t> both;
                std::set_intersection(
                    out.begin(), out.end(), here.begin(), here.end(), std::back_inserter(both));
                out = std::move(both);
            }
            if (out.empty()) {
                break;
            }
        }
        return out;
    };
    std::map<std::vector<ContainerPort>, uint32_t> port_ids;
    std::map<std::vector<uint32_t>, uint32_t> block_sets{{{}, 0}};
    // ns, labels, ports, blocks, hostNetwork
    using Key = std::tuple<uint32_t, uint32_t, uint32_t, uint32_t, bool>;
    std::vector<Key> keys;
    keys.reserve(cluster.workloads.size());
    std::vector<const Labels*> label_ptr;
    for (const Workload& w : cluster.workloads) {
        const uint32_t ns = namespaceOf(w.ns);
        auto lit = label_ids.find(w.pod_labels);
        if (lit == label_ids.end()) {
            lit = label_ids.emplace(w.pod_labels, static_cast<uint32_t>(label_ids.size())).first;
            label_ptr.push_back(&lit->first);
        }
        std::vector<ContainerPort> ports = w.ports;
        std::sort(ports.begin(), ports.end());
        ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
        auto [pit, pnew] = port_ids.emplace(ports, static_cast<uint32_t>(port_ids.size()));
        if (pnew) {
            port_profiles.push_back(ports);
        }
        std::vector<uint32_t> matched = blocksOf(w);
        auto bit = block_sets.emplace(std::move(matched), static_cast<uint32_t>(block_sets.size()));
        keys.emplace_back(ns,
                          lit->second,
                          pit->second,
                          bit.first->second,
                          w.host_network && options.host_network_exempt);
    }
    std::vector<const std::vector<uint32_t>*> block_set_of(block_sets.size());
    for (const auto& [set, id] : block_sets) {
        block_set_of[id] = &set;
    }
    // Classes sorted by namespace first, so each namespace's classes are one index range.
    std::map<Key, uint32_t> class_ids;
    for (const Key& k : keys) {
        class_ids.emplace(k, 0);
    }
    uint32_t next = 0;
    for (auto& [key, id] : class_ids) {
        id = next++;
        ClassInfo info;
        info.ns = std::get<0>(key);
        info.labels = label_ptr[std::get<1>(key)];
        info.ports = std::get<2>(key);
        info.blocks = *block_set_of[std::get<3>(key)];
        info.host_network = std::get<4>(key);
        classes.push_back(std::move(info));
    }
    host_network_classes = ClassBits(classCount());
    for (uint32_t c = 0; c < classes.size(); ++c) {
        if (classes[c].host_network) {
            host_network_classes.set(c);
        }
    }
    class_of.reserve(keys.size());
    for (const Key& k : keys) {
        class_of.push_back(class_ids.at(k));
    }
    for (const NetworkPolicy* p : policies) {
        namespaceOf(p->ns);
    }
    for (auto& ns : namespaces) {
        ns.first_class = ns.end_class = 0;
    }
    for (uint32_t c = 0; c < classes.size(); ++c) {
        NamespaceInfo& ns = namespaces[classes[c].ns];
        if (ns.end_class == 0) {
            ns.first_class = c;
        }
        ns.end_class = c + 1;
    }
    for (uint32_t c = 0; c < classes.size(); ++c) {
        for (const auto& [key, value] : *classes[c].labels) {
            KeyPostings& k = label_index[key];
            k.any.push_back(c);
            k.by_value[value].push_back(c);
        }
    }
    block_classes.assign(blocks.size(), ClassBits(classCount()));
    for (uint32_t c = 0; c < classes.size(); ++c) {
        for (uint32_t b : classes[c].blocks) {
            block_classes[b].set(c);
        }
    }
}

void ConnectivityMap::Impl::compileRules(const std::vector<const NetworkPolicy*>& policies,
                                         const ConnectivityOptions& options) {
    // Atoms first: every ipBlock of every policy, per side (whatever the policyTypes).
    for (size_t dir : {kIngress, kEgress}) {
        std::vector<uint32_t> ids;
        for (const NetworkPolicy* p : policies) {
            for (const PolicyRule& r : rulesOf(*p, dir)) {
                for (const PolicyPeer& peer : r.peers) {
                    if (peer.ip_block) {
                        ids.push_back(blockId(*peer.ip_block));
                    }
                }
            }
        }
        std::vector<const ParsedBlock*> used;
        for (uint32_t id : ids) {
            used.push_back(&blocks[id]);
        }
        atoms[dir] = makeAtoms(used);
    }
    for (size_t dir : {kIngress, kEgress}) {
        for (const NetworkPolicy* p : policies) {
            if (!affects(*p, dir)) {
                continue;
            }
            const uint32_t policy_ns = namespaceOf(p->ns);
            for (const PolicyRule& r : rulesOf(*p, dir)) {
                CompiledRule c;
                c.classes = ClassBits(classCount());
                c.all_peers = r.peers.empty();
                for (const PolicyPeer& peer : r.peers) {
                    if (peer.ip_block) {
                        const uint32_t b = blockId(*peer.ip_block);
                        for (const auto& range : atomRanges(atoms[dir], blocks[b])) {
                            c.atoms.push_back(range);
                        }
                        if (options.ipblock_matches_pods && b < block_classes.size()) {
                            c.classes.orWith(block_classes[b]);
                        }
                        continue;
                    }
                    ClassBits in_ns = peer.namespace_selector
                                          ? selectNamespaces(*peer.namespace_selector)
                                          : namespaceClasses(policy_ns);
                    if (peer.pod_selector) {
                        c.classes.orWith(selectClasses(*peer.pod_selector, in_ns));
                    } else {
                        c.classes.orWith(in_ns);
                    }
                }
                c.static_conn = table.intern(staticPorts(r.ports, c.named));
                rules[dir].push_back(std::move(c));
            }
        }
    }
}

void ConnectivityMap::Impl::buildProfiles(const std::vector<const NetworkPolicy*>& policies) {
    for (size_t dir : {kIngress, kEgress}) {
        // Rules per class, in policy order; `isolated` even when the policies have no rules.
        std::vector<std::vector<uint32_t>> class_rules(classCount());
        std::vector<bool> isolated(classCount(), false);
        uint32_t next_rule = 0;
        for (const NetworkPolicy* p : policies) {
            if (!affects(*p, dir)) {
                continue;
            }
            const uint32_t first_rule = next_rule;
            next_rule += static_cast<uint32_t>(rulesOf(*p, dir).size());
            const ClassBits selected =
                selectClasses(p->pod_selector, namespaceClasses(namespaceOf(p->ns)));
            selected.forEach([&](size_t c) {
                isolated[c] = true;
                for (uint32_t r = first_rule; r < next_rule; ++r) {
                    class_rules[c].push_back(r);
                }
            });
        }
        std::map<std::pair<std::vector<uint32_t>, uint32_t>, uint32_t> profile_ids;
        for (uint32_t c = 0; c < classes.size(); ++c) {
            if (!isolated[c]) {
                continue;
            }
            // Ingress rows resolve named ports on the subject itself: its ports are part of the
            // profile when a rule names a port.
            uint32_t ports = kNotIsolated;
            if (dir == kIngress) {
                const bool named =
                    std::any_of(class_rules[c].begin(), class_rules[c].end(), [&](uint32_t r) {
                        return !rules[dir][r].named.empty();
                    });
                if (named) {
                    ports = classes[c].ports;
                }
            }
            auto key = std::make_pair(std::move(class_rules[c]), ports);
            auto it = profile_ids.find(key);
            if (it == profile_ids.end()) {
                const auto id = static_cast<uint32_t>(rows[dir].size());
                rows[dir].emplace_back();
                buildRow(dir, key.first, ports, rows[dir].back());
                it = profile_ids.emplace(std::move(key), id).first;
            }
            classes[c].profile[dir] = it->second;
        }
    }
}

void ConnectivityMap::Impl::buildRow(size_t dir,
                                     const std::vector<uint32_t>& rule_ids,
                                     uint32_t subject_ports,
                                     std::vector<uint32_t>& row) {
    const size_t n = classCount();
    row.assign(n + atoms[dir].size(), kNone);
    for (uint32_t rule_id : rule_ids) {
        const CompiledRule& r = rules[dir][rule_id];
        // Ingress: ports resolve on the subject (the destination), the same for every peer.
        // Egress: on each destination class; never on an External destination.
        const bool per_peer = dir == kEgress && !r.named.empty();
        const uint32_t fixed =
            dir == kIngress ? portsFor(dir, rule_id, subject_ports) : r.static_conn;
        auto addClass = [&](size_t b) {
            const uint32_t conn = per_peer ? portsFor(dir, rule_id, classes[b].ports) : fixed;
            row[b] = table.unite(row[b], conn);
        };
        if (r.all_peers) {
            for (size_t b = 0; b < n; ++b) {
                addClass(b);
            }
            for (size_t x = 0; x < atoms[dir].size(); ++x) {
                row[n + x] = table.unite(row[n + x], fixed);
            }
            continue;
        }
        r.classes.forEach(addClass);
        for (const auto& [begin, end] : r.atoms) {
            for (uint32_t x = begin; x < end; ++x) {
                row[n + x] = table.unite(row[n + x], fixed);
            }
        }
    }
}

void ConnectivityMap::Impl::buildPairs() {
    const size_t n = classCount();
    pair_conn.assign(n * n, kNone);
    for (size_t a = 0; a < n; ++a) {
        const uint32_t eprofile = classes[a].profile[kEgress];
        const uint32_t* egress =
            eprofile == kNotIsolated ? nullptr : rows[kEgress][eprofile].data();
        uint32_t* out = pair_conn.data() + a * n;
        for (size_t b = 0; b < n; ++b) {
            const uint32_t e = egress == nullptr ? kAll : egress[b];
            if (e == kNone) {
                continue;
            }
            const uint32_t iprofile = classes[b].profile[kIngress];
            const uint32_t i = iprofile == kNotIsolated ? kAll : rows[kIngress][iprofile][a];
            out[b] = table.intersect(e, i);
        }
    }
}

void ConnectivityMap::Impl::buildOrder(const Cluster& cluster) {
    workload_names.reserve(cluster.workloads.size());
    for (const Workload& w : cluster.workloads) {
        workload_names.push_back(workloadName(w));
    }
    for (size_t dir : {kIngress, kEgress}) {
        for (const Ipv4Range& a : atoms[dir]) {
            atom_names[dir].push_back(externalName(a.first, a.last));
        }
        std::vector<std::pair<const std::string*, ConnectivityPeer>> order;
        for (size_t w = 0; w < cluster.workloads.size(); ++w) {
            order.emplace_back(&workload_names[w], ConnectivityPeer{});
            order.back().second.workload = w;
        }
        for (size_t x = 0; x < atoms[dir].size(); ++x) {
            ConnectivityPeer p;
            p.kind = ConnectivityPeer::Kind::kExternal;
            p.first_ip = atoms[dir][x].first;
            p.last_ip = atoms[dir][x].last;
            order.emplace_back(&atom_names[dir][x], p);
        }
        std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
            return *a.first < *b.first;
        });
        auto& out = dir == kIngress ? sources : destinations;
        out.reserve(order.size());
        for (const auto& [name, peer] : order) {
            out.push_back(peer);
        }
    }
}

std::optional<uint32_t> ConnectivityMap::Impl::atomIndex(size_t dir,
                                                         const ConnectivityPeer& p) const {
    const auto& list = atoms[dir];
    auto it =
        std::lower_bound(list.begin(), list.end(), p.first_ip, [](const Ipv4Range& a, uint32_t v) {
            return a.first < v;
        });
    if (it == list.end() || it->first != p.first_ip || it->last != p.last_ip) {
        return std::nullopt;
    }
    return static_cast<uint32_t>(it - list.begin());
}

uint32_t ConnectivityMap::Impl::connId(const ConnectivityPeer& src,
                                       const ConnectivityPeer& dst) const {
    const bool src_w = src.kind == ConnectivityPeer::Kind::kWorkload;
    const bool dst_w = dst.kind == ConnectivityPeer::Kind::kWorkload;
    if (src_w && dst_w) {
        if (src.workload == dst.workload || src.workload >= class_of.size() ||
            dst.workload >= class_of.size()) {
            return kNone;
        }
        return pair_conn[size_t{class_of[src.workload]} * classCount() + class_of[dst.workload]];
    }
    if (src_w && src.workload < class_of.size()) {
        const auto x = atomIndex(kEgress, dst);
        return x ? externalConn(kEgress, class_of[src.workload], *x) : kNone;
    }
    if (dst_w && dst.workload < class_of.size()) {
        const auto x = atomIndex(kIngress, src);
        return x ? externalConn(kIngress, class_of[dst.workload], *x) : kNone;
    }
    return kNone;
}

ConnectivityMap::ConnectivityMap(const Cluster& cluster,
                                 const std::vector<const NetworkPolicy*>& policies,
                                 const ConnectivityOptions& options)
    : impl_(std::make_unique<Impl>()) {
    impl_->build(cluster, policies, options);
}

ConnectivityMap::~ConnectivityMap() = default;
ConnectivityMap::ConnectivityMap(ConnectivityMap&&) noexcept = default;
ConnectivityMap& ConnectivityMap::operator=(ConnectivityMap&&) noexcept = default;

const std::vector<ConnectivityPeer>& ConnectivityMap::sources() const {
    return impl_->sources;
}

const std::vector<ConnectivityPeer>& ConnectivityMap::destinations() const {
    return impl_->destinations;
}

const std::string& ConnectivityMap::name(const ConnectivityPeer& peer) const {
    static const std::string kUnknown = "?";
    if (peer.kind == ConnectivityPeer::Kind::kWorkload) {
        return peer.workload < impl_->workload_names.size() ? impl_->workload_names[peer.workload]
                                                            : kUnknown;
    }
    for (size_t dir : {kIngress, kEgress}) {
        if (auto x = impl_->atomIndex(dir, peer)) {
            return impl_->atom_names[dir][*x];
        }
    }
    return kUnknown;
}

const ConnectionSet& ConnectivityMap::allowed(const ConnectivityPeer& src,
                                              const ConnectivityPeer& dst) const {
    return impl_->table.get(impl_->connId(src, dst));
}

template <typename Emit>
void ConnectivityMap::Impl::walk(Emit&& emit) const {
    const Impl& m = *this;
    const size_t n = m.classCount();
    // Destinations flattened to their class id (kNotIsolated marks an External atom, whose index
    // is in dst_atom), and where each workload sits among them (to skip self pairs).
    std::vector<uint32_t> dst_class(m.destinations.size());
    std::vector<uint32_t> dst_atom(m.destinations.size(), 0);
    std::vector<size_t> position(m.class_of.size(), 0);
    for (size_t j = 0; j < m.destinations.size(); ++j) {
        const ConnectivityPeer& d = m.destinations[j];
        if (d.kind == ConnectivityPeer::Kind::kWorkload) {
            dst_class[j] = m.class_of[d.workload];
            position[d.workload] = j;
        } else {
            dst_class[j] = kNotIsolated;
            dst_atom[j] = *m.atomIndex(kEgress, d);
        }
    }
    const size_t count = dst_class.size();
    auto idAt = [&](uint32_t cls, const uint32_t* row, size_t j) {
        const uint32_t c = dst_class[j];
        return c != kNotIsolated ? row[c] : m.externalConn(kEgress, cls, dst_atom[j]);
    };
    // Per source class, a bitmap over destination positions of the non-empty ids, built on first
    // use: enumerating a source then costs (destinations / 64) words plus its allowed pairs, so
    // the walk grows with classes × destinations, not with workload pairs. Skipped (direct scan)
    // when the bitmaps would be too big, i.e. when almost every workload is a class of its own.
    constexpr size_t kMaxBitmapBytes = size_t{256} << 20;
    const size_t words = (count + 63) / 64;
    const bool use_bits = n * words * sizeof(uint64_t) <= kMaxBitmapBytes;
    std::vector<uint64_t> bits(use_bits ? n * words : 0, 0);
    std::vector<bool> built(use_bits ? n : 0, false);
    for (const auto& s : m.sources) {
        if (s.kind == ConnectivityPeer::Kind::kWorkload) {
            const uint32_t cls = m.class_of[s.workload];
            const uint32_t* row = m.pair_conn.data() + size_t{cls} * n;
            const size_t self = position[s.workload];
            if (!use_bits) {
                for (size_t j = 0; j < count; ++j) {
                    const uint32_t id = idAt(cls, row, j);
                    if (id != kNone && j != self) {
                        emit(s, j, id);
                    }
                }
                continue;
            }
            uint64_t* mine = bits.data() + size_t{cls} * words;
            if (!built[cls]) {
                for (size_t j = 0; j < count; ++j) {
                    if (idAt(cls, row, j) != kNone) {
                        mine[j / 64] |= uint64_t{1} << (j % 64);
                    }
                }
                built[cls] = true;
            }
            for (size_t w = 0; w < words; ++w) {
                uint64_t word = mine[w];
                while (word != 0) {
                    const size_t j = w * 64 + static_cast<size_t>(__builtin_ctzll(word));
                    word &= word - 1;
                    if (j != self) {
                        emit(s, j, idAt(cls, row, j));
                    }
                }
            }
            continue;
        }
        const uint32_t atom = *m.atomIndex(kIngress, s);
        for (size_t j = 0; j < count; ++j) {
            if (dst_class[j] == kNotIsolated) {
                continue;
            }
            const uint32_t id = m.externalConn(kIngress, dst_class[j], atom);
            if (id != kNone) {
                emit(s, j, id);
            }
        }
    }
}

void ConnectivityMap::forEachAllowed(const Visitor& visit) const {
    const Impl& m = *impl_;
    m.walk([&](const ConnectivityPeer& src, size_t j, uint32_t id) {
        visit(src, m.destinations[j], m.table.get(id));
    });
}

size_t ConnectivityMap::countAllowed() const {
    // Per class pair, not per workload pair: |a|·|b| pairs share one id.
    const Impl& m = *impl_;
    const size_t n = m.classCount();
    std::vector<size_t> size(n, 0);
    for (uint32_t c : m.class_of) {
        ++size[c];
    }
    size_t count = 0;
    for (size_t a = 0; a < n; ++a) {
        const uint32_t* row = m.pair_conn.data() + a * n;
        for (size_t b = 0; b < n; ++b) {
            if (row[b] != kNone) {
                count += size[a] * size[b] - (a == b ? size[a] : 0);  // never with itself
            }
        }
        for (uint32_t x = 0; x < m.atoms[kEgress].size(); ++x) {
            count += m.externalConn(kEgress, static_cast<uint32_t>(a), x) != kNone ? size[a] : 0;
        }
        for (uint32_t x = 0; x < m.atoms[kIngress].size(); ++x) {
            count += m.externalConn(kIngress, static_cast<uint32_t>(a), x) != kNone ? size[a] : 0;
        }
    }
    return count;
}

bool ConnectivityMap::isolated(size_t workload, PolicyType direction) const {
    if (workload >= impl_->class_of.size()) {
        return false;
    }
    const size_t dir = direction == PolicyType::kIngress ? kIngress : kEgress;
    return impl_->classes[impl_->class_of[workload]].profile[dir] != kNotIsolated;
}

size_t ConnectivityMap::classCount() const {
    return impl_->classCount();
}

size_t ConnectivityMap::workloadClass(size_t workload) const {
    return impl_->class_of.at(workload);
}

size_t ConnectivityMap::ingressAtomCount() const {
    return impl_->atoms[kIngress].size();
}

size_t ConnectivityMap::egressAtomCount() const {
    return impl_->atoms[kEgress].size();
}

uint32_t ConnectivityMap::classPairId(size_t src_class, size_t dst_class) const {
    return impl_->pair_conn[src_class * impl_->classCount() + dst_class];
}

std::span<const uint32_t> ConnectivityMap::classRow(size_t src_class) const {
    const size_t n = impl_->classCount();
    return {impl_->pair_conn.data() + src_class * n, n};
}

const ConnectionSet& ConnectivityMap::connectionSet(uint32_t id) const {
    return impl_->table.get(id);
}

size_t ConnectivityMap::distinctConnectionSets() const {
    return impl_->table.size();
}

std::vector<AllowedConnection> computeConnectivity(
    const Cluster& cluster,
    const std::vector<const NetworkPolicy*>& policies,
    const ConnectivityOptions& options) {
    const ConnectivityMap map(cluster, policies, options);
    std::vector<AllowedConnection> out;
    map.forEachAllowed(
        [&](const ConnectivityPeer& src, const ConnectivityPeer& dst, const ConnectionSet& conns) {
            out.push_back({src, dst, conns});
        });
    return out;
}

std::string peerName(const Cluster& cluster, const ConnectivityPeer& peer) {
    if (peer.kind == ConnectivityPeer::Kind::kExternal) {
        return externalName(peer.first_ip, peer.last_ip);
    }
    if (peer.workload >= cluster.workloads.size()) {
        return "?";
    }
    return workloadName(cluster.workloads[peer.workload]);
}

}  // namespace netpolgen::core
