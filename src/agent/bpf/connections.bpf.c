// SPDX-License-Identifier: GPL-2.0-only
// The kernel half of `netpolgen agent` (src/agent/bpf_capture.h): counts new connections in every
// network namespace of the node, in kernel maps, so that user space reads a few counters per
// interval instead of one event per packet.
//
// - TCP: the `sock:inet_sock_set_state` tracepoint (BTF-typed, no tracefs needed). A socket that
//   becomes ESTABLISHED from SYN_SENT is the client end of a new connection (it called connect);
//   from SYN_RECV, the server end (an accepted child socket). Nothing else is counted: replies,
//   retransmissions and closes never reach the maps.
// - UDP: the first datagram of a 5-tuple in a network namespace decides its direction: sent
//   first (the `net:net_dev_queue` tracepoint, for packets that still belong to a local socket)
//   makes this end the client; read first by an application (`skb:skb_copy_datagram_iovec`) the
//   server. Later datagrams of the tuple, replies included, find it in a bounded LRU map and
//   count nothing. Tracepoints only: fentry and kprobes are not available on every kernel that
//   has BTF (the test machine has neither).
//
// Counts go to one of two per-CPU hash maps, chosen by `active_slot` (written by user space):
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

struct nsproxy {
    struct net *net_ns;
} __attribute__((preserve_access_index));

struct task_struct {
    struct nsproxy *nsproxy;
} __attribute__((preserve_access_index));

struct sk_buff {
    struct sock *sk;
    __be16 protocol;
    unsigned char *head;
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

// A UDP 5-tuple as one network namespace sees it: local and remote end.
struct udp_tuple {
    __u32 netns;
    __u8 family;
    __u8 pad[3];
    __u16 local_port;
    __u16 remote_port;
    __u8 local[16];
    __u8 remote[16];
};

#define CONN_ENTRIES 16384
#define UDP_TUPLES 65536

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
    __uint(max_entries, CONN_ENTRIES);
    __type(key, struct conn_key);
    __type(value, __u64);
} conns_0 SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_HASH);
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
        *value += 1;  // per-CPU: no other writer
        return;
    }
    __u64 one = 1;
    if (bpf_map_update_elem(map, key, &one, BPF_NOEXIST) == 0)
        return;
    // Another CPU may have added the key in between (keys are shared, values per CPU).
    value = bpf_map_lookup_elem(map, key);
    if (value)
        *value += 1;
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

// Counts the tuple when it is new in its network namespace: `sent` is the direction of its first
// datagram as this namespace saw it.
static __always_inline void udp_datagram(struct udp_tuple *tuple, int sent)
{
    __u8 seen = 1;
    if (bpf_map_update_elem(&udp_seen, tuple, &seen, BPF_NOEXIST) != 0)
        return;  // known tuple: a later datagram or a reply
    struct conn_key key = {};
    key.netns = tuple->netns;
    key.family = tuple->family;
    key.protocol = IPPROTO_UDP;
    if (sent) {
        key.side = SIDE_CLIENT;
        key.server_port = tuple->remote_port;
        __builtin_memcpy(key.client, tuple->local, 16);
        __builtin_memcpy(key.server, tuple->remote, 16);
    } else {
        key.side = SIDE_SERVER;
        key.server_port = tuple->local_port;
        __builtin_memcpy(key.client, tuple->remote, 16);
        __builtin_memcpy(key.server, tuple->local, 16);
    }
    count(&key);
}

// The transport protocol in the IPv4 or IPv6 header (no IPv6 extension headers followed: a
// datagram behind one is not counted).
static __always_inline int ip_protocol(const struct sk_buff *skb)
{
    __u16 ethertype = bpf_ntohs(BPF_CORE_READ(skb, protocol));
    unsigned char *network = BPF_CORE_READ(skb, head) + BPF_CORE_READ(skb, network_header);
    __u8 protocol = 0;
    if (ethertype == ETH_P_IP)
        bpf_probe_read_kernel(&protocol, 1, network + 9);
    else if (ethertype == ETH_P_IPV6)
        bpf_probe_read_kernel(&protocol, 1, network + 6);
    return protocol;
}

// The datagram's tuple from its headers (IPv4 addresses at offsets 12 and 16 of the network
// header, IPv6 at 8 and 24; the UDP ports first in the transport header), as seen from its
// socket: `sent` swaps nothing, a received datagram's source is the remote end.
static __always_inline int read_datagram(const struct sk_buff *skb, struct udp_tuple *tuple,
                                         int sent)
{
    __u16 ethertype = bpf_ntohs(BPF_CORE_READ(skb, protocol));
    unsigned char *head = BPF_CORE_READ(skb, head);
    unsigned char *network = head + BPF_CORE_READ(skb, network_header);
    unsigned char *transport = head + BPF_CORE_READ(skb, transport_header);
    __u8 source[16] = {};
    __u8 destination[16] = {};
    __be16 ports[2];
    if (ethertype == ETH_P_IP) {
        tuple->family = 4;
        if (bpf_probe_read_kernel(source, 4, network + 12) != 0 ||
            bpf_probe_read_kernel(destination, 4, network + 16) != 0)
            return -1;
    } else if (ethertype == ETH_P_IPV6) {
        tuple->family = 6;
        if (bpf_probe_read_kernel(source, 16, network + 8) != 0 ||
            bpf_probe_read_kernel(destination, 16, network + 24) != 0)
            return -1;
    } else {
        return -1;
    }
    if (bpf_probe_read_kernel(ports, sizeof(ports), transport) != 0)
        return -1;
    if (sent) {
        __builtin_memcpy(tuple->local, source, 16);
        __builtin_memcpy(tuple->remote, destination, 16);
        tuple->local_port = bpf_ntohs(ports[0]);
        tuple->remote_port = bpf_ntohs(ports[1]);
    } else {
        __builtin_memcpy(tuple->local, destination, 16);
        __builtin_memcpy(tuple->remote, source, 16);
        tuple->local_port = bpf_ntohs(ports[1]);
        tuple->remote_port = bpf_ntohs(ports[0]);
    }
    return 0;
}

// A locally sent datagram still belongs to its socket when a device queues it.
SEC("tp_btf/net_dev_queue")
int BPF_PROG(udp_send, struct sk_buff *skb)
{
    struct sock *sk = BPF_CORE_READ(skb, sk);
    if (!sk || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_UDP)
        return 0;  // forwarded (no local socket) or not UDP
    struct udp_tuple tuple = {};
    tuple.netns = netns_of(sk);
    if (read_datagram(skb, &tuple, 1) == 0)
        udp_datagram(&tuple, 1);
    return 0;
}

// A datagram copied to the application that reads it: delivered, not only arrived. UDP does not
// keep its socket in the skb there, so the namespace is the reading task's, and the protocol the
// IP header's (TCP copies its segments through the same tracepoint).
SEC("tp_btf/skb_copy_datagram_iovec")
int BPF_PROG(udp_receive, const struct sk_buff *skb, int len)
{
    if (ip_protocol(skb) != IPPROTO_UDP)
        return 0;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct udp_tuple tuple = {};
    tuple.netns = BPF_CORE_READ(task, nsproxy, net_ns, ns.inum);
    if (read_datagram(skb, &tuple, 0) == 0)
        udp_datagram(&tuple, 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
