// Which node's agent stores a connection, so that on a cluster where every node runs one, each
// connection is stored once although both ends' nodes see it.
//
// The server's node reports it: the server address is one of this node's (its own, its pods'),
// or it is outside the cluster (not a pod or Service address of the snapshot: the internet, a
// node without agent), in which case only the client's node sees it. A connection to a Service
// address is never stored from the client's view: the backend's node stores it with the pod
// and container port that answered (a proxy turned the Service address into them).
//
// Pure: the node's addresses come from agent/socket_scan.h, the cluster's from the snapshot.
#pragma once

#include <set>

#include "agent/observation.h"

namespace netpolgen::agent {

struct ClusterAddresses {
    std::set<Address> pods;      // every pod address, host-network pods' (a node's) included
    std::set<Address> services;  // Service cluster IPs
};

enum class EdgeOwner {
    kThisNode,     // store it
    kServersNode,  // a pod elsewhere: its node stores it
    kBackend,      // a Service address: stored as the backend's connection
};

EdgeOwner edgeOwner(const Edge& edge,
                    const std::set<Address>& node_addresses,
                    const ClusterAddresses& cluster);

}  // namespace netpolgen::agent
