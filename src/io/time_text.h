// Time as users write it: RFC 3339 instants and durations such as "24h", "7d", "90m".
#pragma once

#include <string_view>

#include "core/flow.h"
#include "core/result.h"

namespace netpolgen::io {

// Seconds in a duration "<n>s|m|h|d|w", several parts allowed ("1h30m").
core::Result<int64_t> parseDuration(std::string_view text);

// An RFC 3339 instant, or a duration counted back from `now` ("7d" = now - 7 days).
core::Result<core::Timestamp> parseInstantOrAgo(std::string_view text, core::Timestamp now);

// "2026-11-20T10:00:00Z" for Unix seconds (UTC).
std::string formatRfc3339(core::Timestamp t);

}  // namespace netpolgen::io
