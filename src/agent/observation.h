// Observation: a node agent's raw material — new connections of one edge (client address →
// server address and port) counted at one observation point of the node (a network namespace, as
// the client end, the server end, or traffic passing through). Every capture (eBPF, conntrack)
// yields these; EdgeMerger (agent/edge_merger.h) turns them into connections counted once.
//
// No I/O here: value types only.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <vector>

#include "core/protocol.h"
#include "core/result.h"

namespace netpolgen::agent {

// An IP address as the kernel keeps it: network byte order, IPv4 in the first 4 bytes.
struct Address {
    uint8_t family = 4;  // 4 or 6
    std::array<uint8_t, 16> bytes{};

    auto operator<=>(const Address&) const = default;
    // "10.0.0.1", "fd00::1" (inet_ntop); an IPv4-mapped IPv6 address as its IPv4 text.
    std::string text() const;
    // 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104: never crosses a network namespace.
    bool isLoopback() const;
    // 0.0.0.0 or ::.
    bool isUnspecified() const;
};

// Who connected to what: the client's address, the server's address and port.
struct Edge {
    Address client;
    Address server;
    uint16_t server_port = 0;
    core::Protocol protocol = core::Protocol::kTcp;

    auto operator<=>(const Edge&) const = default;
};

// Which end of the connection the observation point was.
enum class Side : uint8_t {
    kClient,   // the socket that connected (or sent a datagram first)
    kServer,   // the socket that accepted (or received the first datagram)
    kTransit,  // neither: the connection passed through (conntrack, forwarding)
};

// One place of the node that sees a connection at most once.
struct ObservationPoint {
    uint64_t netns = 0;  // the network namespace's inode number
    Side side = Side::kClient;

    auto operator<=>(const ObservationPoint&) const = default;
};

struct Observation {
    Edge edge;
    ObservationPoint point;
    uint64_t count = 0;  // new connections since the previous poll

    auto operator<=>(const Observation&) const = default;
};

// A capture of the node's connections, polled by the agent's loop.
class ConnectionSource {
public:
    virtual ~ConnectionSource() = default;
    // "bpf", "conntrack": for the status line and metrics.
    virtual std::string name() const = 0;
    // What was counted since the previous call. An error is fatal for the source.
    virtual core::Result<std::vector<Observation>> poll() = 0;
    // Events dropped since the start (a full kernel map, a netlink buffer overrun).
    virtual uint64_t lost() const = 0;
};

}  // namespace netpolgen::agent
