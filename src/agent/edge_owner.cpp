#include "agent/edge_owner.h"

namespace netpolgen::agent {

EdgeOwner edgeOwner(const Edge& edge,
                    const std::set<Address>& node_addresses,
                    const ClusterAddresses& cluster) {
    if (cluster.services.count(edge.server) > 0)
        return EdgeOwner::kBackend;
    if (node_addresses.count(edge.server) > 0)
        return EdgeOwner::kThisNode;
    if (cluster.pods.count(edge.server) > 0)
        return EdgeOwner::kServersNode;
    return EdgeOwner::kThisNode;
}

}  // namespace netpolgen::agent
