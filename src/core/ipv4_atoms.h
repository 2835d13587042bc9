// IPv4 "atoms" of the connectivity engine: an ipBlock (cidr minus its excepts) as maximal IPv4
// intervals, and the disjoint ranges cut at every block boundary that connectivity reports as
// External peers ("a.b.c.d-e.f.g.h[External]", netpol-analyzer's convention). IPv6 blocks make
// no atoms (docs/networkpolicy-semantics.md; ../shared/conformance/netpol-analyzer).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/ip_address.h"
#include "core/network_policy.h"

namespace netpolgen::core::detail {

// An IPv4 range, inclusive.
struct Ipv4Range {
    uint32_t first = 0;
    uint32_t last = 0;
};

// An ipBlock, parsed once. `v4`: the IPv4 addresses it stands for (cidr minus every except) as
// maximal intervals, as netpol-analyzer splits a block (adjacent excepts merge).
struct ParsedBlock {
    bool valid = false;
    Cidr cidr;
    std::vector<Cidr> except;
    std::vector<Ipv4Range> v4;

    bool matches(const IpAddress& ip) const;
};

// Invalid CIDRs give valid == false; invalid excepts are ignored.
ParsedBlock parseBlock(const IpBlock& block);

// Disjoint IPv4 ranges cut at the boundaries of every block's intervals; the whole space when
// there are none.
std::vector<Ipv4Range> makeAtoms(const std::vector<const ParsedBlock*>& blocks);

// Index ranges [begin, end) of the atoms a block covers (atoms never straddle its intervals).
std::vector<std::pair<uint32_t, uint32_t>> atomRanges(const std::vector<Ipv4Range>& atoms,
                                                      const ParsedBlock& block);

std::string ipv4Text(uint32_t v);
// "a.b.c.d-e.f.g.h[External]".
std::string externalName(uint32_t first, uint32_t last);

}  // namespace netpolgen::core::detail
