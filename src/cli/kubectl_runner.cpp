#include "cli/kubectl_runner.h"

#include "cli/process.h"
#include "core/kubernetes_names.h"
#include "io/policy_encoder.h"
#include "io/yaml_writer.h"

namespace netpolgen::cli {
namespace {

// One kubectl invocation and how to describe it.
struct KubectlCall {
    std::vector<std::string> argv;
    std::string input;
    std::string what;  // "create networkpolicy shop/web"
    std::string done;  // "created networkpolicy shop/web"
};

std::vector<std::string> baseArgv(const KubectlOptions& options) {
    std::vector<std::string> argv{options.path};
    if (!options.context.empty()) {
        argv.insert(argv.end(), {"--context", options.context});
    }
    return argv;
}

KubectlCall callFor(const KubectlOptions& options, const core::ApplyStep& step) {
    KubectlCall call{baseArgv(options), {}, {}, {}};
    const std::string object = "networkpolicy " + step.ref.ns + "/" + step.ref.name;
    switch (step.action) {
        case core::ApplyAction::kCreate:
        case core::ApplyAction::kReplace: {
            const bool create = step.action == core::ApplyAction::kCreate;
            call.argv.insert(call.argv.end(), {create ? "create" : "replace", "-f", "-"});
            call.input = io::writeYaml(io::policyToJson(*step.policy));
            call.done = (create ? "created " : "replaced ") + object;
            break;
        }
        case core::ApplyAction::kDelete:
            // Names after "--": kubectl then reads "--all" as a name, never as its flag.
            call.argv.insert(call.argv.end(),
                             {"delete", "networkpolicy", "-n", step.ref.ns, "--", step.ref.name});
            call.done = "deleted " + object;
            break;
    }
    call.what = std::string(core::applyActionName(step.action)) + " " + object;
    return call;
}

KubectlCall callFor(const KubectlOptions& options, const core::NamespaceLabel& label) {
    KubectlCall call{baseArgv(options), {}, {}, {}};
    const std::string pair = label.key + "=" + label.value;
    // kubectl wants its flags before "--", and every resource before the label changes.
    call.argv.insert(call.argv.end(), {"label", "--overwrite", "namespace", "--", label.ns, pair});
    call.what = "label namespace " + label.ns + " " + pair;
    call.done = "labelled namespace " + label.ns + " " + pair;
    return call;
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

// The names a call would pass, checked as the API server checks them: whatever planned the
// steps, nothing kubectl could read as a flag or another object reaches its argv.
core::Status checkNames(const std::vector<core::NamespaceLabel>& labels,
                        const std::vector<core::ApplyStep>& steps) {
    std::string problems;
    const auto check =
        [&](std::string_view what, std::string_view value, std::optional<std::string> problem) {
            if (problem) {
                problems += "\n  " + core::invalidValue(what, value, *problem);
            }
        };
    for (const core::NamespaceLabel& l : labels) {
        check("namespace", l.ns, core::dns1123LabelProblem(l.ns));
        check("label key", l.key, core::labelKeyProblem(l.key));
        check("label value", l.value, core::labelValueProblem(l.value));
    }
    for (const core::ApplyStep& step : steps) {
        check("namespace", step.ref.ns, core::dns1123LabelProblem(step.ref.ns));
        check("name", step.ref.name, core::dns1123SubdomainProblem(step.ref.name));
    }
    if (!problems.empty()) {
        return core::Error{
            "kubectl not run, the modification names objects the API server would "
            "refuse:" +
            problems};
    }
    return {};
}

core::Status run(const KubectlCall& call) {
    auto result = runProcess(call.argv, call.input);
    if (!result) {
        return core::Error{"kubectl " + call.what + ": " + result.error()};
    }
    if (result->exit_code != 0) {
        return core::Error{"kubectl " + call.what + " failed (exit " +
                           std::to_string(result->exit_code) + "): " + trimmed(result->err)};
    }
    return {};
}

}  // namespace

core::Status rollBackKubectl(const KubectlOptions& options,
                             const std::vector<core::ApplyStep>& done,
                             std::ostream& log) {
    std::string failures;
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
        const KubectlCall call = callFor(options, core::inverseOf(*it));
        // Go on after a failure: every other object rolled back is one less to fix by hand.
        if (core::Status st = run(call); !st) {
            failures += "\n  " + st.error();
            continue;
        }
        log << "rolled back: " << call.done << "\n";
    }
    if (!failures.empty()) {
        return core::Error{"rollback incomplete, the cluster is partly changed:" + failures};
    }
    return {};
}

core::Status runKubectl(const KubectlOptions& options,
                        const std::vector<core::NamespaceLabel>& labels,
                        const std::vector<core::ApplyStep>& steps,
                        std::ostream& log) {
    if (core::Status st = checkNames(labels, steps); !st) {
        return st;
    }
    for (const core::NamespaceLabel& label : labels) {
        const KubectlCall call = callFor(options, label);
        if (core::Status st = run(call); !st) {
            return st;
        }
        log << call.done << "\n";
    }
    std::vector<core::ApplyStep> done;
    for (const core::ApplyStep& step : steps) {
        const KubectlCall call = callFor(options, step);
        if (core::Status st = run(call); !st) {
            core::Status rolled_back = rollBackKubectl(options, done, log);
            std::string outcome = "no policy was changed";
            if (!rolled_back) {
                outcome = rolled_back.error();
            } else if (!done.empty()) {
                outcome = "rolled back " + std::to_string(done.size()) + " change(s) done before";
            }
            if (!labels.empty()) {
                outcome += " (namespace labels are kept)";
            }
            return core::Error{st.error() + "\n" + outcome};
        }
        log << call.done << "\n";
        done.push_back(step);
    }
    return {};
}

}  // namespace netpolgen::cli
