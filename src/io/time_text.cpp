#include "io/time_text.h"

#include <charconv>
#include <cstdio>
#include <string>

#include "io/flow_reader.h"

namespace netpolgen::io {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
    if (pos + n > s.size()) {
        return false;
    }
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

}  // namespace

core::Result<core::Timestamp> parseRfc3339(std::string_view s) {
    const core::Error bad{"invalid RFC 3339 time \"" + std::string(s.substr(0, 64)) + "\""};
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(s, 0, 4, year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, month) ||
        s[7] != '-' || !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, minute) || s[16] != ':' ||
        !digits(s, 17, 2, second)) {
        return bad;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
        return bad;
    }
    size_t pos = 19;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        const size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            ++pos;
        }
        if (pos == start) {
            return bad;
        }
    }
    int64_t offset = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh = 0, om = 0;
        if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
            return bad;
        }
        offset = (s[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
        pos += 6;
    } else {
        return bad;
    }
    if (pos != s.size()) {
        return bad;
    }
    const int64_t days =
        daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    return days * 86400 + hour * 3600 + minute * 60 + second - offset;
}

core::Result<int64_t> parseDuration(std::string_view text) {
    const core::Error bad{"invalid duration \"" + std::string(text.substr(0, 64)) +
                          "\" (expected e.g. 30m, 24h, 7d, 1h30m)"};
    if (text.empty()) {
        return bad;
    }
    int64_t total = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        int64_t n = 0;
        auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), n);
        if (ec != std::errc() || n < 0 || ptr == text.data() + text.size()) {
            return bad;
        }
        pos = static_cast<size_t>(ptr - text.data());
        int64_t unit = 0;
        switch (text[pos]) {
            case 's':
                unit = 1;
                break;
            case 'm':
                unit = 60;
                break;
            case 'h':
                unit = 3600;
                break;
            case 'd':
                unit = 86400;
                break;
            case 'w':
                unit = 7 * 86400;
                break;
            default:
                return bad;
        }
        if (n > (int64_t{1} << 40) / unit) {
            return bad;
        }
        total += n * unit;
        ++pos;
    }
    return total;
}

core::Result<core::Timestamp> parseInstantOrAgo(std::string_view text, core::Timestamp now) {
    if (text.size() >= 10 && text[4] == '-') {
        return parseRfc3339(text);
    }
    auto d = parseDuration(text);
    if (!d) {
        return core::Error{"invalid time \"" + std::string(text.substr(0, 64)) +
                           "\": expected RFC 3339 (2026-11-20T10:00:00Z) or a duration (24h, 7d)"};
    }
    return now - *d;
}

std::string formatRfc3339(core::Timestamp t) {
    int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int64_t rem = t - days * 86400;
    // civil_from_days (Hinnant)
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto doe = static_cast<unsigned>(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = static_cast<int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    char buf[96];
    std::snprintf(buf,
                  sizeof buf,
                  "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ",
                  static_cast<long long>(y),
                  m,
                  d,
                  static_cast<long long>(rem / 3600),
                  static_cast<long long>(rem % 3600 / 60),
                  static_cast<long long>(rem % 60));
    return buf;
}

}  // namespace netpolgen::io
