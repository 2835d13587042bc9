#include "store/edge_rows.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

namespace netpolgen::store::detail {

using core::Error;
using core::Result;
using core::Status;

namespace {

std::optional<int64_t> optTime(core::Timestamp t) {
    return t == core::kUndated ? std::nullopt : std::optional<int64_t>(t);
}

std::optional<int64_t> minTime(std::optional<int64_t> a, std::optional<int64_t> b) {
    if (!a || !b) {
        return a ? a : b;
    }
    return std::min(*a, *b);
}

std::optional<int64_t> maxTime(std::optional<int64_t> a, std::optional<int64_t> b) {
    if (!a || !b) {
        return a ? a : b;
    }
    return std::max(*a, *b);
}

Status validateEdge(const BucketedEdge& e, size_t entities, size_t index) {
    const std::string where = "ingest batch edge " + std::to_string(index) + ": ";
    if (e.edge.src >= entities || e.edge.dst >= entities) {
        return Error{where + "entity index out of range"};
    }
    if (static_cast<uint8_t>(e.edge.protocol) > static_cast<uint8_t>(core::Protocol::kUnknown)) {
        return Error{where + "unknown protocol"};
    }
    const bool undated = e.day == kUndatedDay;
    if (undated) {
        if (e.edge.first_seen != core::kUndated || e.edge.last_seen != core::kUndated) {
            return Error{where + "undated bucket with a first/last seen time"};
        }
        return {};
    }
    if (e.edge.first_seen == core::kUndated || e.edge.last_seen == core::kUndated ||
        dayOf(e.edge.first_seen) != e.day || dayOf(e.edge.last_seen) != e.day ||
        e.edge.first_seen > e.edge.last_seen) {
        return Error{where + "first/last seen do not lie in day " + std::to_string(e.day)};
    }
    return {};
}

auto dayKey(const DayRow& r) {
    return std::tie(r.day, r.src, r.dst, r.port, r.protocol);
}

auto totalKey(const TotalRow& r) {
    return std::tie(r.src, r.dst, r.port, r.protocol);
}

std::vector<DayRow> mergedDays(const IngestBatch& batch, const std::vector<int64_t>& entity_ids) {
    std::vector<DayRow> rows;
    rows.reserve(batch.edges.size());
    for (const BucketedEdge& e : batch.edges) {
        rows.push_back({e.day,
                        entity_ids[e.edge.src],
                        entity_ids[e.edge.dst],
                        e.edge.port,
                        static_cast<uint8_t>(e.edge.protocol),
                        e.edge.count,
                        optTime(e.edge.first_seen),
                        optTime(e.edge.last_seen)});
    }
    // Sorted rows reach the B-trees in key order (far fewer page misses than random order), and
    // neighbours with one key merge in one pass.
    std::sort(rows.begin(), rows.end(), [](const DayRow& a, const DayRow& b) {
        return dayKey(a) < dayKey(b);
    });
    std::vector<DayRow> merged;
    merged.reserve(rows.size());
    for (const DayRow& r : rows) {
        if (!merged.empty() && dayKey(merged.back()) == dayKey(r)) {
            DayRow& m = merged.back();
            m.count += r.count;
            m.first_seen = minTime(m.first_seen, r.first_seen);
            m.last_seen = maxTime(m.last_seen, r.last_seen);
        } else {
            merged.push_back(r);
        }
    }
    return merged;
}

std::vector<TotalRow> totalsOf(const std::vector<DayRow>& days) {
    std::vector<TotalRow> rows;
    rows.reserve(days.size());
    for (const DayRow& d : days) {
        const bool undated = d.day == kUndatedDay;
        rows.push_back({d.src,
                        d.dst,
                        d.port,
                        d.protocol,
                        d.count,
                        d.first_seen,
                        d.last_seen,
                        undated ? d.count : 0});
    }
    std::sort(rows.begin(), rows.end(), [](const TotalRow& a, const TotalRow& b) {
        return totalKey(a) < totalKey(b);
    });
    std::vector<TotalRow> merged;
    merged.reserve(rows.size());
    for (const TotalRow& r : rows) {
        if (!merged.empty() && totalKey(merged.back()) == totalKey(r)) {
            mergeInto(merged.back(), r);
        } else {
            merged.push_back(r);
        }
    }
    return merged;
}

}  // namespace

void mergeInto(TotalRow& into, const TotalRow& row) {
    into.count += row.count;
    into.undated_count += row.undated_count;
    into.first_seen = minTime(into.first_seen, row.first_seen);
    into.last_seen = maxTime(into.last_seen, row.last_seen);
}

Status validateBatch(const IngestBatch& batch) {
    if (batch.record.cluster.empty()) {
        return Error{"ingest batch: empty cluster name"};
    }
    if (batch.record.digest.empty()) {
        return Error{"ingest batch: empty digest"};
    }
    for (size_t i = 0; i < batch.edges.size(); ++i) {
        if (Status st = validateEdge(batch.edges[i], batch.entities.size(), i); !st) {
            return st;
        }
    }
    return {};
}

PreparedEdges prepareEdges(const IngestBatch& batch, const std::vector<int64_t>& entity_ids) {
    PreparedEdges out;
    out.days = mergedDays(batch, entity_ids);
    out.totals = totalsOf(out.days);
    return out;
}

bool answeredByTotals(const EdgeQuery& query) {
    return !query.window.until && (!query.window.since || !query.windowed_counts);
}

DayRange daysOf(const core::TimeWindow& window) {
    DayRange range;
    if (window.since) {
        range.first = std::max(dayOf(*window.since), kUndatedDay + 1);
    }
    if (window.until) {
        range.last = dayOf(*window.until);
    }
    return range;
}

bool bucketInWindow(const core::TimeWindow& window, int64_t first_seen, int64_t last_seen) {
    return (!window.since || last_seen >= *window.since) &&
           (!window.until || first_seen <= *window.until);
}

namespace {

auto rawKey(const RawEdge& e) {
    return std::tie(e.src, e.dst, e.port, e.protocol);
}

bool rawLess(const RawEdge& a, const RawEdge& b) {
    return rawKey(a) < rawKey(b);
}

void widen(RawEdge& into, const RawEdge& e) {
    into.count += e.count;
    // kUndated is INT64_MIN: max() ignores it, min() must skip it.
    if (e.first_seen != core::kUndated &&
        (into.first_seen == core::kUndated || e.first_seen < into.first_seen)) {
        into.first_seen = e.first_seen;
    }
    into.last_seen = std::max(into.last_seen, e.last_seen);
}

}  // namespace

void EdgeSetBuilder::addBucket(int64_t day, const RawEdge& e) {
    if (run_day_ != day) {
        mergeRun();
        run_day_ = day;
    }
    run_.push_back(e);
}

void EdgeSetBuilder::mergeRun() {
    if (!std::is_sorted(run_.begin(), run_.end(), rawLess)) {
        std::sort(run_.begin(), run_.end(), rawLess);
    }
    std::vector<RawEdge> out;
    out.reserve(merged_.size() + run_.size());
    auto a = merged_.begin();
    auto b = run_.begin();
    while (a != merged_.end() || b != run_.end()) {
        const bool take_a = b == run_.end() || (a != merged_.end() && !rawLess(*b, *a));
        const RawEdge& next = take_a ? *a++ : *b++;
        if (!out.empty() && rawKey(out.back()) == rawKey(next)) {
            widen(out.back(), next);
        } else {
            out.push_back(next);
        }
    }
    merged_ = std::move(out);
    run_.clear();
}

Result<EdgeSet> EdgeSetBuilder::finish(std::vector<std::pair<int64_t, std::string>> names) {
    mergeRun();
    std::vector<RawEdge> rows = std::move(unique_);
    rows.insert(rows.end(), merged_.begin(), merged_.end());
    std::sort(names.begin(), names.end());
    if (rows.empty()) {
        return EdgeSet{};
    }
    // Dense table over the id range of this cluster's entities: ids are assigned from one
    // sequence, so the range is at most the number of entities in the store.
    const int64_t base = names.empty() ? 0 : names.front().first;
    const int64_t span = names.empty() ? 0 : names.back().first - base + 1;
    constexpr uint32_t kAbsent = 0xffffffffu;
    constexpr uint32_t kKnown = 0xfffffffeu;
    constexpr uint32_t kReferenced = 0xfffffffdu;
    std::vector<uint32_t> index(static_cast<size_t>(span), kAbsent);
    for (const auto& [id, name] : names) {
        index[static_cast<size_t>(id - base)] = kKnown;
    }
    for (const RawEdge& e : rows) {
        for (const int64_t id : {e.src, e.dst}) {
            if (id < base || id - base >= span ||
                index[static_cast<size_t>(id - base)] == kAbsent) {
                return Error{"store is inconsistent: an edge references unknown entity id " +
                             std::to_string(id)};
            }
            index[static_cast<size_t>(id - base)] = kReferenced;
        }
    }
    EdgeSet out;
    for (auto& [id, name] : names) {
        uint32_t& slot = index[static_cast<size_t>(id - base)];
        if (slot == kReferenced) {
            slot = static_cast<uint32_t>(out.entities.size());
            out.entities.push_back(std::move(name));
        }
    }
    out.edges.reserve(rows.size());
    for (const RawEdge& e : rows) {
        out.edges.push_back({index[static_cast<size_t>(e.src - base)],
                             index[static_cast<size_t>(e.dst - base)],
                             e.port,
                             static_cast<core::Protocol>(e.protocol),
                             e.count,
                             e.first_seen,
                             e.last_seen});
    }
    // Indices follow id order, so rows read in primary-key order (SQLite's edge_totals) are
    // sorted already and the check is all it costs.
    const auto less = [](const EdgeRow& a, const EdgeRow& b) {
        return std::tie(a.src, a.dst, a.port, a.protocol) <
               std::tie(b.src, b.dst, b.port, b.protocol);
    };
    if (!std::is_sorted(out.edges.begin(), out.edges.end(), less)) {
        std::sort(out.edges.begin(), out.edges.end(), less);
    }
    return out;
}

IngestOutcome outcomeOver(const std::optional<EarlierIngest>& earlier, IngestMode mode) {
    if (!earlier) {
        return IngestOutcome::kStored;
    }
    if (mode == IngestMode::kOnce) {
        return IngestOutcome::kAlreadyIngested;
    }
    return earlier->replaceable ? IngestOutcome::kReplaced : IngestOutcome::kNotReplaceable;
}

namespace {

auto edgeDayKey(const DayRow& r) {
    return std::tie(r.src, r.dst, r.port, r.protocol, r.day);
}

}  // namespace

void sortByEdge(std::vector<DayRow>& rows) {
    std::sort(rows.begin(), rows.end(), [](const DayRow& a, const DayRow& b) {
        return edgeDayKey(a) < edgeDayKey(b);
    });
}

bool sameEdge(const DayRow& a, const DayRow& b) {
    return std::tie(a.src, a.dst, a.port, a.protocol) == std::tie(b.src, b.dst, b.port, b.protocol);
}

void IngestListBuilder::add(int64_t id, IngestRecord record, std::optional<SkipCount> skip) {
    if (last_id_ != id) {
        records_.push_back(std::move(record));
        last_id_ = id;
    }
    if (skip) {
        records_.back().skipped.push_back(std::move(*skip));
    }
}

}  // namespace netpolgen::store::detail
