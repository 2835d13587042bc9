// The text of a canonical endpoint ("src" / "dst" of a canonical flow line): NAMESPACE/NAME,
// NAMESPACE/KIND/NAME, internet, internal, an IP address or a CIDR. Validated and split into a
// core::FlowEndpoint whose views point into the text: a fast path for lower-case NAMESPACE/NAME
// (8 bytes at a time), the general one-pass segment parser, the reason a text is refused
// (EndpointIssue, its message built only when the line is rejected), and the cache of texts
// already validated. Internal to io (the flow line decoder); inline, since it runs for both ends
// of every canonical line.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/flow.h"
#include "core/ip_address.h"
#include "io/swar_bytes.h"

namespace netpolgen::io::detail {

// Character classes for the endpoint syntax, one table lookup per byte.
enum CharClass : uint8_t {
    kLowerChar = 1,
    kDigitChar = 2,
    kDashChar = 4,
    kDotChar = 8,
    kColonChar = 16,
    kUpperChar = 32,
    kSlashChar = 64,
    kOtherChar = 128,
};

constexpr std::array<uint8_t, 256> buildCharClasses() {
    std::array<uint8_t, 256> t{};
    for (size_t c = 0; c < t.size(); ++c) {
        uint8_t cls = kOtherChar;
        if (c >= 'a' && c <= 'z') {
            cls = kLowerChar;
        } else if (c >= 'A' && c <= 'Z') {
            cls = kUpperChar;
        } else if (c >= '0' && c <= '9') {
            cls = kDigitChar;
        } else if (c == '-') {
            cls = kDashChar;
        } else if (c == '.') {
            cls = kDotChar;
        } else if (c == ':') {
            cls = kColonChar;
        } else if (c == '/') {
            cls = kSlashChar;
        }
        t[c] = cls;
    }
    return t;
}

inline constexpr std::array<uint8_t, 256> kCharClasses = buildCharClasses();

inline uint8_t charClass(char c) {
    return kCharClasses[static_cast<unsigned char>(c)];
}

// A segment of NAMESPACE/KIND/NAME: only the classes in `allowed`, 1..max_size bytes, starting
// and ending with a lower-case letter or digit (RFC 1123), or with a letter for a kind.
inline bool isSegment(std::string_view s, uint8_t classes, uint8_t allowed, size_t max_size) {
    return !s.empty() && s.size() <= max_size && (classes & ~allowed) == 0 &&
           (charClass(s.front()) & (allowed & ~(kDashChar | kDotChar))) != 0 &&
           (charClass(s.back()) & (allowed & ~(kDashChar | kDotChar))) != 0;
}

// Why a canonical endpoint is not valid; `part` is the offending segment, if any.
struct EndpointIssue {
    enum class What : uint8_t {
        kNone,
        kUnrecognised,
        kBadCidr,
        kTooManySegments,
        kEmptyNamespace,
        kBadNamespace,
        kBadKind,
        kEmptyName,
        kBadName,
    };
    What what = What::kNone;
    std::string_view part;
};

// The message for an endpoint text refused as `which` ("src" or "dst").
std::string describeEndpointIssue(std::string_view text,
                                  std::string_view which,
                                  const EndpointIssue& issue);

// Canonical "src" / "dst": NAMESPACE/NAME, NAMESPACE/KIND/NAME, internet, internal, IP or CIDR.
// One pass classifies the bytes of each '/'-separated segment; no allocation unless the text is
// an IPv6 address or range. parseWorkloadFast() is the fast path in front of it.
inline EndpointIssue parseEndpointSegments(std::string_view text, core::FlowEndpoint& ep) {
    using Kind = core::FlowEndpoint::Kind;
    using What = EndpointIssue::What;
    constexpr size_t kMaxSegments = 3;
    constexpr size_t kMaxNamespace = 63;
    constexpr size_t kMaxName = 253;
    constexpr size_t kMaxKind = 63;
    if (text == "internet") {
        ep.kind = Kind::kInternet;
        return {};
    }
    if (text == "internal") {
        ep.kind = Kind::kInternal;
        return {};
    }
    // Segment i is [starts[i], starts[i+1] - 1). Filled as found: zero-initialising these arrays
    // makes GCC emit `rep stos`, which is slow for a few bytes.
    std::array<size_t, kMaxSegments + 1> starts;  // NOLINT(cppcoreguidelines-pro-type-member-init)
    std::array<uint8_t, kMaxSegments> classes;    // NOLINT(cppcoreguidelines-pro-type-member-init)
    starts[0] = 0;
    size_t segments = 1;
    uint8_t current = 0;  // the classes of the segment being read, kept out of memory
    for (size_t i = 0; i < text.size(); ++i) {
        const uint8_t cls = charClass(text[i]);
        if (cls != kSlashChar) {
            current |= cls;
            continue;
        }
        if (segments == kMaxSegments) {
            segments = kMaxSegments + 1;
            break;
        }
        classes[segments - 1] = current;
        current = 0;
        starts[segments++] = i + 1;
    }
    if (segments <= kMaxSegments) {
        classes[segments - 1] = current;
    }
    const bool address = (classes[0] & (kDotChar | kColonChar)) != 0;
    if (segments == 1) {
        if (!address || !core::IpAddress::parse(text)) {
            return {What::kUnrecognised, {}};
        }
        ep.kind = Kind::kIp;
        ep.ip = text;
        return {};
    }
    if (address) {
        // Namespaces hold neither dots nor colons: this is an address range.
        if (!core::Cidr::parse(text)) {
            return {What::kBadCidr, {}};
        }
        ep.kind = Kind::kCidr;
        ep.cidr = text;
        return {};
    }
    if (segments > kMaxSegments) {
        return {What::kTooManySegments, {}};
    }
    starts[segments] = text.size() + 1;
    const auto segment = [&](size_t i) {
        return text.substr(starts[i], starts[i + 1] - 1 - starts[i]);
    };
    const std::string_view ns = segment(0);
    if (!isSegment(ns, classes[0], kLowerChar | kDigitChar | kDashChar, kMaxNamespace)) {
        return {ns.empty() ? What::kEmptyNamespace : What::kBadNamespace, ns};
    }
    std::string_view kind;
    if (segments == kMaxSegments) {
        kind = segment(1);
        if (!isSegment(kind, classes[1], kLowerChar | kUpperChar | kDigitChar, kMaxKind) ||
            (charClass(kind.front()) & kDigitChar) != 0) {
            return {What::kBadKind, kind};
        }
    }
    const std::string_view name = segment(segments - 1);
    if (!isSegment(name,
                   classes[segments - 1],
                   kLowerChar | kDigitChar | kDashChar | kDotChar,
                   kMaxName)) {
        return {name.empty() ? What::kEmptyName : What::kBadName, name};
    }
    ep.kind = Kind::kWorkload;
    ep.ns = ns;
    ep.name = name;
    ep.workload_kind = kind;
    return {};
}

// Resets an endpoint member by member: assigning FlowEndpoint{} makes GCC emit `rep stos`, whose
// start-up cost is felt once per endpoint.
inline void clearEndpoint(core::FlowEndpoint& e) {
    e.kind = core::FlowEndpoint::Kind::kUnknown;
    e.ns = {};
    e.name = {};
    e.workload_kind = {};
    e.pod = {};
    e.labels = {};
    e.ip = {};
    e.cidr = {};
    e.text = {};
}

// The common case, NAMESPACE/NAME in lower case, checked 8 bytes at a time. REQUIRES: 8 bytes
// readable from every position of `text` (it lies in the padded line). False when the slow path
// must decide (another form, or an error).
[[gnu::always_inline]] inline bool parseWorkloadFast(std::string_view text,
                                                     core::FlowEndpoint& ep) {
    constexpr size_t kMaxFast = 64;
    constexpr size_t kMaxNamespace = 63;
    constexpr uint64_t kFiller = kOnes * 'a';
    if constexpr (std::endian::native != std::endian::little) {
        return false;
    }
    const size_t n = text.size();
    if (n < 3 || n > kMaxFast) {
        return false;
    }
    uint64_t bad = 0;
    size_t slashes = 0;
    size_t slash = 0;
    size_t first_dot = n;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t w = 0;
        std::memcpy(&w, text.data() + i, sizeof w);
        if (n - i < 8) {
            const uint64_t keep = (uint64_t{1} << (8 * (n - i))) - 1;
            w = (w & keep) | (kFiller & ~keep);
        }
        // '-' '.' '/' '0'-'9' are 0x2d-0x39; 'a'-'z' are 0x61-0x7a.
        const uint64_t allowed = swarBetween(w, '-', '9') | swarBetween(w, 'a', 'z');
        bad |= (w & kHighBits) | (~allowed & kHighBits);
        const uint64_t slash_bits = swarEqual(w, '/');
        if (slash_bits != 0 && slashes == 0) {
            slash = i + static_cast<size_t>(std::countr_zero(slash_bits)) / 8;
        }
        // 0, 1 or "2 or more" per word is enough (std::popcount is a library call without POPCNT).
        slashes += static_cast<size_t>(slash_bits != 0) +
                   static_cast<size_t>((slash_bits & (slash_bits - 1)) != 0);
        const uint64_t dot_bits = swarEqual(w, '.');
        if (dot_bits != 0 && first_dot == n) {
            first_dot = i + static_cast<size_t>(std::countr_zero(dot_bits)) / 8;
        }
    }
    // One slash, no dot in the namespace (that would be a CIDR), both parts non-empty and starting
    // and ending with a letter or digit.
    if (bad != 0 || slashes != 1 || first_dot < slash || slash == 0 || slash > kMaxNamespace ||
        slash + 1 == n) {
        return false;
    }
    constexpr uint8_t kAlnum = kLowerChar | kDigitChar;
    if ((charClass(text[0]) & kAlnum) == 0 || (charClass(text[slash - 1]) & kAlnum) == 0 ||
        (charClass(text[slash + 1]) & kAlnum) == 0 || (charClass(text[n - 1]) & kAlnum) == 0) {
        return false;
    }
    ep.kind = core::FlowEndpoint::Kind::kWorkload;
    ep.ns = text.substr(0, slash);
    ep.name = text.substr(slash + 1);
    return true;
}

// Canonical endpoint texts already validated, by a hash of their bytes: files repeat the same
// few hundred endpoints, and a compare is cheaper than a validation.
inline constexpr size_t kEndpointCacheSize = 256;
inline constexpr size_t kMaxCachedEndpoint = 64;

// A valid endpoint text and where its parts are (offsets into the text).
struct EndpointCacheEntry {
    std::array<char, kMaxCachedEndpoint> text{};
    uint8_t size = 0;  // 0: empty
    core::FlowEndpoint::Kind kind = core::FlowEndpoint::Kind::kUnknown;
    uint8_t ns_size = 0;
    uint8_t kind_offset = 0;
    uint8_t kind_size = 0;
    uint8_t name_offset = 0;
    uint8_t name_size = 0;

    void store(std::string_view raw, const core::FlowEndpoint& ep) {
        if (raw.empty() || raw.size() > kMaxCachedEndpoint) {
            return;
        }
        std::memcpy(text.data(), raw.data(), raw.size());
        size = static_cast<uint8_t>(raw.size());
        kind = ep.kind;
        const auto offset = [&](std::string_view part) {
            return static_cast<uint8_t>(part.empty() ? 0 : part.data() - raw.data());
        };
        ns_size = static_cast<uint8_t>(ep.ns.size());
        kind_offset = offset(ep.workload_kind);
        kind_size = static_cast<uint8_t>(ep.workload_kind.size());
        name_offset = offset(ep.name);
        name_size = static_cast<uint8_t>(ep.name.size());
    }

    // Fills `ep` (cleared) for `raw`, a text equal to the stored one.
    void apply(std::string_view raw, core::FlowEndpoint& ep) const {
        using Kind = core::FlowEndpoint::Kind;
        ep.kind = kind;
        if (kind == Kind::kWorkload) {
            ep.ns = raw.substr(0, ns_size);
            ep.workload_kind = raw.substr(kind_offset, kind_size);
            ep.name = raw.substr(name_offset, name_size);
        } else if (kind == Kind::kIp) {
            ep.ip = raw;
        } else if (kind == Kind::kCidr) {
            ep.cidr = raw;
        }
    }
};

// The cache slot of an endpoint text: its size and first and last words. REQUIRES: 8 bytes
// readable from text.data() (it lies in the padded line).
inline size_t endpointCacheSlot(std::string_view text) {
    uint64_t first = 0;
    uint64_t last = 0;
    std::memcpy(&first, text.data(), sizeof first);
    if (text.size() >= sizeof last) {
        std::memcpy(&last, text.data() + text.size() - sizeof last, sizeof last);
    }
    if (text.size() < sizeof first) {
        first &= (uint64_t{1} << (8 * text.size())) - 1;
    }
    constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
    const uint64_t h = (first * kGolden) ^ (last + text.size()) * 0xc2b2ae3d27d4eb4fULL;
    return static_cast<size_t>(h >> 56) % kEndpointCacheSize;
}

}  // namespace netpolgen::io::detail
