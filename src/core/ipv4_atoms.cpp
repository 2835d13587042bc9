#include "core/ipv4_atoms.h"

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <optional>
#include <set>

namespace netpolgen::core::detail {
namespace {

constexpr uint64_t kIpv4Space = uint64_t{1} << 32;

std::optional<Ipv4Range> v4Range(const Cidr& cidr) {
    if (!cidr.isV4()) {
        return std::nullopt;
    }
    const int bits = cidr.prefix() - 96;
    const uint32_t first = cidr.base().v4();
    const uint32_t host = bits >= 32 ? 0U : (bits == 0 ? 0xffffffffU : (0xffffffffU >> bits));
    return Ipv4Range{first, first | host};
}

}  // namespace

bool ParsedBlock::matches(const IpAddress& ip) const {
    if (!valid || ip.isV4() != cidr.isV4() || !cidr.contains(ip)) {
        return false;
    }
    return std::none_of(except.begin(), except.end(), [&](const Cidr& e) {
        return ip.isV4() == e.isV4() && e.contains(ip);
    });
}

ParsedBlock parseBlock(const IpBlock& block) {
    ParsedBlock out;
    auto cidr = Cidr::parse(block.cidr);
    if (!cidr) {
        return out;
    }
    out.cidr = *cidr;
    std::vector<Ipv4Range> holes;
    for (const auto& e : block.except) {
        if (auto ex = Cidr::parse(e)) {
            out.except.push_back(*ex);
            if (auto r = v4Range(*ex)) {
                holes.push_back(*r);
            }
        }
    }
    out.valid = true;
    if (auto range = v4Range(*cidr)) {
        std::sort(holes.begin(), holes.end(), [](const Ipv4Range& x, const Ipv4Range& y) {
            return x.first < y.first;
        });
        uint64_t next = range->first;  // first address not yet handled
        for (const Ipv4Range& h : holes) {
            if (h.first > next) {
                out.v4.push_back({static_cast<uint32_t>(next), std::min(h.first - 1, range->last)});
            }
            next = std::max<uint64_t>(next, uint64_t{h.last} + 1);
            if (next > range->last) {
                break;
            }
        }
        if (next <= range->last) {
            out.v4.push_back({static_cast<uint32_t>(next), range->last});
        }
    }
    return out;
}

std::vector<Ipv4Range> makeAtoms(const std::vector<const ParsedBlock*>& blocks) {
    std::set<uint64_t> cuts{0};
    for (const ParsedBlock* b : blocks) {
        for (const Ipv4Range& r : b->v4) {
            cuts.insert(r.first);
            cuts.insert(uint64_t{r.last} + 1);
        }
    }
    cuts.insert(kIpv4Space);
    std::vector<Ipv4Range> atoms;
    for (auto it = cuts.begin(); std::next(it) != cuts.end(); ++it) {
        atoms.push_back({static_cast<uint32_t>(*it), static_cast<uint32_t>(*std::next(it) - 1)});
    }
    return atoms;
}

std::vector<std::pair<uint32_t, uint32_t>> atomRanges(const std::vector<Ipv4Range>& atoms,
                                                      const ParsedBlock& block) {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (const Ipv4Range& r : block.v4) {
        auto first = std::lower_bound(
            atoms.begin(), atoms.end(), r.first, [](const Ipv4Range& a, uint32_t v) {
                return a.first < v;
            });
        auto last = std::upper_bound(
            atoms.begin(), atoms.end(), r.last, [](uint32_t v, const Ipv4Range& a) {
                return v < a.last;
            });
        // `last` is the atom after the one ending at r.last.
        const auto begin = static_cast<uint32_t>(first - atoms.begin());
        const auto end = static_cast<uint32_t>(last - atoms.begin());
        if (begin < end) {
            out.emplace_back(begin, end);
        }
    }
    return out;
}

std::string ipv4Text(uint32_t v) {
    char buf[16];
    std::snprintf(
        buf, sizeof buf, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255U, (v >> 8) & 255U, v & 255U);
    return buf;
}

std::string externalName(uint32_t first, uint32_t last) {
    return ipv4Text(first) + "-" + ipv4Text(last) + "[External]";
}

}  // namespace netpolgen::core::detail
