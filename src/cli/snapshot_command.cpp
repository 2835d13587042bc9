// `netpolgen snapshot` (store_commands.h): validate manifests, then store them as read.
#include <fmt/format.h>

#include "cli/app.h"
#include "cli/store_commands.h"
#include "cli/store_inputs.h"
#include "cli/time_window.h"
#include "core/cluster_builder.h"
#include "io/manifest_decoder.h"
#include "io/time_text.h"

namespace netpolgen::cli {
namespace {

struct ReadSnapshot {
    store::Snapshot snapshot;
    io::ManifestStats stats;
    core::Cluster cluster;
    std::vector<std::string> warnings;
};

// Reads every file of `path` once, decodes it as `generate --cluster` would (the stored copy is
// then known to decode again) and keeps its text.
core::Status readPath(const std::string& path, ReadSnapshot& out, core::ClusterObjects& objects) {
    auto files = io::manifestFiles(path);
    if (!files) {
        return core::Error{files.error()};
    }
    const size_t documents_before = out.stats.documents;
    for (const std::string& file : *files) {
        auto text = io::readManifestFile(file);
        if (!text) {
            return core::Error{text.error()};
        }
        if (core::Status st = io::decodeManifests(*text, file, {}, objects, out.stats); !st) {
            return st;
        }
        out.snapshot.files.push_back({file, std::move(*text)});
    }
    if (out.stats.documents == documents_before) {
        return core::Error{path + ": no Kubernetes objects (empty input)"};
    }
    return {};
}

// The live cluster's list pages, each decoded and kept as a snapshot file named by its URL.
core::Status readLive(const SnapshotCommandOptions& o,
                      std::ostream& err,
                      ReadSnapshot& out,
                      core::ClusterObjects& objects) {
    auto pages = readLiveCluster(o.live, err, o.quiet);
    if (!pages) {
        return core::Error{pages.error()};
    }
    for (auto& page : *pages) {
        if (core::Status st = io::decodeManifests(page.text, page.name, {}, objects, out.stats);
            !st) {
            return st;
        }
        out.snapshot.files.push_back({std::move(page.name), std::move(page.text)});
    }
    return {};
}

core::Result<ReadSnapshot> readSnapshot(const SnapshotCommandOptions& o,
                                        core::Timestamp now,
                                        std::ostream& err) {
    ReadSnapshot out;
    out.snapshot.cluster = o.cluster_name;
    out.snapshot.taken_at = now;
    core::ClusterObjects objects;
    if (o.live.wanted() == !o.cluster_paths.empty()) {
        return core::Error{
            "give the cluster as --cluster FILE|DIR or from its API server "
            "(--kubeconfig, --context, --in-cluster), one of them"};
    }
    if (o.live.wanted()) {
        if (core::Status st = readLive(o, err, out, objects); !st) {
            return core::Error{st.error()};
        }
    }
    for (const auto& path : o.cluster_paths) {
        if (core::Status st = readPath(path, out, objects); !st) {
            return core::Error{st.error()};
        }
    }
    out.cluster = core::buildCluster(std::move(objects), out.warnings);
    return out;
}

std::string summary(const SnapshotCommandOptions& o, const ReadSnapshot& s, int64_t id) {
    std::string out = fmt::format(
        "snapshot {} of cluster \"{}\" stored in {} ({}): {} files, {} objects: {} namespaces, {} "
        "workloads, {} services, {} network policies\n",
        id,
        o.cluster_name,
        o.db,
        io::formatRfc3339(s.snapshot.taken_at),
        s.snapshot.files.size(),
        s.stats.objects,
        s.cluster.namespaces.size(),
        s.cluster.workloads.size(),
        s.cluster.services.size(),
        s.cluster.policies.size());
    std::vector<std::string> warnings = s.warnings;
    warnings.insert(warnings.end(), s.stats.warnings.begin(), s.stats.warnings.end());
    for (const auto& w : warnings) {
        out += "  warning: " + w + "\n";
    }
    return out;
}

}  // namespace

int runSnapshot(const SnapshotCommandOptions& o, std::ostream& err) {
    auto now = resolveNow(o.now);
    if (!now) {
        err << "netpolgen: " << now.error() << "\n";
        return kExitBadInput;
    }
    // Validate before opening the store: bad manifests leave the store untouched (not even
    // created).
    auto read = readSnapshot(o, *now, err);
    if (!read) {
        err << "netpolgen: " << read.error() << "\n";
        return kExitBadInput;
    }
    auto store = openStoreAt(o.db);
    if (!store) {
        err << "netpolgen: " << store.error() << "\n";
        return kExitBadInput;
    }
    auto id = (*store)->putSnapshot(read->snapshot);
    if (!id) {
        err << "netpolgen: " << o.db << ": " << id.error() << "\n";
        return kExitFailure;
    }
    if (!o.quiet) {
        err << summary(o, *read, *id);
    }
    return kExitOk;
}

}  // namespace netpolgen::cli
