// ConntrackCapture against the real kernel: a routed node of its own. Three network namespaces
// per test — "node" (forwarding, conntrack enabled by an nftables rule, the capture opened
// there) and two hosts "a" (10.231.1.2, fd00:231:1::2) and "b" (10.231.2.2, fd00:231:2::2),
// each on a veth to the node — so the test's own namespace, the machine and tests running in
// parallel are untouched. Sockets are created by threads that entered a host's namespace
// (setns is per thread; a socket stays in the namespace it was created in) and used from the
// test's thread.
//
// Needs root (netns, veth, nftables, CAP_NET_ADMIN): without it the tests fail, they do not skip.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "agent/conntrack_capture.h"

namespace netpolgen::agent {

void PrintTo(const Observation& o, std::ostream* out) {
    *out << o.edge.client.text() << " -> " << o.edge.server.text() << ":" << o.edge.server_port
         << "/" << core::protocolName(o.edge.protocol) << " netns=" << o.point.netns
         << " side=" << static_cast<int>(o.point.side) << " count=" << o.count;
}

namespace {

using namespace std::chrono_literals;

constexpr const char* kA4 = "10.231.1.2";
constexpr const char* kB4 = "10.231.2.2";
constexpr const char* kA6 = "fd00:231:1::2";
constexpr const char* kB6 = "fd00:231:2::2";

// Runs a bash script (stdin), throws with its output when it fails.
void shell(const std::string& script) {
    const std::string command = "bash -e 2>&1 <<'NPG_EOF'\n" + script + "\nNPG_EOF\n";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) {
        throw std::runtime_error("popen failed");
    }
    std::string output;
    char chunk[512];
    while (size_t n = std::fread(chunk, 1, sizeof(chunk), pipe)) {
        output.append(chunk, n);
    }
    if (::pclose(pipe) != 0) {
        throw std::runtime_error("setup script failed:\n" + script + "\n---\n" + output);
    }
}

// The three namespaces; deleted (with their veths and the nftables table) by the destructor.
class Topology {
public:
    Topology() {
        static std::atomic<int> serial{0};
        const std::string suffix = std::to_string(::getpid()) + "-" + std::to_string(serial++);
        node_ = "npg-ct-node-" + suffix;
        a_ = "npg-ct-a-" + suffix;
        b_ = "npg-ct-b-" + suffix;
        try {
            shell(setupScript());
        } catch (...) {
            remove();
            throw;
        }
    }
    ~Topology() { remove(); }
    Topology(const Topology&) = delete;
    Topology& operator=(const Topology&) = delete;

    const std::string& node() const { return node_; }
    const std::string& a() const { return a_; }
    const std::string& b() const { return b_; }

private:
    std::string setupScript() const {
        std::string s;
        for (const auto* ns : {&node_, &a_, &b_}) {
            s += "ip netns add " + *ns + "\nip -n " + *ns + " link set lo up\n";
            // Without duplicate address detection on the link-local addresses too (nodad covers
            // only the global ones), the first IPv6 packet waits ~2 s for them.
            s += "ip netns exec " + *ns +
                 " sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.all.accept_dad=0\n";
        }
        int n = 1;
        for (const auto* host : {&a_, &b_}) {
            const std::string i = std::to_string(n++);
            const std::string v = "v" + i;
            s += "ip -n " + node_ + " link add " + v + " type veth peer name eth0 netns " + *host +
                 "\n";
            s += "ip -n " + node_ + " addr add 10.231." + i + ".1/24 dev " + v + "\n";
            s += "ip -n " + node_ + " addr add fd00:231:" + i + "::1/64 dev " + v + " nodad\n";
            s += "ip -n " + *host + " addr add 10.231." + i + ".2/24 dev eth0\n";
            s += "ip -n " + *host + " addr add fd00:231:" + i + "::2/64 dev eth0 nodad\n";
            s += "ip -n " + node_ + " link set " + v + " up\n";
            s += "ip -n " + *host + " link set eth0 up\n";
            s += "ip -n " + *host + " route add default via 10.231." + i + ".1\n";
            s += "ip -n " + *host + " -6 route add default via fd00:231:" + i + "::1\n";
        }
        s += "ip netns exec " + node_ +
             " sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1\n";
        // Conntrack only tracks in a namespace where a rule needs it.
        s += "ip netns exec " + node_ +
             " nft 'table inet npgct { chain forward { type filter hook forward priority 0; ct "
             "state new counter; }; }'\n";
        return s;
    }

    void remove() noexcept {
        for (const auto* ns : {&node_, &a_, &b_}) {
            if (!ns->empty()) {
                (void)std::system(("ip netns del " + *ns + " 2>/dev/null").c_str());
            }
        }
    }

    std::string node_, a_, b_;
};

// f() on a thread inside the named network namespace.
template <typename F>
auto inNetns(const std::string& ns, F f) -> decltype(f()) {
    std::optional<decltype(f())> result;
    std::string error;
    std::thread thread([&] {
        const int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
            error = "cannot enter netns " + ns + ": " + std::strerror(errno);
        } else {
            result.emplace(f());
        }
        if (fd >= 0) {
            ::close(fd);
        }
    });
    thread.join();
    if (!result) {
        throw std::runtime_error(error);
    }
    return std::move(*result);
}

uint64_t netnsInode(const std::string& ns) {
    struct stat st {};
    if (::stat(("/var/run/netns/" + ns).c_str(), &st) != 0) {
        throw std::runtime_error("stat netns " + ns);
    }
    return st.st_ino;
}

class Socket {
public:
    Socket(const std::string& ns, int family, int type, int protocol = 0)
        : fd_(inNetns(ns, [&] { return ::socket(family, type | SOCK_CLOEXEC, protocol); })) {
        if (fd_ < 0) {
            throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
        }
        const timeval timeout{3, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    }
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return fd_; }

private:
    int fd_;
};

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;
    int family = AF_INET;
    const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

SocketAddress socketAddress(const std::string& ip, uint16_t port) {
    SocketAddress a;
    if (ip.find(':') == std::string::npos) {
        auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        ::inet_pton(AF_INET, ip.c_str(), &v4->sin_addr);
        a.length = sizeof(sockaddr_in);
        a.family = AF_INET;
    } else {
        auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        ::inet_pton(AF_INET6, ip.c_str(), &v6->sin6_addr);
        a.length = sizeof(sockaddr_in6);
        a.family = AF_INET6;
    }
    return a;
}

void check(bool ok, const std::string& what) {
    if (!ok) {
        throw std::runtime_error(what + ": " + std::strerror(errno));
    }
}

// A server socket of `ns` bound to the unspecified address of `family`, port `port`.
std::unique_ptr<Socket> serverSocket(const std::string& ns, int family, int type, uint16_t port) {
    auto s = std::make_unique<Socket>(ns, family, type);
    const int one = 1;
    ::setsockopt(s->fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    const auto any = socketAddress(family == AF_INET ? "0.0.0.0" : "::", port);
    check(::bind(s->fd(), any.get(), any.length) == 0, "bind");
    if (type == SOCK_STREAM) {
        check(::listen(s->fd(), 16) == 0, "listen");
    }
    return s;
}

// A TCP connection from `client_ns` to server_ip:port (listened on in `server_ns`), accepted and
// closed.
void tcpConnection(const std::string& client_ns,
                   const std::string& server_ns,
                   const std::string& server_ip,
                   uint16_t port) {
    const auto to = socketAddress(server_ip, port);
    auto listener = serverSocket(server_ns, to.family, SOCK_STREAM, port);
    Socket client(client_ns, to.family, SOCK_STREAM);
    check(::connect(client.fd(), to.get(), to.length) == 0, "connect to " + server_ip);
    Socket accepted(::accept(listener->fd(), nullptr, nullptr));
    check(accepted.fd() >= 0, "accept");
}

// An established TCP connection, both ends open.
struct TcpEnds {
    std::unique_ptr<Socket> client;
    std::unique_ptr<Socket> accepted;
};

// Connects from `client_ns` to server_ip:port (`listener` listens on it) and exchanges a byte
// each way.
TcpEnds openTcp(const std::string& client_ns,
                Socket& listener,
                const std::string& server_ip,
                uint16_t port) {
    const auto to = socketAddress(server_ip, port);
    TcpEnds ends;
    ends.client = std::make_unique<Socket>(client_ns, to.family, SOCK_STREAM);
    check(::connect(ends.client->fd(), to.get(), to.length) == 0, "connect to " + server_ip);
    ends.accepted = std::make_unique<Socket>(::accept(listener.fd(), nullptr, nullptr));
    check(ends.accepted->fd() >= 0, "accept");
    char byte = 0;
    check(::send(ends.client->fd(), "q", 1, 0) == 1, "client send");
    check(::recv(ends.accepted->fd(), &byte, 1, 0) == 1, "server recv");
    check(::send(ends.accepted->fd(), "r", 1, 0) == 1, "server send");
    check(::recv(ends.client->fd(), &byte, 1, 0) == 1, "client recv");
    return ends;
}

// Closes the client's end, then, once its FIN arrived, the server's: the entry goes through
// FIN_WAIT, CLOSE_WAIT, LAST_ACK and TIME_WAIT, an UPDATE event each.
void closeBoth(TcpEnds& ends) {
    ends.client.reset();
    char byte = 0;
    check(::recv(ends.accepted->fd(), &byte, 1, 0) == 0, "server sees the client's FIN");
    ends.accepted.reset();
    std::this_thread::sleep_for(100ms);  // the client's last ACK passes the node
}

// A UDP request from `client_ns` to server_ip:port and the server's reply.
void udpExchange(const std::string& client_ns,
                 const std::string& server_ns,
                 const std::string& server_ip,
                 uint16_t port) {
    const auto to = socketAddress(server_ip, port);
    auto server = serverSocket(server_ns, to.family, SOCK_DGRAM, port);
    Socket client(client_ns, to.family, SOCK_DGRAM);
    check(::sendto(client.fd(), "q", 1, 0, to.get(), to.length) == 1, "sendto");
    char byte = 0;
    sockaddr_storage from{};
    socklen_t from_length = sizeof(from);
    check(::recvfrom(server->fd(), &byte, 1, 0, reinterpret_cast<sockaddr*>(&from), &from_length) ==
              1,
          "server recvfrom");
    check(::sendto(server->fd(), "r", 1, 0, reinterpret_cast<sockaddr*>(&from), from_length) == 1,
          "server sendto");
    check(::recv(client.fd(), &byte, 1, 0) == 1, "client recv");
}

// An ICMP echo request from `client_ns` to server_ip, and its reply.
void ping(const std::string& client_ns, const std::string& server_ip) {
    Socket s(client_ns, AF_INET, SOCK_RAW, IPPROTO_ICMP);
    icmphdr echo{};
    echo.type = ICMP_ECHO;
    echo.un.echo.id = htons(0x4e50);
    echo.un.echo.sequence = htons(1);
    // The checksum of an 8-byte header: the one's complement sum of its 16-bit words.
    uint32_t sum = 0;
    const auto* words = reinterpret_cast<const uint16_t*>(&echo);
    for (size_t i = 0; i < sizeof(echo) / 2; ++i) {
        sum += words[i];
    }
    sum = (sum & 0xffff) + (sum >> 16);
    echo.checksum = static_cast<uint16_t>(~((sum & 0xffff) + (sum >> 16)));
    const auto to = socketAddress(server_ip, 0);
    check(::sendto(s.fd(), &echo, sizeof(echo), 0, to.get(), to.length) == sizeof(echo),
          "ping sendto");
    char reply[128];
    check(::recv(s.fd(), reply, sizeof(reply), 0) > 0, "ping reply");
}

Address address(const std::string& text) {
    Address a;
    if (text.find(':') == std::string::npos) {
        a.family = 4;
        ::inet_pton(AF_INET, text.c_str(), a.bytes.data());
    } else {
        a.family = 6;
        ::inet_pton(AF_INET6, text.c_str(), a.bytes.data());
    }
    return a;
}

Observation observation(const std::string& client,
                        const std::string& server,
                        uint16_t port,
                        core::Protocol protocol,
                        uint64_t netns,
                        uint64_t count = 1) {
    return Observation{Edge{address(client), address(server), port, protocol},
                       ObservationPoint{netns, Side::kTransit},
                       count};
}

std::unique_ptr<ConntrackCapture> openIn(const std::string& ns,
                                         const ConntrackCapture::Options& options = {}) {
    auto opened = inNetns(ns, [&] { return ConntrackCapture::open(options); });
    if (!opened) {
        throw std::runtime_error("open: " + opened.error());
    }
    return std::move(*opened);
}

// The sum of one poll, or of polls until `expected` is reached (announcements are queued while
// the packets pass, so that is the first poll in practice) and one more a little later: what
// arrives late would be reported, not missed.
std::vector<Observation> collect(ConntrackCapture& capture,
                                 const std::vector<Observation>& expected) {
    std::map<std::pair<Edge, ObservationPoint>, uint64_t> sum;
    auto current = [&] {
        std::vector<Observation> all;
        for (const auto& [key, count] : sum) {
            all.push_back(Observation{key.first, key.second, count});
        }
        return all;
    };
    auto pollOnce = [&] {
        auto polled = capture.poll();
        if (!polled) {
            throw std::runtime_error("poll: " + polled.error());
        }
        for (const auto& o : *polled) {
            sum[{o.edge, o.point}] += o.count;
        }
    };
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    pollOnce();
    while (current() != expected && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
        pollOnce();
    }
    std::this_thread::sleep_for(50ms);
    pollOnce();
    return current();
}

std::vector<Observation> sorted(std::vector<Observation> v) {
    std::sort(v.begin(), v.end());
    return v;
}

TEST(ConntrackCapture, ReportsEachForwardedConnectionOnceInItsDirection) {
    Topology topology;
    const uint64_t node = netnsInode(topology.node());
    auto capture = openIn(topology.node());
    EXPECT_EQ(capture->name(), "conntrack");
    EXPECT_EQ(capture->netns(), node);
    EXPECT_EQ(collect(*capture, {}), std::vector<Observation>{});  // an empty table

    tcpConnection(topology.a(), topology.b(), kB4, 8080);
    udpExchange(topology.a(), topology.b(), kB4, 5353);
    tcpConnection(topology.a(), topology.b(), kB6, 8080);
    tcpConnection(topology.a(), topology.b(), kB6, 8080);  // same edge, another source port
    udpExchange(topology.b(), topology.a(), kA6, 5353);    // the other way
    ping(topology.a(), kB4);                               // tracked, not reported

    const auto expected = sorted({
        observation(kA4, kB4, 8080, core::Protocol::kTcp, node),
        observation(kA4, kB4, 5353, core::Protocol::kUdp, node),
        observation(kA6, kB6, 8080, core::Protocol::kTcp, node, 2),
        observation(kB6, kA6, 5353, core::Protocol::kUdp, node),
    });
    EXPECT_EQ(collect(*capture, expected), expected);
    EXPECT_EQ(capture->lost(), 0u);
}

TEST(ConntrackCapture, RefusedConnectionIsNotReported) {
    Topology topology;
    const uint64_t node = netnsInode(topology.node());
    auto capture = openIn(topology.node());

    // Nobody listens on 6000: conntrack creates an entry for the SYN (announced), b answers
    // with a RST.
    for (const char* ip : {kB4, kB6}) {
        const auto to = socketAddress(ip, 6000);
        Socket client(topology.a(), to.family, SOCK_STREAM);
        errno = 0;
        EXPECT_NE(::connect(client.fd(), to.get(), to.length), 0);
        EXPECT_EQ(errno, ECONNREFUSED);
    }
    tcpConnection(topology.a(), topology.b(), kB4, 8080);  // the capture sees connections

    const std::vector<Observation> expected = {
        observation(kA4, kB4, 8080, core::Protocol::kTcp, node)};
    EXPECT_EQ(collect(*capture, expected), expected);
    EXPECT_EQ(capture->lost(), 0u);
}

TEST(ConntrackCapture, EstablishedConnectionIsReportedOnceDespiteItsUpdates) {
    Topology topology;
    const uint64_t node = netnsInode(topology.node());
    auto capture = openIn(topology.node());
    auto listener = serverSocket(topology.b(), AF_INET6, SOCK_STREAM, 8080);

    auto ends = openTcp(topology.a(), *listener, kB6, 8080);  // SYN_RECV, ESTABLISHED
    const std::vector<Observation> expected = {
        observation(kA6, kB6, 8080, core::Protocol::kTcp, node)};
    EXPECT_EQ(collect(*capture, expected), expected);
    EXPECT_EQ(capture->remembered(), 1u);

    closeBoth(ends);  // FIN_WAIT, CLOSE_WAIT, LAST_ACK, TIME_WAIT
    EXPECT_EQ(collect(*capture, {}), std::vector<Observation>{});
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(collect(*capture, {}), std::vector<Observation>{});
    EXPECT_EQ(capture->remembered(), 1u);  // until its DESTROY (TIME_WAIT lasts 2 minutes)
    EXPECT_EQ(capture->lost(), 0u);
}

TEST(ConntrackCapture, FirstPollReportsTheTcpConnectionsOpenAtTheStartOnce) {
    Topology topology;
    const uint64_t node = netnsInode(topology.node());
    // Events for every entry, also those created before the capture subscribed (with the
    // default 2 these never announce anything): as after an agent's restart.
    shell("ip netns exec " + topology.node() + " sysctl -qw net.netfilter.nf_conntrack_events=1");
    auto listener = serverSocket(topology.b(), AF_INET, SOCK_STREAM, 6060);
    auto held = openTcp(topology.a(), *listener, kB4, 6060);  // ESTABLISHED in the table
    tcpConnection(topology.a(), topology.b(), kB4, 9090);     // done: TIME_WAIT in the table
    udpExchange(topology.a(), topology.b(), kB6, 5353);       // a past exchange in the table
    auto closing_listener = serverSocket(topology.b(), AF_INET, SOCK_STREAM, 6161);
    auto closing = openTcp(topology.a(), *closing_listener, kB4, 6161);
    auto during_listener = serverSocket(topology.b(), AF_INET, SOCK_STREAM, 7071);
    TcpEnds during;

    ConntrackCapture::Options options;
    // Subscribed and not dumped yet: these events are queued and the dump sees the result.
    options.after_subscribe = [&] {
        closeBoth(closing);  // opened before: its FIN events do not count it
        // Opened, and closed before the dump (TIME_WAIT there): counted by its events.
        auto closed = openTcp(topology.a(), *closing_listener, kB4, 6161);
        closeBoth(closed);
        tcpConnection(topology.a(), topology.b(), kB4, 7070);         // closing or closed: likewise
        during = openTcp(topology.a(), *during_listener, kB4, 7071);  // dumped open: once
    };
    auto capture = openIn(topology.node(), options);

    const auto table = sorted({
        observation(kA4, kB4, 6060, core::Protocol::kTcp, node),
        observation(kA4, kB4, 6161, core::Protocol::kTcp, node),
        observation(kA4, kB4, 7070, core::Protocol::kTcp, node),
        observation(kA4, kB4, 7071, core::Protocol::kTcp, node),
    });
    auto first = capture->poll();
    ASSERT_TRUE(first) << first.error();
    EXPECT_EQ(*first, table);
    EXPECT_EQ(collect(*capture, {}), std::vector<Observation>{});

    closeBoth(held);  // its later events do not count it again
    EXPECT_EQ(collect(*capture, {}), std::vector<Observation>{});

    tcpConnection(topology.a(), topology.b(), kB4, 7070);  // a new one on the same edge counts
    const std::vector<Observation> later = {
        observation(kA4, kB4, 7070, core::Protocol::kTcp, node)};
    EXPECT_EQ(collect(*capture, later), later);
    EXPECT_EQ(capture->lost(), 0u);
}

TEST(ConntrackCapture, RemembersAtMostTheBoundAndForgetsDestroyedEntries) {
    Topology topology;
    const uint64_t node = netnsInode(topology.node());
    ConntrackCapture::Options options;
    options.max_remembered = 2;
    auto capture = openIn(topology.node(), options);
    auto listener = serverSocket(topology.b(), AF_INET, SOCK_STREAM, 8080);

    std::vector<TcpEnds> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(openTcp(topology.a(), *listener, kB4, 8080));
    }
    const std::vector<Observation> three = {
        observation(kA4, kB4, 8080, core::Protocol::kTcp, node, 3)};
    EXPECT_EQ(collect(*capture, three), three);
    EXPECT_EQ(capture->remembered(), 2u);  // the first one forgotten

    closeBoth(held[2]);  // remembered: not counted again
    EXPECT_EQ(collect(*capture, {}), std::vector<Observation>{});
    closeBoth(held[0]);  // forgotten: its FIN_WAIT counts it again (the price of the bound)
    const std::vector<Observation> again = {
        observation(kA4, kB4, 8080, core::Protocol::kTcp, node)};
    EXPECT_EQ(collect(*capture, again), again);
    EXPECT_EQ(capture->remembered(), 2u);

    // DESTROY events forget them.
    shell("ip netns exec " + topology.node() + " conntrack -D -p tcp >/dev/null 2>&1");
    EXPECT_EQ(collect(*capture, {}), std::vector<Observation>{});
    EXPECT_EQ(capture->remembered(), 0u);
    EXPECT_EQ(capture->lost(), 0u);
}

TEST(ConntrackCapture, ConnectionDumpedInItsHandshakeCountsOnceEstablished) {
    Topology topology;
    const uint64_t node = netnsInode(topology.node());
    auto listener = serverSocket(topology.b(), AF_INET, SOCK_STREAM, 7072);
    // The node drops b's SYN/ACKs before conntrack sees them: the entry stays SYN_SENT.
    const std::string drop =
        "nft add table netdev npgdrop\n"
        "nft add chain netdev npgdrop in '{ type filter hook ingress device "
        "v2 priority 0; }'\n"
        "nft add rule netdev npgdrop in tcp sport 7072 drop\n";
    shell("ip netns exec " + topology.node() + " bash -e <<'EOF'\n" + drop + "EOF");
    const auto to = socketAddress(kB4, 7072);
    Socket client(topology.a(), AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
    ConntrackCapture::Options options;
    // After the subscription: with net.netfilter.nf_conntrack_events = 2 (the default) the
    // kernel gives an entry created while nobody listens no event cache, and it never announces
    // anything (no UPDATE, no DESTROY).
    options.after_subscribe = [&] {
        errno = 0;
        EXPECT_NE(::connect(client.fd(), to.get(), to.length), 0);
        EXPECT_EQ(errno, EINPROGRESS);
        std::this_thread::sleep_for(100ms);
    };
    auto capture = openIn(topology.node(), options);
    auto first = capture->poll();
    ASSERT_TRUE(first) << first.error();
    EXPECT_EQ(*first, std::vector<Observation>{});  // SYN_SENT in the table: not counted

    // The client's SYN is sent again after ~1 s: the handshake completes.
    shell("ip netns exec " + topology.node() + " nft delete table netdev npgdrop");
    const std::vector<Observation> expected = {
        observation(kA4, kB4, 7072, core::Protocol::kTcp, node)};
    std::map<Edge, uint64_t> sum;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (sum.empty() && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
        auto polled = capture->poll();
        ASSERT_TRUE(polled) << polled.error();
        for (const auto& o : *polled) {
            sum[o.edge] += o.count;
        }
    }
    std::vector<Observation> got;
    for (const auto& [edge, count] : sum) {
        got.push_back(Observation{edge, ObservationPoint{node, Side::kTransit}, count});
    }
    EXPECT_EQ(got, expected);
    EXPECT_EQ(collect(*capture, {}), std::vector<Observation>{});
    EXPECT_EQ(capture->lost(), 0u);
}

TEST(ConntrackCapture, CountsAnnouncementsDroppedByAFullReceiveBuffer) {
    Topology topology;
    ConntrackCapture::Options options;
    options.receive_buffer_bytes = 1;  // the kernel's minimum: a few announcements fit
    auto capture = openIn(topology.node(), options);

    constexpr int kFlows = 64;
    auto server = serverSocket(topology.b(), AF_INET, SOCK_DGRAM, 5353);
    const auto to = socketAddress(kB4, 5353);
    for (int i = 0; i < kFlows; ++i) {
        // Distinct source ports: distinct entries (ephemeral ports could repeat one).
        Socket client(topology.a(), AF_INET, SOCK_DGRAM);
        const auto from = socketAddress(kA4, static_cast<uint16_t>(41000 + i));
        check(::bind(client.fd(), from.get(), from.length) == 0, "bind client");
        check(::sendto(client.fd(), "q", 1, 0, to.get(), to.length) == 1, "sendto");
        char byte = 0;
        check(::recv(server->fd(), &byte, 1, 0) == 1, "server recv");  // it passed the node
    }

    uint64_t reported = 0;
    for (int i = 0; i < 3; ++i) {
        auto polled = capture->poll();
        ASSERT_TRUE(polled) << polled.error();
        for (const auto& o : *polled) {
            EXPECT_EQ(o.edge.server_port, 5353);
            reported += o.count;
        }
    }
    EXPECT_GT(capture->lost(), 0u);
    EXPECT_GT(reported, 0u);
    EXPECT_EQ(reported + capture->lost(), static_cast<uint64_t>(kFlows));
}

TEST(ConntrackCapture, OpenFailsWhenTheNamespaceHasEventsTurnedOff) {
    Topology topology;
    shell("ip netns exec " + topology.node() + " sysctl -qw net.netfilter.nf_conntrack_events=0");
    auto opened = inNetns(topology.node(), [] { return ConntrackCapture::open(); });
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error(),
              "conntrack: events are disabled in this network namespace "
              "(net.netfilter.nf_conntrack_events = 0)");
}

TEST(ConntrackCapture, OpenWithoutCapNetAdminFailsAndSaysWhy) {
    std::optional<core::Result<std::unique_ptr<ConntrackCapture>>> opened;
    // Capabilities are per thread: this one gives up CAP_NET_ADMIN, the process keeps it.
    std::thread thread([&] {
        __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
        if (::syscall(SYS_capget, &header, data) != 0) {
            return;
        }
        data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
        if (::syscall(SYS_capset, &header, data) != 0) {
            return;
        }
        opened.emplace(ConntrackCapture::open());
    });
    thread.join();
    ASSERT_TRUE(opened.has_value()) << "cannot drop CAP_NET_ADMIN: " << std::strerror(errno);
    ASSERT_FALSE(*opened);
    EXPECT_EQ(opened->error(),
              "conntrack: cannot subscribe to conntrack events: Operation not permitted (needs "
              "CAP_NET_ADMIN)");
}

}  // namespace
}  // namespace netpolgen::agent
