// Db, Statement, Transaction: a thin RAII layer over the SQLite C API (private to src/store).
//
// Every error is a core::Error whose message starts with the database file, so callers pass it on
// unchanged. Writes that fail because the disk or the file size limit is exhausted say so
// ("disk full", "file too large") instead of SQLite's generic "disk I/O error".
//
//   auto db = Db::open(path, Db::Mode::kCreate);
//   auto st = db->prepare("SELECT name FROM entities WHERE id = ?");
//   st->bind(1, id);
//   auto names = collectRows(*st, [](const Statement& row) { return row.columnText(0); });
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/result.h"

namespace netpolgen::store::sqlite {

class Db;

class Statement {
public:
    Statement(Statement&& other) noexcept;
    Statement& operator=(Statement&& other) noexcept;
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement();

    // Parameters are 1-based, as in SQL's `?NNN`.
    void bind(int index, int64_t value);
    void bind(int index, std::string_view text);
    void bindBlob(int index, std::string_view bytes);
    // Without SQLite's copy: `bytes` must stay as they are until the statement is stepped and
    // reset (a snapshot's file of 50,000 pods is 150 MB; the copy would double it).
    void bindBlobInPlace(int index, std::string_view bytes);
    void bindNull(int index);
    void bind(int index, std::optional<int64_t> value);

    // true: a row is available; false: done. Resets nothing: call reset() before re-binding.
    core::Result<bool> step();
    // step() for statements that return no rows.
    core::Status run();
    void reset();

    // Columns are 0-based.
    int64_t columnInt(int col) const { return sqlite3_column_int64(stmt_, col); }
    bool isNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    std::optional<int64_t> columnOptInt(int col) const;
    std::string columnText(int col) const;
    bool columnBool(int col) const { return columnInt(col) != 0; }

private:
    friend class Db;
    Statement(Db* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

    Db* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

class Db {
public:
    enum class Mode { kCreate, kExisting };

    static core::Result<std::unique_ptr<Db>> open(const std::string& path, Mode mode);
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    ~Db();

    const std::string& path() const { return path_; }

    // Several statements separated by ';' and no parameters (schema scripts, pragmas).
    core::Status exec(const std::string& sql);
    core::Result<Statement> prepare(std::string_view sql);
    // The single integer the statement returns (pragmas, counts).
    core::Result<int64_t> queryInt(std::string_view sql);

    // The last call failed on a lock that the busy handler did not wait for.
    bool busy() const { return (sqlite3_errcode(db_) & 0xff) == SQLITE_BUSY; }

    // "PATH: what: SQLite's message", naming disk full / file too large when that is the cause.
    core::Error error(std::string_view what) const;

private:
    Db(std::string path, sqlite3* handle) : path_(std::move(path)), db_(handle) {}

    std::string path_;
    sqlite3* db_ = nullptr;
};

// BEGIN … COMMIT. Rolls back when destroyed uncommitted, so every early `return Error` inside a
// transaction leaves the store as it was.
class Transaction {
public:
    // BEGIN IMMEDIATE: takes the write lock now (see the .cpp).
    static core::Result<Transaction> begin(Db& db);
    // BEGIN: one consistent snapshot for several reads (WAL readers never block the writer).
    static core::Result<Transaction> beginRead(Db& db);
    Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    core::Status commit();

private:
    explicit Transaction(Db* db) : db_(db) {}
    Db* db_ = nullptr;
};

// The row reader every query uses: steps `st` through its rows and calls on_row(st) on each
// (read the columns there), then resets `st` for the next binding. on_row returns void, or a
// Status whose error stops the reading and is returned.
template <typename OnRow>
core::Status forEachRow(Statement& st, OnRow&& on_row) {
    for (;;) {
        auto row = st.step();
        if (!row || !*row) {
            st.reset();
            return row ? core::Status{} : core::Status{core::Error{row.error()}};
        }
        if constexpr (std::is_void_v<std::invoke_result_t<OnRow&, const Statement&>>) {
            on_row(std::as_const(st));
        } else if (core::Status done = on_row(std::as_const(st)); !done) {
            st.reset();
            return done;
        }
    }
}

// Every row of `st` as make_row(st) builds it.
template <typename MakeRow>
auto collectRows(Statement& st, MakeRow&& make_row)
    -> core::Result<std::vector<std::invoke_result_t<MakeRow&, const Statement&>>> {
    std::vector<std::invoke_result_t<MakeRow&, const Statement&>> out;
    core::Status st_read =
        forEachRow(st, [&](const Statement& row) { out.push_back(make_row(row)); });
    if (!st_read) {
        return core::Error{st_read.error()};
    }
    return out;
}

}  // namespace netpolgen::store::sqlite
