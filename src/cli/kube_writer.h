// Changing policies through the API server itself (apply --kube, revert --kube,
// delete-generated --kube, serve's apply and revert on a live cluster), a ClusterWriter
// (cli/cluster_writer.h: all or nothing, rolled back in reverse on the first failure):
//   create   POST   /apis/networking.k8s.io/v1/namespaces/NS/networkpolicies
//   replace  GET the object for its resourceVersion, then PUT it with that version (a change
//            made meanwhile is a 409 Conflict, reported, never overwritten)
//   delete   GET the object, POST its backup copy (below), then DELETE …/networkpolicies/NAME
//            (404: already gone, done, no backup); a failed DELETE removes the backup again
//   label    PATCH /api/v1/namespaces/NS, application/merge-patch+json
// check() asks the server first: every change is sent once with dryRun=All (validation,
// admission and RBAC as the real request; a delete's backup too), so a policy the server would
// refuse is reported before anything changes.
//
// The backup of a deleted policy is StackRox's (docs/stackrox-generator.md §5.1): a copy named by
// the server (generateName `deleted-NAME-`) with the original's labels and annotations plus
//   label       network-policies.stackrox.io/apply-id: ID
//   annotations network-policies.stackrox.io/apply-timestamp: RFC 3339,
//               network-policies.stackrox.io/deleted: how to restore it,
//               network-policies.stackrox.io/original-name: NAME
// and `network-policies.stackrox.io/disable: nomatch` added to the podSelector's matchLabels, so
// that it selects no pod. It is not part of the undo (a revert re-creates the original and leaves
// the copy, as StackRox does), but undo() of a delete during a rollback removes it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cli/cluster_writer.h"
#include "kube/api_client.h"

namespace netpolgen::cli {

inline constexpr const char* kApplyIdLabel = "network-policies.stackrox.io/apply-id";
inline constexpr const char* kApplyTimestampAnnotation =
    "network-policies.stackrox.io/apply-timestamp";
inline constexpr const char* kDeletedAnnotation = "network-policies.stackrox.io/deleted";
inline constexpr const char* kOriginalNameAnnotation = "network-policies.stackrox.io/original-name";
inline constexpr const char* kDisableLabel = "network-policies.stackrox.io/disable";
inline constexpr const char* kDisableValue = "nomatch";

struct KubeWriteOptions {
    bool backup = true;     // a backup copy of every deleted policy (StackRox's default)
    std::string apply_id;   // the backups' apply-id label (newApplyId())
    std::string timestamp;  // the backups' apply-timestamp annotation (RFC 3339)
};

// A random id for one apply (a UUID, version 4), as StackRox labels its backups.
std::string newApplyId();

class KubeApiWriter : public ClusterWriter {
public:
    explicit KubeApiWriter(kube::ApiClient& client, KubeWriteOptions options = {})
        : client_(client), options_(std::move(options)) {}

    core::Status check(const std::vector<core::NamespaceLabel>& labels,
                       const std::vector<core::ApplyStep>& steps) override;
    core::Status label(const core::NamespaceLabel& label) override;
    core::Status change(const core::ApplyStep& step) override;
    core::Status undo(const core::ApplyStep& done) override;
    std::vector<std::string> takeNotes() override;
    std::string name() const override { return "the API server"; }

    // The HTTP status of the last answer that refused a request (403, 409, 422, …); 0 when none
    // did or the request failed without an answer.
    long refusedStatus() const { return refused_status_; }

private:
    core::Status labelNamespace(const core::NamespaceLabel& label, bool dry_run);
    core::Status changePolicy(const core::ApplyStep& step, bool dry_run);
    core::Status deletePolicy(const core::ApplyStep& step, bool dry_run);
    core::Status deleteBackup(const core::ObjectRef& ref, const std::string& backup);
    core::Status answered(const core::Result<kube::ApiResponse>& r,
                          const std::string& method,
                          const std::string& path,
                          bool not_found_is_done = false);

    kube::ApiClient& client_;
    KubeWriteOptions options_;
    std::map<core::ObjectRef, std::string> backups_;  // deleted policy → its backup's name
    std::vector<std::string> notes_;
    long refused_status_ = 0;
};

}  // namespace netpolgen::cli
