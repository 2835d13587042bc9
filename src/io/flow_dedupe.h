// ConnectionDeduper: recognises the second observation of one connection in Hubble flows (private
// to the flow reader).
//
// Cilium reports a connection at the source node (EGRESS, FROM_ENDPOINT) and again at the
// destination node (INGRESS, TO_ENDPOINT), sometimes also as a policy-verdict event. All of these
// carry the same 5-tuple. The deduper remembers, per 5-tuple, the last time it was seen: a second
// observation within kWindowSeconds is a duplicate.
//
// The key is a 128-bit hash of (src IP, src port, dst IP, dst port, protocol); a false duplicate
// needs a 128-bit collision. Memory is bounded: past kEvictAbove entries, entries older than
// kWindowSeconds behind the newest time seen are evicted, and at kHardCap the table is cleared.
//
//   ConnectionDeduper dedupe;
//   if (dedupe.seen(src_ip, src_port, dst_ip, dst_port, proto, time)) { skip(); }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/flow.h"

namespace netpolgen::io {

class ConnectionDeduper {
public:
    static constexpr int64_t kWindowSeconds = 60;
    static constexpr size_t kEvictAbove = size_t{1} << 16;
    static constexpr size_t kHardCap = size_t{1} << 20;

    // True when the same 5-tuple was seen at most kWindowSeconds (either way) from `time`;
    // records the later of the two times. An undated observation counts as time 0.
    bool seen(std::string_view src_ip,
              uint32_t src_port,
              std::string_view dst_ip,
              uint32_t dst_port,
              uint8_t protocol,
              core::Timestamp time);

    size_t size() const { return size_; }

private:
    struct Slot {
        uint64_t a = 0;  // 0 = empty
        uint64_t b = 0;
        int64_t time = 0;
    };

    Slot* find(uint64_t a, uint64_t b);
    void evict();
    void rebuild(size_t capacity, int64_t oldest_kept);

    std::vector<Slot> slots_;
    size_t size_ = 0;
    size_t evict_at_ = kEvictAbove;
    int64_t newest_ = core::kUndated;
};

}  // namespace netpolgen::io
