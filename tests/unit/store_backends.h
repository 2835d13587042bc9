// The two store backends as test parameters: each test gets a fresh, empty store — a new SQLite
// file, or a new PostgreSQL schema (search_path in the URI) in the test server's database.
#pragma once

#include <unistd.h>

#include <atomic>
#include <memory>
#include <ostream>
#include <string>

#include "store/pg_connection.h"
#include "store_test_util.h"

namespace netpolgen::store::testing {

enum class Backend { kSqlite, kPostgres };

inline std::ostream& operator<<(std::ostream& os, Backend b) {
    return os << (b == Backend::kSqlite ? "sqlite" : "postgres");
}

// Where a fresh store lives; removes it when destroyed.
class StoreLocation {
public:
    virtual ~StoreLocation() = default;
    virtual std::string location() const = 0;
};

class SqliteLocation final : public StoreLocation {
public:
    std::string location() const override { return (dir_.path() / "store.db").string(); }
    const TempDir& dir() const { return dir_; }

private:
    TempDir dir_;
};

// The URI with `options=-csearch_path=SCHEMA`: the store creates its tables in that schema.
inline std::string withSearchPath(const std::string& uri, const std::string& schema) {
    return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
           schema;
}

class PgSchemaLocation final : public StoreLocation {
public:
    PgSchemaLocation(std::string uri, std::string schema)
        : uri_(std::move(uri)), schema_(std::move(schema)) {}
    ~PgSchemaLocation() override {
        if (auto conn = pg::Connection::connect(uri_)) {
            (void)(*conn)->execScript("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
        }
    }
    std::string location() const override { return withSearchPath(uri_, schema_); }
    const std::string& schema() const { return schema_; }

private:
    std::string uri_;
    std::string schema_;
};

struct MadeLocation {
    std::unique_ptr<StoreLocation> location;
    bool skip = false;
    std::string why;
};

// A new empty schema, named after the process and a counter (tests of the ASan and release builds
// may share one server).
inline MadeLocation makePgSchema(const std::string& uri) {
    static std::atomic<int> counter{0};
    const std::string schema = "t" + std::to_string(getpid()) + "_" + std::to_string(++counter);
    auto conn = pg::Connection::connect(uri);
    if (!conn) {
        return {nullptr, false, conn.error()};
    }
    if (auto st = (*conn)->execScript("CREATE SCHEMA " + schema); !st) {
        return {nullptr, false, st.error()};
    }
    return {std::make_unique<PgSchemaLocation>(uri, schema), false, {}};
}

inline MadeLocation makeBackendStore(Backend backend) {
    if (backend == Backend::kSqlite) {
        return {std::make_unique<SqliteLocation>(), false, {}};
    }
    const std::string uri = pgTestUri();
    if (uri.empty()) {
        if (skipPg()) {
            return {nullptr, true, "NETPOLGEN_SKIP_PG=1"};
        }
        return {nullptr,
                false,
                "no PostgreSQL test server: run through ctest (fixture pg_server), set "
                "NETPOLGEN_TEST_PG_URI, or set NETPOLGEN_SKIP_PG=1 to skip"};
    }
    return makePgSchema(uri);
}

}  // namespace netpolgen::store::testing
