// NodePositions: where each node's flows stand for `collect --hubble-relay`, and which received
// flows are already counted.
//
// Hubble Relay merges the streams of every node; each node's own stream comes in the order of its
// ring buffer, so its flow times only grow (docs/hubble-relay.md §6). A node's position is the
// time (Unix ns) of its newest flow counted: a flow of that node at or before it is one counted
// already — received again after a reconnect or a restart, whose `since` overlaps what was read.
// Positions are committed with the flows they cover (store::StreamAdvance), so a restart resumes
// exactly: nothing counted twice, nothing skipped of what the relay still holds.
//
// One limit, documented: a flow of a node with the very nanosecond of the node's last counted flow
// is taken as counted (uuids are kept for that instant only while the process runs).
//
//   NodePositions positions(state.streams);
//   request.since = positions.resumeSince(overlap);
//   if (!positions.accept(node, time_ns, uuid)) { duplicate(); }
//   commit({…, positions.advances()}); positions.committed();
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace netpolgen::collect {

class NodePositions {
public:
    // Kubernetes supports 5,000 nodes; a relay naming more is broken or hostile. Flows of nodes
    // beyond this many are counted without a position (not recognized when received again), so
    // that memory and the store's rows stay bounded.
    static constexpr size_t kMaxNodes = 65536;

    explicit NodePositions(const std::vector<store::StreamPosition>& stored);

    // Where to resume GetFlows: `overlap_ns` before the oldest node position (a node that lags
    // behind the others is not cut off), or nothing when no node was ever counted.
    std::optional<int64_t> resumeSince(int64_t overlap_ns) const;

    // True when the flow is new: it moves its node's position. False for one already counted.
    bool accept(std::string_view node, int64_t time_ns, std::string_view uuid);

    // True when an event of `node` at `time_ns` is at or before the node's position: a lost-events
    // notice received again (those bypass `since`, and their times do not move the position).
    bool behind(std::string_view node, int64_t time_ns) const;

    // The nodes moved since the last commit, each from its committed position.
    std::vector<store::StreamAdvance> advances() const;
    // The advances were stored.
    void committed();
    // The advances were refused or dropped: back to the committed positions.
    void rollBack();

    size_t nodes() const { return nodes_.size(); }
    // Flows accepted without a position since the node cap was reached.
    uint64_t beyondCap() const { return beyond_cap_; }

private:
    struct Node {
        std::optional<int64_t> committed;
        int64_t position = 0;
        bool moved = false;
        std::set<std::string, std::less<>> uuids_at_position;
    };
    std::map<std::string, Node, std::less<>> nodes_;
    uint64_t beyond_cap_ = 0;
};

}  // namespace netpolgen::collect
