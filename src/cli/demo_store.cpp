#include "cli/demo_store.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "cli/app.h"
#include "cli/bundled_files.h"
#include "cli/store_commands.h"
#include "cli/store_inputs.h"

namespace netpolgen::cli {

core::Result<std::unique_ptr<DemoStore>> DemoStore::create(const std::string& cluster_name,
                                                           std::ostream& err) {
    namespace fs = std::filesystem;
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        (tmp != nullptr && *tmp != '\0' ? std::string(tmp) : fs::temp_directory_path().string()) +
        "/netpolgen-demo-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) {
        return core::Error{pattern + ": cannot create a temporary directory for the demo store"};
    }
    // Owned from here: an early return below removes the directory.
    std::unique_ptr<DemoStore> store(
        new DemoStore(buffer.data(), findDemoDir() + "/online-boutique"));

    SnapshotCommandOptions snapshot;
    snapshot.db = store->db_;
    snapshot.cluster_name = cluster_name;
    snapshot.cluster_paths = {store->demo_dir_ + "/kubernetes-manifests.yaml"};
    snapshot.quiet = true;
    if (runSnapshot(snapshot, err) != kExitOk) {
        return core::Error{"the demo's manifests could not be stored (" + store->demo_dir_ + ")"};
    }
    IngestCommandOptions ingest;
    ingest.db = store->db_;
    ingest.cluster_name = cluster_name;
    ingest.flow_paths = {store->demo_dir_ + "/flows.hubble.jsonl"};
    ingest.progress = "never";
    ingest.quiet = true;
    if (runIngest(ingest, err) != kExitOk) {
        return core::Error{"the demo's flows could not be stored (" + store->demo_dir_ + ")"};
    }
    return store;
}

DemoStore::~DemoStore() {
    std::error_code ec;  // best effort: a temporary directory left behind is no error
    std::filesystem::remove_all(dir_, ec);
}

}  // namespace netpolgen::cli
