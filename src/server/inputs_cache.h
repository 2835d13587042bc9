// Loaded cluster inputs (snapshot + recorded applies + stored edges) shared between requests.
//
// Loading them is most of a read request: `serve --demo` answered 257 graph requests/s when every
// request opened the store and decoded the snapshot. An entry is reused for at most `max_age` and
// only while the SQLite file and its WAL keep their size and modification time (an ingest or a
// snapshot by another process shows at once); the server clears the cache after its own writes.
// PostgreSQL and --cluster files rely on `max_age` alone.
//
//   InputsCache cache(db, std::chrono::seconds(1));
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

    auto operator<=>(const InputsKey&) const = default;
};

class InputsCache {
public:
    using Inputs = std::shared_ptr<const store::LoadedInputs>;

    InputsCache(std::string db, std::chrono::milliseconds max_age);

    // The cached inputs of `key`, else what `load` returns (kept unless null: errors are not
    // cached).
    Inputs get(const InputsKey& key, const std::function<Inputs()>& load);
    void clear();

private:
    struct Entry {
        Inputs inputs;
        std::string version;
        std::chrono::steady_clock::time_point loaded_at;
    };
    // A few windows at most: at 10,000 workloads one entry is hundreds of MB.
    static constexpr size_t kMaxEntries = 2;

    std::string storeVersion() const;

    std::string db_;
    std::chrono::milliseconds max_age_;
    std::mutex mutex_;
    std::map<InputsKey, Entry> entries_;
};

}  // namespace netpolgen::server
