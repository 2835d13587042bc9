// Connection, PgResult, Params: a thin RAII layer over libpq (private to src/store).
//
// Queries use PQexecParams with `$n` parameters and ask for binary results, so integers arrive
// as 8 big-endian bytes (select them as BIGINT) and TEXT/BYTEA as their raw bytes: no text
// parsing, no bytea escapes. Every error names the server by its URI without the password.
//
//   auto conn = Connection::connect("postgresql://u:pw@host/db");
//   Params p;
//   p.add(int64_t{42}).add("prod");
//   auto res = (*conn)->exec("SELECT id FROM clusters WHERE id = $1 AND name = $2", p);
//   if (res && res->rows() > 0) use(res->getInt(0, 0));
//   for (const std::string& name : collectRows(*res, [](const Row& r) { return r.columnText(1); }))
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/result.h"

namespace netpolgen::store::pg {

// `uri` without the password (user:password@, ?password=…): what error messages may show.
std::string redactUri(const std::string& uri);

class Params {
public:
    Params& add(int64_t value);
    Params& add(std::string_view text);
    Params& add(std::optional<int64_t> value);
    Params& addBytes(std::string_view bytes);  // a BYTEA parameter, sent as binary
    Params& addBool(bool value);

    int size() const { return static_cast<int>(values_.size()); }

private:
    friend class Connection;
    struct Value {
        std::string bytes;
        bool null = false;
        bool binary = false;
    };
    std::vector<Value> values_;
};

class PgResult {
public:
    explicit PgResult(PGresult* res) : res_(res) {}

    int rows() const { return PQntuples(res_.get()); }
    bool isNull(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
    int64_t getInt(int row, int col) const;  // a BIGINT column
    std::optional<int64_t> getOptInt(int row, int col) const;
    std::string getBytes(int row, int col) const;  // TEXT or BYTEA, raw
    bool getBool(int row, int col) const;
    const PGresult* raw() const { return res_.get(); }

private:
    struct Clear {
        void operator()(PGresult* r) const { PQclear(r); }
    };
    std::unique_ptr<PGresult, Clear> res_;
};

class Connection {
public:
    // connect_timeout defaults to 10 s unless the URI sets it.
    static core::Result<std::unique_ptr<Connection>> connect(const std::string& uri);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() { PQfinish(conn_); }

    const std::string& where() const { return where_; }

    core::Result<PgResult> exec(const std::string& sql, const Params& params = {});
    // Several statements, no parameters (schema scripts).
    core::Status execScript(const std::string& sql);
    // COPY … FROM STDIN with `data` in COPY's text format.
    core::Status copyIn(const std::string& copy_sql, std::string_view data);

    // "URI: what: the server's message, on one line"
    core::Error error(std::string_view what, const PGresult* res = nullptr) const;

private:
    Connection(PGconn* conn, std::string where) : conn_(conn), where_(std::move(where)) {}

    PGconn* conn_ = nullptr;
    std::string where_;
};

// BEGIN … COMMIT; rolls back when destroyed uncommitted.
class Transaction {
public:
    static core::Result<Transaction> begin(Connection& conn);
    Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    core::Status commit();

private:
    explicit Transaction(Connection* conn) : conn_(conn) {}
    Connection* conn_ = nullptr;
};

// One row of a result, read with the column names of sqlite::Statement, so that code reading a
// row can serve both stores (store/edge_rows.h).
class Row {
public:
    Row(const PgResult& res, int row) : res_(res), row_(row) {}
    int64_t columnInt(int col) const { return res_.getInt(row_, col); }
    bool isNull(int col) const { return res_.isNull(row_, col); }
    std::optional<int64_t> columnOptInt(int col) const { return res_.getOptInt(row_, col); }
    std::string columnText(int col) const { return res_.getBytes(row_, col); }
    bool columnBool(int col) const { return res_.getBool(row_, col); }

private:
    const PgResult& res_;
    int row_;
};

// The row reader every query uses: on_row(Row) for each row of `res`.
template <typename OnRow>
void forEachRow(const PgResult& res, OnRow&& on_row) {
    for (int i = 0; i < res.rows(); ++i) {
        on_row(Row(res, i));
    }
}

// Every row of `res` as make_row(Row) builds it.
template <typename MakeRow>
auto collectRows(const PgResult& res, MakeRow&& make_row)
    -> std::vector<std::invoke_result_t<MakeRow&, const Row&>> {
    std::vector<std::invoke_result_t<MakeRow&, const Row&>> out;
    out.reserve(static_cast<size_t>(res.rows()));
    forEachRow(res, [&](const Row& row) { out.push_back(make_row(row)); });
    return out;
}

// Appends `text` to a COPY text-format line, escaping what COPY would read as syntax.
void appendCopyText(std::string& line, std::string_view text);

}  // namespace netpolgen::store::pg
