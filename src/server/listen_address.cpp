#include "server/listen_address.h"

#include <charconv>

namespace netpolgen::server {

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
    return host == "localhost" || host == "::1" || host.substr(0, 4) == "127.";
}

}  // namespace netpolgen::server
