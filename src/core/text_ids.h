// TextIds: dense ids (0, 1, 2, … in order of first sight) for distinct byte strings.
//
// For the flow line path: a file names a few thousand endpoints on millions of lines, so each
// distinct endpoint text is resolved once and every later line costs one hash of a string_view and
// one compare, with no allocation (core/flow_aggregator.h). The table is open addressing over
// (hash, id) pairs; the texts live end to end in one string. Equal texts get the same id whatever
// their hashes collide with.
//
//   TextIds ids;
//   auto [id, added] = ids.intern("shop/checkout");  // {0, true}; again: {0, false}
//   ids.find("shop/cart");                           // TextIds::kNone
//   ids.text(0);                                     // "shop/checkout"
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace netpolgen::core {

// A fast 64-bit hash of a short string (8 bytes at a time, multiply-xorshift mixing). Not for
// hostile keys: a hostile flow file can at worst make its own lookups slow.
struct TextHash {
    static uint64_t mix(uint64_t h) {
        h ^= h >> 32;
        h *= 0xd6e8feb86659fd93ULL;
        h ^= h >> 32;
        return h;
    }
    uint64_t operator()(std::string_view s) const {
        uint64_t h = 0x9e3779b97f4a7c15ULL ^ (s.size() * 0xff51afd7ed558ccdULL);
        const char* p = s.data();
        size_t n = s.size();
        while (n > 8) {
            uint64_t w = 0;
            std::memcpy(&w, p, sizeof w);
            h = mix(h ^ w);
            p += 8;
            n -= 8;
        }
        uint64_t w = 0;
        if (s.size() >= 8) {
            std::memcpy(&w, s.data() + s.size() - 8, sizeof w);  // the last 8 bytes, overlapping
        } else if (n >= 4) {
            uint32_t a = 0;
            uint32_t b = 0;
            std::memcpy(&a, p, sizeof a);
            std::memcpy(&b, p + n - 4, sizeof b);
            w = (uint64_t{a} << 32) | b;
        } else if (n > 0) {
            w = uint64_t{static_cast<unsigned char>(p[0])} |
                uint64_t{static_cast<unsigned char>(p[n / 2])} << 8 |
                uint64_t{static_cast<unsigned char>(p[n - 1])} << 16;
        }
        return mix(mix(h ^ w));
    }
};

template <typename Hash = TextHash>
class BasicTextIds {
public:
    static constexpr uint32_t kNone = 0xffffffffu;

    // The id of `text`, and whether it was added now.
    std::pair<uint32_t, bool> intern(std::string_view text) {
        if ((size() + 1) * 4 > table_.size() * 3) {
            rehash(table_.empty() ? kInitialSlots : table_.size() * 2);
        }
        const uint64_t h = Hash{}(text);
        const size_t mask = table_.size() - 1;
        for (size_t i = h & mask;; i = (i + 1) & mask) {
            Slot& slot = table_[i];
            if (slot.id == kNone) {
                slot = {h, static_cast<uint32_t>(size())};
                bytes_.append(text);
                ends_.push_back(bytes_.size());
                return {slot.id, true};
            }
            if (slot.hash == h && text == this->text(slot.id)) {
                return {slot.id, false};
            }
        }
    }

    // The id of `text`, or kNone.
    uint32_t find(std::string_view text) const {
        if (table_.empty()) {
            return kNone;
        }
        const uint64_t h = Hash{}(text);
        const size_t mask = table_.size() - 1;
        for (size_t i = h & mask;; i = (i + 1) & mask) {
            const Slot& slot = table_[i];
            if (slot.id == kNone) {
                return kNone;
            }
            if (slot.hash == h && text == this->text(slot.id)) {
                return slot.id;
            }
        }
    }

    // REQUIRES: id < size().
    std::string_view text(uint32_t id) const {
        const size_t begin = id == 0 ? 0 : ends_[id - 1];
        return std::string_view(bytes_).substr(begin, ends_[id] - begin);
    }
    size_t size() const { return ends_.size(); }

private:
    static constexpr size_t kInitialSlots = 64;

    struct Slot {
        uint64_t hash = 0;
        uint32_t id = kNone;
    };

    void rehash(size_t slots) {
        std::vector<Slot> old = std::move(table_);
        table_.assign(slots, Slot{});
        const size_t mask = slots - 1;
        for (const Slot& s : old) {
            if (s.id == kNone) {
                continue;
            }
            size_t i = s.hash & mask;
            while (table_[i].id != kNone) {
                i = (i + 1) & mask;
            }
            table_[i] = s;
        }
    }

    std::vector<Slot> table_;   // a power of 2 slots, at most 3/4 full
    std::vector<size_t> ends_;  // text id ends at bytes_[ends_[id]]; it starts where id - 1 ends
    std::string bytes_;
};

using TextIds = BasicTextIds<>;

}  // namespace netpolgen::core
