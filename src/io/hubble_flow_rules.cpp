#include "io/hubble_flow_rules.h"

#include "core/ip_address.h"

namespace netpolgen::io::detail {
namespace {
constexpr size_t kMaxIpText = 45;  // "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"
}  // namespace

bool isHubbleIpText(std::string_view s) {
    if (s.find(':') == std::string_view::npos) {
        return core::IpAddress::parse(s).ok();
    }
    if (s.size() < 2 || s.size() > kMaxIpText) {
        return false;
    }
    for (char c : s) {
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex && c != ':' && c != '.') {
            return false;
        }
    }
    return true;
}

}  // namespace netpolgen::io::detail
