#include "io/flow_dedupe.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace netpolgen::io {
namespace {

constexpr size_t kInitialSlots = 1024;
constexpr uint64_t kMulA = 0x9e3779b97f4a7c15ULL;
constexpr uint64_t kMulB = 0xc2b2ae3d27d4eb4fULL;

constexpr uint64_t rotl(uint64_t x, int r) {
    return (x << r) | (x >> (64 - r));
}

// MurmurHash3's finaliser: every input bit affects every output bit.
constexpr uint64_t fmix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

// Two independent 64-bit lanes over the same words: together a 128-bit key.
struct Hash128 {
    uint64_t a = 0x243f6a8885a308d3ULL;
    uint64_t b = 0x13198a2e03707344ULL;

    void word(uint64_t w) {
        a = rotl((a ^ w) * kMulA, 31);
        b = rotl((b ^ rotl(w, 17)) * kMulB, 27) + a;
    }

    void bytes(std::string_view s) {
        size_t i = 0;
        for (; i + 8 <= s.size(); i += 8) {
            uint64_t w = 0;
            std::memcpy(&w, s.data() + i, 8);
            word(w);
        }
        uint64_t tail = 0;
        std::memcpy(&tail, s.data() + i, s.size() - i);
        word(tail ^ (uint64_t{s.size()} << 56));
    }
};

}  // namespace

bool ConnectionDeduper::seen(std::string_view src_ip,
                             uint32_t src_port,
                             std::string_view dst_ip,
                             uint32_t dst_port,
                             uint8_t protocol,
                             core::Timestamp time) {
    const int64_t t = time == core::kUndated ? 0 : time;
    Hash128 h;
    h.bytes(src_ip);
    h.bytes(dst_ip);
    h.word((uint64_t{src_port} << 32) | (uint64_t{dst_port} << 8) | protocol);
    uint64_t a = fmix(h.a ^ h.b);
    const uint64_t b = fmix(h.b + kMulB);
    if (a == 0) {
        a = 1;  // 0 marks an empty slot
    }

    newest_ = std::max(newest_, t);
    if (slots_.empty()) {
        slots_.resize(kInitialSlots);
    }
    Slot* slot = find(a, b);
    if (slot->a != 0) {
        const int64_t last = slot->time;
        slot->time = std::max(last, t);
        const int64_t gap = t > last ? t - last : last - t;
        return gap <= kWindowSeconds;
    }
    *slot = Slot{a, b, t};
    ++size_;
    if (size_ > evict_at_) {
        evict();
    } else if (size_ * 2 > slots_.size()) {
        rebuild(slots_.size() * 2, std::numeric_limits<int64_t>::min());
    }
    return false;
}

ConnectionDeduper::Slot* ConnectionDeduper::find(uint64_t a, uint64_t b) {
    const size_t mask = slots_.size() - 1;
    size_t i = static_cast<size_t>(a) & mask;
    while (true) {
        Slot& s = slots_[i];
        if (s.a == 0 || (s.a == a && s.b == b)) {
            return &s;
        }
        i = (i + 1) & mask;
    }
}

void ConnectionDeduper::evict() {
    if (size_ >= kHardCap) {
        // Even the recent entries are too many: forget everything rather than grow further.
        slots_.assign(kInitialSlots, Slot{});
        size_ = 0;
        evict_at_ = kEvictAbove;
        return;
    }
    const int64_t oldest_kept = newest_ - kWindowSeconds;
    size_t kept = 0;
    for (const Slot& s : slots_) {
        if (s.a != 0 && s.time >= oldest_kept) {
            ++kept;
        }
    }
    size_t capacity = kInitialSlots;
    while (capacity < kept * 2) {
        capacity *= 2;
    }
    rebuild(capacity, oldest_kept);
    // With many recent connections, evicting again right away would find nothing to evict.
    // At kHardCap - 1 the next insertion evicts again and clears the table.
    evict_at_ = std::min(std::max(kEvictAbove, size_ * 2), kHardCap - 1);
}

void ConnectionDeduper::rebuild(size_t capacity, int64_t oldest_kept) {
    std::vector<Slot> old(capacity);
    old.swap(slots_);
    size_ = 0;
    for (const Slot& s : old) {
        if (s.a != 0 && s.time >= oldest_kept) {
            *find(s.a, s.b) = s;
            ++size_;
        }
    }
}

}  // namespace netpolgen::io
