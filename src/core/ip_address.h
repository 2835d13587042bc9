// IpAddress and Cidr: IPv4 and IPv6 addresses as 128-bit values (IPv4 mapped into ::ffff:0:0/96).
//
//   auto ip = IpAddress::parse("10.244.1.7");      // Result<IpAddress>
//   auto net = Cidr::parse("10.0.0.0/8");          // Result<Cidr>
//   net->contains(*ip)                             // true
//   ip->isPrivate()                                // true: 10/8 is a private range
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace netpolgen::core {

class IpAddress {
public:
    IpAddress() = default;
    static Result<IpAddress> parse(std::string_view text);
    static IpAddress fromV4(uint32_t v4) { return IpAddress(0, 0x0000ffff00000000ULL | v4); }
    static IpAddress fromBits(uint64_t hi, uint64_t lo) { return IpAddress(hi, lo); }

    bool isV4() const { return hi_ == 0 && (lo_ >> 32) == 0x0000ffffULL; }
    uint32_t v4() const { return static_cast<uint32_t>(lo_); }
    uint64_t hi() const { return hi_; }
    uint64_t lo() const { return lo_; }

    // Private, shared, loopback, link-local or unique-local: an address that cannot come from the
    // internet. Flows from such unresolved addresses are "internal", others "internet".
    bool isPrivate() const;
    std::string toString() const;

    auto operator<=>(const IpAddress&) const = default;

private:
    IpAddress(uint64_t hi, uint64_t lo) : hi_(hi), lo_(lo) {}
    uint64_t hi_ = 0;
    uint64_t lo_ = 0;
};

class Cidr {
public:
    // Accepts "a.b.c.d/n" and "x::y/n"; host bits are ignored, as the legacy API validation does.
    static Result<Cidr> parse(std::string_view text);

    bool contains(const IpAddress& ip) const;
    // True when every address of `inner` lies in this range.
    bool containsCidr(const Cidr& inner) const;
    const IpAddress& base() const { return base_; }
    // Prefix length in the 128-bit space (IPv4 /n is stored as /(96+n)).
    int prefix() const { return prefix_; }
    bool isV4() const { return base_.isV4() && prefix_ >= 96; }
    std::string toString() const;

    auto operator<=>(const Cidr&) const = default;

private:
    IpAddress base_;
    int prefix_ = 0;
};

}  // namespace netpolgen::core
