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

EdgeStats& FlowGraph::slotFor(const EdgeKey& key) {
    if ((edges_.size() + 1) * 4 > table_.size() * 3) {
        grow();
    }
    const size_t mask = table_.size() - 1;
    for (size_t i = EdgeKeyHash{}(key)&mask;; i = (i + 1) & mask) {
        uint32_t& pos = table_[i];
        if (pos == kEmpty) {
            pos = static_cast<uint32_t>(edges_.size());
            edges_.push_back({key, EdgeStats{}});
            return edges_.back().second;
        }
        if (edges_[pos].first == key) {
            return edges_[pos].second;
        }
    }
}

void FlowGraph::grow() {
    rehash(table_.empty() ? 1024 : table_.size() * 2);
}

void FlowGraph::rehash(size_t slots) {
    table_.assign(slots, kEmpty);
    const size_t mask = table_.size() - 1;
    for (uint32_t pos = 0; pos < edges_.size(); ++pos) {
        size_t i = EdgeKeyHash{}(edges_[pos].first) & mask;
        while (table_[i] != kEmpty) {
            i = (i + 1) & mask;
        }
        table_[i] = pos;
    }
}

void FlowGraph::reserve(size_t edges) {
    edges_.reserve(edges);
    // The table keeps a load factor below 3/4 (slotFor); one rehash now instead of one per
    // doubling.
    size_t slots = table_.empty() ? 1024 : table_.size();
    while ((edges + 1) * 4 > slots * 3) {
        slots *= 2;
    }
    if (slots != table_.size()) {
        rehash(slots);
    }
}

void FlowGraph::add(const EdgeKey& key, uint64_t count, Timestamp time) {
    EdgeStats& stats = slotFor(key);
    stats.count += count;
    widen(stats, time, time);
}

void FlowGraph::merge(const EdgeKey& key, const EdgeStats& other) {
    EdgeStats& stats = slotFor(key);
    stats.count += other.count;
    widen(stats, other.first_seen, other.last_seen);
}

const EdgeStats* FlowGraph::find(const EdgeKey& key) const {
    if (table_.empty()) {
        return nullptr;
    }
    const size_t mask = table_.size() - 1;
    for (size_t i = EdgeKeyHash{}(key)&mask; table_[i] != kEmpty; i = (i + 1) & mask) {
        if (edges_[table_[i]].first == key) {
            return &edges_[table_[i]].second;
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
