// Changing a live cluster's policies all or nothing, as StackRox's sensor does
// (docs/stackrox-generator.md §5.1): namespace labels first (never rolled back: other policies may
// select on them), then one change per policy in order; on the first failure the changes done are
// undone in reverse order (delete what was created, replace back what was replaced, re-create what
// was deleted). Two writers do the single changes: kubectl (cli/kubectl_runner.h) and the API
// server itself (cli/kube_writer.h).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/policy_state.h"
#include "core/result.h"

namespace netpolgen::cli {

class ClusterWriter {
public:
    virtual ~ClusterWriter() = default;
    // Before anything changes: whether every change would be accepted (names as the API server
    // checks them; the API writer also asks the server with dryRun=All).
    virtual core::Status check(const std::vector<core::NamespaceLabel>& labels,
                               const std::vector<core::ApplyStep>& steps) = 0;
    virtual core::Status label(const core::NamespaceLabel& label) = 0;
    virtual core::Status change(const core::ApplyStep& step) = 0;
    // Undoes `done`, a change this writer made: by default the inverse change (delete what was
    // created, replace back, re-create what was deleted). The API writer also removes the backup
    // copy it made of a deleted policy.
    virtual core::Status undo(const core::ApplyStep& done) { return change(core::inverseOf(done)); }
    // Lines about changes besides the steps themselves since the last call (backup copies made
    // or removed), for the log; taken once.
    virtual std::vector<std::string> takeNotes() { return {}; }
    // "kubectl", "the API server": in messages.
    virtual std::string name() const = 0;
};

// Runs the labels, then the steps. Prints one line per change done or rolled back to `log`
// ("created networkpolicy shop/web", "rolled back: deleted networkpolicy shop/web", and the
// writer's notes: "backed up networkpolicy shop/web as shop/deleted-web-x7k2p"). Errors: the
// check's, the failed change with its reason, what was rolled back, and any rollback change that
// failed in turn (then the cluster is left partly changed, and the message says which objects).
core::Status applyChanges(ClusterWriter& writer,
                          const std::vector<core::NamespaceLabel>& labels,
                          const std::vector<core::ApplyStep>& steps,
                          std::ostream& log);

// Undoes `done` (steps applyChanges completed) in reverse order with ClusterWriter::undo, for a
// failure after they succeeded (the history could not be recorded).
core::Status rollBackChanges(ClusterWriter& writer,
                             const std::vector<core::ApplyStep>& done,
                             std::ostream& log);

// The names the changes would send, checked as the API server checks them: whatever planned the
// steps, nothing kubectl could read as a flag, or that names another object, reaches a request.
core::Status checkChangeNames(const std::vector<core::NamespaceLabel>& labels,
                              const std::vector<core::ApplyStep>& steps);

// "created networkpolicy shop/web" for a step done.
std::string doneText(const core::ApplyStep& step);

}  // namespace netpolgen::cli
