// The multi-ns golden case as the server tests use it: its cluster and flows, and a policy that
// blocks some of its traffic.
#pragma once

#include <string>

namespace netpolgen::testing_support {

inline const std::string kMultiNsCluster =
    NETPOLGEN_SOURCE_DIR "/tests/golden/multi-ns/cluster.yaml";
inline const std::string kMultiNsFlows = NETPOLGEN_SOURCE_DIR "/tests/golden/multi-ns/flows.jsonl";

// A NetworkPolicy denying all ingress to data/db: blocks the observed traffic into it.
inline const std::string kDenyDb = R"(apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-db
  namespace: data
spec:
  podSelector:
    matchLabels:
      app: db
  policyTypes:
  - Ingress
)";

}  // namespace netpolgen::testing_support
