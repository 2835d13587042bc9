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

void FlowGraph::add(const EdgeKey& key, uint64_t count, Timestamp time) {
    EdgeStats& stats = edges_[key];
    stats.count += count;
    widen(stats, time, time);
}

void FlowGraph::merge(const EdgeKey& key, const EdgeStats& other) {
    EdgeStats& stats = edges_[key];
    stats.count += other.count;
    widen(stats, other.first_seen, other.last_seen);
}

const EdgeStats* FlowGraph::find(const EdgeKey& key) const {
    auto it = edges_.find(key);
    return it == edges_.end() ? nullptr : &it->second;
}

std::vector<std::pair<EdgeKey, EdgeStats>> FlowGraph::sortedByDestination() const {
    std::vector<std::pair<EdgeKey, EdgeStats>> out(edges_.begin(), edges_.end());
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        const EdgeKey& x = a.first;
        const EdgeKey& y = b.first;
        return std::tie(x.dst, x.protocol, x.port, x.src) <
               std::tie(y.dst, y.protocol, y.port, y.src);
    });
    return out;
}

}  // namespace netpolgen::core
