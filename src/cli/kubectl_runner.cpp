#include "cli/kubectl_runner.h"

#include "cli/process.h"
#include "io/policy_encoder.h"
#include "io/yaml_writer.h"

namespace netpolgen::cli {
namespace {

// One kubectl invocation and how to describe it.
struct KubectlCall {
    std::vector<std::string> argv;
    std::string input;
    std::string what;  // "create networkpolicy shop/web"
};

std::vector<std::string> baseArgv(const KubectlOptions& options) {
    std::vector<std::string> argv{options.path};
    if (!options.context.empty()) {
        argv.insert(argv.end(), {"--context", options.context});
    }
    return argv;
}

KubectlCall callFor(const KubectlOptions& options, const core::ApplyStep& step) {
    KubectlCall call{baseArgv(options), {}, {}};
    const std::string object = "networkpolicy " + step.ref.ns + "/" + step.ref.name;
    switch (step.action) {
        case core::ApplyAction::kCreate:
        case core::ApplyAction::kReplace: {
            const bool create = step.action == core::ApplyAction::kCreate;
            call.argv.insert(call.argv.end(), {create ? "create" : "replace", "-f", "-"});
            call.input = io::writeYaml(io::policyToJson(*step.policy));
            break;
        }
        case core::ApplyAction::kDelete:
            // Names after "--": kubectl then reads "--all" as a name, never as its flag.
            call.argv.insert(call.argv.end(),
                             {"delete", "networkpolicy", "-n", step.ref.ns, "--", step.ref.name});
            break;
    }
    call.what = std::string(core::applyActionName(step.action)) + " " + object;
    return call;
}

KubectlCall callFor(const KubectlOptions& options, const core::NamespaceLabel& label) {
    KubectlCall call{baseArgv(options), {}, {}};
    const std::string pair = label.key + "=" + label.value;
    // kubectl wants its flags before "--", and every resource before the label changes.
    call.argv.insert(call.argv.end(), {"label", "--overwrite", "namespace", "--", label.ns, pair});
    call.what = "label namespace " + label.ns + " " + pair;
    return call;
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
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

core::Status KubectlWriter::check(const std::vector<core::NamespaceLabel>& labels,
                                  const std::vector<core::ApplyStep>& steps) {
    return checkChangeNames(labels, steps);
}

core::Status KubectlWriter::label(const core::NamespaceLabel& label) {
    return run(callFor(options_, label));
}

core::Status KubectlWriter::change(const core::ApplyStep& step) {
    return run(callFor(options_, step));
}

}  // namespace netpolgen::cli
