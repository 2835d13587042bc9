// Pod names as Kubernetes controllers make them, read backwards: which workload a pod name can
// belong to when a flow carries the pod but not its workload (Hubble before `workloads`, exporter
// field masks). Pure string rules; the caller checks each guess against the snapshot.
//
//   Deployment   <deployment>-<pod-template-hash>-<5>   ReplicaSet  <replicaset>-<5>
//   StatefulSet  <statefulset>-<ordinal>                DaemonSet   <daemonset>-<5>
//   Job          <job>-<5>                              CronJob     <cronjob>-<8+ digits>-<5>
//   ReplicationController <rc>-<5>
// where <5> is five characters of the API server's random alphabet (bcdfghjklmnpqrstvwxz2456789).
//
//   for (const auto& g : controllerGuesses("cart-5b6c9d7f4-9wq8m")) …
//   // {kDeployment, "cart", "5b6c9d7f4"}, {kReplicaSet, "cart-5b6c9d7f4", ""},
//   // {kDaemonSet, "cart-5b6c9d7f4", ""}, {kJob, …}, {kReplicationController, …}
#pragma once

#include <string_view>
#include <vector>

#include "core/cluster.h"

namespace netpolgen::core {

struct ControllerGuess {
    WorkloadKind kind;
    std::string_view name;  // a prefix of the pod name
    std::string_view hash;  // Deployment: the pod-template-hash in the name; else empty
};

// Every workload the pod name can come from, most specific first. Empty for a name no
// controller makes (a standalone pod).
std::vector<ControllerGuess> controllerGuesses(std::string_view pod);

// The same for the name of an intermediate controller Hubble may report as the pod's workload:
// a ReplicaSet "<deployment>-<hash>" → the Deployment, a Job "<cronjob>-<digits>" → the CronJob.
std::vector<ControllerGuess> ownerGuesses(WorkloadKind kind, std::string_view name);

}  // namespace netpolgen::core
