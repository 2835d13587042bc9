#include "agent/edge_merger.h"

#include <algorithm>

namespace netpolgen::agent {

Address withoutV4Mapping(const Address& address) {
    static constexpr std::array<uint8_t, 12> kPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (address.family != 6 || !std::equal(kPrefix.begin(), kPrefix.end(), address.bytes.begin())) {
        return address;
    }
    Address v4;
    v4.family = 4;
    std::copy(address.bytes.begin() + 12, address.bytes.end(), v4.bytes.begin());
    return v4;
}

std::vector<EdgeCount> EdgeMerger::add(const std::vector<Observation>& observations) {
    ++poll_;
    std::map<Edge, EdgeState*> touched;
    for (const Observation& o : observations) {
        Edge edge = o.edge;
        edge.client = withoutV4Mapping(edge.client);
        edge.server = withoutV4Mapping(edge.server);
        EdgeState& state = edges_[edge];
        state.seen[o.point] += o.count;
        state.last_poll = poll_;
        touched.emplace(edge, &state);
    }
    std::vector<EdgeCount> counts;
    for (auto& [edge, state] : touched) {
        uint64_t most = 0;
        for (const auto& [point, total] : state->seen)
            most = std::max(most, total);
        if (most > state->reported) {
            counts.push_back({edge, most - state->reported});
            state->reported = most;
        }
    }
    forget();
    return counts;
}

void EdgeMerger::forget() {
    std::erase_if(
        edges_, [this](const auto& entry) { return entry.second.last_poll + idle_polls_ < poll_; });
    if (edges_.size() <= max_edges_)
        return;
    // The least recently seen beyond the cap (ties, as for edges of one poll, cut too).
    std::vector<std::map<Edge, EdgeState>::iterator> by_age;
    by_age.reserve(edges_.size());
    for (auto it = edges_.begin(); it != edges_.end(); ++it)
        by_age.push_back(it);
    const auto excess = static_cast<std::ptrdiff_t>(edges_.size() - max_edges_);
    std::nth_element(
        by_age.begin(), by_age.begin() + excess, by_age.end(), [](const auto& x, const auto& y) {
            return x->second.last_poll < y->second.last_poll;
        });
    for (auto it = by_age.begin(); it != by_age.begin() + excess; ++it)
        edges_.erase(*it);
}

}  // namespace netpolgen::agent
