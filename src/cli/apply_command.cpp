// `netpolgen apply` and `netpolgen revert`: both change the cluster's policies and record the
// change with its undo (cli/history_commands.h).
#include <fmt/format.h>

#include <iostream>
#include <iterator>
#include <memory>

#include "cli/app.h"
#include "cli/cluster_history.h"
#include "cli/history_commands.h"
#include "cli/kube_writer.h"
#include "cli/output_file.h"
#include "cli/store_inputs.h"
#include "io/modification_decoder.h"
#include "io/policy_encoder.h"
#include "io/time_text.h"
#include "kube/cluster_reader.h"
#include "store/store.h"

namespace netpolgen::cli {
namespace {

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

// The store of `target` (kept in `store`) and its cluster's history, which must replay: what
// apply and delete-generated --kube plan on.
core::Result<ClusterHistory> openReplayableHistory(const HistoryTarget& target,
                                                   std::unique_ptr<store::Store>& store) {
    auto opened = openHistoryStore(target);
    if (!opened) {
        return core::Error{opened.error()};
    }
    store = std::move(*opened);
    auto history = loadClusterHistory(*store, target.cluster, target.db);
    if (!history) {
        return core::Error{history.error()};
    }
    if (core::Status st = store::requireReplayable(*history); !st) {
        return core::Error{st.error()};
    }
    return history;
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

// The live cluster of --kube: --kubeconfig, --context (shared with --kubectl), --in-cluster.
core::Result<std::unique_ptr<kube::ApiClient>> connectKube(const RecordOptions& o) {
    LiveClusterOptions live = o.live;
    live.context = o.kubectl_options.context;  // none of them: $KUBECONFIG or ~/.kube/config
    return connectLive(live);
}

// What changes the cluster: kubectl, the API server, or nothing (record only). `client` keeps
// the API client the writer uses; `time` is the apply's, on the API writer's backups.
core::Result<std::unique_ptr<ClusterWriter>> writerFor(const RecordOptions& o,
                                                       core::Timestamp time,
                                                       std::unique_ptr<kube::ApiClient>& client) {
    if (o.kubectl) {
        return std::unique_ptr<ClusterWriter>(std::make_unique<KubectlWriter>(o.kubectl_options));
    }
    if (!o.kube) {
        if (!o.kubectl_options.context.empty()) {
            return core::Error{"--context needs --kubectl or --kube"};
        }
        return std::unique_ptr<ClusterWriter>();
    }
    auto connected = connectKube(o);
    if (!connected) {
        return core::Error{connected.error()};
    }
    client = std::move(*connected);
    KubeWriteOptions write;
    write.backup = o.backup;
    write.apply_id = newApplyId();
    write.timestamp = io::formatRfc3339(time);
    return std::unique_ptr<ClusterWriter>(std::make_unique<KubeApiWriter>(*client, write));
}

// Applies the change with kubectl or the API server when asked, then records it if the history is
// still the one planned on (`latest_id`, its last record). Nothing is recorded when kubectl fails;
// kubectl's changes are rolled back when the record cannot be written or another change was
// recorded first (exit 2: plan again on the new history).
int applyAndRecord(store::Store& store,
                   const HistoryTarget& target,
                   const RecordOptions& options,
                   const Change& change,
                   int64_t latest_id,
                   std::ostream& out,
                   std::ostream& err) {
    auto time = recordTime(options.now);
    if (!time) {
        printError(err, time.error());
        return kExitBadInput;
    }
    std::unique_ptr<kube::ApiClient> client;
    auto writer = writerFor(options, *time, client);
    if (!writer) {
        printError(err, writer.error());
        return kExitBadInput;
    }
    if (*writer) {
        if (core::Status st =
                applyChanges(**writer, change.modification.namespace_labels, change.steps, out);
            !st) {
            printError(err, st.error() + "\nnothing recorded");
            return kExitFailure;
        }
    }
    const store::ApplyRecord record = recordOf(change,
                                               target.cluster,
                                               *time,
                                               options.user.empty() ? defaultUser() : options.user,
                                               *writer != nullptr);
    auto outcome = store.recordApply(record, latest_id);
    if (!outcome || !outcome->id) {
        std::string message = !outcome
                                  ? "cannot record the " + change.action + ": " + outcome.error()
                                  : store::conflictText(target.cluster, *outcome);
        if (*writer) {
            core::Status rolled_back = rollBackChanges(**writer, change.steps, out);
            message += rolled_back ? "\n" + (*writer)->name() + " changes rolled back"
                                   : "\n" + rolled_back.error();
        }
        printError(err, message);
        return !outcome ? kExitFailure : kExitBadInput;
    }
    out << recordedText(change, *outcome->id, target)
        << (options.kubectl ? ", via kubectl\n"
            : options.kube  ? ", via the API server\n"
                            : "; not applied by netpolgen (no --kubectl or --kube): recorded as "
                              "applied by other means (GitOps, kubectl)\n");
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
    std::unique_ptr<store::Store> store;
    auto history = openReplayableHistory(o.target, store);
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
    return applyAndRecord(*store, o.target, o.record, *change, history->latest_id, out, err);
}

int runRevert(const RevertCommandOptions& o, std::ostream& out, std::ostream& err) {
    auto store = openHistoryStore(o.target);
    if (!store) {
        printError(err, store.error());
        return kExitBadInput;
    }
    auto revert = planRevert(**store, o.target.cluster, o.target.db, {o.to, o.steps});
    if (!revert) {
        printError(err, revert.error());
        return kExitBadInput;
    }
    const core::Modification& m = revert->modification;
    const bool records = o.record.kubectl || o.record.kube || o.record_only;
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
    return applyAndRecord(**store, o.target, o.record, *change, revert->latest_id, out, err);
}

namespace {

// The generated policies of the live cluster (isGeneratedPolicy; of `namespaces`, or all), read
// through its API server as the reader lists them and decoded as a snapshot is.
core::Result<core::PolicyState> liveGeneratedPolicies(kube::ApiClient& client,
                                                      const DeleteGeneratedCommandOptions& o) {
    kube::ReadOptions read;
    read.page_size = o.record.live.page_size;
    read.namespaces = o.namespaces;
    kube::ReadReport report;
    auto pages = kube::readNetworkPolicies(client, read, report);
    if (!pages) {
        return core::Error{pages.error()};
    }
    std::vector<store::SnapshotFile> files;
    for (kube::ListedPage& page : *pages) {
        files.push_back({std::move(page.name), std::move(page.text)});
    }
    auto all = store::policiesOfManifests(files);
    if (!all) {
        return core::Error{all.error()};
    }
    core::PolicyState generated;
    for (auto& [ref, policy] : all->policies) {
        if (isGeneratedPolicy(policy)) {
            generated.policies.emplace(ref, std::move(policy));
        }
    }
    return generated;
}

// The live policies the store does not know as they are: recording their deletion would give a
// history that no longer replays, and an undo that re-creates something else.
std::string unknownToStore(const core::PolicyState& live, const core::PolicyState& stored) {
    std::string out;
    for (const auto& [ref, policy] : live.policies) {
        const core::NetworkPolicy* known = stored.find(ref);
        if (known == nullptr || *known != policy) {
            out += "\n  networkpolicy " + ref.ns + "/" + ref.name +
                   (known == nullptr ? ": not in the store" : ": differs from the store's");
        }
    }
    return out;
}

}  // namespace

int runDeleteGeneratedKube(const DeleteGeneratedCommandOptions& o,
                           std::ostream& out,
                           std::ostream& err) {
    if (o.db.empty()) {
        printError(err,
                   "delete-generated --kube records the deletion with its undo (revert --kube "
                   "brings the policies back): pass --db FILE (SQLite) or --db postgresql://…");
        return kExitBadInput;
    }
    const HistoryTarget target{o.db, o.cluster};
    std::unique_ptr<store::Store> store;
    auto history = openReplayableHistory(target, store);
    if (!history) {
        printError(err, history.error());
        return kExitBadInput;
    }
    auto client = connectKube(o.record);
    if (!client) {
        printError(err, client.error());
        return kExitBadInput;
    }
    auto live = liveGeneratedPolicies(**client, o);
    if (!live) {
        printError(err, live.error());
        return kExitBadInput;
    }
    if (live->policies.empty()) {
        out << "no policy labelled " << core::kGeneratedLabelKey
            << "=true in the cluster; nothing deleted or recorded\n";
        return kExitOk;
    }
    if (std::string unknown = unknownToStore(*live, history->current); !unknown.empty()) {
        printError(err,
                   "nothing deleted: the store's policies of cluster \"" + target.cluster +
                       "\" are not the live cluster's, so the deletion could not be recorded "
                       "with its undo:" +
                       unknown +
                       "\ntake a snapshot of the live cluster first (netpolgen snapshot --db " +
                       target.db + " --cluster-name " + target.cluster + " --kubeconfig …)");
        return kExitBadInput;
    }
    core::Modification m;
    for (const auto& [ref, policy] : live->policies) {
        m.to_delete.push_back(ref);
    }
    auto change = planChange(history->current, std::move(m), "apply");
    if (!change) {
        printError(err, change.error());
        return kExitFailure;  // every deletion exists in the store (checked above): a bug
    }
    if (o.dry_run) {
        printDryRun(*change, target, out);
        return kExitOk;
    }
    return applyAndRecord(*store, target, o.record, *change, history->latest_id, out, err);
}

}  // namespace netpolgen::cli
