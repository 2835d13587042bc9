// Changing policies through the API server itself (apply --kube, revert --kube), a ClusterWriter
// (cli/cluster_writer.h: all or nothing, rolled back in reverse on the first failure):
//   create   POST   /apis/networking.k8s.io/v1/namespaces/NS/networkpolicies
//   replace  GET the object for its resourceVersion, then PUT it with that version (a change
//            made meanwhile is a 409 Conflict, reported, never overwritten)
//   delete   DELETE …/networkpolicies/NAME (404: already gone, done)
//   label    PATCH /api/v1/namespaces/NS, application/merge-patch+json
// check() asks the server first: every change is sent once with dryRun=All (validation,
// admission and RBAC as the real request), so a policy the server would refuse is reported before
// anything changes.
#pragma once

#include "cli/cluster_writer.h"
#include "kube/api_client.h"

namespace netpolgen::cli {

class KubeApiWriter : public ClusterWriter {
public:
    explicit KubeApiWriter(kube::ApiClient& client) : client_(client) {}

    core::Status check(const std::vector<core::NamespaceLabel>& labels,
                       const std::vector<core::ApplyStep>& steps) override;
    core::Status label(const core::NamespaceLabel& label) override;
    core::Status change(const core::ApplyStep& step) override;
    std::string name() const override { return "the API server"; }

private:
    core::Status labelNamespace(const core::NamespaceLabel& label, bool dry_run);
    core::Status changePolicy(const core::ApplyStep& step, bool dry_run);

    kube::ApiClient& client_;
};

}  // namespace netpolgen::cli
