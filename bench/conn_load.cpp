// conn_load: new connections at a paced rate, between two network namespaces, for measuring what
// `netpolgen agent` costs (bench/agent_cost.sh). Every connection is new: the agent counts new
// connections only, so a load of long-lived ones would measure nothing.
//
//   conn_load --tcp|--udp --rate N --duration S [--server ADDR] [--port P]
//             [--server-netns NAME] [--client-netns NAME] [--threads T]
//
// - TCP: connect (blocking) then close with SO_LINGER 0: a reset, so neither end keeps the
//   connection in TIME_WAIT and 10 s at 50,000/s do not run out of the ~28,000 ephemeral ports; the
//   agent counts the connection when it becomes ESTABLISHED, which is before the reset. The server
//   accepts and closes.
// - UDP: a new socket per connection (a new source port), one datagram and one reply (waited for
//   up to 1 s; a missing reply is counted in "failed").
// - --rate N: N connections per second over all client threads, each thread paced on its own
//   schedule (start + k·interval); a thread behind schedule catches up without sleeping, so the
//   achieved rate is the target unless the machine cannot go faster. --rate 0: as fast as
//   possible.
// - --server-netns/--client-netns NAME: each thread enters /var/run/netns/NAME (`ip netns add`)
//   with setns(2), which moves only the calling thread.
//
// Prints one JSON line: mode, target rate, threads, seconds, connections completed, accepted
// (TCP) or answered (UDP) by the server, failed attempts, the achieved rate, and this process's
// CPU time (user and system; the kernel's connection work, and BPF programs attached to it, run
// mostly in these threads). Exit 1 on a setup error.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

enum class Mode { kTcp, kUdp };

struct Options {
    Mode mode = Mode::kTcp;
    double rate = 1000;  // connections per second, over all client threads; 0: unpaced
    double duration_s = 10;
    std::string server_address = "127.0.0.1";
    uint16_t port = 0;  // 0: an ephemeral port (only where both ends share a namespace)
    std::string server_netns;
    std::string client_netns;
    int threads = 1;         // client threads
    int server_threads = 1;  // UDP: sockets on the port with SO_REUSEPORT, one thread each
};

struct Counters {
    std::atomic<uint64_t> completed{0};
    std::atomic<uint64_t> failed{0};
    std::atomic<uint64_t> served{0};
    std::atomic<bool> stop_server{false};
};

constexpr int kBacklog = 4096;
constexpr int kUdpReplyTimeoutMs = 1000;
// How often a server thread wakes up to see whether the run is over.
constexpr int kServerPollMs = 100;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "conn_load: %s: %s\n", what.c_str(), std::strerror(errno));
    std::exit(1);
}

[[noreturn]] void usage(const char* problem) {
    std::fprintf(stderr,
                 "conn_load: %s\nusage: conn_load --tcp|--udp --rate N --duration S [--server "
                 "ADDR] [--port P] [--server-netns NAME] [--client-netns NAME] [--threads T] "
                 "[--server-threads T]\n",
                 problem);
    std::exit(2);
}

// Moves the calling thread into /var/run/netns/NAME; "" stays.
void enterNetns(const std::string& name) {
    if (name.empty()) {
        return;
    }
    std::string path = "/var/run/netns/" + name;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        die("open " + path);
    }
    if (setns(fd, CLONE_NEWNET) != 0) {
        die("setns " + path);
    }
    close(fd);
}

sockaddr_in serverAddress(const Options& o, uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (inet_pton(AF_INET, o.server_address.c_str(), &addr.sin_addr) != 1) {
        usage("--server: not an IPv4 address");
    }
    return addr;
}

// The listening or receiving socket, bound in the server's namespace. Returns its port.
int openServerSocket(const Options& o, uint16_t port, uint16_t* bound_port) {
    // Non-blocking: a server thread drains its queue until EAGAIN, then polls.
    int type = (o.mode == Mode::kTcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK;
    int fd = socket(AF_INET, type, 0);
    if (fd < 0) {
        die("socket");
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (o.mode == Mode::kUdp) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    }
    sockaddr_in addr = serverAddress(o, port);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        die("bind " + o.server_address + ":" + std::to_string(port));
    }
    if (o.mode == Mode::kTcp && listen(fd, kBacklog) != 0) {
        die("listen");
    }
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    *bound_port = ntohs(addr.sin_port);
    return fd;
}

void serveTcp(int listen_fd, Counters& c) {
    pollfd p{listen_fd, POLLIN, 0};
    while (!c.stop_server.load(std::memory_order_relaxed)) {
        if (poll(&p, 1, kServerPollMs) <= 0) {
            continue;
        }
        // Drain what is queued: at high rates one wakeup finds many.
        for (;;) {
            int fd = accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                break;
            }
            close(fd);
            c.served.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

void serveUdp(int fd, Counters& c) {
    pollfd p{fd, POLLIN, 0};
    char buf[64];
    while (!c.stop_server.load(std::memory_order_relaxed)) {
        if (poll(&p, 1, kServerPollMs) <= 0) {
            continue;
        }
        for (;;) {
            sockaddr_in from{};
            socklen_t len = sizeof from;
            ssize_t n = recvfrom(
                fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
            if (n < 0) {
                break;
            }
            if (sendto(fd, buf, n, 0, reinterpret_cast<sockaddr*>(&from), len) == n) {
                c.served.fetch_add(1, std::memory_order_relaxed);
            }
        }
    }
}

bool oneTcp(const sockaddr_in& server) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) == 0;
    linger reset{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    close(fd);
    return ok;
}

bool oneUdp(const sockaddr_in& server) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    bool ok = false;
    char byte = 'x';
    if (connect(fd, reinterpret_cast<const sockaddr*>(&server), sizeof server) == 0 &&
        send(fd, &byte, 1, 0) == 1) {
        pollfd p{fd, POLLIN, 0};
        ok = poll(&p, 1, kUdpReplyTimeoutMs) == 1 && recv(fd, &byte, 1, 0) == 1;
    }
    close(fd);
    return ok;
}

void runClient(const Options& o,
               const sockaddr_in& server,
               Clock::time_point start,
               Clock::time_point end,
               Counters& c) {
    enterNetns(o.client_netns);
    const bool paced = o.rate > 0;
    const auto interval = paced ? std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(o.threads / o.rate))
                                : Clock::duration::zero();
    uint64_t k = 0;
    for (;;) {
        auto now = Clock::now();
        if (now >= end) {
            break;
        }
        if (paced) {
            auto due = start + interval * static_cast<int64_t>(k);
            if (due >= end) {
                break;
            }
            if (due > now) {
                std::this_thread::sleep_until(due);
            }
        }
        ++k;
        bool ok = o.mode == Mode::kTcp ? oneTcp(server) : oneUdp(server);
        (ok ? c.completed : c.failed).fetch_add(1, std::memory_order_relaxed);
    }
}

double seconds(const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

Options parse(int argc, char** argv) {
    Options o;
    bool mode_given = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                usage("a flag lacks its value");
            }
            return argv[++i];
        };
        if (a == "--tcp" || a == "--udp") {
            o.mode = a == "--tcp" ? Mode::kTcp : Mode::kUdp;
            mode_given = true;
        } else if (a == "--rate") {
            o.rate = std::stod(value());
        } else if (a == "--duration") {
            o.duration_s = std::stod(value());
        } else if (a == "--server") {
            o.server_address = value();
        } else if (a == "--port") {
            o.port = static_cast<uint16_t>(std::stoi(value()));
        } else if (a == "--server-netns") {
            o.server_netns = value();
        } else if (a == "--client-netns") {
            o.client_netns = value();
        } else if (a == "--threads") {
            o.threads = std::stoi(value());
        } else if (a == "--server-threads") {
            o.server_threads = std::stoi(value());
        } else {
            usage("unknown argument");
        }
    }
    if (!mode_given) {
        usage("--tcp or --udp is required");
    }
    if (o.rate < 0 || o.duration_s <= 0 || o.threads < 1 || o.server_threads < 1) {
        usage("--rate must be >= 0, --duration > 0, --threads and --server-threads >= 1");
    }
    if (o.port == 0 && o.server_netns != o.client_netns) {
        usage("--port is required when the ends are in different namespaces");
    }
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    Counters c;

    // Server sockets are opened in the server's namespace by a thread that enters it, so that the
    // main thread (and the client threads it starts) keep their own.
    std::vector<int> server_fds;
    uint16_t port = o.port;
    std::thread opener([&] {
        enterNetns(o.server_netns);
        int sockets = o.mode == Mode::kUdp ? o.server_threads : 1;
        for (int i = 0; i < sockets; ++i) {
            server_fds.push_back(openServerSocket(o, port, &port));
        }
    });
    opener.join();
    std::vector<std::thread> servers;
    for (int fd : server_fds) {
        servers.emplace_back([&c, &o, fd] {
            if (o.mode == Mode::kTcp) {
                serveTcp(fd, c);
            } else {
                serveUdp(fd, c);
            }
        });
    }

    const sockaddr_in server = serverAddress(o, port);
    const auto start = Clock::now();
    const auto end = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(o.duration_s));
    std::vector<std::thread> clients;
    for (int i = 0; i < o.threads; ++i) {
        // Thread i starts i/threads of an interval late, so the threads interleave evenly.
        auto offset = o.rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(i / o.rate))
                                 : Clock::duration::zero();
        clients.emplace_back(
            runClient, std::cref(o), std::cref(server), start + offset, end, std::ref(c));
    }
    for (auto& t : clients) {
        t.join();
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    // Let the server take what is still queued (accepted or answered before the end).
    std::this_thread::sleep_for(std::chrono::milliseconds(2 * kServerPollMs));
    c.stop_server = true;
    for (auto& t : servers) {
        t.join();
    }
    for (int fd : server_fds) {
        close(fd);
    }

    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    const uint64_t completed = c.completed.load();
    std::printf(
        "{\"mode\":\"%s\",\"target_rate\":%.0f,\"threads\":%d,\"seconds\":%.3f,"
        "\"connections\":%llu,\"served\":%llu,\"failed\":%llu,\"rate\":%.1f,"
        "\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f}\n",
        o.mode == Mode::kTcp ? "tcp" : "udp",
        o.rate,
        o.threads,
        elapsed,
        static_cast<unsigned long long>(completed),
        static_cast<unsigned long long>(c.served.load()),
        static_cast<unsigned long long>(c.failed.load()),
        static_cast<double>(completed) / elapsed,
        seconds(usage.ru_utime),
        seconds(usage.ru_stime));
    return 0;
}
