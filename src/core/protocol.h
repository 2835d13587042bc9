// Protocol: the L4 protocol of a flow or a policy port.
//
// NetworkPolicy knows TCP, UDP and SCTP. Flows can also be ICMP or unknown; such flows cannot be
// expressed in a port rule (docs/stackrox-generator.md §2.7) and are rendered without ports.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace netpolgen::core {

enum class Protocol : uint8_t { kTcp = 0, kUdp = 1, kSctp = 2, kIcmp = 3, kUnknown = 4 };

constexpr std::string_view protocolName(Protocol p) {
    switch (p) {
        case Protocol::kTcp:
            return "TCP";
        case Protocol::kUdp:
            return "UDP";
        case Protocol::kSctp:
            return "SCTP";
        case Protocol::kIcmp:
            return "ICMP";
        case Protocol::kUnknown:
            break;
    }
    return "UNKNOWN";
}

// True for the protocols a NetworkPolicy port may name.
constexpr bool isPolicyProtocol(Protocol p) {
    return p == Protocol::kTcp || p == Protocol::kUdp || p == Protocol::kSctp;
}

// Parses "TCP", "udp", "SCTP", "ICMP", "ICMPv6" (case-insensitive). Nothing for anything else.
std::optional<Protocol> parseProtocol(std::string_view text);

}  // namespace netpolgen::core
