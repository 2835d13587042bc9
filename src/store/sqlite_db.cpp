#include "store/sqlite_db.h"

#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace netpolgen::store::sqlite {

using core::Error;
using core::Result;
using core::Status;

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        db_ = other.db_;
        stmt_ = std::exchange(other.stmt_, nullptr);
    }
    return *this;
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

void Statement::bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
}

void Statement::bind(int index, std::string_view text) {
    // SQLITE_TRANSIENT: SQLite copies, so the caller's buffer may go away before step(). A null
    // pointer would bind NULL, and an empty view's data() may be one.
    sqlite3_bind_text64(stmt_,
                        index,
                        text.empty() ? "" : text.data(),
                        text.size(),
                        SQLITE_TRANSIENT,  // NOLINT
                        SQLITE_UTF8);
}

namespace {

// A zero-length blob must still be a blob, not NULL: data() of an empty view may be null.
void bindBlobTo(sqlite3_stmt* stmt,
                int index,
                std::string_view bytes,
                sqlite3_destructor_type how) {
    static constexpr char kEmpty = 0;
    sqlite3_bind_blob64(stmt, index, bytes.empty() ? &kEmpty : bytes.data(), bytes.size(), how);
}

}  // namespace

void Statement::bindBlob(int index, std::string_view bytes) {
    bindBlobTo(stmt_, index, bytes, SQLITE_TRANSIENT);  // NOLINT
}

void Statement::bindBlobInPlace(int index, std::string_view bytes) {
    bindBlobTo(stmt_, index, bytes, SQLITE_STATIC);  // NOLINT
}

void Statement::bindNull(int index) {
    sqlite3_bind_null(stmt_, index);
}

void Statement::bind(int index, std::optional<int64_t> value) {
    if (value) {
        bind(index, *value);
    } else {
        bindNull(index);
    }
}

Result<bool> Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    Error err = db_->error("query failed");
    sqlite3_reset(stmt_);
    return err;
}

Status Statement::run() {
    auto row = step();
    if (!row) {
        return Error{row.error()};
    }
    reset();
    return {};
}

void Statement::reset() {
    sqlite3_reset(stmt_);
}

std::optional<int64_t> Statement::columnOptInt(int col) const {
    if (isNull(col)) {
        return std::nullopt;
    }
    return columnInt(col);
}

std::string Statement::columnText(int col) const {
    // Blob access returns the bytes as stored, for TEXT and BLOB columns alike.
    const void* data = sqlite3_column_blob(stmt_, col);
    const int size = sqlite3_column_bytes(stmt_, col);
    return data ? std::string(static_cast<const char*>(data), static_cast<size_t>(size))
                : std::string();
}

Result<std::unique_ptr<Db>> Db::open(const std::string& path, Mode mode) {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (mode == Mode::kCreate) {
        flags |= SQLITE_OPEN_CREATE;
    }
    sqlite3* handle = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
    std::unique_ptr<Db> db(new Db(path, handle));
    if (rc != SQLITE_OK) {
        if (!handle) {
            return Error{path + ": cannot open: out of memory"};
        }
        return db->error("cannot open");
    }
    sqlite3_extended_result_codes(handle, 1);
    return db;
}

Db::~Db() {
    // Statements and transactions are owned by the store and gone before the Db is.
    sqlite3_close_v2(db_);
}

Status Db::exec(const std::string& sql) {
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
        return error("query failed");
    }
    return {};
}

Result<Statement> Db::prepare(std::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK) {
        return error("cannot prepare query");
    }
    return Statement(this, stmt);
}

Result<int64_t> Db::queryInt(std::string_view sql) {
    auto st = prepare(sql);
    if (!st) {
        return Error{st.error()};
    }
    auto row = st->step();
    if (!row) {
        return Error{row.error()};
    }
    return *row ? st->columnInt(0) : 0;
}

namespace {

// Why a write failed, when the file system or the process limits explain it. SQLite's own errno
// (sqlite3_system_errno) is the thread's errno at the time it asks, often 0 by then, so look at
// the causes themselves.
std::optional<std::string> writeFailureCause(const std::string& path, int code, int sys) {
    if (code == SQLITE_FULL || sys == ENOSPC) {
        return "disk full";
    }
    if (sys == EFBIG) {
        return "file too large";
    }
    if (code != SQLITE_IOERR) {
        return std::nullopt;
    }
    constexpr uint64_t kSlack = 1 << 20;  // a transaction writes ahead in pages and WAL frames
    std::error_code ec;
    const std::filesystem::path file(path);
    const auto space =
        std::filesystem::space(file.parent_path().empty() ? "." : file.parent_path(), ec);
    if (!ec && space.available < kSlack) {
        return "disk full";
    }
    rlimit limit{};
    if (getrlimit(RLIMIT_FSIZE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
        for (const std::string& f : {path, path + "-wal", path + "-journal"}) {
            const uintmax_t size = std::filesystem::file_size(f, ec);
            if (!ec && size + kSlack > limit.rlim_cur) {
                return "file too large (the process's file size limit is " +
                       std::to_string(limit.rlim_cur) + " bytes)";
            }
        }
    }
    return std::nullopt;
}

}  // namespace

Error Db::error(std::string_view what) const {
    const int code = sqlite3_extended_errcode(db_) & 0xff;
    const int sys = sqlite3_system_errno(db_);
    const std::string prefix = path_ + ": ";
    if (code == SQLITE_NOTADB) {
        return Error{prefix + "not a netpolgen store: file is not a database"};
    }
    if (auto cause = writeFailureCause(path_, code, sys)) {
        return Error{prefix + "cannot write: " + *cause};
    }
    std::string message = prefix + std::string(what) + ": " + sqlite3_errmsg(db_);
    if ((code == SQLITE_IOERR || code == SQLITE_CANTOPEN) && sys != 0) {
        message += std::string(" (") + std::strerror(sys) + ")";
    }
    return Error{std::move(message)};
}

Result<Transaction> Transaction::begin(Db& db) {
    // IMMEDIATE takes the write lock now: two processes writing one file queue on busy_timeout
    // instead of failing with SQLITE_BUSY when a read transaction tries to become a write one.
    if (auto st = db.exec("BEGIN IMMEDIATE"); !st) {
        return Error{st.error()};
    }
    return Transaction(&db);
}

Result<Transaction> Transaction::beginRead(Db& db) {
    if (auto st = db.exec("BEGIN"); !st) {
        return Error{st.error()};
    }
    return Transaction(&db);
}

Transaction::~Transaction() {
    if (db_) {
        // After SQLITE_FULL or an I/O error SQLite may already have rolled back; the error of a
        // second ROLLBACK says nothing new.
        (void)db_->exec("ROLLBACK");
    }
}

Status Transaction::commit() {
    Db* db = std::exchange(db_, nullptr);
    if (auto st = db->exec("COMMIT"); !st) {
        (void)db->exec("ROLLBACK");
        return st;
    }
    return {};
}

}  // namespace netpolgen::store::sqlite
