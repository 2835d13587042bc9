// Applying planned steps to a live cluster with kubectl, all or nothing, as StackRox's sensor does
// (docs/stackrox-generator.md §5.1): one kubectl call per object, in order; on the first failure
// the steps done are undone in reverse order (delete what was created, replace back what was
// replaced, re-create what was deleted).
//
//   kubectl [--context CTX] create -f -                      the object's YAML on stdin
//   kubectl [--context CTX] replace -f -                     the object's YAML on stdin
//   kubectl [--context CTX] delete networkpolicy -n NS -- NAME
//   kubectl [--context CTX] label --overwrite namespace -- NS KEY=VALUE
//
// Names go after "--", so that kubectl never reads one as a flag ("--all" is a name there, as
// kubectl 1.32 shows), and are checked as the API server checks them before any call runs.
//
// Namespace labels go first, since the new policies' namespace selectors may need them, and are
// never rolled back or undone: they are additive metadata that other policies may select on.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "core/generator.h"
#include "core/policy_state.h"
#include "core/result.h"

namespace netpolgen::cli {

struct KubectlOptions {
    std::string path = "kubectl";  // looked up on PATH unless it contains a slash
    std::string context;           // --context; empty: kubectl's current context
};

// Runs the labels, then the steps. Prints one line per change done or rolled back to `log`
// ("created networkpolicy shop/web", "rolled back: deleted networkpolicy shop/web").
// Errors: a name the API server would refuse (nothing run), the failed call with kubectl's
// stderr, what was rolled back, and any rollback call that
// failed in turn (then the cluster is left partly changed, and the message says which objects).
core::Status runKubectl(const KubectlOptions& options,
                        const std::vector<core::NamespaceLabel>& labels,
                        const std::vector<core::ApplyStep>& steps,
                        std::ostream& log);

// Undoes `done` (steps that runKubectl completed) in reverse order, for a failure after kubectl
// succeeded (the history could not be recorded). Errors: as runKubectl's rollback.
core::Status rollBackKubectl(const KubectlOptions& options,
                             const std::vector<core::ApplyStep>& done,
                             std::ostream& log);

}  // namespace netpolgen::cli
