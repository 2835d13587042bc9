#include "core/flow_graph.h"

#include <algorithm>
#include <tuple>

namespace netpolgen::core {
namespace {

void widen(EdgeStats& stats, Timestamp first, Timestamp last) {
    if (first != kUndated && (stats.first_seen == kUndated || first < stats.first_seen)) {
        stats.first_seen = first;
    }
    if (last != kUndated && (stats.last_seen == kUndated || last > stats.last_seen)) {
        stats.last_seen = last;
    }
}

}  // namespace

EdgeStats& FlowGraph::slotFor(const EdgeKey& key, uint64_t hash) {
    const size_t mask = table_.size() - 1;
    const uint32_t tag = tagOf(hash);
    for (size_t i = hash & mask;; i = (i + 1) & mask) {
        const uint64_t e = table_[i];
        if (e == kEmpty) {
            table_[i] = entry(hash, static_cast<uint32_t>(edges_.size()));
            edges_.push_back({key, EdgeStats{}});
            return edges_.back().second;
        }
        if (tagOf(e) == tag) {
            Edge& edge = edges_[static_cast<uint32_t>(e)];
            if (edge.first == key) {
                return edge.second;
            }
        }
    }
}

void FlowGraph::makeRoom(size_t more) {
    // The load factor stays below 3/4.
    size_t slots = table_.empty() ? 1024 : table_.size();
    while ((edges_.size() + more) * 4 > slots * 3) {
        slots *= 2;
    }
    if (slots != table_.size()) {
        rehash(slots);
    }
}

void FlowGraph::rehash(size_t slots) {
    table_.assign(slots, kEmpty);
    const size_t mask = table_.size() - 1;
    for (uint32_t pos = 0; pos < edges_.size(); ++pos) {
        const uint64_t hash = hashOf(edges_[pos].first);
        size_t i = hash & mask;
        while (table_[i] != kEmpty) {
            i = (i + 1) & mask;
        }
        table_[i] = entry(hash, pos);
    }
}

void FlowGraph::reserve(size_t edges) {
    edges_.reserve(edges);
    // One rehash now instead of one per doubling.
    makeRoom(edges > edges_.size() ? edges - edges_.size() : 0);
}

void FlowGraph::add(const EdgeKey& key, uint64_t count, Timestamp time) {
    makeRoom(1);
    EdgeStats& stats = slotFor(key, hashOf(key));
    stats.count += count;
    widen(stats, time, time);
}

void FlowGraph::addAll(std::span<const EdgeAdd> adds) {
    constexpr size_t kGroup = 16;  // about the misses a core keeps in flight
    uint64_t hashes[kGroup];
    for (size_t at = 0; at < adds.size(); at += kGroup) {
        const size_t n = std::min(kGroup, adds.size() - at);
        const EdgeAdd* group = adds.data() + at;
        makeRoom(n);
        const size_t mask = table_.size() - 1;
        for (size_t i = 0; i < n; ++i) {
            hashes[i] = hashOf(group[i].key);
            __builtin_prefetch(&table_[hashes[i] & mask]);
        }
        for (size_t i = 0; i < n; ++i) {
            // The edge of the first entry probed, when its tag says it is likely the one.
            const uint64_t e = table_[hashes[i] & mask];
            if (e != kEmpty && tagOf(e) == tagOf(hashes[i])) {
                __builtin_prefetch(&edges_[static_cast<uint32_t>(e)]);
            }
        }
        for (size_t i = 0; i < n; ++i) {
            EdgeStats& stats = slotFor(group[i].key, hashes[i]);
            stats.count += group[i].count;
            widen(stats, group[i].time, group[i].time);
        }
    }
}

void FlowGraph::merge(const EdgeKey& key, const EdgeStats& other) {
    makeRoom(1);
    EdgeStats& stats = slotFor(key, hashOf(key));
    stats.count += other.count;
    widen(stats, other.first_seen, other.last_seen);
}

const EdgeStats* FlowGraph::find(const EdgeKey& key) const {
    if (table_.empty()) {
        return nullptr;
    }
    const size_t mask = table_.size() - 1;
    const uint64_t hash = hashOf(key);
    for (size_t i = hash & mask; table_[i] != kEmpty; i = (i + 1) & mask) {
        const uint64_t e = table_[i];
        if (tagOf(e) == tagOf(hash) && edges_[static_cast<uint32_t>(e)].first == key) {
            return &edges_[static_cast<uint32_t>(e)].second;
        }
    }
    return nullptr;
}

std::vector<FlowGraph::Edge> FlowGraph::sortedByDestination() const {
    std::vector<Edge> out(edges_);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        const EdgeKey& x = a.first;
        const EdgeKey& y = b.first;
        return std::tie(x.dst, x.protocol, x.port, x.src) <
               std::tie(y.dst, y.protocol, y.port, y.src);
    });
    return out;
}

}  // namespace netpolgen::core
