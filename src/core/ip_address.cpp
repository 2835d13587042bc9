#include "core/ip_address.h"

#include <array>
#include <charconv>
#include <cstdio>
#include <vector>

namespace netpolgen::core {
namespace {

Result<uint32_t> parseV4(std::string_view text) {
    uint32_t value = 0;
    int parts = 0;
    size_t pos = 0;
    while (parts < 4) {
        size_t end = text.find('.', pos);
        std::string_view part = text.substr(pos, end == std::string_view::npos ? end : end - pos);
        unsigned n = 0;
        auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), n);
        if (part.empty() || part.size() > 3 || ec != std::errc() ||
            ptr != part.data() + part.size() || n > 255 || (part.size() > 1 && part[0] == '0')) {
            return Error{"invalid IPv4 address \"" + std::string(text) + "\""};
        }
        value = (value << 8) | n;
        ++parts;
        if (end == std::string_view::npos) {
            break;
        }
        pos = end + 1;
    }
    if (parts != 4 || text.find('.', pos) != std::string_view::npos) {
        return Error{"invalid IPv4 address \"" + std::string(text) + "\""};
    }
    return value;
}

Result<IpAddress> parseV6(std::string_view text) {
    const std::string bad = "invalid IPv6 address \"" + std::string(text) + "\"";
    std::vector<uint16_t> head;
    std::vector<uint16_t> tail;
    bool seen_gap = false;
    size_t pos = 0;
    if (text.substr(0, 2) == "::") {
        seen_gap = true;
        pos = 2;
    }
    auto* groups = seen_gap ? &tail : &head;
    while (pos < text.size()) {
        size_t end = text.find(':', pos);
        std::string_view part = text.substr(pos, end == std::string_view::npos ? end : end - pos);
        if (part.find('.') != std::string_view::npos && end == std::string_view::npos) {
            auto v4 = parseV4(part);
            if (!v4) {
                return Error{bad};
            }
            groups->push_back(static_cast<uint16_t>(*v4 >> 16));
            groups->push_back(static_cast<uint16_t>(*v4 & 0xffff));
            pos = text.size();
            break;
        }
        unsigned n = 0;
        auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), n, 16);
        if (part.empty() || part.size() > 4 || ec != std::errc() ||
            ptr != part.data() + part.size()) {
            return Error{bad};
        }
        groups->push_back(static_cast<uint16_t>(n));
        if (end == std::string_view::npos) {
            pos = text.size();
            break;
        }
        pos = end + 1;
        if (pos < text.size() && text[pos] == ':') {
            if (seen_gap) {
                return Error{bad};
            }
            seen_gap = true;
            groups = &tail;
            ++pos;
        } else if (pos == text.size()) {
            return Error{bad};
        }
    }
    const size_t total = head.size() + tail.size();
    if ((seen_gap && total > 7) || (!seen_gap && total != 8)) {
        return Error{bad};
    }
    std::array<uint16_t, 8> all{};
    for (size_t i = 0; i < head.size(); ++i) {
        all[i] = head[i];
    }
    for (size_t i = 0; i < tail.size(); ++i) {
        all[8 - tail.size() + i] = tail[i];
    }
    uint64_t hi = 0;
    uint64_t lo = 0;
    for (int i = 0; i < 4; ++i) {
        hi = (hi << 16) | all[i];
        lo = (lo << 16) | all[i + 4];
    }
    return IpAddress::fromBits(hi, lo);
}

// Masks all but the first `prefix` bits of the 128-bit value.
IpAddress maskTo(const IpAddress& ip, int prefix) {
    auto mask = [](int bits) -> uint64_t {
        if (bits <= 0) {
            return 0;
        }
        if (bits >= 64) {
            return ~0ULL;
        }
        return ~0ULL << (64 - bits);
    };
    return IpAddress::fromBits(ip.hi() & mask(prefix), ip.lo() & mask(prefix - 64));
}

bool inRange(const IpAddress& ip, std::string_view cidr) {
    auto c = Cidr::parse(cidr);
    return c && c->contains(ip);
}

}  // namespace

Result<IpAddress> IpAddress::parse(std::string_view text) {
    if (text.find(':') != std::string_view::npos) {
        return parseV6(text);
    }
    auto v4 = parseV4(text);
    if (!v4) {
        return Error{v4.error()};
    }
    return fromV4(*v4);
}

bool IpAddress::isPrivate() const {
    static constexpr std::string_view kRanges[] = {
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "169.254.0.0/16",
        "127.0.0.0/8",
        "0.0.0.0/8",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
        "::/128",
    };
    for (auto r : kRanges) {
        if (inRange(*this, r)) {
            return true;
        }
    }
    return false;
}

std::string IpAddress::toString() const {
    char buf[64];
    if (isV4()) {
        uint32_t v = v4();
        std::snprintf(
            buf, sizeof buf, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
        return buf;
    }
    std::string out;
    for (int i = 0; i < 8; ++i) {
        uint64_t word = i < 4 ? hi_ : lo_;
        unsigned g = static_cast<unsigned>((word >> (16 * (3 - (i % 4)))) & 0xffff);
        std::snprintf(buf, sizeof buf, i == 0 ? "%x" : ":%x", g);
        out += buf;
    }
    return out;
}

Result<Cidr> Cidr::parse(std::string_view text) {
    const std::string bad = "invalid CIDR address: " + std::string(text);
    size_t slash = text.find('/');
    if (slash == std::string_view::npos) {
        return Error{bad};
    }
    auto ip = IpAddress::parse(text.substr(0, slash));
    std::string_view len = text.substr(slash + 1);
    int n = -1;
    auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
    if (!ip || len.empty() || ec != std::errc() || ptr != len.data() + len.size()) {
        return Error{bad};
    }
    const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
    if (n < 0 || n > (v4 ? 32 : 128)) {
        return Error{bad};
    }
    Cidr c;
    c.prefix_ = v4 ? 96 + n : n;
    c.base_ = maskTo(*ip, c.prefix_);
    return c;
}

bool Cidr::contains(const IpAddress& ip) const {
    return maskTo(ip, prefix_) == base_;
}

bool Cidr::containsCidr(const Cidr& inner) const {
    return inner.prefix_ >= prefix_ && contains(inner.base_);
}

std::string Cidr::toString() const {
    return base_.toString() + "/" + std::to_string(isV4() ? prefix_ - 96 : prefix_);
}

}  // namespace netpolgen::core
