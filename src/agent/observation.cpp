#include "agent/observation.h"

#include <arpa/inet.h>

#include <algorithm>

namespace netpolgen::agent {
namespace {

constexpr std::array<uint8_t, 12> kV4MappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool isV4Mapped(const Address& a) {
    return a.family == 6 &&
           std::equal(kV4MappedPrefix.begin(), kV4MappedPrefix.end(), a.bytes.begin());
}

}  // namespace

std::string Address::text() const {
    char buffer[INET6_ADDRSTRLEN] = {};
    if (family == 4) {
        inet_ntop(AF_INET, bytes.data(), buffer, sizeof(buffer));
    } else if (isV4Mapped(*this)) {
        inet_ntop(AF_INET, bytes.data() + 12, buffer, sizeof(buffer));
    } else {
        inet_ntop(AF_INET6, bytes.data(), buffer, sizeof(buffer));
    }
    return buffer;
}

bool Address::isLoopback() const {
    if (family == 4)
        return bytes[0] == 127;
    if (isV4Mapped(*this))
        return bytes[12] == 127;
    static constexpr std::array<uint8_t, 16> kV6Loopback = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return bytes == kV6Loopback;
}

bool Address::isUnspecified() const {
    const size_t n = family == 4 ? 4 : 16;
    return std::all_of(bytes.begin(), bytes.begin() + n, [](uint8_t b) { return b == 0; });
}

}  // namespace netpolgen::agent
