#include "cli/time_window.h"

#include <chrono>

#include "io/flow_reader.h"
#include "io/time_text.h"

namespace netpolgen::cli {
namespace {

core::Result<core::Timestamp> currentTime(const std::string& now) {
    if (!now.empty()) {
        return io::parseRfc3339(now);
    }
    return static_cast<core::Timestamp>(std::chrono::duration_cast<std::chrono::seconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count());
}

}  // namespace

core::Result<core::Timestamp> resolveNow(const std::string& now) {
    auto t = currentTime(now);
    if (!t) {
        return core::Error{"--now: " + t.error()};
    }
    return *t;
}

core::Status resolveTimeWindow(const std::string& since,
                               const std::string& until,
                               const std::string& now,
                               core::TimeWindow& window) {
    auto now_time = currentTime(now);
    if (!now_time) {
        return core::Error{"--now: " + now_time.error()};
    }
    if (!since.empty()) {
        auto t = io::parseInstantOrAgo(since, *now_time);
        if (!t) {
            return core::Error{"--since: " + t.error()};
        }
        window.since = *t;
    }
    if (!until.empty()) {
        auto t = io::parseInstantOrAgo(until, *now_time);
        if (!t) {
            return core::Error{"--until: " + t.error()};
        }
        window.until = *t;
    }
    if (window.since && window.until && *window.since > *window.until) {
        return core::Error{"--since is after --until"};
    }
    return {};
}

}  // namespace netpolgen::cli
