// FlowGraph: observed traffic aggregated to edges (source entity, destination workload, port,
// protocol) with a count and first/last seen. Flows are never kept as records: a FlowAggregator
// folds each one into its edge as it streams in, so memory depends on distinct edges only.
//
// Entities are dense integers: kInternet, kInternal, then workload i of the Cluster as
// workloadEntity(i).
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/flow.h"
#include "core/protocol.h"

namespace netpolgen::core {

using EntityId = uint32_t;
inline constexpr EntityId kInternetEntity = 0;  // outside the cluster (any external address/CIDR)
inline constexpr EntityId kInternalEntity = 1;  // in the cluster, but no workload (node, host net)
inline constexpr EntityId workloadEntity(size_t workload_index) {
    return static_cast<EntityId>(workload_index + 2);
}
inline constexpr bool isWorkloadEntity(EntityId id) {
    return id >= 2;
}
inline constexpr size_t workloadIndex(EntityId id) {
    return id - 2;
}

struct EdgeKey {
    EntityId src = 0;
    EntityId dst = 0;  // always a workload entity
    uint32_t port = 0;
    Protocol protocol = Protocol::kTcp;

    bool operator==(const EdgeKey&) const = default;
    auto operator<=>(const EdgeKey&) const = default;
};

struct EdgeStats {
    uint64_t count = 0;
    Timestamp first_seen = kUndated;  // kUndated when no flow of the edge had a time
    Timestamp last_seen = kUndated;
};

struct EdgeKeyHash {
    size_t operator()(const EdgeKey& k) const {
        uint64_t a = (uint64_t{k.src} << 32) | k.dst;
        uint64_t b = (uint64_t{k.port} << 8) | static_cast<uint8_t>(k.protocol);
        a ^= b + 0x9e3779b97f4a7c15ULL + (a << 6) + (a >> 2);
        a *= 0xff51afd7ed558ccdULL;
        return static_cast<size_t>(a ^ (a >> 33));
    }
};

// One flow for FlowGraph::addAll.
struct EdgeAdd {
    EdgeKey key;
    uint64_t count = 0;
    Timestamp time = kUndated;
};

// Edges live in one vector in insertion order (deterministic iteration, cache-friendly walks);
// an open-addressing table of positions finds them (DESIGN.md: flat maps keyed by packed integers).
// Each table entry also keeps 32 bits of its key's hash, so that a probe reads an edge only when
// it is most likely the one.
class FlowGraph {
public:
    using Edge = std::pair<EdgeKey, EdgeStats>;

    void add(const EdgeKey& key, uint64_t count, Timestamp time);
    // The same as add() for each, in order. Faster on a large graph (a million edges do not fit
    // in the cache, so each add waits for two memory reads, its table entry and its edge): the
    // entries of a group of adds, then their edges, are fetched together, and their waits overlap.
    void addAll(std::span<const EdgeAdd> adds);
    // Adds a whole edge (merging with an existing one), e.g. from a store.
    void merge(const EdgeKey& key, const EdgeStats& stats);

    // Room for `edges` edges without growing (a caller that knows the count, e.g. from a store).
    void reserve(size_t edges);

    size_t size() const { return edges_.size(); }
    const EdgeStats* find(const EdgeKey& key) const;
    // Edges sorted by (dst, protocol, port, src).
    std::vector<Edge> sortedByDestination() const;
    // Every edge once, in the order it was first seen.
    const std::vector<Edge>& edges() const { return edges_; }

private:
    EdgeStats& slotFor(const EdgeKey& key, uint64_t hash);
    // Room for `more` new edges without passing the load factor.
    void makeRoom(size_t more);
    void rehash(size_t slots);  // a power of 2

    static uint64_t hashOf(const EdgeKey& key) { return EdgeKeyHash{}(key); }
    static uint32_t tagOf(uint64_t hash) { return static_cast<uint32_t>(hash >> 32); }
    static uint64_t entry(uint64_t hash, uint32_t pos) { return uint64_t{tagOf(hash)} << 32 | pos; }

    static constexpr uint64_t kEmpty = ~uint64_t{0};  // no position is 0xffffffff
    std::vector<Edge> edges_;
    // (hash tag << 32 | position in edges_), kEmpty for a free slot; size a power of 2
    std::vector<uint64_t> table_;
};

}  // namespace netpolgen::core
