// Changing a SQLite store behind netpolgen's back, as a user with the sqlite3 shell would: for
// tests of records that an older netpolgen wrote or that were edited by hand.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "store/sqlite_db.h"

namespace netpolgen::testing_support {

inline void editStore(const std::string& path, const std::string& sql) {
    auto db = store::sqlite::Db::open(path, store::sqlite::Db::Mode::kExisting);
    ASSERT_TRUE(db.ok()) << db.error();
    auto st = (*db)->exec(sql);
    ASSERT_TRUE(st.ok()) << st.error();
}

// `text` as an SQL string literal.
inline std::string sqlText(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        out += c == '\'' ? std::string("''") : std::string(1, c);
    }
    return out + "'";
}

}  // namespace netpolgen::testing_support
