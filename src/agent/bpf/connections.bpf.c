// SPDX-License-Identifier: GPL-2.0-only
// The kernel half of `netpolgen agent` (src/agent/bpf_capture.h): counts new connections in every
// network namespace of the node, in kernel maps, so that user space reads a few counters per
// interval instead of one event per packet.
//
// - TCP: the `sock:inet_sock_set_state` tracepoint (BTF-typed, no tracefs needed). A socket that
//   becomes ESTABLISHED from SYN_SENT is the client end of a new connection (it called connect);
//   from SYN_RECV, the server end (an accepted child socket). Nothing else is counted: replies,
//   retransmissions and closes never reach the maps.
// - UDP: the first datagram of a 5-tuple that a network namespace sees (sent or received by any
//   of its devices: the `net:net_dev_queue` and `net:netif_receive_skb` tracepoints) is the
//   client's: its source is the client, its destination and port the server. Later datagrams of
//   the tuple, replies included, find it in a bounded LRU map and count nothing. Each namespace a
//   datagram crosses (the client's, the node's when forwarded, the server's) sees it once: user
//   space counts an edge's connections as the most any one namespace saw (agent/edge_merger.h).
//   Tracepoints only: fentry and kprobes are missing from kernels that have BTF (the test
//   machine has neither).
//
// Counts go to one of two hash maps (atomic adds: their size does not grow with the number of
// CPUs, as a per-CPU map's would), chosen by `active_slot` (written by user space):
// user space flips the slot, lets programs that read the old value finish, then drains the
// other map. An update that finds the map full is counted in `lost_events`.
//
// Kernel types are declared here with only the fields read, marked preserve_access_index: libbpf
// relocates every field access against the running kernel's BTF (CO-RE), so one object runs on
// every kernel with BTF, whatever the layout of its structs.

#include <linux/bpf.h>
#include <linux/types.h>

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#define AF_INET 2
#define AF_INET6 10
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define TCP_ESTABLISHED 1
#define TCP_SYN_SENT 2
#define TCP_SYN_RECV 3

#define SIDE_CLIENT 0
#define SIDE_SERVER 1
#define SIDE_TRANSIT 2

// ---- kernel types, only the fields read (CO-RE relocated) ----

struct ns_common {
    unsigned int inum;
} __attribute__((preserve_access_index));

struct net {
    struct ns_common ns;
} __attribute__((preserve_access_index));

typedef struct {
    struct net *net;
} __attribute__((preserve_access_index)) possible_net_t;

union in6_u {
    __u8 u6_addr8[16];
} __attribute__((preserve_access_index));

struct in6_addr {
    union in6_u in6_u;
} __attribute__((preserve_access_index));

struct sock_common {
    __be32 skc_daddr;
    __be32 skc_rcv_saddr;
    __be16 skc_dport;
    __u16 skc_num;
    unsigned short skc_family;
    possible_net_t skc_net;
    struct in6_addr skc_v6_daddr;
    struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
    struct sock_common __sk_common;
    __u16 sk_protocol;
} __attribute__((preserve_access_index));

struct net_device {
    possible_net_t nd_net;
} __attribute__((preserve_access_index));

struct sk_buff {
    struct sock *sk;
    struct net_device *dev;
    __be16 protocol;
    unsigned char *head;
    unsigned char *data;
    __u16 transport_header;
    __u16 network_header;
} __attribute__((preserve_access_index));


// ---- maps shared with user space (layouts mirrored in src/agent/bpf_capture.cpp) ----

// One counted edge as this network namespace saw it. Addresses are in network order, IPv4 in
// the first 4 bytes; ports in host order.
struct conn_key {
    __u32 netns;
    __u8 family;
    __u8 protocol;
    __u8 side;
    __u8 pad;
    __u16 server_port;
    __u16 pad2;
    __u8 client[16];
    __u8 server[16];
};

// A UDP 5-tuple in one network namespace, its ends in canonical order (udp_datagram).
struct udp_tuple {
    __u32 netns;
    __u8 family;
    __u8 pad[3];
    __u16 low_port;
    __u16 high_port;
    __u8 low[16];
    __u8 high[16];
};

#define CONN_ENTRIES 65536
#define UDP_TUPLES 65536

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, CONN_ENTRIES);
    __type(key, struct conn_key);
    __type(value, __u64);
} conns_0 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, CONN_ENTRIES);
    __type(key, struct conn_key);
    __type(value, __u64);
} conns_1 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, UDP_TUPLES);
    __type(key, struct udp_tuple);
    __type(value, __u8);
} udp_seen SEC(".maps");

// [0]: counts that found their map full.
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} lost_events SEC(".maps");

// Which conns_N map the programs count into; user space flips it before draining the other.
volatile __u32 active_slot = 0;

static __always_inline void count_lost(void)
{
    __u32 zero = 0;
    __u64 *lost = bpf_map_lookup_elem(&lost_events, &zero);
    if (lost)
        *lost += 1;
}

static __always_inline void count(struct conn_key *key)
{
    void *map = active_slot ? (void *)&conns_1 : (void *)&conns_0;
    __u64 *value = bpf_map_lookup_elem(map, key);
    if (value) {
        __sync_fetch_and_add(value, 1);
        return;
    }
    __u64 one = 1;
    if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) == 0)
        return;
    // Another CPU may have added the key in between.
    value = bpf_map_lookup_elem(map, key);
    if (value)
        __sync_fetch_and_add(value, 1);
    else
        count_lost();  // the map is full
}

static __always_inline __u32 netns_of(const struct sock *sk)
{
    return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
}

// ---- TCP ----

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(tcp_state, const struct sock *sk, const int oldstate, const int newstate)
{
    if (newstate != TCP_ESTABLISHED)
        return 0;
    if (oldstate != TCP_SYN_SENT && oldstate != TCP_SYN_RECV)
        return 0;
    if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
        return 0;

    struct conn_key key = {};
    key.netns = netns_of(sk);
    key.protocol = IPPROTO_TCP;
    key.family = BPF_CORE_READ(sk, __sk_common.skc_family) == AF_INET6 ? 6 : 4;
    __u16 local_port = BPF_CORE_READ(sk, __sk_common.skc_num);
    __u16 remote_port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
    __u8 local[16] = {};
    __u8 remote[16] = {};
    if (key.family == 4) {
        __be32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
        __be32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
        __builtin_memcpy(local, &l, 4);
        __builtin_memcpy(remote, &r, 4);
    } else {
        BPF_CORE_READ_INTO(&local, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
        BPF_CORE_READ_INTO(&remote, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
    }
    if (oldstate == TCP_SYN_SENT) {
        key.side = SIDE_CLIENT;
        key.server_port = remote_port;
        __builtin_memcpy(key.client, local, 16);
        __builtin_memcpy(key.server, remote, 16);
    } else {
        key.side = SIDE_SERVER;
        key.server_port = local_port;
        __builtin_memcpy(key.client, remote, 16);
        __builtin_memcpy(key.server, local, 16);
    }
    count(&key);
    return 0;
}

// ---- UDP ----

// The tuple is kept in canonical order (lower address and port first), so that a datagram and
// its reply find the same entry: the first datagram of a tuple a namespace sees decides who is
// the client (its source) and the server (its destination and port).
static __always_inline void canonical_tuple(struct udp_tuple *tuple, const __u8 *source,
                                            __u16 source_port, const __u8 *destination,
                                            __u16 destination_port)
{
    int source_first = 1;
    for (int i = 0; i < 16; i++) {
        if (source[i] != destination[i]) {
            source_first = source[i] < destination[i];
            break;
        }
        if (i == 15)
            source_first = source_port <= destination_port;
    }
    if (source_first) {
        __builtin_memcpy(tuple->low, source, 16);
        __builtin_memcpy(tuple->high, destination, 16);
        tuple->low_port = source_port;
        tuple->high_port = destination_port;
    } else {
        __builtin_memcpy(tuple->low, destination, 16);
        __builtin_memcpy(tuple->high, source, 16);
        tuple->low_port = destination_port;
        tuple->high_port = source_port;
    }
}

// One UDP datagram passing a device of namespace `netns`, its IP header at `network`. `side`:
// SIDE_CLIENT when a local socket sends it, SIDE_TRANSIT otherwise (received, or forwarded).
static __always_inline void udp_datagram(__u32 netns, __u16 ethertype, unsigned char *network,
                                         __u8 side)
{
    __u8 header[40];
    struct udp_tuple tuple = {};
    __u8 source[16] = {};
    __u8 destination[16] = {};
    unsigned char *transport;
    tuple.netns = netns;
    if (ethertype == ETH_P_IP) {
        if (bpf_probe_read_kernel(header, 20, network) != 0)
            return;
        if (header[9] != IPPROTO_UDP)
            return;
        if (((header[6] & 0x1f) | header[7]) != 0)
            return;  // a fragment after the first: no UDP header
        tuple.family = 4;
        __builtin_memcpy(source, header + 12, 4);
        __builtin_memcpy(destination, header + 16, 4);
        transport = network + (header[0] & 0x0f) * 4;
    } else if (ethertype == ETH_P_IPV6) {
        if (bpf_probe_read_kernel(header, 40, network) != 0)
            return;
        if (header[6] != IPPROTO_UDP)
            return;  // extension headers are not followed
        tuple.family = 6;
        __builtin_memcpy(source, header + 8, 16);
        __builtin_memcpy(destination, header + 24, 16);
        transport = network + 40;
    } else {
        return;
    }
    __be16 ports[2];
    if (bpf_probe_read_kernel(ports, sizeof(ports), transport) != 0)
        return;
    __u16 source_port = bpf_ntohs(ports[0]);
    __u16 destination_port = bpf_ntohs(ports[1]);
    canonical_tuple(&tuple, source, source_port, destination, destination_port);

    __u8 seen = 1;
    if (bpf_map_update_elem(&udp_seen, &tuple, &seen, BPF_NOEXIST) != 0)
        return;  // known tuple: a later datagram or a reply
    struct conn_key key = {};
    key.netns = netns;
    key.family = tuple.family;
    key.protocol = IPPROTO_UDP;
    key.side = side;
    key.server_port = destination_port;
    __builtin_memcpy(key.client, source, 16);
    __builtin_memcpy(key.server, destination, 16);
    count(&key);
}

static __always_inline __u32 device_netns(const struct sk_buff *skb)
{
    return BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
}

// Every packet a device of any namespace queues for sending: the IP header is where the
// network header offset says (the data starts with the link-layer header).
SEC("tp_btf/net_dev_queue")
int BPF_PROG(udp_sent, struct sk_buff *skb)
{
    __u16 ethertype = bpf_ntohs(BPF_CORE_READ(skb, protocol));
    unsigned char *network = BPF_CORE_READ(skb, head) + BPF_CORE_READ(skb, network_header);
    __u8 side = BPF_CORE_READ(skb, sk) ? SIDE_CLIENT : SIDE_TRANSIT;
    udp_datagram(device_netns(skb), ethertype, network, side);
    return 0;
}

// Every packet a device of any namespace receives: the link-layer header is already pulled, the
// data starts with the IP header.
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(udp_received, struct sk_buff *skb)
{
    __u16 ethertype = bpf_ntohs(BPF_CORE_READ(skb, protocol));
    udp_datagram(device_netns(skb), ethertype, BPF_CORE_READ(skb, data), SIDE_TRANSIT);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
