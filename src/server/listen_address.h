// `--listen HOST:PORT` of `netpolgen serve`: IPv4 `127.0.0.1:8080`, IPv6 `[::1]:8080`, or a name
// (`localhost:8080`). Port 0 asks for a free port.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace netpolgen::server {

struct ListenAddress {
    std::string host;
    uint16_t port = 0;
};

// Errors: "--listen 1.2.3.4: expected HOST:PORT …", a port out of 0–65535.
core::Result<ListenAddress> parseListenAddress(std::string_view text);

// Whether every address `host` resolves to is loopback (127.0.0.0/8, ::1): only this machine can
// connect, so no token is required. A name that does not resolve is not loopback.
bool isLoopback(std::string_view host);

}  // namespace netpolgen::server
