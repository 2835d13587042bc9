#include "store/store.h"

#include <algorithm>
#include <string_view>

#include "store/postgres_store.h"
#include "store/sqlite_store.h"

namespace netpolgen::store {

int64_t dayOf(core::Timestamp time) {
    if (time == core::kUndated) {
        return kUndatedDay;
    }
    // Floor division: times before 1970 belong to negative days, not to day 0.
    int64_t day = time / kSecondsPerDay;
    if (time % kSecondsPerDay < 0) {
        --day;
    }
    return day;
}

std::string_view encodingName(RecordEncoding encoding) {
    return encoding == RecordEncoding::kYaml ? "yaml" : "json";
}

RecordEncoding encodingOf(std::string_view name) {
    // The column's CHECK allows only these two.
    return name == "yaml" ? RecordEncoding::kYaml : RecordEncoding::kJson;
}

core::Result<std::unique_ptr<Store>> openStore(const std::string& location) {
    const std::string_view loc = location;
    if (loc.starts_with("postgresql://") || loc.starts_with("postgres://")) {
        return openPostgresStore(location);
    }
    if (location.empty()) {
        return core::Error{"store: empty location"};
    }
    return openSqliteStore(location);
}

bool streamsStandAt(const std::vector<StreamPosition>& stored,
                    const std::vector<StreamAdvance>& advances) {
    return std::all_of(advances.begin(), advances.end(), [&](const StreamAdvance& a) {
        const auto it = std::lower_bound(
            stored.begin(), stored.end(), a.stream, [](const StreamPosition& p, const auto& name) {
                return p.stream < name;
            });
        const bool found = it != stored.end() && it->stream == a.stream;
        return (found ? std::optional<int64_t>(it->position) : std::nullopt) == a.expected;
    });
}

}  // namespace netpolgen::store
