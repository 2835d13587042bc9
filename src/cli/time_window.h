// The flow time window every command that reads flows takes: --since, --until and --now.
#pragma once

#include <string>

#include "core/flow_aggregator.h"
#include "core/result.h"

namespace netpolgen::cli {

// The options as given: --since, --until (RFC 3339 or a duration back from `now`), --now.
struct TimeWindowText {
    std::string since;
    std::string until;
    std::string now;  // RFC 3339; empty = the current time
};

// --now: RFC 3339, or the current time when empty. Errors name the option ("--now: …").
core::Result<core::Timestamp> resolveNow(const std::string& now);

// Fills `window` from --since and --until (RFC 3339, or a duration back from `now`: 24h, 7d);
// `now` is RFC 3339, empty for the current time. Empty since/until leave that bound open.
// Errors name the option: "--since: …", "--since is after --until".
core::Status resolveTimeWindow(const std::string& since,
                               const std::string& until,
                               const std::string& now,
                               core::TimeWindow& window);

}  // namespace netpolgen::cli
