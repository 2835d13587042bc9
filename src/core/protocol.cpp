#include "core/protocol.h"

#include <algorithm>
#include <cctype>
#include <string>

namespace netpolgen::core {

std::optional<Protocol> parseProtocol(std::string_view text) {
    std::string upper(text);
    std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) {
        return static_cast<char>(std::toupper(c));
    });
    if (upper == "TCP") {
        return Protocol::kTcp;
    }
    if (upper == "UDP") {
        return Protocol::kUdp;
    }
    if (upper == "SCTP") {
        return Protocol::kSctp;
    }
    if (upper == "ICMP" || upper == "ICMPV4" || upper == "ICMPV6") {
        return Protocol::kIcmp;
    }
    return std::nullopt;
}

}  // namespace netpolgen::core
