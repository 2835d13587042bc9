#include "collect/node_positions.h"

#include <algorithm>

namespace netpolgen::collect {

NodePositions::NodePositions(const std::vector<store::StreamPosition>& stored) {
    for (const store::StreamPosition& p : stored) {
        nodes_[p.stream] = Node{p.position, p.position, false, {}};
    }
}

std::optional<int64_t> NodePositions::resumeSince(int64_t overlap_ns) const {
    std::optional<int64_t> oldest;
    for (const auto& [name, node] : nodes_) {
        oldest = std::min(oldest.value_or(node.position), node.position);
    }
    if (!oldest) {
        return std::nullopt;
    }
    return std::max<int64_t>(0, *oldest - overlap_ns);
}

bool NodePositions::accept(std::string_view name, int64_t time_ns, std::string_view uuid) {
    auto it = nodes_.find(name);
    if (it == nodes_.end() && nodes_.size() >= kMaxNodes) {
        ++beyond_cap_;
        return true;
    }
    if (it == nodes_.end()) {
        it = nodes_.emplace(std::string(name), Node{}).first;
        it->second.position = time_ns;
        it->second.moved = true;
        if (!uuid.empty()) {
            it->second.uuids_at_position.emplace(uuid);
        }
        return true;
    }
    Node& node = it->second;
    if (time_ns < node.position) {
        return false;
    }
    if (time_ns == node.position) {
        // The same instant: a new flow only when both carry uuids and this one is not known.
        if (uuid.empty() || node.uuids_at_position.empty() ||
            node.uuids_at_position.contains(uuid)) {
            return false;
        }
        node.uuids_at_position.emplace(uuid);
        node.moved = true;
        return true;
    }
    node.position = time_ns;
    node.moved = true;
    node.uuids_at_position.clear();
    if (!uuid.empty()) {
        node.uuids_at_position.emplace(uuid);
    }
    return true;
}

bool NodePositions::behind(std::string_view name, int64_t time_ns) const {
    const auto it = nodes_.find(name);
    return it != nodes_.end() && time_ns <= it->second.position;
}

std::vector<store::StreamAdvance> NodePositions::advances() const {
    std::vector<store::StreamAdvance> out;
    for (const auto& [name, node] : nodes_) {
        if (node.moved) {
            out.push_back({name, node.committed, node.position});
        }
    }
    return out;
}

void NodePositions::committed() {
    for (auto& [name, node] : nodes_) {
        node.committed = node.position;
        node.moved = false;
    }
}

void NodePositions::rollBack() {
    for (auto it = nodes_.begin(); it != nodes_.end();) {
        Node& node = it->second;
        if (!node.committed) {
            it = nodes_.erase(it);
            continue;
        }
        node.position = *node.committed;
        node.moved = false;
        node.uuids_at_position.clear();
        ++it;
    }
}

}  // namespace netpolgen::collect
