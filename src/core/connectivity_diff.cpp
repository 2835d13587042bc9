#include "core/connectivity_diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

namespace netpolgen::core {
namespace {

using Kind = ConnectivityPeer::Kind;

// The connections of one (src, dst) pair on both sides; empty = none on that side.
struct SidePair {
    ConnectionSet ref1;
    ConnectionSet ref2;
};

struct WorkloadRef {
    std::string name;
    std::string ns;
};

struct ExternalRange {
    uint32_t first_ip = 0;
    uint32_t last_ip = 0;
    ConnectionSet conns;
};

// Everything between one workload and the outside world in one direction, on both sides.
struct ExternalKey {
    std::string workload;
    bool external_is_src = false;
    auto operator<=>(const ExternalKey&) const = default;
};

struct ExternalSides {
    std::vector<ExternalRange> ref1;
    std::vector<ExternalRange> ref2;
};

class DiffBuilder {
public:
    DiffBuilder(const Cluster& cluster1, const Cluster& cluster2, bool include_unchanged)
        : cluster1_(cluster1),
          workloads1_(workloadRefs(cluster1)),
          workloads2_(workloadRefs(cluster2)),
          include_unchanged_(include_unchanged) {
        for (const auto& w : workloads1_) {
            names1_.insert(w.name);
        }
        for (const auto& w : workloads2_) {
            names2_.insert(w.name);
        }
    }

    void addSide(const std::vector<AllowedConnection>& conns, bool first) {
        const std::vector<WorkloadRef>& refs = first ? workloads1_ : workloads2_;
        for (const auto& c : conns) {
            if (c.conns.empty()) {
                continue;
            }
            const bool src_ext = c.src.kind == Kind::kExternal;
            const bool dst_ext = c.dst.kind == Kind::kExternal;
            if (src_ext && dst_ext) {
                continue;  // not produced by computeConnectivity; nothing to compare
            }
            if (!src_ext && !dst_ext) {
                const WorkloadRef& src = refs.at(c.src.workload);
                const WorkloadRef& dst = refs.at(c.dst.workload);
                namespaces_[src.name] = src.ns;
                namespaces_[dst.name] = dst.ns;
                SidePair& sides = pairs_[{src.name, dst.name}];
                (first ? sides.ref1 : sides.ref2).unite(c.conns);
                continue;
            }
            const ConnectivityPeer& ext = src_ext ? c.src : c.dst;
            const WorkloadRef& w = refs.at(src_ext ? c.dst.workload : c.src.workload);
            namespaces_[w.name] = w.ns;
            ExternalSides& sides = external_[ExternalKey{w.name, src_ext}];
            (first ? sides.ref1 : sides.ref2).push_back({ext.first_ip, ext.last_ip, c.conns});
        }
    }

    std::vector<ConnectivityDiffEntry> build() {
        std::vector<ConnectivityDiffEntry> out;
        for (const auto& [key, sides] : pairs_) {
            emit(workloadPeer(key.first), workloadPeer(key.second), sides, out);
        }
        for (const auto& [key, sides] : external_) {
            emitExternal(key, sides, out);
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return std::tie(a.type, a.src.name, a.dst.name) <
                   std::tie(b.type, b.src.name, b.dst.name);
        });
        return out;
    }

private:
    static std::vector<WorkloadRef> workloadRefs(const Cluster& cluster) {
        std::vector<WorkloadRef> refs;
        refs.reserve(cluster.workloads.size());
        for (size_t i = 0; i < cluster.workloads.size(); ++i) {
            ConnectivityPeer peer;
            peer.kind = Kind::kWorkload;
            peer.workload = i;
            refs.push_back({peerName(cluster, peer), cluster.workloads[i].ns});
        }
        return refs;
    }

    DiffPeer workloadPeer(const std::string& name) const {
        DiffPeer p;
        p.kind = Kind::kWorkload;
        p.name = name;
        auto it = namespaces_.find(name);
        if (it != namespaces_.end()) {
            p.ns = it->second;
        }
        return p;
    }

    DiffPeer externalPeer(uint32_t first_ip, uint32_t last_ip) const {
        ConnectivityPeer peer;
        peer.kind = Kind::kExternal;
        peer.first_ip = first_ip;
        peer.last_ip = last_ip;
        DiffPeer p;
        p.kind = Kind::kExternal;
        p.name = peerName(cluster1_, peer);
        p.first_ip = first_ip;
        p.last_ip = last_ip;
        return p;
    }

    // Classifies one pair and appends it unless it is unchanged and unwanted.
    void emit(DiffPeer src,
              DiffPeer dst,
              const SidePair& sides,
              std::vector<ConnectivityDiffEntry>& out) const {
        ConnectivityDiffEntry e;
        if (sides.ref1.empty() && sides.ref2.empty()) {
            return;
        }
        if (sides.ref1.empty()) {
            e.type = DiffType::kAdded;
        } else if (sides.ref2.empty()) {
            e.type = DiffType::kRemoved;
        } else if (sides.ref1 == sides.ref2) {
            if (!include_unchanged_) {
                return;
            }
            e.type = DiffType::kUnchanged;
        } else {
            e.type = DiffType::kChanged;
        }
        if (e.type == DiffType::kAdded || e.type == DiffType::kRemoved) {
            // An added pair exists in ref2: its workloads are new if ref1 lacks them; a removed
            // pair exists in ref1: its workloads are lost if ref2 lacks them.
            const std::set<std::string>& other = e.type == DiffType::kAdded ? names1_ : names2_;
            for (DiffPeer* p : {&src, &dst}) {
                p->new_or_removed = p->kind == Kind::kWorkload && !other.contains(p->name);
            }
        }
        e.src = std::move(src);
        e.dst = std::move(dst);
        e.ref1 = sides.ref1;
        e.ref2 = sides.ref2;
        out.push_back(std::move(e));
    }

    // Cuts the IPv4 space at every range boundary of both sides, then emits the maximal runs of
    // consecutive pieces that carry the same (ref1, ref2) connections and are allowed on a side.
    void emitExternal(const ExternalKey& key,
                      const ExternalSides& sides,
                      std::vector<ConnectivityDiffEntry>& out) const {
        std::vector<uint64_t> cuts;
        for (const auto* side : {&sides.ref1, &sides.ref2}) {
            for (const auto& r : *side) {
                cuts.push_back(r.first_ip);
                cuts.push_back(static_cast<uint64_t>(r.last_ip) + 1);
            }
        }
        std::sort(cuts.begin(), cuts.end());
        cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
        if (cuts.size() < 2) {
            return;
        }
        // Piece k is [cuts[k], cuts[k + 1] - 1].
        const size_t pieces = cuts.size() - 1;
        std::vector<SidePair> values(pieces);
        auto spread = [&](const std::vector<ExternalRange>& ranges, bool first) {
            for (const auto& r : ranges) {
                auto k = static_cast<size_t>(
                    std::lower_bound(cuts.begin(), cuts.end(), uint64_t{r.first_ip}) -
                    cuts.begin());
                for (; k < pieces && cuts[k] <= r.last_ip; ++k) {
                    (first ? values[k].ref1 : values[k].ref2).unite(r.conns);
                }
            }
        };
        spread(sides.ref1, true);
        spread(sides.ref2, false);

        const DiffPeer workload = workloadPeer(key.workload);
        size_t k = 0;
        while (k < pieces) {
            const SidePair& v = values[k];
            if (v.ref1.empty() && v.ref2.empty()) {
                ++k;
                continue;
            }
            size_t end = k + 1;
            while (end < pieces && values[end].ref1 == v.ref1 && values[end].ref2 == v.ref2) {
                ++end;
            }
            DiffPeer ext =
                externalPeer(static_cast<uint32_t>(cuts[k]), static_cast<uint32_t>(cuts[end] - 1));
            if (key.external_is_src) {
                emit(std::move(ext), workload, v, out);
            } else {
                emit(workload, std::move(ext), v, out);
            }
            k = end;
        }
    }

    const Cluster& cluster1_;
    std::vector<WorkloadRef> workloads1_;
    std::vector<WorkloadRef> workloads2_;
    std::set<std::string> names1_;
    std::set<std::string> names2_;
    bool include_unchanged_;
    std::map<std::pair<std::string, std::string>, SidePair> pairs_;
    std::map<std::string, std::string> namespaces_;  // workload name → namespace
    std::map<ExternalKey, ExternalSides> external_;
};

}  // namespace

std::string_view diffTypeName(DiffType type) {
    switch (type) {
        case DiffType::kChanged:
            return "changed";
        case DiffType::kAdded:
            return "added";
        case DiffType::kRemoved:
            return "removed";
        case DiffType::kUnchanged:
            break;
    }
    return "unchanged";
}

std::vector<ConnectivityDiffEntry> computeConnectivityDiff(
    const Cluster& cluster1,
    const std::vector<AllowedConnection>& conns1,
    const Cluster& cluster2,
    const std::vector<AllowedConnection>& conns2,
    const ConnectivityDiffOptions& options) {
    DiffBuilder builder(cluster1, cluster2, options.include_unchanged);
    builder.addSide(conns1, true);
    builder.addSide(conns2, false);
    return builder.build();
}

std::string workloadsDiffInfo(const ConnectivityDiffEntry& entry) {
    if (!entry.src.new_or_removed && !entry.dst.new_or_removed) {
        return {};
    }
    std::string info = "workload ";
    if (entry.src.new_or_removed) {
        info += entry.src.name;
    }
    if (entry.dst.new_or_removed) {
        if (entry.src.new_or_removed) {
            info += " and ";
        }
        info += entry.dst.name;
    }
    info += ' ';
    info += diffTypeName(entry.type);
    return info;
}

}  // namespace netpolgen::core
