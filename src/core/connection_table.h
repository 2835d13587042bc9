// Building blocks of the connectivity engine (core/connectivity.cpp): connection sets interned
// as 32-bit ids with memoised union and intersection, and a fixed-size bitset over workload
// classes. Internal to core; nothing outside the connectivity and exposure code uses them.
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/connection_set.h"

namespace netpolgen::core::detail {

constexpr uint32_t kNone = 0;  // interned id of the empty set
constexpr uint32_t kAll = 1;   // interned id of all connections

struct ConnectionSetHash {
    size_t operator()(const ConnectionSet& s) const { return s.hash(); }
};

// Interned connection sets; union and intersection memoised on id pairs.
class ConnTable {
public:
    ConnTable() {
        intern(ConnectionSet::none());
        intern(ConnectionSet::all());
    }

    uint32_t intern(ConnectionSet s) {
        auto it = ids_.find(s);
        if (it != ids_.end()) {
            return it->second;
        }
        const auto id = static_cast<uint32_t>(sets_.size());
        sets_.push_back(s);
        ids_.emplace(std::move(s), id);
        return id;
    }

    const ConnectionSet& get(uint32_t id) const { return sets_[id]; }
    size_t size() const { return sets_.size(); }

    uint32_t unite(uint32_t a, uint32_t b) {
        if (a == b || b == kNone || a == kAll) {
            return a;
        }
        if (a == kNone || b == kAll) {
            return b;
        }
        const uint64_t key = pairKey(a, b);
        auto it = union_memo_.find(key);
        if (it != union_memo_.end()) {
            return it->second;
        }
        ConnectionSet u = sets_[a];
        u.unite(sets_[b]);
        const uint32_t id = intern(std::move(u));
        union_memo_.emplace(key, id);
        return id;
    }

    uint32_t intersect(uint32_t a, uint32_t b) {
        if (a == b || b == kAll || a == kNone) {
            return a;
        }
        if (a == kAll || b == kNone) {
            return b;
        }
        const uint64_t key = pairKey(a, b);
        auto it = intersect_memo_.find(key);
        if (it != intersect_memo_.end()) {
            return it->second;
        }
        const uint32_t id = intern(sets_[a].intersect(sets_[b]));
        intersect_memo_.emplace(key, id);
        return id;
    }

private:
    static uint64_t pairKey(uint32_t a, uint32_t b) {
        return a < b ? (uint64_t{a} << 32) | b : (uint64_t{b} << 32) | a;
    }

    std::vector<ConnectionSet> sets_;
    std::unordered_map<ConnectionSet, uint32_t, ConnectionSetHash> ids_;
    std::unordered_map<uint64_t, uint32_t> union_memo_;
    std::unordered_map<uint64_t, uint32_t> intersect_memo_;
};

// A fixed-size bitset over classes.
class ClassBits {
public:
    ClassBits() = default;
    explicit ClassBits(size_t n) : n_(n), words_((n + 63) / 64, 0) {}

    size_t size() const { return n_; }
    void set(size_t i) { words_[i / 64] |= uint64_t{1} << (i % 64); }
    bool test(size_t i) const { return (words_[i / 64] >> (i % 64)) & 1U; }
    void setRange(size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i) {
            set(i);
        }
    }
    void andWith(const ClassBits& o) {
        for (size_t i = 0; i < words_.size(); ++i) {
            words_[i] &= o.words_[i];
        }
    }
    void andNot(const ClassBits& o) {
        for (size_t i = 0; i < words_.size(); ++i) {
            words_[i] &= ~o.words_[i];
        }
    }
    void orWith(const ClassBits& o) {
        for (size_t i = 0; i < words_.size(); ++i) {
            words_[i] |= o.words_[i];
        }
    }
    bool none() const {
        return std::all_of(words_.begin(), words_.end(), [](uint64_t w) { return w == 0; });
    }
    template <typename F>
    void forEach(F&& f) const {
        for (size_t i = 0; i < words_.size(); ++i) {
            uint64_t w = words_[i];
            while (w != 0) {
                const int bit = __builtin_ctzll(w);
                f(i * 64 + static_cast<size_t>(bit));
                w &= w - 1;
            }
        }
    }

private:
    size_t n_ = 0;
    std::vector<uint64_t> words_;
};

}  // namespace netpolgen::core::detail
