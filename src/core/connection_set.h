// ConnectionSet: which protocols and ports a connection may use. For each of TCP, UDP and SCTP a
// set of inclusive port intervals within 1-65535; "all connections" is every port of all three.
//
//   ConnectionSet s;
//   s.add(Protocol::kTcp, 8080, 8080);
//   s.add(Protocol::kUdp, 53, 53);
//   s.toString()                      // "TCP 8080,UDP 53" (netpol-analyzer's format)
//   ConnectionSet::all().toString()   // "All Connections"
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/protocol.h"
#include "core/result.h"

namespace netpolgen::core {

class ConnectionSet {
public:
    using Interval = std::pair<uint32_t, uint32_t>;  // inclusive, 1 ≤ first ≤ second ≤ 65535

    static ConnectionSet all();
    static ConnectionSet none() { return {}; }

    // Adds ports [lo, hi] of a policy protocol (TCP, UDP, SCTP); others are ignored.
    void add(Protocol protocol, uint32_t lo, uint32_t hi);
    void addAll(Protocol protocol) { add(protocol, 1, 65535); }
    void unite(const ConnectionSet& other);
    ConnectionSet intersect(const ConnectionSet& other) const;
    ConnectionSet subtract(const ConnectionSet& other) const;

    bool contains(Protocol protocol, uint32_t port) const;
    bool empty() const;
    bool isAll() const;
    // Intervals of one protocol, sorted, maximal (adjacent ones merged).
    const std::vector<Interval>& intervals(Protocol protocol) const;

    // "All Connections", "No Connections", or "SCTP 1-65535,TCP 1-79,81-65535,UDP 53":
    // protocols alphabetical, ranges ascending and merged.
    std::string toString() const;
    // The inverse of toString(): "All Connections", "No Connections", or protocol groups as above
    // (a token "TCP 80" starts a group, a bare "81-90" continues it). Spaces around tokens are
    // ignored; ranges may overlap or come in any order.
    static Result<ConnectionSet> parse(std::string_view text);

    // For hash containers (interning identical sets).
    size_t hash() const;

    bool operator==(const ConnectionSet&) const = default;

private:
    static size_t slot(Protocol protocol);  // SCTP 0, TCP 1, UDP 2 (alphabetical)
    std::array<std::vector<Interval>, 3> ports_;
};

}  // namespace netpolgen::core
