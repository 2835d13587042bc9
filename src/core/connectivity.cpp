#include "core/connectivity.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>

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

constexpr uint32_t kNone = 0;  // interned id of the empty set
constexpr uint32_t kAll = 1;   // interned id of all connections
constexpr uint32_t kNotIsolated = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kIpv4Space = uint64_t{1} << 32;

struct ConnectionSetHash {
    size_t operator()(const ConnectionSet& s) const { return s.hash(); }
};

// Interned connection sets; union and intersection memoised on id pairs.
class ConnTable {
public:
    ConnTable() {
        intern(ConnectionSet::none());
        intern(ConnectionSet::all());
    }

    uint32_t intern(ConnectionSet s) {
        auto it = ids_.find(s);
        if (it != ids_.end()) {
            return it->second;
        }
        const auto id = static_cast<uint32_t>(sets_.size());
        sets_.push_back(s);
        ids_.emplace(std::move(s), id);
        return id;
    }

    const ConnectionSet& get(uint32_t id) const { return sets_[id]; }
    size_t size() const { return sets_.size(); }

    uint32_t unite(uint32_t a, uint32_t b) {
        if (a == b || b == kNone || a == kAll) {
            return a;
        }
        if (a == kNone || b == kAll) {
            return b;
        }
        const uint64_t key = pairKey(a, b);
        auto it = union_memo_.find(key);
        if (it != union_memo_.end()) {
            return it->second;
        }
        ConnectionSet u = sets_[a];
        u.unite(sets_[b]);
        const uint32_t id = intern(std::move(u));
        union_memo_.emplace(key, id);
        return id;
    }

    uint32_t intersect(uint32_t a, uint32_t b) {
        if (a == b || b == kAll || a == kNone) {
            return a;
        }
        if (a == kAll || b == kNone) {
            return b;
        }
        const uint64_t key = pairKey(a, b);
        auto it = intersect_memo_.find(key);
        if (it != intersect_memo_.end()) {
            return it->second;
        }
        const uint32_t id = intern(sets_[a].intersect(sets_[b]));
        intersect_memo_.emplace(key, id);
        return id;
    }

private:
    static uint64_t pairKey(uint32_t a, uint32_t b) {
        return a < b ? (uint64_t{a} << 32) | b : (uint64_t{b} << 32) | a;
    }

    std::vector<ConnectionSet> sets_;
    std::unordered_map<ConnectionSet, uint32_t, ConnectionSetHash> ids_;
    std::unordered_map<uint64_t, uint32_t> union_memo_;
    std::unordered_map<uint64_t, uint32_t> intersect_memo_;
};

// A fixed-size bitset over classes.
class Bits {
public:
    Bits() = default;
    explicit Bits(size_t n) : n_(n), words_((n + 63) / 64, 0) {}

    size_t size() const { return n_; }
    void set(size_t i) { words_[i / 64] |= uint64_t{1} << (i % 64); }
    bool test(size_t i) const { return (words_[i / 64] >> (i % 64)) & 1U; }
    void setRange(size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
            set(i);
        }
    }
    void andWith(const Bits& o) {
        for (size_t i = 0; i < words_.size(); ++i) {
            words_[i] &= o.words_[i];
        }
    }
    void andNot(const Bits& o) {
        for (size_t i = 0; i < words_.size(); ++i) {
            words_[i] &= ~o.words_[i];
        }
    }
    void orWith(const Bits& o) {
        for (size_t i = 0; i < words_.size(); ++i) {
            words_[i] |= o.words_[i];
        }
    }
    bool none() const {
        return std::all_of(words_.begin(), words_.end(), [](uint64_t w) { return w == 0; });
    }
    template <typename F>
    void forEach(F&& f) const {
        for (size_t i = 0; i < words_.size(); ++i) {
            uint64_t w = words_[i];
            while (w != 0) {
                const int bit = __builtin_ctzll(w);
                f(i * 64 + static_cast<size_t>(bit));
                w &= w - 1;
            }
        }
    }

private:
    size_t n_ = 0;
    std::vector<uint64_t> words_;
};

// An IPv4 range, inclusive.
struct Range {
    uint32_t first = 0;
    uint32_t last = 0;
};

std::optional<Range> v4Range(const Cidr& cidr) {
    if (!cidr.isV4()) {
        return std::nullopt;
    }
    const int bits = cidr.prefix() - 96;
    const uint32_t first = cidr.base().v4();
    const uint32_t host = bits >= 32 ? 0U : (bits == 0 ? 0xffffffffU : (0xffffffffU >> bits));
    return Range{first, first | host};
}

// An ipBlock, parsed once. `v4`: the IPv4 addresses it stands for (cidr minus every except) as
// maximal intervals, as netpol-analyzer splits a block (adjacent excepts merge).
struct ParsedBlock {
    bool valid = false;
    Cidr cidr;
    std::vector<Cidr> except;
    std::vector<Range> v4;

    bool matches(const IpAddress& ip) const {
        if (!valid || ip.isV4() != cidr.isV4() || !cidr.contains(ip)) {
            return false;
        }
        return std::none_of(except.begin(), except.end(), [&](const Cidr& e) {
            return ip.isV4() == e.isV4() && e.contains(ip);
        });
    }
};

ParsedBlock parseBlock(const IpBlock& block) {
    ParsedBlock out;
    auto cidr = Cidr::parse(block.cidr);
    if (!cidr) {
        return out;
    }
    out.cidr = *cidr;
    std::vector<Range> holes;
    for (const auto& e : block.except) {
        if (auto ex = Cidr::parse(e)) {
            out.except.push_back(*ex);
            if (auto r = v4Range(*ex)) {
                holes.push_back(*r);
            }
        }
    }
    out.valid = true;
    if (auto range = v4Range(*cidr)) {
        std::sort(holes.begin(), holes.end(), [](const Range& x, const Range& y) {
            return x.first < y.first;
        });
        uint64_t next = range->first;  // first address not yet handled
        for (const Range& h : holes) {
            if (h.first > next) {
                out.v4.push_back({static_cast<uint32_t>(next), std::min(h.first - 1, range->last)});
            }
            next = std::max<uint64_t>(next, uint64_t{h.last} + 1);
            if (next > range->last) {
                break;
            }
        }
        if (next <= range->last) {
            out.v4.push_back({static_cast<uint32_t>(next), range->last});
        }
    }
    return out;
}

// Disjoint IPv4 ranges cut at the boundaries of every block's intervals; the whole space when
// there are none.
std::vector<Range> makeAtoms(const std::vector<const ParsedBlock*>& blocks) {
    std::set<uint64_t> cuts{0};
    for (const ParsedBlock* b : blocks) {
        for (const Range& r : b->v4) {
            cuts.insert(r.first);
            cuts.insert(uint64_t{r.last} + 1);
        }
    }
    cuts.insert(kIpv4Space);
    std::vector<Range> atoms;
    for (auto it = cuts.begin(); std::next(it) != cuts.end(); ++it) {
        atoms.push_back({static_cast<uint32_t>(*it), static_cast<uint32_t>(*std::next(it) - 1)});
    }
    return atoms;
}

// Index ranges [begin, end) of the atoms a block covers (atoms never straddle its intervals).
std::vector<std::pair<uint32_t, uint32_t>> atomRanges(const std::vector<Range>& atoms,
                                                      const ParsedBlock& block) {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (const Range& r : block.v4) {
        auto first =
            std::lower_bound(atoms.begin(), atoms.end(), r.first, [](const Range& a, uint32_t v) {
                return a.first < v;
            });
        auto last =
            std::upper_bound(atoms.begin(), atoms.end(), r.last, [](uint32_t v, const Range& a) {
                return v < a.last;
            });
        // `last` is the atom after the one ending at r.last.
        const auto begin = static_cast<uint32_t>(first - atoms.begin());
        const auto end = static_cast<uint32_t>(last - atoms.begin());
        if (begin < end) {
            out.emplace_back(begin, end);
        }
    }
    return out;
}

std::string ipv4Text(uint32_t v) {
    char buf[16];
    std::snprintf(
        buf, sizeof buf, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255U, (v >> 8) & 255U, v & 255U);
    return buf;
}

std::string externalName(uint32_t first, uint32_t last) {
    return ipv4Text(first) + "-" + ipv4Text(last) + "[External]";
}

std::string workloadName(const Workload& w) {
    std::string out = w.ns;
    out += '/';
    out += w.name;
    out += '[';
    out += workloadKindName(w.kind);
    out += ']';
    return out;
}

// Named port entries of a rule, and how they resolve against a list of container ports.
using NamedPorts = std::vector<std::pair<Protocol, std::string>>;

ConnectionSet resolveNamed(const NamedPorts& named, const std::vector<ContainerPort>& ports) {
    ConnectionSet out;
    for (const auto& [protocol, name] : named) {
        for (const ContainerPort& cp : ports) {
            if (cp.name == name && cp.protocol == protocol) {
                out.add(protocol, cp.port, cp.port);
            }
        }
    }
    return out;
}

// The numbered and portless entries of a port list as a set, and its named entries apart.
// An empty list is every port of every protocol.
ConnectionSet staticPorts(const std::vector<PolicyPort>& ports, NamedPorts& named) {
    if (ports.empty()) {
        return ConnectionSet::all();
    }
    ConnectionSet out;
    for (const PolicyPort& e : ports) {
        if (!e.port) {
            out.addAll(e.protocol);
        } else if (e.port->isNamed()) {
            named.emplace_back(e.protocol, e.port->name);
        } else {
            const uint32_t lo = e.port->number;
            out.add(e.protocol, lo, std::max(lo, e.end_port.value_or(lo)));
        }
    }
    std::sort(named.begin(), named.end());
    named.erase(std::unique(named.begin(), named.end()), named.end());
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
    Bits classes;
    std::vector<std::pair<uint32_t, uint32_t>> atoms;  // index ranges into the direction's atoms
    uint32_t static_conn = kNone;
    NamedPorts named;
};

constexpr size_t kIngress = 0;
constexpr size_t kEgress = 1;

bool affects(const NetworkPolicy& p, size_t dir) {
    return dir == kIngress ? p.affectsIngress() : p.affectsEgress();
}

const std::vector<PolicyRule>& rulesOf(const NetworkPolicy& p, size_t dir) {
    return dir == kIngress ? p.ingress : p.egress;
}

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
    std::map<LabelSelector, Bits> ns_selector_memo;

    std::vector<ParsedBlock> blocks;
    std::map<IpBlock, uint32_t> block_ids;
    std::vector<Bits> block_classes;  // per block: classes matching it through pod IPs
    Bits host_network_classes;        // classes of hostNetwork pods (ClassInfo::host_network)

    std::vector<Range> atoms[2];  // [ingress (sources), egress (destinations)]
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

    Bits postings(const std::string& key, const std::string* value) const {
        Bits out(classCount());
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
    Bits selectClasses(const LabelSelector& s, const Bits& within) const {
        Bits out = within;
        for (const auto& [key, value] : s.match_labels) {
            out.andWith(postings(key, &value));
        }
        for (const auto& r : s.match_expressions) {
            Bits values(classCount());
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
    Bits namespaceClasses(uint32_t ns) const {
        Bits out(classCount());
        out.setRange(namespaces[ns].first_class, namespaces[ns].end_class);
        out.andNot(host_network_classes);
        return out;
    }

    const Bits& selectNamespaces(const LabelSelector& s) {
        auto it = ns_selector_memo.find(s);
        if (it != ns_selector_memo.end()) {
            return it->second;
        }
        Bits out(classCount());
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
    std::vector<Range> cover_atoms;
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
                cover_atoms.begin(), cover_atoms.end(), ip, [](uint32_t v, const Range& a) {
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
    host_network_classes = Bits(classCount());
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
    block_classes.assign(blocks.size(), Bits(classCount()));
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
                c.classes = Bits(classCount());
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
                    Bits in_ns = peer.namespace_selector
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
            const Bits selected =
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
        for (const Range& a : atoms[dir]) {
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
        std::lower_bound(list.begin(), list.end(), p.first_ip, [](const Range& a, uint32_t v) {
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

// ---- Exposure analysis --------------------------------------------------------------------------

namespace {

// A selector's requirements in a canonical order, matchLabels k=v and `k In [v]` alike, values
// sorted: two selectors with equal canonical forms select exactly the same label sets.
using Requirement = std::tuple<std::string, SelectorOperator, std::vector<std::string>>;
using CanonicalSelector = std::vector<Requirement>;

CanonicalSelector canonical(const LabelSelector& s) {
    CanonicalSelector out;
    for (const auto& [key, value] : s.match_labels) {
        out.emplace_back(key, SelectorOperator::kIn, std::vector<std::string>{value});
    }
    for (const auto& r : s.match_expressions) {
        std::vector<std::string> values = r.values;
        std::sort(values.begin(), values.end());
        values.erase(std::unique(values.begin(), values.end()), values.end());
        out.emplace_back(r.key, r.op, std::move(values));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

// The Go rendering netpol-analyzer prints: "app=x,tier=y" for matchLabels, then each expression
// as "{Key:app,Operator:NotIn,Values:[a b],}", sorted.
std::string selectorText(const LabelSelector& s) {
    std::string out;
    for (const auto& [key, value] : s.match_labels) {
        if (!out.empty()) {
            out += ',';
        }
        out += key + "=" + value;
    }
    std::vector<std::string> requirements;
    for (const auto& r : s.match_expressions) {
        std::string text =
            "{Key:" + r.key + ",Operator:" + std::string(selectorOperatorName(r.op)) + ",Values:[";
        for (size_t i = 0; i < r.values.size(); ++i) {
            text += (i == 0 ? "" : " ") + r.values[i];
        }
        text += "],}";
        requirements.push_back(std::move(text));
    }
    std::sort(requirements.begin(), requirements.end());
    for (const auto& r : requirements) {
        if (!out.empty()) {
            out += ',';
        }
        out += r;
    }
    return out;
}

LabelSelector namespaceNameSelector(const std::string& ns) {
    LabelSelector s;
    s.match_labels.emplace(std::string(kNamespaceNameLabel), ns);
    return s;
}

bool isEntireCluster(const PolicyPeer& peer) {
    return !peer.ip_block && peer.namespace_selector && peer.namespace_selector->empty() &&
           (!peer.pod_selector || peer.pod_selector->empty());
}

struct Representative {
    RepresentativePeer peer;
    CanonicalSelector ns;
    CanonicalSelector pod;
    bool dropped = false;
};

// Whether a rule peer of a policy in `policy_ns` selects the representative fully (an empty rule
// selector selects everything; otherwise the requirements must be the same).
bool selectsFully(const PolicyPeer& peer, const std::string& policy_ns, const Representative& rep) {
    if (peer.ip_block) {
        return false;
    }
    const bool ns_ok =
        !peer.namespace_selector
            ? canonical(namespaceNameSelector(policy_ns)) == rep.ns
            : peer.namespace_selector->empty() || canonical(*peer.namespace_selector) == rep.ns;
    const bool pod_ok = !peer.pod_selector || peer.pod_selector->empty() ||
                        canonical(*peer.pod_selector) == rep.pod;
    return ns_ok && pod_ok;
}

// What one rule allows, towards a peer that is not in the manifests: ingress resolves named ports
// on the workload itself (the destination), egress keeps them as names.
ExposureConnections ruleExposure(const PolicyRule& rule, size_t dir, const Workload& w) {
    ExposureConnections out;
    NamedPorts named;
    out.conns = staticPorts(rule.ports, named);
    if (dir == kIngress) {
        out.conns.unite(resolveNamed(named, w.ports));
    } else {
        out.unite(ExposureConnections{ConnectionSet{}, named});
    }
    return out;
}

}  // namespace

void ExposureConnections::unite(const ExposureConnections& other) {
    conns.unite(other.conns);
    named_ports.insert(named_ports.end(), other.named_ports.begin(), other.named_ports.end());
    std::sort(named_ports.begin(), named_ports.end());
    named_ports.erase(std::unique(named_ports.begin(), named_ports.end()), named_ports.end());
    // A name adds nothing to a protocol that is allowed on every port.
    std::erase_if(named_ports, [&](const auto& n) {
        const auto& v = conns.intervals(n.first);
        return v.size() == 1 && v[0].first == 1 && v[0].second == 65535;
    });
}

bool ExposureConnections::containedIn(const ExposureConnections& other) const {
    if (!conns.subtract(other.conns).empty()) {
        return false;
    }
    return std::all_of(named_ports.begin(), named_ports.end(), [&](const auto& n) {
        const auto& v = other.conns.intervals(n.first);
        const bool full = v.size() == 1 && v[0].first == 1 && v[0].second == 65535;
        return full || std::binary_search(other.named_ports.begin(), other.named_ports.end(), n);
    });
}

std::string ExposureConnections::toString() const {
    if (named_ports.empty()) {
        return conns.toString();
    }
    std::string out;
    for (Protocol p : {Protocol::kSctp, Protocol::kTcp, Protocol::kUdp}) {
        std::vector<std::string> items;
        for (const auto& [lo, hi] : conns.intervals(p)) {
            items.push_back(lo == hi ? std::to_string(lo)
                                     : std::to_string(lo) + "-" + std::to_string(hi));
        }
        for (const auto& [protocol, name] : named_ports) {
            if (protocol == p) {
                items.push_back(name);
            }
        }
        if (items.empty()) {
            continue;
        }
        if (!out.empty()) {
            out += ',';
        }
        out += std::string(protocolName(p)) + " ";
        for (size_t i = 0; i < items.size(); ++i) {
            out += (i == 0 ? "" : ",") + items[i];
        }
    }
    return out;
}

std::string RepresentativePeer::toString() const {
    if (entire_cluster) {
        return "entire-cluster";
    }
    std::string ns;
    const auto name = namespace_selector.match_labels.find(kNamespaceNameLabel);
    if (namespace_selector.match_labels.size() == 1 &&
        namespace_selector.match_expressions.empty() &&
        name != namespace_selector.match_labels.end()) {
        ns = name->second;
    } else if (namespace_selector.empty()) {
        ns = "[all namespaces]";
    } else {
        ns = "[namespace with {" + selectorText(namespace_selector) + "}]";
    }
    const std::string pod =
        pod_selector.empty() ? "[all pods]" : "[pod with {" + selectorText(pod_selector) + "}]";
    return ns + "/" + pod;
}

std::vector<WorkloadExposure> computeExposure(const Cluster& cluster,
                                              const std::vector<const NetworkPolicy*>& policies) {
    auto namespaceLabels = [&](const std::string& ns) {
        const Namespace* found = cluster.findNamespace(ns);
        return found != nullptr ? found->labels : namespaceNameSelector(ns).match_labels;
    };
    // 1. Representative peers: one per distinct (namespace, pod) selector pair of the rules.
    std::vector<Representative> reps;
    std::map<std::pair<CanonicalSelector, CanonicalSelector>, size_t> rep_index;
    for (const NetworkPolicy* p : policies) {
        for (size_t dir : {kIngress, kEgress}) {
            if (!affects(*p, dir)) {
                continue;
            }
            for (const PolicyRule& rule : rulesOf(*p, dir)) {
                for (const PolicyPeer& peer : rule.peers) {
                    if (peer.ip_block || isEntireCluster(peer)) {
                        continue;
                    }
                    Representative rep;
                    rep.peer.namespace_selector = peer.namespace_selector
                                                      ? *peer.namespace_selector
                                                      : namespaceNameSelector(p->ns);
                    rep.peer.pod_selector = peer.pod_selector.value_or(LabelSelector{});
                    rep.ns = canonical(rep.peer.namespace_selector);
                    rep.pod = canonical(rep.peer.pod_selector);
                    auto key = std::make_pair(rep.ns, rep.pod);
                    if (rep_index.emplace(std::move(key), reps.size()).second) {
                        reps.push_back(std::move(rep));
                    }
                }
            }
        }
    }
    // 2. A representative with plain labels on both sides that an existing workload matches is
    //    that workload, not an unknown peer.
    for (Representative& rep : reps) {
        const LabelSelector& ns = rep.peer.namespace_selector;
        const LabelSelector& pod = rep.peer.pod_selector;
        if (!ns.match_expressions.empty() || !pod.match_expressions.empty() || ns.empty() ||
            pod.empty()) {
            continue;
        }
        rep.dropped =
            std::any_of(cluster.workloads.begin(), cluster.workloads.end(), [&](const Workload& w) {
                return pod.matches(w.pod_labels) && ns.matches(namespaceLabels(w.ns));
            });
    }
    std::vector<size_t> order;  // live representatives by printed name
    for (size_t i = 0; i < reps.size(); ++i) {
        if (!reps[i].dropped) {
            order.push_back(i);
        }
    }
    std::vector<std::string> rep_names(reps.size());
    for (size_t i : order) {
        rep_names[i] = reps[i].peer.toString();
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return rep_names[a] < rep_names[b];
    });

    // 3. Per workload and direction.
    std::vector<WorkloadExposure> out;
    for (size_t wi = 0; wi < cluster.workloads.size(); ++wi) {
        const Workload& w = cluster.workloads[wi];
        WorkloadExposure e;
        e.workload = wi;
        for (size_t dir : {kIngress, kEgress}) {
            auto& entries = dir == kIngress ? e.ingress : e.egress;
            std::vector<std::pair<const NetworkPolicy*, const PolicyRule*>> rules;
            bool selected = false;
            for (const NetworkPolicy* p : policies) {
                if (affects(*p, dir) && p->ns == w.ns && p->pod_selector.matches(w.pod_labels)) {
                    selected = true;
                    for (const PolicyRule& r : rulesOf(*p, dir)) {
                        rules.emplace_back(p, &r);
                    }
                }
            }
            if (!selected) {
                (dir == kIngress ? e.ingress_protected : e.egress_protected) = false;
                RepresentativePeer all;
                all.entire_cluster = true;
                entries.push_back({all, {ConnectionSet::all(), {}}});
                continue;
            }
            std::vector<ExposureConnections> rule_conns;
            ExposureConnections cluster_wide;
            for (const auto& [p, r] : rules) {
                rule_conns.push_back(ruleExposure(*r, dir, w));
                if (r->peers.empty() ||
                    std::any_of(r->peers.begin(), r->peers.end(), isEntireCluster)) {
                    cluster_wide.unite(rule_conns.back());
                }
            }
            if (!cluster_wide.empty()) {
                RepresentativePeer all;
                all.entire_cluster = true;
                entries.push_back({all, cluster_wide});
            }
            for (size_t ri : order) {
                const Representative& rep = reps[ri];
                ExposureConnections conns;
                for (size_t k = 0; k < rules.size(); ++k) {
                    // Not a structured binding: clang 14 cannot capture those in a lambda.
                    const auto* p = rules[k].first;
                    const auto* r = rules[k].second;
                    const bool hit =
                        r->peers.empty() ||
                        std::any_of(r->peers.begin(), r->peers.end(), [&](const PolicyPeer& peer) {
                            return selectsFully(peer, p->ns, rep);
                        });
                    if (hit) {
                        conns.unite(rule_conns[k]);
                    }
                }
                if (!conns.empty() && !conns.containedIn(cluster_wide)) {
                    entries.push_back({rep.peer, std::move(conns)});
                }
            }
        }
        if (!e.ingress_protected || !e.egress_protected || !e.ingress.empty() ||
            !e.egress.empty()) {
            out.push_back(std::move(e));
        }
    }
    return out;
}

}  // namespace netpolgen::core
