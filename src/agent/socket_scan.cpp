#include "agent/socket_scan.h"

#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "agent/netlink_message.h"

namespace netpolgen::agent {
namespace {

constexpr int kTcpEstablished = 1;
constexpr int kTcpListen = 10;

// A file descriptor closed when it goes.
class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

std::string errnoText() {
    return std::strerror(errno);
}

// Every distinct network namespace: inode → a path that opens it.
std::map<uint64_t, std::string> networkNamespaces(const std::string& proc) {
    std::map<uint64_t, std::string> found;
    auto add = [&found](const std::filesystem::path& path) {
        struct stat st {};
        if (::stat(path.c_str(), &st) == 0)
            found.emplace(st.st_ino, path.string());
    };
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(proc, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        add(entry.path() / "ns" / "net");
    }
    for (const char* dir : {"/run/netns", "/var/run/netns"}) {
        for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
            add(entry.path());
    }
    return found;
}

struct DiagSocket {
    uint8_t family;
    uint8_t state;
    uint16_t local_port;
    uint16_t remote_port;
    Address local;
    Address remote;
};

Address diagAddress(uint8_t family, const uint32_t words[4]) {
    Address a;
    a.family = family == AF_INET ? 4 : 6;
    std::memcpy(a.bytes.data(), words, family == AF_INET ? 4 : 16);
    return a;
}

// The TCP sockets of `family` in the calling thread's namespace, listening or established.
core::Result<std::vector<DiagSocket>> dumpTcp(uint8_t family) {
    Fd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (fd.get() < 0)
        return core::Error{"sock_diag socket: " + errnoText()};
    struct {
        nlmsghdr header;
        inet_diag_req_v2 request;
    } message{};
    message.header.nlmsg_len = sizeof(message);
    message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    message.request.sdiag_family = family;
    message.request.sdiag_protocol = IPPROTO_TCP;
    message.request.idiag_states = (1u << kTcpEstablished) | (1u << kTcpListen);
    if (::send(fd.get(), &message, sizeof(message), 0) < 0) {
        return core::Error{"sock_diag request: " + errnoText()};
    }
    std::vector<DiagSocket> sockets;
    alignas(nlmsghdr) char buffer[32768];
    for (;;) {
        const ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return core::Error{"sock_diag reply: " + errnoText()};
        }
        int left = static_cast<int>(n);
        for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); netlinkMessageFits(h, left);
             h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_type == NLMSG_DONE)
                return sockets;
            if (h->nlmsg_type == NLMSG_ERROR)
                return core::Error{"sock_diag: an error reply"};
            if (h->nlmsg_len < NLMSG_LENGTH(sizeof(inet_diag_msg)))
                continue;
            const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
            sockets.push_back({m->idiag_family,
                               m->idiag_state,
                               ntohs(m->id.idiag_sport),
                               ntohs(m->id.idiag_dport),
                               diagAddress(m->idiag_family, m->id.idiag_src),
                               diagAddress(m->idiag_family, m->id.idiag_dst)});
        }
        if (n == 0)
            return sockets;
    }
}

// The established connections of one namespace, each as its client or server end.
void addConnections(uint64_t netns,
                    const std::vector<DiagSocket>& sockets,
                    std::vector<Observation>& out) {
    std::set<uint16_t> listening;
    for (const DiagSocket& s : sockets) {
        if (s.state == kTcpListen)
            listening.insert(s.local_port);
    }
    for (const DiagSocket& s : sockets) {
        if (s.state != kTcpEstablished)
            continue;
        Observation o;
        o.point.netns = netns;
        o.count = 1;
        o.edge.protocol = core::Protocol::kTcp;
        if (listening.count(s.local_port) > 0) {
            o.point.side = Side::kServer;
            o.edge = {s.remote, s.local, s.local_port, core::Protocol::kTcp};
        } else {
            o.point.side = Side::kClient;
            o.edge = {s.local, s.remote, s.remote_port, core::Protocol::kTcp};
        }
        out.push_back(o);
    }
}

// Calls `read(inode)` inside each namespace, from a thread of its own (it is left in the last
// namespace entered); namespaces that cannot be entered go to `problems`.
void forEachNamespace(const std::map<uint64_t, std::string>& namespaces,
                      const std::function<void(uint64_t)>& read,
                      std::vector<std::string>& problems) {
    std::thread walker([&] {
        for (const auto& [inode, path] : namespaces) {
            Fd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
            if (ns.get() < 0 || ::setns(ns.get(), CLONE_NEWNET) != 0) {
                problems.push_back("net:[" + std::to_string(inode) + "] (" + path +
                                   "): " + errnoText());
                continue;
            }
            read(inode);
        }
    });
    walker.join();
}

// The addresses of the calling thread's namespace.
core::Result<std::vector<Address>> dumpAddresses() {
    Fd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (fd.get() < 0)
        return core::Error{"rtnetlink socket: " + errnoText()};
    struct {
        nlmsghdr header;
        ifaddrmsg request;
    } message{};
    message.header.nlmsg_len = sizeof(message);
    message.header.nlmsg_type = RTM_GETADDR;
    message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    message.request.ifa_family = AF_UNSPEC;
    if (::send(fd.get(), &message, sizeof(message), 0) < 0) {
        return core::Error{"RTM_GETADDR request: " + errnoText()};
    }
    std::vector<Address> addresses;
    alignas(nlmsghdr) char buffer[32768];
    for (;;) {
        const ssize_t n = ::recv(fd.get(), buffer, sizeof(buffer), 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return core::Error{"RTM_GETADDR reply: " + errnoText()};
        }
        if (n == 0)
            return addresses;
        int left = static_cast<int>(n);
        for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); netlinkMessageFits(h, left);
             h = NLMSG_NEXT(h, left)) {
            if (h->nlmsg_type == NLMSG_DONE)
                return addresses;
            if (h->nlmsg_type == NLMSG_ERROR)
                return core::Error{"RTM_GETADDR: an error reply"};
            if (h->nlmsg_type != RTM_NEWADDR)
                continue;
            const auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
            int attributes = static_cast<int>(IFA_PAYLOAD(h));
            for (auto* rta = IFA_RTA(ifa); RTA_OK(rta, attributes);
                 rta = RTA_NEXT(rta, attributes)) {
                if (rta->rta_type != IFA_ADDRESS && rta->rta_type != IFA_LOCAL)
                    continue;
                const size_t size = ifa->ifa_family == AF_INET ? 4 : 16;
                if (RTA_PAYLOAD(rta) < size)
                    continue;
                Address a;
                a.family = ifa->ifa_family == AF_INET ? 4 : 6;
                std::memcpy(a.bytes.data(), RTA_DATA(rta), size);
                addresses.push_back(a);
            }
        }
    }
}

}  // namespace

SocketScanResult scanEstablishedConnections(const std::string& proc) {
    SocketScanResult result;
    auto read = [&result](uint64_t inode) {
        std::vector<DiagSocket> sockets;
        for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
            auto dumped = dumpTcp(family);
            if (!dumped) {
                result.problems.push_back("net:[" + std::to_string(inode) + "]: " + dumped.error());
                return;
            }
            sockets.insert(sockets.end(), dumped->begin(), dumped->end());
        }
        ++result.namespaces;
        addConnections(inode, sockets, result.observations);
    };
    forEachNamespace(networkNamespaces(proc), read, result.problems);
    return result;
}

NodeAddresses scanNodeAddresses(const std::string& proc) {
    NodeAddresses result;
    auto read = [&result](uint64_t inode) {
        auto dumped = dumpAddresses();
        if (!dumped) {
            result.problems.push_back("net:[" + std::to_string(inode) + "]: " + dumped.error());
            return;
        }
        ++result.namespaces;
        result.addresses.insert(dumped->begin(), dumped->end());
    };
    forEachNamespace(networkNamespaces(proc), read, result.problems);
    return result;
}

}  // namespace netpolgen::agent
