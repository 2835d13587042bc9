#include "core/connection_set.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <optional>

namespace netpolgen::core {
namespace {

constexpr uint32_t kMinPort = 1;
constexpr uint32_t kMaxPort = 65535;
constexpr std::array<Protocol, 3> kSlotProtocols = {
    Protocol::kSctp, Protocol::kTcp, Protocol::kUdp};

using Intervals = std::vector<ConnectionSet::Interval>;

// Merges overlapping and adjacent intervals of a sorted list in place.
void normalize(Intervals& v) {
    std::sort(v.begin(), v.end());
    size_t out = 0;
    for (size_t i = 0; i < v.size(); ++i) {
        if (out > 0 && v[i].first <= v[out - 1].second + 1) {
            v[out - 1].second = std::max(v[out - 1].second, v[i].second);
        } else {
            v[out++] = v[i];
        }
    }
    v.resize(out);
}

Intervals uniteIntervals(const Intervals& a, const Intervals& b) {
    Intervals out;
    out.reserve(a.size() + b.size());
    std::merge(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    normalize(out);
    return out;
}

Intervals intersectIntervals(const Intervals& a, const Intervals& b) {
    Intervals out;
    size_t i = 0;
    size_t j = 0;
    while (i < a.size() && j < b.size()) {
        const uint32_t lo = std::max(a[i].first, b[j].first);
        const uint32_t hi = std::min(a[i].second, b[j].second);
        if (lo <= hi) {
            out.emplace_back(lo, hi);
        }
        if (a[i].second < b[j].second) {
            ++i;
        } else {
            ++j;
        }
    }
    return out;
}

Intervals subtractIntervals(const Intervals& a, const Intervals& b) {
    Intervals out;
    size_t j = 0;
    for (const auto& [first, last] : a) {
        uint32_t lo = first;
        while (j < b.size() && b[j].second < lo) {
            ++j;
        }
        size_t k = j;
        bool done = false;
        while (k < b.size() && b[k].first <= last) {
            if (b[k].first > lo) {
                out.emplace_back(lo, b[k].first - 1);
            }
            if (b[k].second >= last) {
                done = true;
                break;
            }
            lo = b[k].second + 1;
            ++k;
        }
        if (!done) {
            out.emplace_back(lo, last);
        }
    }
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && s.front() == ' ') {
        s.remove_prefix(1);
    }
    while (!s.empty() && s.back() == ' ') {
        s.remove_suffix(1);
    }
    return s;
}

bool parsePort(std::string_view text, uint32_t& out) {
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size() && out >= kMinPort &&
           out <= kMaxPort;
}

}  // namespace

size_t ConnectionSet::slot(Protocol protocol) {
    switch (protocol) {
        case Protocol::kSctp:
            return 0;
        case Protocol::kTcp:
            return 1;
        case Protocol::kUdp:
            return 2;
        case Protocol::kIcmp:
        case Protocol::kUnknown:
            break;
    }
    return 3;
}

ConnectionSet ConnectionSet::all() {
    ConnectionSet s;
    for (auto& v : s.ports_) {
        v.emplace_back(kMinPort, kMaxPort);
    }
    return s;
}

void ConnectionSet::add(Protocol protocol, uint32_t lo, uint32_t hi) {
    const size_t i = slot(protocol);
    lo = std::max(lo, kMinPort);
    hi = std::min(hi, kMaxPort);
    if (i >= ports_.size() || lo > hi) {
        return;
    }
    auto& v = ports_[i];
    // Common case while building: appending past the end (not adjacent to the last interval).
    const bool past_end = v.empty() || lo > v.back().second + 1;
    v.emplace_back(lo, hi);
    if (past_end) {
        return;
    }
    normalize(v);
}

void ConnectionSet::unite(const ConnectionSet& other) {
    for (size_t i = 0; i < ports_.size(); ++i) {
        if (other.ports_[i].empty()) {
            continue;
        }
        ports_[i] =
            ports_[i].empty() ? other.ports_[i] : uniteIntervals(ports_[i], other.ports_[i]);
    }
}

ConnectionSet ConnectionSet::intersect(const ConnectionSet& other) const {
    ConnectionSet out;
    for (size_t i = 0; i < ports_.size(); ++i) {
        out.ports_[i] = intersectIntervals(ports_[i], other.ports_[i]);
    }
    return out;
}

ConnectionSet ConnectionSet::subtract(const ConnectionSet& other) const {
    ConnectionSet out;
    for (size_t i = 0; i < ports_.size(); ++i) {
        out.ports_[i] = subtractIntervals(ports_[i], other.ports_[i]);
    }
    return out;
}

bool ConnectionSet::contains(Protocol protocol, uint32_t port) const {
    const size_t i = slot(protocol);
    if (i >= ports_.size()) {
        return false;
    }
    const auto& v = ports_[i];
    auto it = std::upper_bound(v.begin(), v.end(), Interval{port, kMaxPort + 1});
    if (it == v.begin()) {
        return false;
    }
    --it;
    return it->first <= port && port <= it->second;
}

bool ConnectionSet::empty() const {
    return std::all_of(ports_.begin(), ports_.end(), [](const auto& v) { return v.empty(); });
}

bool ConnectionSet::isAll() const {
    return std::all_of(ports_.begin(), ports_.end(), [](const auto& v) {
        return v.size() == 1 && v[0].first == kMinPort && v[0].second == kMaxPort;
    });
}

const std::vector<ConnectionSet::Interval>& ConnectionSet::intervals(Protocol protocol) const {
    static const std::vector<Interval> kEmpty;
    const size_t i = slot(protocol);
    return i < ports_.size() ? ports_[i] : kEmpty;
}

std::string ConnectionSet::toString() const {
    if (empty()) {
        return "No Connections";
    }
    if (isAll()) {
        return "All Connections";
    }
    std::string out;
    for (size_t i = 0; i < ports_.size(); ++i) {
        if (ports_[i].empty()) {
            continue;
        }
        if (!out.empty()) {
            out += ',';
        }
        out += protocolName(kSlotProtocols[i]);
        out += ' ';
        bool first = true;
        for (const auto& [lo, hi] : ports_[i]) {
            if (!first) {
                out += ',';
            }
            first = false;
            out += std::to_string(lo);
            if (hi != lo) {
                out += '-';
                out += std::to_string(hi);
            }
        }
    }
    return out;
}

Result<ConnectionSet> ConnectionSet::parse(std::string_view text) {
    text = trim(text);
    if (text == "All Connections") {
        return all();
    }
    ConnectionSet out;
    if (text == "No Connections") {
        return out;
    }
    if (text.empty()) {
        return Error{"empty connection set"};
    }
    std::optional<Protocol> current;
    while (!text.empty()) {
        const size_t comma = text.find(',');
        std::string_view token = trim(text.substr(0, comma));
        text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
        const size_t space = token.find(' ');
        if (space != std::string_view::npos) {
            const std::string_view name = token.substr(0, space);
            if (name == "TCP") {
                current = Protocol::kTcp;
            } else if (name == "UDP") {
                current = Protocol::kUdp;
            } else if (name == "SCTP") {
                current = Protocol::kSctp;
            } else {
                return Error{"unknown protocol \"" + std::string(name) + "\""};
            }
            token = trim(token.substr(space + 1));
        }
        if (!current) {
            return Error{"port range \"" + std::string(token) + "\" without a protocol"};
        }
        const size_t dash = token.find('-');
        uint32_t lo = 0;
        uint32_t hi = 0;
        const bool ok = dash == std::string_view::npos
                            ? parsePort(token, lo) && parsePort(token, hi)
                            : parsePort(token.substr(0, dash), lo) &&
                                  parsePort(token.substr(dash + 1), hi) && lo <= hi;
        if (!ok) {
            return Error{"invalid port range \"" + std::string(token) + "\""};
        }
        out.add(*current, lo, hi);
    }
    return out;
}

size_t ConnectionSet::hash() const {
    size_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < ports_.size(); ++i) {
        h = (h ^ (ports_[i].size() + i * 0x10000)) * 0x100000001b3ULL;
        for (const auto& [lo, hi] : ports_[i]) {
            h = (h ^ ((static_cast<size_t>(lo) << 16) | hi)) * 0x100000001b3ULL;
        }
    }
    return h;
}

}  // namespace netpolgen::core
