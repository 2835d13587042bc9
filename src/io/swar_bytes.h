// SWAR ("SIMD within a register") byte tests over 8 bytes of a uint64_t, for the flow decoder's
// scans of short texts in the padded line: which bytes equal a value or lie in a range, and whether
// a text holds a backslash. Each test is exact per byte (no carries between bytes); the result has
// bit 7 of each matching byte set. Internal to io (the flow line decoder and its helpers).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace netpolgen::io::detail {

inline constexpr uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr uint64_t kHighBits = 0x8080808080808080ULL;
inline constexpr uint64_t kLowBits = 0x7f7f7f7f7f7f7f7fULL;

// Bit 7 of each byte equal to `c`.
constexpr uint64_t swarEqual(uint64_t w, unsigned char c) {
    const uint64_t x = w ^ (kOnes * c);
    return ~(((x & kLowBits) + kLowBits) | x) & kHighBits;
}

// Bit 7 of each ASCII byte >= `lo` (bytes with bit 7 set must be rejected separately).
constexpr uint64_t swarAtLeast(uint64_t w, unsigned char lo) {
    return ((w & kLowBits) + kOnes * static_cast<unsigned char>(0x80 - lo)) & kHighBits;
}

constexpr uint64_t swarBetween(uint64_t w, unsigned char lo, unsigned char hi) {
    return swarAtLeast(w, lo) & ~swarAtLeast(w, static_cast<unsigned char>(hi + 1));
}

// True when `text` holds a backslash. REQUIRES: 8 bytes readable from every position of `text`
// (it lies in the padded line).
[[gnu::always_inline]] inline bool hasBackslash(std::string_view text) {
    if constexpr (std::endian::native == std::endian::little) {
        for (size_t i = 0; i < text.size(); i += 8) {
            uint64_t w = 0;
            std::memcpy(&w, text.data() + i, sizeof w);
            uint64_t hits = swarEqual(w, '\\');
            if (text.size() - i < 8) {
                hits &= (uint64_t{1} << (8 * (text.size() - i))) - 1;
            }
            if (hits != 0) {
                return true;
            }
        }
        return false;
    } else {
        return text.find('\\') != std::string_view::npos;
    }
}

}  // namespace netpolgen::io::detail
