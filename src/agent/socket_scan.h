// SocketScan: the TCP connections already established when the agent starts, in every network
// namespace of the node, so that an agent started (or restarted) after a connection was opened
// still reports it. The eBPF programs only see connections as they are established.
//
// Each namespace is entered (setns, in a thread of its own: a namespace belongs to the thread)
// and asked for its TCP sockets with NETLINK_SOCK_DIAG. An established socket whose local port
// is one its namespace listens on is the server end; any other the client end. Namespaces come
// from /proc/<pid>/ns/net (every process; the host's processes with hostPID) and the bind
// mounts of `ip netns` (/run/netns). Needs CAP_SYS_ADMIN (setns) and CAP_SYS_PTRACE (other
// users' /proc/<pid>/ns).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "agent/observation.h"

namespace netpolgen::agent {

struct SocketScanResult {
    std::vector<Observation> observations;  // count 1 per established socket
    size_t namespaces = 0;                  // namespaces read
    // Namespaces that could not be entered or read, with why ("net:[4026532…]: Operation not
    // permitted").
    std::vector<std::string> problems;
};

// `proc` is the proc file system to read (the host's, with hostPID).
SocketScanResult scanEstablishedConnections(const std::string& proc = "/proc");

struct NodeAddresses {
    std::set<Address> addresses;  // of every interface of every namespace of the node
    size_t namespaces = 0;
    std::vector<std::string> problems;
};

// The addresses this node's namespaces hold (RTM_GETADDR in each): the node's own, its pods',
// and any Service address a proxy put on an interface (kube-proxy's IPVS mode).
NodeAddresses scanNodeAddresses(const std::string& proc = "/proc");

}  // namespace netpolgen::agent
