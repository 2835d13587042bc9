#include "server/listen_address.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>

namespace netpolgen::server {
namespace {

// 127.0.0.0/8, ::1, and ::ffff:127.0.0.0/104 (IPv4 loopback mapped into IPv6).
bool isLoopbackAddress(const sockaddr& address) {
    if (address.sa_family == AF_INET) {
        const auto& v4 = reinterpret_cast<const sockaddr_in&>(address);
        return (ntohl(v4.sin_addr.s_addr) >> 24) == 127;
    }
    if (address.sa_family == AF_INET6) {
        const in6_addr& v6 = reinterpret_cast<const sockaddr_in6&>(address).sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
    }
    return false;
}

}  // namespace

core::Result<ListenAddress> parseListenAddress(std::string_view text) {
    const std::string where = "--listen " + std::string(text) + ": ";
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
        return core::Error{where + "expected HOST:PORT (127.0.0.1:8080, [::1]:8080)"};
    }
    std::string_view host = text.substr(0, colon);
    if (host.front() == '[') {
        if (host.back() != ']' || host.size() < 3) {
            return core::Error{where + "an IPv6 address is written [ADDRESS]:PORT"};
        }
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return core::Error{where + "an IPv6 address is written [ADDRESS]:PORT"};
    }
    const std::string_view port_text = text.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
        return core::Error{where + "port must be a number from 0 to 65535"};
    }
    return ListenAddress{std::string(host), static_cast<uint16_t>(port)};
}

bool isLoopback(std::string_view host) {
    // What the name resolves to, not how it reads: "127.evil.example" can be any address.
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(std::string(host).c_str(), nullptr, &hints, &found) != 0 || !found) {
        return false;
    }
    bool all_loopback = true;
    for (const addrinfo* a = found; a; a = a->ai_next) {
        all_loopback = all_loopback && isLoopbackAddress(*a->ai_addr);
    }
    freeaddrinfo(found);
    return all_loopback;
}

}  // namespace netpolgen::server
