// Loaded cluster inputs (snapshot + recorded applies + stored edges) shared between requests.
//
// Loading them is most of a read request: `serve --demo` answered 257 graph requests/s when every
// request opened the store and decoded the snapshot, and at 10,000 workloads a load takes seconds.
// An entry is reused while the SQLite file and its WAL keep their size and modification time (an
// ingest or a snapshot by another process shows at once); the server clears the cache after its
// own writes. Where no such version can be seen (PostgreSQL, --cluster files) an entry lives at
// most `unversioned_max_age`; for windows relative to now ("since=7d", keyed by that text and
// resolved when loaded: a load at 10,000 workloads can take longer than a second) at most
// `relative_max_age`. Beside the entries, the cluster decoded from the latest snapshot is kept in a
// store::ClusterMemo, so a new window only loads edges.
//
//   InputsCache cache(db, std::chrono::seconds(1), std::chrono::seconds(30));
//   auto inputs = cache.get(key, [&] { return load(); });   // load() runs on a miss only
//
// Thread-safe. Loads run outside the lock: two concurrent misses may both load.
#pragma once

#include <chrono>
#include <compare>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "store/inputs.h"

namespace netpolgen::server {

// What the inputs depend on besides the store's content.
struct InputsKey {
    std::string cluster;
    std::optional<core::Timestamp> since;
    std::optional<core::Timestamp> until;
    bool windowed_counts = false;
    // A window relative to now: its parameters as given ("since=7d"); since/until are then unset.
    std::string relative = {};

    auto operator<=>(const InputsKey&) const = default;
};

class InputsCache {
public:
    using Inputs = std::shared_ptr<const store::LoadedInputs>;

    InputsCache(std::string db,
                std::chrono::milliseconds unversioned_max_age,
                std::chrono::milliseconds relative_max_age);

    // The cached inputs of `key`, else what `load` returns (kept unless null: errors are not
    // cached).
    Inputs get(const InputsKey& key, const std::function<Inputs()>& load);
    // The cached inputs of `key` when there are valid ones, else null; never loads.
    Inputs peek(const InputsKey& key);
    void clear();
    store::ClusterMemo& clusterMemo() { return memo_; }

private:
    struct Entry {
        Inputs inputs;
        std::string version;
        std::chrono::steady_clock::time_point loaded_at;
    };
    // A few windows at most: at 10,000 workloads one entry is hundreds of MB.
    static constexpr size_t kMaxEntries = 2;

    std::string storeVersion() const;
    // The entry of `key` when still valid for `version` at `now`, else null. REQUIRES: mutex_.
    Inputs validEntry(const InputsKey& key,
                      const std::string& version,
                      std::chrono::steady_clock::time_point now) const;

    std::string db_;
    std::chrono::milliseconds unversioned_max_age_;
    std::chrono::milliseconds relative_max_age_;
    std::mutex mutex_;
    std::map<InputsKey, Entry> entries_;
    store::ClusterMemo memo_;
};

}  // namespace netpolgen::server
