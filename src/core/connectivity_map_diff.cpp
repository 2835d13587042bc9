#include "core/connectivity_map_diff.h"

#include <algorithm>
#include <array>
#include <span>
#include <tuple>
#include <unordered_map>
#include <utility>

namespace netpolgen::core {
namespace {

using Kind = ConnectivityPeer::Kind;

// How the connections of one pair changed, packed in a byte: the DiffType in the low bits, then
// whether something was gained and whether something was lost.
constexpr uint8_t kTypeMask = 0x3;
constexpr uint8_t kGainedBit = 0x4;
constexpr uint8_t kLostBit = 0x8;
constexpr uint8_t kUnknown = 0xff;

uint8_t classify(const ConnectionSet& ref1, const ConnectionSet& ref2) {
    if (ref1 == ref2) {
        return static_cast<uint8_t>(DiffType::kUnchanged);
    }
    DiffType type = DiffType::kChanged;
    if (ref1.empty()) {
        type = DiffType::kAdded;
    } else if (ref2.empty()) {
        type = DiffType::kRemoved;
    }
    uint8_t out = static_cast<uint8_t>(type);
    out |= ref2.subtract(ref1).empty() ? 0 : kGainedBit;
    out |= ref1.subtract(ref2).empty() ? 0 : kLostBit;
    return out;
}

// classify() per pair of connection-set ids of the two maps, each pair computed once. Dense when
// the two tables are small (the usual case), hashed otherwise.
class OutcomeMemo {
public:
    OutcomeMemo(const ConnectivityMap& map1, const ConnectivityMap& map2)
        : map1_(map1), map2_(map2), width_(map2.distinctConnectionSets()) {
        const size_t cells = map1.distinctConnectionSets() * width_;
        if (cells <= kMaxDenseCells) {
            dense_.assign(cells, kUnknown);
        }
    }

    uint8_t get(uint32_t id1, uint32_t id2) {
        if (!dense_.empty()) {
            uint8_t& cell = dense_[size_t{id1} * width_ + id2];
            if (cell == kUnknown) {
                cell = classify(map1_.connectionSet(id1), map2_.connectionSet(id2));
            }
            return cell;
        }
        const uint64_t key = (uint64_t{id1} << 32) | id2;
        auto it = sparse_.find(key);
        if (it == sparse_.end()) {
            it = sparse_.emplace(key, classify(map1_.connectionSet(id1), map2_.connectionSet(id2)))
                     .first;
        }
        return it->second;
    }

private:
    static constexpr size_t kMaxDenseCells = size_t{1} << 24;
    const ConnectivityMap& map1_;
    const ConnectivityMap& map2_;
    size_t width_;
    std::vector<uint8_t> dense_;
    std::unordered_map<uint64_t, uint8_t> sparse_;
};

DiffPeer workloadPeer(const Cluster& cluster, const ConnectivityMap& map, size_t w) {
    ConnectivityPeer peer;
    peer.workload = w;
    DiffPeer p;
    p.kind = Kind::kWorkload;
    p.name = map.name(peer);
    p.ns = cluster.workloads[w].ns;
    return p;
}

// The allowed connections of `map` with an External peer, in computeConnectivity's order.
std::vector<AllowedConnection> externalConnections(const ConnectivityMap& map) {
    std::vector<ConnectivityPeer> workload_dsts;
    std::vector<ConnectivityPeer> external_dsts;
    for (const ConnectivityPeer& d : map.destinations()) {
        (d.kind == Kind::kWorkload ? workload_dsts : external_dsts).push_back(d);
    }
    std::vector<AllowedConnection> out;
    for (const ConnectivityPeer& s : map.sources()) {
        const auto& dsts = s.kind == Kind::kExternal ? workload_dsts : external_dsts;
        for (const ConnectivityPeer& d : dsts) {
            const ConnectionSet& conns = map.allowed(s, d);
            if (!conns.empty()) {
                out.push_back({s, d, conns});
            }
        }
    }
    return out;
}

// Workloads in the order of their printed names (the order of map.sources()).
std::vector<size_t> workloadsByName(const ConnectivityMap& map) {
    std::vector<size_t> out;
    for (const ConnectivityPeer& s : map.sources()) {
        if (s.kind == Kind::kWorkload) {
            out.push_back(s.workload);
        }
    }
    return out;
}

class PairWalker {
public:
    PairWalker(const Cluster& cluster1,
               const ConnectivityMap& map1,
               const ConnectivityMap& map2,
               size_t limit,
               BoundedConnectivityDiff& out)
        : cluster1_(cluster1),
          map1_(map1),
          map2_(map2),
          limit_(limit),
          out_(out),
          memo_(map1, map2) {}

    // Every ordered pair of distinct workloads, sources then destinations by name.
    void walk() {
        const std::vector<size_t> order = workloadsByName(map1_);
        std::vector<uint32_t> class1(out_.gained.size());
        std::vector<uint32_t> class2(out_.gained.size());
        for (size_t w = 0; w < class1.size(); ++w) {
            class1[w] = static_cast<uint32_t>(map1_.workloadClass(w));
            class2[w] = static_cast<uint32_t>(map2_.workloadClass(w));
        }
        for (const size_t s : order) {
            const std::span<const uint32_t> row1 = map1_.classRow(class1[s]);
            const std::span<const uint32_t> row2 = map2_.classRow(class2[s]);
            for (const size_t d : order) {
                if (s == d) {
                    continue;
                }
                const uint32_t id1 = row1[class1[d]];
                const uint32_t id2 = row2[class2[d]];
                if (id1 == 0 && id2 == 0) {
                    continue;  // nothing on either side: by far the commonest pair
                }
                const uint8_t outcome = memo_.get(id1, id2);
                if ((outcome & kTypeMask) != static_cast<uint8_t>(DiffType::kUnchanged)) {
                    record(s, d, id1, id2, outcome);
                }
            }
        }
    }

    std::array<std::vector<ConnectivityDiffEntry>, 3>& kept() { return kept_; }

private:
    void record(size_t s, size_t d, uint32_t id1, uint32_t id2, uint8_t outcome) {
        const auto type = static_cast<DiffType>(outcome & kTypeMask);
        countType(type);
        for (const size_t w : {s, d}) {
            out_.gained[w] = out_.gained[w] || (outcome & kGainedBit) != 0;
            out_.lost[w] = out_.lost[w] || (outcome & kLostBit) != 0;
        }
        auto& list = kept_[static_cast<size_t>(type)];
        if (limit_ != 0 && list.size() >= limit_) {
            return;
        }
        ConnectivityDiffEntry e;
        e.type = type;
        e.src = workloadPeer(cluster1_, map1_, s);
        e.dst = workloadPeer(cluster1_, map1_, d);
        e.ref1 = map1_.connectionSet(id1);
        e.ref2 = map2_.connectionSet(id2);
        list.push_back(std::move(e));
    }

    void countType(DiffType type) {
        switch (type) {
            case DiffType::kChanged:
                ++out_.changed;
                break;
            case DiffType::kAdded:
                ++out_.added;
                break;
            case DiffType::kRemoved:
                ++out_.removed;
                break;
            case DiffType::kUnchanged:
                break;
        }
    }

    const Cluster& cluster1_;
    const ConnectivityMap& map1_;
    const ConnectivityMap& map2_;
    size_t limit_;
    BoundedConnectivityDiff& out_;
    OutcomeMemo memo_;
    std::array<std::vector<ConnectivityDiffEntry>, 3> kept_;  // per DiffType but kUnchanged
};

// Counts and flags the external entries, and adds them to the kept lists of their type.
void addExternalEntries(const Cluster& cluster,
                        std::vector<ConnectivityDiffEntry> entries,
                        std::array<std::vector<ConnectivityDiffEntry>, 3>& kept,
                        BoundedConnectivityDiff& out) {
    std::unordered_map<std::string, size_t> by_name;
    for (ConnectivityDiffEntry& e : entries) {
        const uint8_t outcome = classify(e.ref1, e.ref2);
        switch (e.type) {
            case DiffType::kChanged:
                ++out.changed;
                break;
            case DiffType::kAdded:
                ++out.added;
                break;
            case DiffType::kRemoved:
                ++out.removed;
                break;
            case DiffType::kUnchanged:
                continue;
        }
        if (by_name.empty()) {
            for (size_t w = 0; w < cluster.workloads.size(); ++w) {
                ConnectivityPeer peer;
                peer.workload = w;
                by_name.emplace(peerName(cluster, peer), w);
            }
        }
        for (const DiffPeer* p : {&e.src, &e.dst}) {
            auto it = p->kind == Kind::kWorkload ? by_name.find(p->name) : by_name.end();
            if (it != by_name.end()) {
                out.gained[it->second] = out.gained[it->second] || (outcome & kGainedBit) != 0;
                out.lost[it->second] = out.lost[it->second] || (outcome & kLostBit) != 0;
            }
        }
        kept[static_cast<size_t>(e.type)].push_back(std::move(e));
    }
}

}  // namespace

BoundedConnectivityDiff diffConnectivityMaps(const Cluster& cluster1,
                                             const ConnectivityMap& map1,
                                             const Cluster& cluster2,
                                             const ConnectivityMap& map2,
                                             size_t limit) {
    BoundedConnectivityDiff out;
    out.gained.assign(cluster1.workloads.size(), false);
    out.lost.assign(cluster1.workloads.size(), false);
    PairWalker walker(cluster1, map1, map2, limit, out);
    walker.walk();
    auto& kept = walker.kept();
    addExternalEntries(
        cluster1,
        computeConnectivityDiff(
            cluster1, externalConnections(map1), cluster2, externalConnections(map2), {}),
        kept,
        out);
    for (auto& list : kept) {
        std::sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
            return std::tie(a.src.name, a.dst.name) < std::tie(b.src.name, b.dst.name);
        });
        for (auto& e : list) {
            if (limit != 0 && out.entries.size() >= limit) {
                return out;
            }
            out.entries.push_back(std::move(e));
        }
    }
    return out;
}

}  // namespace netpolgen::core
