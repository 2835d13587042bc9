#include "server/inputs_cache.h"

#include <sys/stat.h>

#include <utility>

namespace netpolgen::server {
namespace {

// "size:seconds.nanoseconds" of a file's last change, "-" when it does not exist.
std::string fileVersion(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return "-";
    }
    return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec);
}

bool isPostgres(const std::string& db) {
    return db.rfind("postgresql://", 0) == 0 || db.rfind("postgres://", 0) == 0;
}

}  // namespace

InputsCache::InputsCache(std::string db,
                         std::chrono::milliseconds unversioned_max_age,
                         std::chrono::milliseconds relative_max_age)
    : db_(std::move(db)),
      unversioned_max_age_(unversioned_max_age),
      relative_max_age_(relative_max_age) {}

std::string InputsCache::storeVersion() const {
    if (db_.empty() || isPostgres(db_)) {
        return {};
    }
    return fileVersion(db_) + " " + fileVersion(db_ + "-wal");
}

InputsCache::Inputs InputsCache::validEntry(const InputsKey& key,
                                            const std::string& version,
                                            std::chrono::steady_clock::time_point now) const {
    const auto it = entries_.find(key);
    if (it == entries_.end() || it->second.version != version) {
        return nullptr;
    }
    const auto age = now - it->second.loaded_at;
    // An empty version is one this cache cannot see change.
    const bool fresh = version.empty()         ? age < unversioned_max_age_
                       : !key.relative.empty() ? age < relative_max_age_
                                               : true;
    return fresh ? it->second.inputs : nullptr;
}

InputsCache::Inputs InputsCache::peek(const InputsKey& key) {
    const std::string version = storeVersion();
    std::lock_guard lock(mutex_);
    return validEntry(key, version, std::chrono::steady_clock::now());
}

InputsCache::Inputs InputsCache::get(const InputsKey& key, const std::function<Inputs()>& load) {
    const std::string version = storeVersion();
    const auto now = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        if (Inputs cached = validEntry(key, version, now)) {
            return cached;
        }
    }
    Inputs inputs = load();
    if (!inputs) {
        return inputs;
    }
    std::lock_guard lock(mutex_);
    if (entries_.size() >= kMaxEntries && entries_.find(key) == entries_.end()) {
        auto oldest = entries_.begin();
        for (auto it = entries_.begin(); it != entries_.end(); ++it) {
            if (it->second.loaded_at < oldest->second.loaded_at) {
                oldest = it;
            }
        }
        entries_.erase(oldest);
    }
    entries_[key] = Entry{inputs, version, now};
    return inputs;
}

void InputsCache::clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
}

}  // namespace netpolgen::server
