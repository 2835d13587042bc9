// Parsing and semantic comparison of netpol-analyzer's expected outputs
// (../shared/conformance/netpol-analyzer/, see its README "Suggested comparer").
//
// What "semantically equal" means here:
//   - lines are facts; their order and duplicates do not matter;
//   - a connection string is parsed into a ConnectionSet ("TCP 1-79,81-65535,UDP 53"), so two
//     spellings of one set are equal;
//   - External ranges ("10.0.0.0-10.255.255.255[External]", or without the suffix as in older
//     files) are atoms of different cuts in different outputs: both sides are expanded to the
//     common refinement of all their range boundaries (per side of the arrow: sources and
//     destinations are cut separately) before comparing, so an atom split in two on one side
//     equals the unsplit atom on the other when both halves carry the same connections.
//
//   auto expected = conformance::parseConnlistTxt(file_text);      // Result<std::vector<ConnLine>>
//   auto actual = conformance::parseConnlistTxt(our_txt_output);
//   std::vector<std::string> diffs = conformance::compareConnlists(*expected, *actual);
//   EXPECT_TRUE(diffs.empty()) << conformance::join(diffs);
//
// Also usable for `_diff/` files: parseDiffTxt() and splitRange()/cutPoints() for the refinement.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/connection_set.h"
#include "core/result.h"

namespace netpolgen::conformance {

constexpr uint64_t kIpv4End = uint64_t{1} << 32;  // one past 255.255.255.255

// A source or destination: a workload name ("ns/name[Kind]"), a representative peer of the
// exposure analysis ("entire-cluster", "ns/[all pods]", …) or an External IPv4 range.
struct Peer {
    bool external = false;
    std::string name;       // as printed (workloads and representatives)
    uint32_t first_ip = 0;  // external: inclusive range
    uint32_t last_ip = 0;

    // The canonical printed form: ranges always with the [External] suffix.
    std::string key() const;
    auto operator<=>(const Peer&) const = default;
};

struct ConnLine {
    Peer src;
    Peer dst;
    core::ConnectionSet conns;
};

inline std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return std::string(s);
}

inline std::optional<uint32_t> parseIpv4(std::string_view text) {
    uint32_t value = 0;
    int parts = 0;
    size_t i = 0;
    while (parts < 4) {
        size_t j = i;
        uint32_t octet = 0;
        while (j < text.size() && text[j] >= '0' && text[j] <= '9' && j - i < 3) {
            octet = octet * 10 + static_cast<uint32_t>(text[j] - '0');
            ++j;
        }
        if (j == i || octet > 255) {
            return std::nullopt;
        }
        value = (value << 8) | octet;
        ++parts;
        i = j;
        if (parts < 4) {
            if (i >= text.size() || text[i] != '.') {
                return std::nullopt;
            }
            ++i;
        }
    }
    if (i != text.size()) {
        return std::nullopt;
    }
    return value;
}

inline std::string ipv4Text(uint32_t ip) {
    return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255U) + "." +
           std::to_string((ip >> 8) & 255U) + "." + std::to_string(ip & 255U);
}

inline std::string rangeName(uint32_t first, uint32_t last) {
    return ipv4Text(first) + "-" + ipv4Text(last) + "[External]";
}

inline std::string Peer::key() const {
    return external ? rangeName(first_ip, last_ip) : name;
}

// "a.b.c.d-e.f.g.h[External]", "a.b.c.d-e.f.g.h" (legacy files) or any other name.
inline Peer parsePeer(std::string_view text) {
    Peer p;
    p.name = trimmed(text);
    std::string_view body = p.name;
    if (body.ends_with("[External]")) {
        body.remove_suffix(std::string_view("[External]").size());
    }
    const size_t dash = body.find('-');
    if (dash != std::string_view::npos) {
        auto first = parseIpv4(body.substr(0, dash));
        auto last = parseIpv4(body.substr(dash + 1));
        if (first && last && *first <= *last) {
            p.external = true;
            p.first_ip = *first;
            p.last_ip = *last;
            p.name = rangeName(*first, *last);
        }
    }
    return p;
}

// One "src => dst : conn" line (spaces around the separators as netpol-analyzer prints them).
inline core::Result<ConnLine> parseConnLine(std::string_view line) {
    const size_t arrow = line.find(" => ");
    const size_t colon = line.rfind(" : ");
    if (arrow == std::string_view::npos || colon == std::string_view::npos || colon < arrow) {
        return core::Error{"not a connection line: \"" + std::string(line) + "\""};
    }
    auto conns = core::ConnectionSet::parse(line.substr(colon + 3));
    if (!conns) {
        return core::Error{conns.error() + " in \"" + std::string(line) + "\""};
    }
    ConnLine out;
    out.src = parsePeer(line.substr(0, arrow));
    out.dst = parsePeer(line.substr(arrow + 4, colon - arrow - 4));
    out.conns = *conns;
    return out;
}

// The connlist of a txt file: every line before "Exposure Analysis Result:" (blank lines skipped).
inline core::Result<std::vector<ConnLine>> parseConnlistTxt(std::string_view text) {
    std::vector<ConnLine> out;
    size_t line_no = 0;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        const std::string line = trimmed(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        ++line_no;
        if (line == "Exposure Analysis Result:") {
            break;
        }
        if (line.empty()) {
            continue;
        }
        auto parsed = parseConnLine(line);
        if (!parsed) {
            return core::Error{"line " + std::to_string(line_no) + ": " + parsed.error()};
        }
        out.push_back(std::move(*parsed));
    }
    return out;
}

inline core::Result<std::vector<ConnLine>> connLinesFromJson(const nlohmann::json& array) {
    std::vector<ConnLine> out;
    if (array.is_null()) {
        return out;
    }
    if (!array.is_array()) {
        return core::Error{"expected a JSON array of {src, dst, conn}"};
    }
    for (const auto& item : array) {
        if (!item.is_object() || !item.contains("src") || !item.contains("dst") ||
            !item.contains("conn")) {
            return core::Error{"expected {src, dst, conn}, got " + item.dump()};
        }
        auto conns = core::ConnectionSet::parse(item["conn"].get<std::string>());
        if (!conns) {
            return core::Error{conns.error()};
        }
        out.push_back({parsePeer(item["src"].get<std::string>()),
                       parsePeer(item["dst"].get<std::string>()),
                       *conns});
    }
    return out;
}

// The connlist of a json file: the top-level array, or "connlist_results" of an exposure file.
inline core::Result<std::vector<ConnLine>> parseConnlistJson(std::string_view text) {
    const auto doc = nlohmann::json::parse(text, nullptr, false);
    if (doc.is_discarded()) {
        return core::Error{"invalid JSON"};
    }
    if (doc.is_object()) {
        if (!doc.contains("connlist_results")) {
            return core::Error{"JSON object without connlist_results"};
        }
        return connLinesFromJson(doc["connlist_results"]);
    }
    return connLinesFromJson(doc);
}

// Sorted, unique cut points (range starts, and one past range ends) of the external peers.
inline std::vector<uint64_t> cutPoints(const std::vector<Peer>& peers) {
    std::set<uint64_t> cuts;
    for (const Peer& p : peers) {
        if (p.external) {
            cuts.insert(p.first_ip);
            cuts.insert(uint64_t{p.last_ip} + 1);
        }
    }
    return {cuts.begin(), cuts.end()};
}

// The pieces of an external peer's range when cut at `cuts`; a workload stays whole.
inline std::vector<Peer> splitRange(const Peer& p, const std::vector<uint64_t>& cuts) {
    if (!p.external) {
        return {p};
    }
    std::vector<Peer> out;
    uint64_t start = p.first_ip;
    const uint64_t end = uint64_t{p.last_ip} + 1;
    auto it = std::upper_bound(cuts.begin(), cuts.end(), start);
    for (; it != cuts.end() && *it < end; ++it) {
        Peer piece = p;
        piece.first_ip = static_cast<uint32_t>(start);
        piece.last_ip = static_cast<uint32_t>(*it - 1);
        piece.name = rangeName(piece.first_ip, piece.last_ip);
        out.push_back(piece);
        start = *it;
    }
    Peer piece = p;
    piece.first_ip = static_cast<uint32_t>(start);
    piece.last_ip = static_cast<uint32_t>(end - 1);
    piece.name = rangeName(piece.first_ip, piece.last_ip);
    out.push_back(piece);
    return out;
}

// Facts (src key, dst key) → connections after cutting sources at `src_cuts` and destinations
// at `dst_cuts`. Lines naming the same pair are united.
using Facts = std::map<std::pair<std::string, std::string>, core::ConnectionSet>;

inline Facts refine(const std::vector<ConnLine>& lines,
                    const std::vector<uint64_t>& src_cuts,
                    const std::vector<uint64_t>& dst_cuts) {
    Facts out;
    for (const ConnLine& l : lines) {
        for (const Peer& s : splitRange(l.src, src_cuts)) {
            for (const Peer& d : splitRange(l.dst, dst_cuts)) {
                out[{s.key(), d.key()}].unite(l.conns);
            }
        }
    }
    return out;
}

// Differences between two connlists, on the common refinement of their External ranges; empty
// when they are semantically equal. Each difference is one readable line.
inline std::vector<std::string> compareConnlists(const std::vector<ConnLine>& expected,
                                                 const std::vector<ConnLine>& actual) {
    std::vector<Peer> srcs;
    std::vector<Peer> dsts;
    for (const auto* side : {&expected, &actual}) {
        for (const ConnLine& l : *side) {
            srcs.push_back(l.src);
            dsts.push_back(l.dst);
        }
    }
    const auto src_cuts = cutPoints(srcs);
    const auto dst_cuts = cutPoints(dsts);
    const Facts want = refine(expected, src_cuts, dst_cuts);
    const Facts got = refine(actual, src_cuts, dst_cuts);
    std::vector<std::string> diffs;
    for (const auto& [pair, conns] : want) {
        auto it = got.find(pair);
        if (it == got.end()) {
            diffs.push_back("missing:    " + pair.first + " => " + pair.second + " : " +
                            conns.toString());
        } else if (!(it->second == conns)) {
            diffs.push_back("different:  " + pair.first + " => " + pair.second + " : expected " +
                            conns.toString() + ", got " + it->second.toString());
        }
    }
    for (const auto& [pair, conns] : got) {
        if (want.count(pair) == 0) {
            diffs.push_back("unexpected: " + pair.first + " => " + pair.second + " : " +
                            conns.toString());
        }
    }
    return diffs;
}

inline std::string join(const std::vector<std::string>& lines, size_t max_lines = 40) {
    std::string out;
    for (size_t i = 0; i < lines.size() && i < max_lines; ++i) {
        out += lines[i] + "\n";
    }
    if (lines.size() > max_lines) {
        out += "… and " + std::to_string(lines.size() - max_lines) + " more\n";
    }
    return out;
}

// ---- exposure sections (txt) -----------------------------------------------------------------

// The exposure part of an `--exposure` txt file, normalised: each line with its column padding
// and tabs collapsed ("W => P : conn", "W <= P : conn", "W is not protected on Ingress"), as a set.
// Connection strings are kept as printed (they may hold port names: "TCP http").
inline std::set<std::string> parseExposureTxt(std::string_view text) {
    std::set<std::string> out;
    bool in_section = false;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        std::string line = trimmed(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line == "Exposure Analysis Result:") {
            in_section = true;
            continue;
        }
        if (!in_section || line.empty() || line.back() == ':') {
            continue;  // connlist part, blank lines and sub-section headers
        }
        std::string collapsed;
        bool space = false;
        for (char ch : line) {
            if (ch == ' ' || ch == '\t') {
                space = true;
                continue;
            }
            if (space && !collapsed.empty()) {
                collapsed += ' ';
            }
            space = false;
            collapsed += ch;
        }
        out.insert(collapsed);
    }
    return out;
}

// ---- _diff files --------------------------------------------------------------------------------

struct DiffLine {
    std::string type;  // added | removed | changed
    Peer src;
    Peer dst;
    core::ConnectionSet ref1;  // "No Connections" parses to the empty set
    core::ConnectionSet ref2;
    std::string info;  // workloads-diff-info, or empty
};

// "diff-type: T, source: S, destination: D, ref1: C1, ref2: C2[, workloads-diff-info: I]" lines;
// the "Connectivity diff:" header and blank lines are skipped.
inline core::Result<std::vector<DiffLine>> parseDiffTxt(std::string_view text) {
    std::vector<DiffLine> out;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        const std::string line = trimmed(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
        if (line.empty() || line == "Connectivity diff:") {
            continue;
        }
        auto field = [&](std::string_view key,
                         std::string_view next) -> std::optional<std::string> {
            const size_t at = line.find(std::string(key) + ": ");
            if (at == std::string::npos) {
                return std::nullopt;
            }
            const size_t start = at + key.size() + 2;
            const size_t end = next.empty() ? std::string::npos
                                            : line.find(", " + std::string(next) + ": ", start);
            return line.substr(start, end == std::string::npos ? std::string::npos : end - start);
        };
        const bool has_info = line.find(", workloads-diff-info: ") != std::string::npos;
        auto type = field("diff-type", "source");
        auto src = field("source", "destination");
        auto dst = field("destination", "ref1");
        auto ref1 = field("ref1", "ref2");
        auto ref2 = field("ref2", has_info ? "workloads-diff-info" : "");
        if (!type || !src || !dst || !ref1 || !ref2) {
            return core::Error{"not a diff line: \"" + line + "\""};
        }
        auto c1 = core::ConnectionSet::parse(*ref1);
        auto c2 = core::ConnectionSet::parse(*ref2);
        if (!c1 || !c2) {
            return core::Error{"bad connections in \"" + line + "\""};
        }
        DiffLine d{*type, parsePeer(*src), parsePeer(*dst), *c1, *c2, {}};
        if (has_info) {
            d.info = *field("workloads-diff-info", "");
        }
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace netpolgen::conformance
