// EdgeMerger: every new connection counted once, however many places of the node saw it.
//
// One TCP connection between two pods of a node is seen twice (the client's namespace at
// connect, the server's at accept); a UDP exchange once per namespace its first datagram crosses
// (the client's, the node's when forwarded, the server's). Each observation point sees each
// connection at most once, so an edge's connections are the most any one point counted: the
// merger keeps each point's running total per edge and reports how much the largest grew.
// Counts of one connection that reach user space in different polls (the client's side read
// before the server's) are therefore not counted twice.
//
// IPv4-mapped IPv6 addresses (a dual-stack server's view of an IPv4 client) are taken as IPv4,
// so both ends of such a connection name the same edge.
//
// Pure: no I/O, no clock (polls are numbered).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "agent/observation.h"

namespace netpolgen::agent {

struct EdgeCount {
    Edge edge;
    uint64_t connections = 0;

    auto operator<=>(const EdgeCount&) const = default;
};

class EdgeMerger {
public:
    // Edges not seen for `idle_polls` polls are forgotten: the sightings of one connection reach
    // user space within a poll or two, so half a minute at one poll a second is plenty; beyond
    // `max_edges` the least recently seen go too. So memory stays a few MiB whatever the run.
    explicit EdgeMerger(uint64_t idle_polls = 30, size_t max_edges = 65536)
        : idle_polls_(idle_polls), max_edges_(max_edges) {}

    // One poll's observations; the edges that gained connections, in edge order.
    std::vector<EdgeCount> add(const std::vector<Observation>& observations);

    size_t edges() const { return edges_.size(); }

private:
    struct EdgeState {
        std::map<ObservationPoint, uint64_t> seen;  // running totals per point
        uint64_t reported = 0;                      // the largest of them when last reported
        uint64_t last_poll = 0;
    };
    void forget();

    std::map<Edge, EdgeState> edges_;
    uint64_t poll_ = 0;
    uint64_t idle_polls_;
    size_t max_edges_;
};

// The address with an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as IPv4.
Address withoutV4Mapping(const Address& address);

}  // namespace netpolgen::agent
