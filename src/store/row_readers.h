// Reading result rows into the store's types, the same for both backends (private to src/store).
// `Row` is a sqlite::Statement or a pg::Row: both read columns with columnInt, columnOptInt,
// columnText, columnBool and isNull. The stores walk their results with their backend's
// forEachRow / collectRows (sqlite_db.h, pg_connection.h) and build each value here, so a
// query's columns are read in one place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "store/edge_rows.h"
#include "store/store.h"

namespace netpolgen::store::detail {

// Columns src, dst, port, protocol, count, first_seen, last_seen (NULL: kUndated).
template <typename Row>
RawEdge rawEdgeOf(const Row& r) {
    return {r.columnInt(0),
            r.columnInt(1),
            static_cast<uint32_t>(r.columnInt(2)),
            static_cast<uint8_t>(r.columnInt(3)),
            static_cast<uint64_t>(r.columnInt(4)),
            r.isNull(5) ? core::kUndated : r.columnInt(5),
            r.isNull(6) ? core::kUndated : r.columnInt(6)};
}

// Columns day, src, dst, port, protocol: a (day, edge) key.
template <typename Row>
DayRow dayKeyOf(const Row& r) {
    DayRow key;
    key.day = r.columnInt(0);
    key.src = r.columnInt(1);
    key.dst = r.columnInt(2);
    key.port = static_cast<uint32_t>(r.columnInt(3));
    key.protocol = static_cast<uint8_t>(r.columnInt(4));
    return key;
}

// Columns ip, namespace, pod, owner_kind, owner_name, since, until: a tenancy (an address that
// no longer parses, which only a hand-edited store has, reads as nothing).
template <typename Row>
std::optional<core::IpTenancy> tenancyOf(const Row& r) {
    auto ip = core::IpAddress::parse(r.columnText(0));
    if (!ip) {
        return std::nullopt;
    }
    return core::IpTenancy{*ip,
                           {r.columnText(1), r.columnText(2), r.columnText(3), r.columnText(4)},
                           r.columnInt(5),
                           r.columnOptInt(6)};
}

// Columns id, name.
template <typename Row>
std::pair<int64_t, std::string> entityNameOf(const Row& r) {
    return {r.columnInt(0), r.columnText(1)};
}

// The first two text columns (SnapshotFile, NotifierRecord).
template <typename Out, typename Row>
Out textPairOf(const Row& r, int first = 0) {
    return {r.columnText(first), r.columnText(first + 1)};
}

// A row of kIngestListSql into `out`.
template <typename Row>
void addIngestRow(IngestListBuilder& out, const Row& r) {
    out.add(r.columnInt(0),
            {r.columnText(1),
             r.columnText(2),
             r.columnText(3),
             static_cast<uint64_t>(r.columnInt(4)),
             static_cast<uint64_t>(r.columnInt(5)),
             static_cast<uint64_t>(r.columnInt(6)),
             r.columnInt(7),
             {},
             r.columnBool(8)},
            r.isNull(9) ? std::nullopt
                        : std::optional<SkipCount>(
                              {r.columnText(9), static_cast<uint64_t>(r.columnInt(10))}));
}

// The columns of kApplySelectSql.
inline constexpr std::string_view kApplySelectSql =
    "SELECT id, cluster, applied_at, user_name, modification, undo, action, reverts_to, "
    "via_kubectl, encoding FROM applies";

template <typename Row>
ApplyRecord applyRecordOf(const Row& r) {
    return {r.columnInt(0),
            r.columnText(1),
            r.columnInt(2),
            r.columnText(3),
            r.columnText(4),
            r.columnText(5),
            r.columnText(6),
            r.columnOptInt(7),
            r.columnBool(8),
            encodingOf(r.columnText(9))};
}

}  // namespace netpolgen::store::detail
