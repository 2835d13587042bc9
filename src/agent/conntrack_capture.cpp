#include "agent/conntrack_capture.h"

#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <optional>
#include <utility>

#include "agent/netlink_message.h"

namespace netpolgen::agent {
namespace {

// Large enough for any datagram ctnetlink sends (a dump batch is at most 32 KiB on current
// kernels, an announcement well under 1 KiB).
constexpr size_t kBufferBytes = 128 << 10;
// How long the keys of the TCP entries the dump saw closing are kept: an entry is visible to the
// dump as soon as its state changed, but the event of the change is sent just after (at the end
// of the packet's path), so it can arrive after the dump ended. Microseconds in practice; the
// agent polls every second.
constexpr auto kStartupWindow = std::chrono::seconds(1);
// The dump's replies come at once; a silent kernel for this long is a failure, not a big table.
constexpr int kDumpTimeoutSeconds = 10;

std::string errnoText(int error) {
    std::string text = std::strerror(error);
    if (error == EPERM || error == EACCES) {
        text += " (needs CAP_NET_ADMIN)";
    } else if (error == EOPNOTSUPP || error == ENOENT || error == EPROTONOSUPPORT) {
        text += " (is nf_conntrack_netlink available?)";
    }
    return text;
}

core::Error failure(const std::string& what, int error) {
    return core::Error{"conntrack: " + what + ": " + errnoText(error)};
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

core::Result<uint64_t> threadNetns() {
    const std::string path = "/proc/self/task/" + std::to_string(::gettid()) + "/ns/net";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return failure("cannot stat " + path, errno);
    }
    return static_cast<uint64_t>(st.st_ino);
}

// net.netfilter.nf_conntrack_events of the calling thread's namespace (/proc/sys/net follows the
// thread): 0 turns the announcements off, and the capture would be silent, not failing.
core::Status eventsEnabled() {
    std::FILE* file = std::fopen("/proc/sys/net/netfilter/nf_conntrack_events", "re");
    if (file == nullptr) {
        return {};  // an older kernel without the switch, or no /proc: try anyway
    }
    int value = -1;
    const bool read = std::fscanf(file, "%d", &value) == 1;
    std::fclose(file);
    if (read && value == 0) {
        return core::Error{
            "conntrack: events are disabled in this network namespace "
            "(net.netfilter.nf_conntrack_events = 0)"};
    }
    return {};
}

bool fromKernel(const sockaddr_nl& from, socklen_t length) {
    return length == sizeof(from) && from.nl_family == AF_NETLINK && from.nl_pid == 0;
}

std::optional<core::Protocol> policyProtocol(uint8_t l4) {
    switch (l4) {
        case IPPROTO_TCP:
            return core::Protocol::kTcp;
        case IPPROTO_UDP:
            return core::Protocol::kUdp;
        case IPPROTO_SCTP:
            return core::Protocol::kSctp;
        default:
            return std::nullopt;
    }
}

// The client is the original direction's source. The server is the reply direction's source:
// the address that answers, after a destination NAT (a Service's ClusterIP DNATed by kube-proxy
// to a backend pod names that pod, and its container port), else the original destination.
// Nothing when the entry lacks the address.
std::optional<Address> address(const nf_conntrack* ct, uint8_t l3, bool client) {
    Address a;
    if (l3 == AF_INET) {
        auto attr = client ? ATTR_ORIG_IPV4_SRC : ATTR_REPL_IPV4_SRC;
        if (!client && !nfct_attr_is_set(ct, attr)) {
            attr = ATTR_ORIG_IPV4_DST;
        }
        if (!nfct_attr_is_set(ct, attr)) {
            return std::nullopt;
        }
        const uint32_t v4 = nfct_get_attr_u32(ct, attr);  // network byte order
        a.family = 4;
        std::memcpy(a.bytes.data(), &v4, sizeof(v4));
        return a;
    }
    auto attr = client ? ATTR_ORIG_IPV6_SRC : ATTR_REPL_IPV6_SRC;
    if (!client && !nfct_attr_is_set(ct, attr)) {
        attr = ATTR_ORIG_IPV6_DST;
    }
    if (!nfct_attr_is_set(ct, attr)) {
        return std::nullopt;
    }
    a.family = 6;
    std::memcpy(a.bytes.data(), nfct_get_attr(ct, attr), a.bytes.size());
    return a;
}

// A TCP entry's conntrack state (TCP_CONNTRACK_*); nothing in an event that did not change it.
std::optional<uint8_t> tcpState(const nf_conntrack* ct) {
    if (!nfct_attr_is_set(ct, ATTR_TCP_STATE)) {
        return std::nullopt;
    }
    return nfct_get_attr_u8(ct, ATTR_TCP_STATE);
}

// Whether a TCP state is established: ESTABLISHED or one that normally follows it. Not
// SYN_SENT, SYN_RECV (a handshake not completed) nor CLOSE (where a refused connection ends).
bool established(uint8_t state) {
    switch (state) {
        case TCP_CONNTRACK_ESTABLISHED:
        case TCP_CONNTRACK_FIN_WAIT:
        case TCP_CONNTRACK_CLOSE_WAIT:
        case TCP_CONNTRACK_LAST_ACK:
        case TCP_CONNTRACK_TIME_WAIT:
            return true;
        default:
            return false;
    }
}

// The server's port: the reply's source port (after a DNAT), else the original destination.
uint16_t serverPort(const nf_conntrack* ct) {
    const auto attr =
        nfct_attr_is_set(ct, ATTR_REPL_PORT_SRC) ? ATTR_REPL_PORT_SRC : ATTR_ORIG_PORT_DST;
    return ntohs(nfct_get_attr_u16(ct, attr));
}

}  // namespace

core::Result<std::unique_ptr<ConntrackCapture>> ConntrackCapture::open() {
    return open(Options{});
}

core::Result<std::unique_ptr<ConntrackCapture>> ConntrackCapture::open(const Options& options) {
    auto netns = threadNetns();
    if (!netns) {
        return core::Error{netns.error()};
    }
    if (auto enabled = eventsEnabled(); !enabled) {
        return core::Error{enabled.error()};
    }
    Fd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_NETFILTER));
    if (fd.get() < 0) {
        return failure("cannot open netlink socket", errno);
    }
    sockaddr_nl local{};
    local.nl_family = AF_NETLINK;
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local), sizeof(local)) != 0) {
        return failure("cannot bind netlink socket", errno);
    }
    // Before the subscription, so that no announcement meets the default (small) buffer.
    const int rcvbuf = options.receive_buffer_bytes;
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0) {
        // Without CAP_NET_ADMIN: capped at net.core.rmem_max, still the best there is.
        (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
    }
    // NEW: UDP and SCTP entries are counted there. UPDATE: a TCP entry's state changes (the
    // one to ESTABLISHED counts it). DESTROY: its key is forgotten.
    for (const int group :
         {NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE, NFNLGRP_CONNTRACK_DESTROY}) {
        if (::setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) !=
            0) {
            return failure("cannot subscribe to conntrack events", errno);
        }
    }
    if (options.after_subscribe) {
        options.after_subscribe();
    }
    std::unique_ptr<ConntrackCapture> capture(new ConntrackCapture(
        fd.release(), ObservationPoint{*netns, Side::kTransit}, options.max_remembered));
    if (auto dumped = capture->dump(); !dumped) {
        return core::Error{dumped.error()};
    }
    return capture;
}

ConntrackCapture::ConntrackCapture(int fd, ObservationPoint point, size_t max_remembered)
    : fd_(fd), point_(point), remembered_(max_remembered), buffer_(kBufferBytes) {}

size_t ConntrackCapture::EntryKeyHash::operator()(const EntryKey& key) const {
    // FNV-1a over the key's fields.
    uint64_t hash = 14695981039346656037ull;
    auto mix = [&hash](const void* data, size_t size) {
        const auto* bytes = static_cast<const uint8_t*>(data);
        for (size_t i = 0; i < size; ++i) {
            hash = (hash ^ bytes[i]) * 1099511628211ull;
        }
    };
    const auto protocol = static_cast<uint8_t>(key.edge.protocol);
    mix(key.edge.client.bytes.data(), key.edge.client.bytes.size());
    mix(key.edge.server.bytes.data(), key.edge.server.bytes.size());
    mix(&key.edge.client.family, sizeof(key.edge.client.family));
    mix(&key.edge.server_port, sizeof(key.edge.server_port));
    mix(&protocol, sizeof(protocol));
    mix(&key.client_port, sizeof(key.client_port));
    mix(&key.id, sizeof(key.id));
    return static_cast<size_t>(hash);
}

void ConntrackCapture::Remembered::insert(const EntryKey& key) {
    if (index_.contains(key)) {
        return;
    }
    while (index_.size() >= max_) {
        index_.erase(order_.front());
        order_.pop_front();
    }
    order_.push_back(key);
    index_.emplace(key, std::prev(order_.end()));
}

void ConntrackCapture::Remembered::erase(const EntryKey& key) {
    if (auto it = index_.find(key); it != index_.end()) {
        order_.erase(it->second);
        index_.erase(it);
    }
}

ConntrackCapture::~ConntrackCapture() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

std::string ConntrackCapture::name() const {
    return "conntrack";
}

core::Status ConntrackCapture::dump() {
    // A socket of its own: on the subscribed one the dump's replies would interleave with
    // announcements and could be dropped by an overrun. Created by the thread that opened the
    // capture, so in the same namespace.
    Fd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
    if (fd.get() < 0) {
        return failure("cannot open netlink socket", errno);
    }
    const timeval timeout{kDumpTimeoutSeconds, 0};
    (void)::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

    struct {
        nlmsghdr header;
        nfgenmsg body;
    } request{};
    constexpr uint32_t kSequence = 1;
    request.header.nlmsg_len = sizeof(request);
    request.header.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.header.nlmsg_seq = kSequence;
    request.body.nfgen_family = AF_UNSPEC;  // IPv4 and IPv6
    request.body.version = NFNETLINK_V0;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd.get(),
                 &request,
                 sizeof(request),
                 0,
                 reinterpret_cast<const sockaddr*>(&kernel),
                 sizeof(kernel)) < 0) {
        return failure("cannot request the table", errno);
    }
    for (;;) {
        sockaddr_nl from{};
        socklen_t from_length = sizeof(from);
        const ssize_t n = ::recvfrom(fd.get(),
                                     buffer_.data(),
                                     buffer_.size(),
                                     MSG_TRUNC,
                                     reinterpret_cast<sockaddr*>(&from),
                                     &from_length);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return core::Error{"conntrack: the table dump did not finish within " +
                                   std::to_string(kDumpTimeoutSeconds) + " s"};
            }
            return failure("cannot read the table", errno);
        }
        if (static_cast<size_t>(n) > buffer_.size()) {
            return core::Error{"conntrack: a dump message of " + std::to_string(n) +
                               " bytes exceeds the read buffer"};
        }
        if (!fromKernel(from, from_length)) {
            continue;
        }
        auto length = static_cast<int>(n);
        for (auto* message = reinterpret_cast<const nlmsghdr*>(buffer_.data());
             netlinkMessageFits(message, length);
             message = NLMSG_NEXT(message, length)) {
            if (message->nlmsg_seq != kSequence) {
                continue;
            }
            if (message->nlmsg_type == NLMSG_DONE) {
                dumped_at_ = std::chrono::steady_clock::now();
                return {};
            }
            if (message->nlmsg_type == NLMSG_ERROR) {
                const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(message));
                if (error->error != 0) {
                    return failure("cannot dump the table", -error->error);
                }
                continue;
            }
            take(message, true);
        }
    }
}

void ConntrackCapture::take(const void* data, bool dumped) {
    const auto* message = static_cast<const nlmsghdr*>(data);
    if (NFNL_SUBSYS_ID(message->nlmsg_type) != NFNL_SUBSYS_CTNETLINK) {
        return;
    }
    const auto type = NFNL_MSG_TYPE(message->nlmsg_type);
    if (type != IPCTNL_MSG_CT_NEW && type != IPCTNL_MSG_CT_DELETE) {
        return;
    }
    // IPCTNL_MSG_CT_NEW is both a NEW event (NLM_F_CREATE) and an UPDATE event (without).
    const bool destroyed = type == IPCTNL_MSG_CT_DELETE;
    const bool created = !dumped && !destroyed && (message->nlmsg_flags & NLM_F_CREATE) != 0;
    const std::unique_ptr<nf_conntrack, decltype(&nfct_destroy)> ct(nfct_new(), nfct_destroy);
    if (!ct || nfct_nlmsg_parse(message, ct.get()) < 0) {
        return;
    }
    if (!nfct_attr_is_set(ct.get(), ATTR_ORIG_L3PROTO) ||
        !nfct_attr_is_set(ct.get(), ATTR_ORIG_L4PROTO) ||
        !nfct_attr_is_set(ct.get(), ATTR_ORIG_PORT_DST)) {
        return;
    }
    const uint8_t l3 = nfct_get_attr_u8(ct.get(), ATTR_ORIG_L3PROTO);
    const auto protocol = policyProtocol(nfct_get_attr_u8(ct.get(), ATTR_ORIG_L4PROTO));
    if ((l3 != AF_INET && l3 != AF_INET6) || !protocol) {
        return;
    }
    const auto client = address(ct.get(), l3, true);
    const auto server = address(ct.get(), l3, false);
    if (!client || !server) {
        return;
    }
    EntryKey key;
    key.edge = Edge{*client, *server, serverPort(ct.get()), *protocol};
    if (nfct_attr_is_set(ct.get(), ATTR_ORIG_PORT_SRC)) {
        key.client_port = ntohs(nfct_get_attr_u16(ct.get(), ATTR_ORIG_PORT_SRC));
    }
    if (nfct_attr_is_set(ct.get(), ATTR_ID)) {
        key.id = nfct_get_attr_u32(ct.get(), ATTR_ID);
    }
    if (*protocol != core::Protocol::kTcp) {
        // A UDP or SCTP entry counts when created, not when it changes or ends; one in the
        // table at the start is a past exchange (the eBPF capture cannot report those either),
        // and one created after the subscription is announced, so the dump counts none.
        if (created) {
            ++counts_[key.edge];
        }
        return;
    }
    const auto state = tcpState(ct.get());
    if (destroyed) {
        remembered_.erase(key);
        closing_at_dump_.erase(key);
    } else if (dumped) {
        // Open now: counted (as the socket scan of the eBPF capture counts the connections
        // open at the start). Closing: opened and done before the start, not counted, and
        // remembered so that its later events do not count it. A copy twice (the entry moved
        // between hash buckets while the dump walked them) is remembered already.
        if (remembered_.contains(key) || !state) {
            return;
        }
        if (*state == TCP_CONNTRACK_ESTABLISHED) {
            remembered_.insert(key);
            ++counts_[key.edge];
        } else if (established(*state)) {
            remembered_.insert(key);
            closing_at_dump_.insert(key);
        }
    } else if (state && established(*state)) {
        if (!remembered_.contains(key)) {
            // The first event showing it established (NEW only for an entry picked up
            // mid-stream).
            remembered_.insert(key);
            ++counts_[key.edge];
        } else if (*state == TCP_CONNTRACK_ESTABLISHED && closing_at_dump_.erase(key) != 0) {
            // Closing when dumped, and established after the subscription (the event of that
            // change comes once, when it happens): opened while the capture started.
            ++counts_[key.edge];
        }
    }
}

core::Result<std::vector<Observation>> ConntrackCapture::poll() {
    const bool window_over = std::chrono::steady_clock::now() >= dumped_at_ + kStartupWindow;

    // Read what is queued now, not what keeps arriving: each queued datagram's payload is
    // smaller than the receive memory it takes, so stopping once the payloads read reach the
    // memory queued at the start reads every datagram queued then, and at most one more.
    uint64_t budget = 0;
    std::array<uint32_t, SK_MEMINFO_VARS> meminfo{};
    socklen_t meminfo_length = sizeof(meminfo);
    if (::getsockopt(fd_, SOL_SOCKET, SO_MEMINFO, meminfo.data(), &meminfo_length) == 0 &&
        meminfo_length > SK_MEMINFO_RMEM_ALLOC * sizeof(uint32_t)) {
        budget = meminfo[SK_MEMINFO_RMEM_ALLOC];
    } else {
        int rcvbuf = 0;
        socklen_t rcvbuf_length = sizeof(rcvbuf);
        (void)::getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, &rcvbuf_length);
        budget = static_cast<uint64_t>(std::max(rcvbuf, 0));
    }
    // At least one read: it reports an overrun (ENOBUFS) even when the queue is empty.
    budget = std::max<uint64_t>(budget, 1);

    uint64_t read = 0;
    while (read < budget) {
        sockaddr_nl from{};
        socklen_t from_length = sizeof(from);
        const ssize_t n = ::recvfrom(fd_,
                                     buffer_.data(),
                                     buffer_.size(),
                                     MSG_DONTWAIT | MSG_TRUNC,
                                     reinterpret_cast<sockaddr*>(&from),
                                     &from_length);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == ENOBUFS) {
                // The buffer overflowed since the last read: events were dropped (the
                // drop counter says how many, see lost()). The queue is intact; read on.
                ++overruns_;
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                break;
            }
            return failure("cannot read events", errno);
        }
        read += static_cast<uint64_t>(n);
        if (static_cast<size_t>(n) > buffer_.size() || !fromKernel(from, from_length)) {
            continue;  // not an event: ctnetlink's are far smaller, and come from pid 0
        }
        auto length = static_cast<int>(n);
        for (auto* message = reinterpret_cast<const nlmsghdr*>(buffer_.data());
             netlinkMessageFits(message, length);
             message = NLMSG_NEXT(message, length)) {
            take(message, false);
        }
    }

    if (window_over && !closing_at_dump_.empty()) {
        std::set<EntryKey>().swap(closing_at_dump_);
    }
    std::vector<Observation> observations;
    observations.reserve(counts_.size());
    for (const auto& [edge, count] : counts_) {
        observations.push_back(Observation{edge, point_, count});
    }
    counts_.clear();
    return observations;
}

uint64_t ConntrackCapture::lost() const {
    std::array<uint32_t, SK_MEMINFO_VARS> meminfo{};
    socklen_t length = sizeof(meminfo);
    if (::getsockopt(fd_, SOL_SOCKET, SO_MEMINFO, meminfo.data(), &length) == 0 &&
        length > SK_MEMINFO_DROPS * sizeof(uint32_t)) {
        return std::max<uint64_t>(meminfo[SK_MEMINFO_DROPS], overruns_);
    }
    return overruns_;
}

}  // namespace netpolgen::agent
