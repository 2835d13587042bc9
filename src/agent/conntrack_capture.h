// ConntrackCapture: new connections as the kernel's connection tracker announces them — the
// agent's fallback where its eBPF programs cannot load (old kernel, no BTF, locked-down BPF).
//
//   auto capture = ConntrackCapture::open();  // in the network namespace to watch
//   if (!capture) return Error{capture.error()};
//   for (;;) { auto observations = (*capture)->poll(); …; sleep(1 s); }
//
// What it reports: every conntrack entry created in the network namespace of the thread that
// called open() is one connection, Edge{client = original-direction source, server = the
// reply's source (the backend after a destination NAT such as a Service's, else the original
// destination), server_port = the reply's source port (likewise)}, for TCP, UDP and
// SCTP (ICMP and other protocols are left out: a NetworkPolicy cannot name them). The point is
// {that namespace's inode, Side::kTransit}: conntrack sees the connection pass, not a socket.
// Conntrack only tracks in a namespace where some rule needs it (iptables/nftables state
// matching, NAT, kube-proxy): elsewhere the capture is silent, not failing. open() refuses a
// namespace whose net.netfilter.nf_conntrack_events is 0 (no announcements at all there).
//
// How: a netlink socket subscribed to NFNLGRP_CONNTRACK_NEW (non-blocking, 8 MiB receive
// buffer), then a dump of the table on a second socket, so the connections opened before the
// agent started come with the first poll(). An entry created between the subscription and the
// dump is both announced and dumped: the dumped entries are remembered by their original tuple
// and conntrack id until the start-up window is over (the first poll at least 1 s after the
// dump), and an announcement of one of them is not counted again.
//
// Losses: when the receive buffer overflows the kernel drops announcements (and the next read
// fails with ENOBUFS once). lost() is the socket's drop counter (SO_MEMINFO, SK_MEMINFO_DROPS:
// the kernel adds one per announcement it could not queue, so it is exact; 32 bits, it wraps
// after 4 G drops); on a kernel without SO_MEMINFO (< 4.12) it is the number of ENOBUFS seen,
// one per overrun, a lower bound. Each lost announcement is one connection not counted.
//
// Memory: the counts of one poll (one entry per distinct edge), a 128 KiB read buffer, and
// during the start-up window the keys of the dumped entries (~100 bytes per table entry, freed
// by the first poll after the window). A poll reads at most what was queued when it started
// (plus one message), so a busy node cannot keep it reading forever.
//
// Not thread-safe; poll() may be called from any thread (the socket keeps its namespace).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "agent/observation.h"
#include "core/result.h"

namespace netpolgen::agent {

class ConntrackCapture final : public ConnectionSource {
public:
    struct Options {
        // SO_RCVBUFFORCE (SO_RCVBUF if refused); the kernel doubles it for its bookkeeping.
        int receive_buffer_bytes = 8 << 20;
        // Called after the subscription and before the dump (tests: an entry created in the
        // window between the two).
        std::function<void()> after_subscribe;
    };

    // Subscribes, then dumps the table. Errors say what failed and why, e.g. "conntrack: cannot
    // subscribe to conntrack events: Operation not permitted (needs CAP_NET_ADMIN)".
    static core::Result<std::unique_ptr<ConntrackCapture>> open();
    static core::Result<std::unique_ptr<ConntrackCapture>> open(const Options& options);

    ~ConntrackCapture() override;
    ConntrackCapture(const ConntrackCapture&) = delete;
    ConntrackCapture& operator=(const ConntrackCapture&) = delete;

    // "conntrack"
    std::string name() const override;
    // The connections announced since the previous call (the first call: also the dumped
    // table), one Observation per edge, sorted. Never blocks. An error (the socket failed) is
    // fatal for the capture.
    core::Result<std::vector<Observation>> poll() override;
    // Announcements dropped since open() (see the header comment).
    uint64_t lost() const override;

    // The inode of the network namespace watched.
    uint64_t netns() const { return point_.netns; }

private:
    // An entry's identity: the original tuple and conntrack's id (a reused tuple gets another).
    struct EntryKey {
        Edge edge;
        uint16_t client_port = 0;
        uint32_t id = 0;
        auto operator<=>(const EntryKey&) const = default;
    };

    ConntrackCapture(int fd, ObservationPoint point);
    core::Status dump();
    // Counts one ctnetlink message (a struct nlmsghdr: an announcement or a dumped entry).
    void take(const void* message, bool dumped);

    int fd_ = -1;
    ObservationPoint point_;
    std::map<Edge, uint64_t> counts_;
    // Dumped entries, while announcements of them may still be queued.
    std::set<EntryKey> dumped_;
    std::chrono::steady_clock::time_point dumped_at_;
    uint64_t overruns_ = 0;  // ENOBUFS seen
    std::vector<char> buffer_;
};

}  // namespace netpolgen::agent
