// The store of `serve --demo`: the bundled Online Boutique (the cluster and flows `netpolgen
// demo` reads) snapshotted and ingested into a SQLite store in a new temporary directory, which
// is removed with the object. The same as running, in that directory,
//
//   netpolgen snapshot --db demo.db --cluster DEMO/kubernetes-manifests.yaml
//   netpolgen ingest --db demo.db --flows DEMO/flows.hubble.jsonl
//
// so that generate on it prints what `netpolgen demo` prints.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include "core/result.h"

namespace netpolgen::cli {

class DemoStore {
public:
    // Errors: no temporary directory, or the snapshot or ingest failed (their messages, which
    // went to `err`, are summed up).
    static core::Result<std::unique_ptr<DemoStore>> create(const std::string& cluster_name,
                                                           std::ostream& err);
    ~DemoStore();
    DemoStore(const DemoStore&) = delete;
    DemoStore& operator=(const DemoStore&) = delete;

    // The store's location (a SQLite file inside the temporary directory).
    const std::string& db() const { return db_; }
    // The demo's files the store was filled from.
    const std::string& demoDir() const { return demo_dir_; }

private:
    DemoStore(std::string dir, std::string demo_dir)
        : dir_(std::move(dir)), db_(dir_ + "/demo.db"), demo_dir_(std::move(demo_dir)) {}

    std::string dir_;
    std::string db_;
    std::string demo_dir_;
};

}  // namespace netpolgen::cli
