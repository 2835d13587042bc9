// The PostgreSQL store: the same logical schema as the SQLite store, for teams sharing one store.
//
// Recognised and versioned by its `meta` table; migrations run under a transaction-scoped advisory
// lock, so several netpolgen processes may open a new database at once. Bulk ingest goes through
// COPY into temporary tables and one INSERT … ON CONFLICT per table.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace netpolgen::store {

// `uri`: a libpq connection URI, postgresql://user:password@host:port/db?connect_timeout=…
// Error messages show the URI without its password.
core::Result<std::unique_ptr<Store>> openPostgresStore(const std::string& uri);

}  // namespace netpolgen::store
