// Namespaces, workloads (Deployment, ReplicaSet, DaemonSet, StatefulSet, Job, CronJob,
// ReplicationController, DeploymentConfig) and Pods. Internal to io (manifest_decoder.cpp).
#pragma once

#include "core/cluster.h"
#include "io/manifest_fields.h"
#include "io/source_tree.h"

namespace netpolgen::io::detail {

// One object of its kind each; false with the error recorded in `c`.
bool decodeNamespace(ObjectContext& c, const SourceNode& obj, core::Namespace& out);

bool decodeWorkload(ObjectContext& c,
                    const SourceNode& obj,
                    core::WorkloadKind kind,
                    core::Workload& out);

bool decodePod(ObjectContext& c, const SourceNode& obj, core::Pod& out);

}  // namespace netpolgen::io::detail
