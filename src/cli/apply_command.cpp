// `netpolgen apply` and `netpolgen revert`: both change the cluster's policies and record the
// change with its undo (cli/history_commands.h).
#include <fmt/format.h>

#include <iostream>
#include <iterator>
#include <memory>

#include "cli/app.h"
#include "cli/cluster_history.h"
#include "cli/history_commands.h"
#include "cli/output_file.h"
#include "cli/store_inputs.h"
#include "io/modification_decoder.h"
#include "io/policy_encoder.h"
#include "store/store.h"

namespace netpolgen::cli {
namespace {

// A validated change, ready to be applied and recorded.
struct Change {
    core::Modification modification;  // canonical: what the record will read back
    std::vector<core::ApplyStep> steps;
    core::Modification undo;
    std::string action;  // "apply" or "revert"
    std::optional<int64_t> reverts_to;
};

void printError(std::ostream& err, const std::string& message) {
    size_t pos = 0;
    while (pos <= message.size()) {
        size_t end = message.find('\n', pos);
        if (end == std::string::npos) {
            end = message.size();
        }
        err << "netpolgen: " << message.substr(pos, end - pos) << "\n";
        pos = end + 1;
    }
}

std::string countsText(const core::ChangeCounts& c) {
    return fmt::format("{} created, {} replaced, {} deleted", c.created, c.replaced, c.deleted);
}

core::Result<std::unique_ptr<store::Store>> openHistoryStore(const HistoryTarget& target) {
    if (target.db.empty()) {
        return core::Error{"no store given: pass --db FILE (SQLite) or --db postgresql://…"};
    }
    return openStoreAt(target.db);
}

// The modification as given: a file or directory (as loadModification reads them), or stdin.
core::Result<core::Modification> readModification(const std::string& path) {
    io::DecodedModification decoded;
    core::Status st;
    if (path == "-") {
        const std::string text{std::istreambuf_iterator<char>(std::cin),
                               std::istreambuf_iterator<char>()};
        st = io::decodeModification(text, "<stdin>", {}, decoded);
    } else {
        st = io::loadModification(path, {}, decoded);
    }
    if (!st) {
        return core::Error{st.error()};
    }
    return canonicalModification(decoded.modification);
}

std::string recordedText(const Change& change, int64_t id, const HistoryTarget& target) {
    std::string text =
        fmt::format("recorded {} #{} for cluster \"{}\"", change.action, id, target.cluster);
    if (change.reverts_to) {
        text += fmt::format(" (back to before apply #{})", *change.reverts_to);
    }
    return text + ": " + countsText(core::countChanges(change.modification));
}

// Applies the change with kubectl when asked, then records it. Nothing is recorded when kubectl
// fails; kubectl's changes are rolled back when the record cannot be written.
int applyAndRecord(store::Store& store,
                   const HistoryTarget& target,
                   const RecordOptions& options,
                   const Change& change,
                   std::ostream& out,
                   std::ostream& err) {
    store::ApplyRecord record;
    auto time = recordTime(options.now);
    if (!time) {
        printError(err, time.error());
        return kExitBadInput;
    }
    record.applied_at = *time;
    if (options.kubectl) {
        if (core::Status st = runKubectl(
                options.kubectl_options, change.modification.namespace_labels, change.steps, out);
            !st) {
            printError(err, st.error() + "\nnothing recorded");
            return kExitFailure;
        }
    }
    record.cluster = target.cluster;
    record.user = options.user.empty() ? defaultUser() : options.user;
    record.modification_yaml = io::modificationToYaml(change.modification);
    record.undo_yaml = io::modificationToYaml(change.undo);
    record.action = change.action;
    record.reverts_to = change.reverts_to;
    record.via_kubectl = options.kubectl;
    auto id = store.recordApply(record);
    if (!id) {
        std::string message = "cannot record the " + change.action + ": " + id.error();
        if (options.kubectl) {
            core::Status rolled_back = rollBackKubectl(options.kubectl_options, change.steps, out);
            message += rolled_back ? "\nkubectl changes rolled back" : "\n" + rolled_back.error();
        }
        printError(err, message);
        return kExitFailure;
    }
    out << recordedText(change, *id, target)
        << (options.kubectl ? ", via kubectl\n"
                            : "; not applied by netpolgen (no --kubectl): recorded as applied by "
                              "other means (GitOps, kubectl)\n");
    return kExitOk;
}

void printDryRun(const Change& change, const HistoryTarget& target, std::ostream& out) {
    for (const core::NamespaceLabel& label : change.modification.namespace_labels) {
        out << "would label namespace " << label.ns << " " << label.key << "=" << label.value
            << "\n";
    }
    for (const core::ApplyStep& step : change.steps) {
        out << "would " << core::applyActionName(step.action) << " networkpolicy " << step.ref.ns
            << "/" << step.ref.name << "\n";
    }
    out << "dry run: " << change.action << " to cluster \"" << target.cluster << "\" would make "
        << countsText(core::countChanges(change.modification)) << "; nothing applied or recorded\n";
}

// The change `modification` makes to `current`. Errors: the validation errors of planApply.
core::Result<Change> planChange(const core::PolicyState& current,
                                core::Modification modification,
                                const std::string& action) {
    auto steps = core::planApply(current, modification);
    if (!steps) {
        return core::Error{steps.error()};
    }
    auto undo = core::undoOf(current, modification);
    if (!undo) {
        return core::Error{undo.error()};
    }
    return Change{std::move(modification), std::move(*steps), std::move(*undo), action, {}};
}

// The index of the entry revert goes back before. Errors: an unknown id, too many steps.
core::Result<size_t> revertIndex(const ClusterHistory& history, const RevertCommandOptions& o) {
    const auto& entries = history.entries;
    if (o.to) {
        for (size_t i = 0; i < entries.size(); ++i) {
            if (entries[i].record.id == *o.to) {
                return i;
            }
        }
        return core::Error{
            fmt::format("--to {}: no apply #{} recorded for cluster \"{}\" (ids {}–{})",
                        *o.to,
                        *o.to,
                        history.cluster,
                        entries.front().record.id,
                        entries.back().record.id)};
    }
    const int64_t steps = o.steps.value_or(1);
    if (steps < 1 || static_cast<uint64_t>(steps) > entries.size()) {
        return core::Error{fmt::format(
            "--steps {}: cluster \"{}\" has {} recorded change(s); --steps takes 1 to {}",
            steps,
            history.cluster,
            entries.size(),
            entries.size())};
    }
    return entries.size() - static_cast<size_t>(steps);
}

int writeRevert(const RevertCommandOptions& o,
                const core::Modification& m,
                std::ostream& out,
                std::ostream& err) {
    const std::string text =
        o.format == "json" ? io::modificationToJson(m) : io::modificationToYaml(m);
    if (core::Status st = writeOutput(o.output, text, out); !st) {
        printError(err, st.error());
        return kExitFailure;
    }
    return kExitOk;
}

// What revert computes: the current policies and the modification back to those before an apply.
struct RevertPlan {
    core::PolicyState current;
    store::ApplyRecord back_to;  // the apply whose previous state is the target
    core::Modification modification;
};

// Errors: no history (StackRox: `no undo record stored for cluster "<id>"`), an unknown id, too
// many steps, a history that no longer replays or undoes.
core::Result<RevertPlan> planRevert(store::Store& store, const RevertCommandOptions& o) {
    auto history = loadClusterHistory(store, o.target.cluster, o.target.db);
    if (!history) {
        return core::Error{history.error()};
    }
    if (history->entries.empty()) {
        return core::Error{"no applied modification recorded for cluster \"" + o.target.cluster +
                           "\""};
    }
    auto index = revertIndex(*history, o);
    if (!index) {
        return core::Error{index.error()};
    }
    auto target_state = stateBefore(*history, *index);
    if (!target_state) {
        return core::Error{target_state.error()};
    }
    core::Modification m = core::modificationBetween(history->current, *target_state);
    return RevertPlan{std::move(history->current), history->entries[*index].record, std::move(m)};
}

}  // namespace

int runApply(const ApplyCommandOptions& o, std::ostream& out, std::ostream& err) {
    auto modification = readModification(o.modification);
    if (!modification) {
        printError(err, modification.error());
        return kExitBadInput;
    }
    if (core::isEmpty(*modification)) {
        printError(err,
                   o.modification + ": the modification is empty: no policy to apply or delete");
        return kExitBadInput;
    }
    auto store = openHistoryStore(o.target);
    if (!store) {
        printError(err, store.error());
        return kExitBadInput;
    }
    auto history = loadClusterHistory(**store, o.target.cluster, o.target.db);
    if (!history) {
        printError(err, history.error());
        return kExitBadInput;
    }
    auto change = planChange(history->current, std::move(*modification), "apply");
    if (!change) {
        printError(err,
                   o.modification + ": the modification does not apply to cluster \"" +
                       o.target.cluster + "\":\n" + change.error());
        return kExitBadInput;
    }
    if (o.dry_run) {
        printDryRun(*change, o.target, out);
        return kExitOk;
    }
    return applyAndRecord(**store, o.target, o.record, *change, out, err);
}

int runRevert(const RevertCommandOptions& o, std::ostream& out, std::ostream& err) {
    auto store = openHistoryStore(o.target);
    if (!store) {
        printError(err, store.error());
        return kExitBadInput;
    }
    auto revert = planRevert(**store, o);
    if (!revert) {
        printError(err, revert.error());
        return kExitBadInput;
    }
    const core::Modification& m = revert->modification;
    const bool records = o.record.kubectl || o.record_only;
    if (!records || !o.output.empty()) {
        if (int status = writeRevert(o, m, out, err); status != kExitOk) {
            return status;
        }
    }
    const std::string back_to = entryText(revert->back_to);
    if (!records) {
        err << "revert of cluster \"" << o.target.cluster << "\" to before " << back_to << ": "
            << countsText(core::countChanges(m))
            << "; not applied: --kubectl applies and records it, --record records it as "
               "applied by other means\n";
        return kExitOk;
    }
    if (core::isEmpty(m)) {
        out << "nothing to revert: cluster \"" << o.target.cluster
            << "\" already has the policies it had before " << back_to << "\n";
        return kExitOk;
    }
    auto change = planChange(revert->current, m, "revert");
    if (!change) {
        printError(err, change.error());
        return kExitFailure;  // modificationBetween always applies: a bug, not bad input
    }
    change->reverts_to = revert->back_to.id;
    return applyAndRecord(**store, o.target, o.record, *change, out, err);
}

}  // namespace netpolgen::cli
