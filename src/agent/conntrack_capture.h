// ConntrackCapture: new connections as the kernel's connection tracker announces them — the
// agent's fallback where its eBPF programs cannot load (old kernel, no BTF, locked-down BPF).
//
//   auto capture = ConntrackCapture::open();  // in the network namespace to watch
//   if (!capture) return Error{capture.error()};
//   for (;;) { auto observations = (*capture)->poll(); …; sleep(1 s); }
//
// What it reports: every connection tracked in the network namespace of the thread that called
// open() is one connection, Edge{client = original-direction source, server = the reply's
// source (the backend after a destination NAT such as a Service's, else the original
// destination), server_port = the reply's source port (likewise)}, for TCP, UDP and SCTP (ICMP
// and other protocols are left out: a NetworkPolicy cannot name them). The point is
// {that namespace's inode, Side::kTransit}: conntrack sees the connection pass, not a socket.
// Conntrack only tracks in a namespace where some rule needs it (iptables/nftables state
// matching, NAT, kube-proxy): elsewhere the capture is silent, not failing. open() refuses a
// namespace whose net.netfilter.nf_conntrack_events is 0 (no announcements at all there).
//
// What counts as a connection, as the eBPF capture counts it:
// - TCP: an entry once it is established — conntrack's state ESTABLISHED, or one that normally
//   follows it (FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT) — counted once however many events
//   show it so. Conntrack creates an entry (and announces it) for every SYN it forwards, also
//   one refused by a RST or never answered: such an entry stays SYN_SENT/SYN_RECV and ends
//   CLOSE (a refused one is destroyed at once: NEW SYN_SENT, then DESTROY), which does not
//   count (an established connection reset later was counted when established).
//   An entry picked up mid-stream (nf_conntrack_tcp_loose) is ESTABLISHED from its NEW event.
// - UDP and SCTP: an entry when it is created (UDP: an exchange's first datagram, as the eBPF
//   capture counts it; SCTP likewise — its association states are not looked at, so an INIT
//   answered by ABORT counts).
//
// How: a netlink socket subscribed to NFNLGRP_CONNTRACK_NEW, _UPDATE and _DESTROY
// (non-blocking, 8 MiB receive buffer), then a dump of the table on a second socket. A TCP
// entry is counted by the first event (NEW or UPDATE: the state comes with those that change
// it) showing it established, then remembered by its conntrack id and original tuple so that
// its later events (ASSURED, FIN_WAIT, …) do not count it again; its DESTROY event forgets it
// (a conntrack id can come back with the same tuple once the entry is gone: it is derived from
// the entry's address). The remembered entries are at most Options::max_remembered (1 Mi) —
// reached only when DESTROY events were lost (see Losses) or as many TCP connections are
// established at once: the oldest is forgotten first, and counted again if a later event of it
// shows it established (a FIN after a long life).
//
// Kernel: with net.netfilter.nf_conntrack_events = 2 (the default since Linux 6.0, "when
// someone listens") an entry created while no socket of the namespace was subscribed never
// announces anything — no UPDATE, no DESTROY. So an entry dumped in its handshake that was
// created before open() is never counted (a connection being opened as the agent starts), and
// the key of an entry dumped ESTABLISHED then is only forgotten by the bound (at most the table
// at the start).
//
// At the start, as the eBPF capture (which reads the sockets open at the start): the dump
// counts the TCP entries ESTABLISHED now (the connections opened before the agent started), in
// the first poll(), and remembers them. It counts no UDP or SCTP entry (a past exchange, or one
// created after the subscription: announced, so counted by its NEW event), and no TCP entry
// closing (FIN_WAIT … TIME_WAIT: opened and done before the start) — those are remembered so
// that their later events do not count them, unless an event shows one becoming ESTABLISHED
// (opened after the subscription and closing by the dump) during the start-up window (the first
// poll at least 1 s after the dump). A TCP entry dumped before it was established counts when
// its UPDATE shows it established.
//
// Losses: when the receive buffer overflows the kernel drops events (and the next read fails
// with ENOBUFS once). lost() is the socket's drop counter (SO_MEMINFO, SK_MEMINFO_DROPS: the
// kernel adds one per event it could not queue; 32 bits, it wraps after 4 G drops); on a
// kernel without SO_MEMINFO (< 4.12) it is the number of ENOBUFS seen, one per overrun, a lower
// bound. Each lost event hides at most one connection: a UDP or SCTP entry's NEW, or the UPDATE
// that showed a TCP entry established (unless a later event of it still shows it established:
// it counts then); a lost DESTROY hides none but leaves its entry remembered until evicted. So
// lost() bounds the connections missed from above. A TCP connection takes ~8 events (NEW,
// SYN_RECV, ESTABLISHED, FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT, DESTROY), a UDP one 2 or
// 3 (NEW, the reply's UPDATE, DESTROY): the buffer holds the events of some thousands of
// connections between two polls.
//
// Memory: the counts of one poll (one entry per distinct edge), a 128 KiB read buffer, the
// remembered TCP entries (~150 bytes each, at most ~150 MiB at the bound; in practice the TCP
// connections through the namespace open now or closed within TIME_WAIT's 2 minutes), and
// during the start-up window the keys of the TCP entries dumped closing (~100 bytes each, freed
// by the first poll after it). A poll reads at most what was queued when it started (plus one
// message), so a busy node cannot keep it reading forever.
//
// Not thread-safe; poll() may be called from any thread (the socket keeps its namespace).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
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
        // How many TCP entries (counted, or closing at the start) are remembered at most (see
        // the header comment).
        size_t max_remembered = size_t{1} << 20;
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
    // The connections counted since the previous call (the first call: also the TCP
    // connections established at the start), one Observation per edge, sorted. Never blocks. An
    // error (the socket failed) is fatal for the capture.
    core::Result<std::vector<Observation>> poll() override;
    // Events dropped since open() (see the header comment).
    uint64_t lost() const override;

    // The inode of the network namespace watched.
    uint64_t netns() const { return point_.netns; }
    // How many TCP entries are remembered now (for tests and metrics).
    size_t remembered() const { return remembered_.size(); }

private:
    // An entry's identity: the original tuple and conntrack's id (a reused tuple gets another).
    struct EntryKey {
        Edge edge;
        uint16_t client_port = 0;
        uint32_t id = 0;
        auto operator<=>(const EntryKey&) const = default;
    };
    struct EntryKeyHash {
        size_t operator()(const EntryKey& key) const;
    };

    // TCP entries counted (or closing at the start), oldest first, at most max_remembered:
    // forgotten on their DESTROY, or the oldest when a new one would exceed the bound.
    class Remembered {
    public:
        explicit Remembered(size_t max) : max_(std::max<size_t>(max, 1)) {}
        bool contains(const EntryKey& key) const { return index_.contains(key); }
        void insert(const EntryKey& key);
        void erase(const EntryKey& key);
        size_t size() const { return index_.size(); }

    private:
        size_t max_;
        std::list<EntryKey> order_;
        std::unordered_map<EntryKey, std::list<EntryKey>::iterator, EntryKeyHash> index_;
    };

    ConntrackCapture(int fd, ObservationPoint point, size_t max_remembered);
    core::Status dump();
    // Counts one ctnetlink message (a struct nlmsghdr: an event or a dumped entry).
    void take(const void* message, bool dumped);

    int fd_ = -1;
    ObservationPoint point_;
    std::map<Edge, uint64_t> counts_;
    Remembered remembered_;
    // TCP entries the dump saw closing, while the event of their establishment may still be
    // queued (see the header comment).
    std::set<EntryKey> closing_at_dump_;
    std::chrono::steady_clock::time_point dumped_at_;
    uint64_t overruns_ = 0;  // ENOBUFS seen
    std::vector<char> buffer_;
};

}  // namespace netpolgen::agent
