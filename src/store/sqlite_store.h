// The SQLite store: one file (plus SQLite's -wal and -shm next to it while in use).
//
// Recognised by its application_id, versioned by PRAGMA user_version. A file that is not SQLite,
// another application's database, or a store of a newer schema is refused without being written.
// Several processes may use one file: writers queue (busy timeout 30 s), readers never wait.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace netpolgen::store {

// "NPGN": PRAGMA application_id of every netpolgen store.
inline constexpr int32_t kSqliteApplicationId = 0x4e50474e;

// Opens or creates the store at `path`, migrating an older schema forward.
core::Result<std::unique_ptr<Store>> openSqliteStore(const std::string& path);

}  // namespace netpolgen::store
