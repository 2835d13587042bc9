// Applying planned steps to a live cluster with kubectl (a ClusterWriter, cli/cluster_writer.h:
// all or nothing, in order, rolled back in reverse on the first failure): one kubectl call per
// object.
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

#include "cli/cluster_writer.h"
#include "core/generator.h"
#include "core/policy_state.h"
#include "core/result.h"

namespace netpolgen::cli {

struct KubectlOptions {
    std::string path = "kubectl";  // looked up on PATH unless it contains a slash
    std::string context;           // --context; empty: kubectl's current context
};

// Each change is one kubectl call (above); check() refuses names the API server would refuse.
class KubectlWriter : public ClusterWriter {
public:
    explicit KubectlWriter(KubectlOptions options) : options_(std::move(options)) {}

    core::Status check(const std::vector<core::NamespaceLabel>& labels,
                       const std::vector<core::ApplyStep>& steps) override;
    core::Status label(const core::NamespaceLabel& label) override;
    core::Status change(const core::ApplyStep& step) override;
    std::string name() const override { return "kubectl"; }

private:
    KubectlOptions options_;
};

}  // namespace netpolgen::cli
