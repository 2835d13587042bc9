#include "cli/cluster_writer.h"

#include "core/kubernetes_names.h"

namespace netpolgen::cli {

core::Status checkChangeNames(const std::vector<core::NamespaceLabel>& labels,
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
            "nothing changed, the modification names objects the API server would refuse:" +
            problems};
    }
    return {};
}

namespace {

void logNotes(ClusterWriter& writer, std::ostream& log, const char* prefix) {
    for (const std::string& note : writer.takeNotes()) {
        log << prefix << note << "\n";
    }
}

}  // namespace

std::string doneText(const core::ApplyStep& step) {
    static constexpr const char* kDone[] = {"created", "replaced", "deleted"};
    return std::string(kDone[static_cast<int>(step.action)]) + " networkpolicy " + step.ref.ns +
           "/" + step.ref.name;
}

core::Status rollBackChanges(ClusterWriter& writer,
                             const std::vector<core::ApplyStep>& done,
                             std::ostream& log) {
    std::string failures;
    for (auto it = done.rbegin(); it != done.rend(); ++it) {
        const core::ApplyStep inverse = core::inverseOf(*it);
        // Go on after a failure: every other object rolled back is one less to fix by hand.
        core::Status st = writer.undo(*it);
        if (st) {
            log << "rolled back: " << doneText(inverse) << "\n";
        } else {
            failures += "\n  " + st.error();
        }
        logNotes(writer, log, "rolled back: ");
    }
    if (!failures.empty()) {
        return core::Error{"rollback incomplete, the cluster is partly changed:" + failures};
    }
    return {};
}

core::Status applyChanges(ClusterWriter& writer,
                          const std::vector<core::NamespaceLabel>& labels,
                          const std::vector<core::ApplyStep>& steps,
                          std::ostream& log) {
    if (core::Status st = writer.check(labels, steps); !st) {
        return st;
    }
    for (const core::NamespaceLabel& label : labels) {
        if (core::Status st = writer.label(label); !st) {
            return st;
        }
        log << "labelled namespace " << label.ns << " " << label.key << "=" << label.value << "\n";
    }
    std::vector<core::ApplyStep> done;
    for (const core::ApplyStep& step : steps) {
        core::Status changed = writer.change(step);
        logNotes(writer, log, "");
        if (core::Status st = changed; !st) {
            core::Status rolled_back = rollBackChanges(writer, done, log);
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
        log << doneText(step) << "\n";
        done.push_back(step);
    }
    return {};
}

}  // namespace netpolgen::cli
