#include "store/pg_connection.h"

#include <algorithm>
#include <utility>

namespace netpolgen::store::pg {

using core::Error;
using core::Result;
using core::Status;

namespace {

// libpq's messages span lines ("…failed: Connection refused\n\tIs the server running…").
std::string oneLine(std::string_view text) {
    std::string out;
    bool gap = false;
    for (const char c : text) {
        if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
            gap = !out.empty();
            continue;
        }
        if (gap) {
            out += ' ';
            gap = false;
        }
        out += c;
    }
    return out;
}

void ignoreNotice(void*, const char*) {}

}  // namespace

std::string redactUri(const std::string& uri) {
    const size_t scheme = uri.find("://");
    if (scheme == std::string::npos) {
        return uri;
    }
    std::string out = uri;
    const size_t start = scheme + 3;
    const size_t end = out.find_first_of("/?", start);
    const size_t at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start) {
        const size_t colon = out.find(':', start);
        if (colon != std::string::npos && colon < at) {
            out.erase(colon, at - colon);
        }
    }
    // ?password=… or &password=… up to the next parameter.
    for (size_t pos = out.find("password="); pos != std::string::npos;
         pos = out.find("password=", pos)) {
        if (pos == 0 || (out[pos - 1] != '?' && out[pos - 1] != '&')) {
            ++pos;
            continue;
        }
        const size_t stop = out.find('&', pos);
        out.replace(pos, stop == std::string::npos ? std::string::npos : stop - pos, "password=…");
        pos += 1;
    }
    return out;
}

Params& Params::add(int64_t value) {
    values_.push_back({std::to_string(value)});
    return *this;
}

Params& Params::add(std::string_view text) {
    values_.push_back({std::string(text)});
    return *this;
}

Params& Params::add(std::optional<int64_t> value) {
    if (value) {
        return add(*value);
    }
    values_.push_back({{}, true});
    return *this;
}

Params& Params::addBytes(std::string_view bytes) {
    values_.push_back({std::string(bytes), false, true});
    return *this;
}

Params& Params::addBool(bool value) {
    values_.push_back({value ? "true" : "false"});
    return *this;
}

int64_t PgResult::getInt(int row, int col) const {
    const char* v = PQgetvalue(res_.get(), row, col);
    uint64_t x = 0;
    for (int i = 0; i < 8; ++i) {
        x = (x << 8) | static_cast<unsigned char>(v[i]);
    }
    return static_cast<int64_t>(x);
}

std::optional<int64_t> PgResult::getOptInt(int row, int col) const {
    return isNull(row, col) ? std::nullopt : std::optional<int64_t>(getInt(row, col));
}

std::string PgResult::getBytes(int row, int col) const {
    return std::string(PQgetvalue(res_.get(), row, col),
                       static_cast<size_t>(PQgetlength(res_.get(), row, col)));
}

bool PgResult::getBool(int row, int col) const {
    return PQgetvalue(res_.get(), row, col)[0] != 0;
}

Result<std::unique_ptr<Connection>> Connection::connect(const std::string& uri) {
    // Later keywords win: the URI's own connect_timeout overrides the default before it.
    const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
    const char* values[] = {"10", "netpolgen", uri.c_str(), nullptr};
    PGconn* conn = PQconnectdbParams(keys, values, 1);
    const std::string where = redactUri(uri);
    if (!conn) {
        return Error{where + ": cannot connect: out of memory"};
    }
    if (PQstatus(conn) != CONNECTION_OK) {
        Error err{where + ": cannot connect: " + oneLine(PQerrorMessage(conn))};
        PQfinish(conn);
        return err;
    }
    PQsetNoticeProcessor(conn, ignoreNotice, nullptr);
    return std::unique_ptr<Connection>(new Connection(conn, where));
}

Result<PgResult> Connection::exec(const std::string& sql, const Params& params) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (const Params::Value& v : params.values_) {
        values.push_back(v.null ? nullptr : v.bytes.data());
        lengths.push_back(static_cast<int>(v.bytes.size()));
        formats.push_back(v.binary ? 1 : 0);
    }
    PgResult res(PQexecParams(conn_,
                              sql.c_str(),
                              params.size(),
                              nullptr,
                              values.data(),
                              lengths.data(),
                              formats.data(),
                              1));
    const ExecStatusType status = PQresultStatus(res.raw());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        return error("query failed", res.raw());
    }
    return res;
}

Status Connection::execScript(const std::string& sql) {
    PGresult* res = PQexec(conn_, sql.c_str());
    const bool ok =
        PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    Error err = ok ? Error{} : error("query failed", res);
    PQclear(res);
    if (!ok) {
        return err;
    }
    return {};
}

Status Connection::copyIn(const std::string& copy_sql, std::string_view data) {
    PGresult* start = PQexec(conn_, copy_sql.c_str());
    const bool ready = PQresultStatus(start) == PGRES_COPY_IN;
    Error err = ready ? Error{} : error("COPY failed", start);
    PQclear(start);
    if (!ready) {
        return err;
    }
    // Chunks keep each message small; libpq buffers and sends them as the socket allows.
    constexpr size_t kChunk = size_t{1} << 20;
    bool sent = true;
    for (size_t pos = 0; pos < data.size() && sent; pos += kChunk) {
        const size_t n = std::min(kChunk, data.size() - pos);
        sent = PQputCopyData(conn_, data.data() + pos, static_cast<int>(n)) == 1;
    }
    const bool ended = PQputCopyEnd(conn_, sent ? nullptr : "client failed to send") == 1;
    Status result;
    while (PGresult* res = PQgetResult(conn_)) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK && result) {
            result = error("COPY failed", res);
        }
        PQclear(res);
    }
    if (result && (!sent || !ended)) {
        return error("COPY failed");
    }
    return result;
}

Error Connection::error(std::string_view what, const PGresult* res) const {
    const char* message = res ? PQresultErrorMessage(res) : "";
    if (!message || !*message) {
        message = PQerrorMessage(conn_);
    }
    return Error{where_ + ": " + std::string(what) + ": " + oneLine(message)};
}

Result<Transaction> Transaction::begin(Connection& conn) {
    if (Status st = conn.execScript("BEGIN"); !st) {
        return Error{st.error()};
    }
    return Transaction(&conn);
}

Transaction::~Transaction() {
    if (conn_) {
        (void)conn_->execScript("ROLLBACK");
    }
}

Status Transaction::commit() {
    return std::exchange(conn_, nullptr)->execScript("COMMIT");
}

void appendCopyText(std::string& line, std::string_view text) {
    for (const char c : text) {
        switch (c) {
            case '\\':
                line += "\\\\";
                break;
            case '\t':
                line += "\\t";
                break;
            case '\n':
                line += "\\n";
                break;
            case '\r':
                line += "\\r";
                break;
            default:
                line += c;
        }
    }
}

}  // namespace netpolgen::store::pg
