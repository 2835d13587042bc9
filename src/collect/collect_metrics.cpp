#include "collect/collect_metrics.h"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace netpolgen::collect {
namespace {

// A label value of the text format: backslash, double quote and newline escaped.
std::string labelValue(const std::string& text) {
    std::string out;
    for (const char c : text) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void sample(std::string& out, const char* name, const std::string& labels, double value) {
    char number[64];
    std::snprintf(number, sizeof number, "%.17g", value);
    out += std::string(name) + "{" + labels + "} " + number + "\n";
}

}  // namespace

CollectMetrics::CollectMetrics(std::string source) {
    s_.source = std::move(source);
    s_.state = "starting";
}

void CollectMetrics::setState(std::string state) {
    std::lock_guard lock(mutex_);
    s_.state = std::move(state);
}

void CollectMetrics::received(uint64_t records) {
    std::lock_guard lock(mutex_);
    s_.received += records;
}

void CollectMetrics::lost(uint64_t events) {
    std::lock_guard lock(mutex_);
    s_.lost_events += events;
}

void CollectMetrics::reconnected() {
    std::lock_guard lock(mutex_);
    ++s_.reconnects;
}

void CollectMetrics::committed(uint64_t flows,
                               const std::map<std::string, uint64_t>& skipped,
                               double seconds,
                               int64_t newest_flow,
                               int64_t now) {
    std::lock_guard lock(mutex_);
    s_.committed += flows;
    for (const auto& [reason, count] : skipped) {
        s_.skipped[reason] += count;
    }
    ++s_.commits;
    s_.commit_seconds += seconds;
    s_.newest_flow = std::max(s_.newest_flow, newest_flow);
    s_.last_commit = now;
    if (s_.newest_flow > 0) {
        s_.lag_seconds = static_cast<double>(std::max<int64_t>(0, now - s_.newest_flow));
    }
}

CollectMetrics::Snapshot CollectMetrics::snapshot() const {
    std::lock_guard lock(mutex_);
    return s_;
}

std::string CollectMetrics::prometheusText() const {
    const Snapshot s = snapshot();
    const std::string src = "source=\"" + labelValue(s.source) + "\"";
    std::string out;
    family(out, "netpolgen_collect_up", "gauge", "1 while the source streams or is followed.");
    sample(out,
           "netpolgen_collect_up",
           src + ",state=\"" + labelValue(s.state) + "\"",
           s.state == "streaming" || s.state == "following" ? 1 : 0);
    family(out,
           "netpolgen_collect_received_total",
           "counter",
           "Records received from the source (flows, lines).");
    sample(out, "netpolgen_collect_received_total", src, static_cast<double>(s.received));
    family(out, "netpolgen_collect_committed_flows_total", "counter", "Flows stored.");
    sample(out, "netpolgen_collect_committed_flows_total", src, static_cast<double>(s.committed));
    family(out,
           "netpolgen_collect_skipped_total",
           "counter",
           "Records and flows not stored, by reason (as netpolgen ingests names them).");
    for (const auto& [reason, count] : s.skipped) {
        sample(out,
               "netpolgen_collect_skipped_total",
               src + ",reason=\"" + labelValue(reason) + "\"",
               static_cast<double>(count));
    }
    family(out,
           "netpolgen_collect_lost_events_total",
           "counter",
           "Events the source reported lost (flows never seen).");
    sample(out, "netpolgen_collect_lost_events_total", src, static_cast<double>(s.lost_events));
    family(out, "netpolgen_collect_reconnects_total", "counter", "Streams reopened.");
    sample(out, "netpolgen_collect_reconnects_total", src, static_cast<double>(s.reconnects));
    family(out,
           "netpolgen_collect_commit_seconds",
           "summary",
           "Store transactions: their count and total seconds.");
    sample(out, "netpolgen_collect_commit_seconds_sum", src, s.commit_seconds);
    sample(out, "netpolgen_collect_commit_seconds_count", src, static_cast<double>(s.commits));
    family(out,
           "netpolgen_collect_lag_seconds",
           "gauge",
           "At the last commit: its time minus the newest stored flow's time (-1: none yet).");
    sample(out, "netpolgen_collect_lag_seconds", src, s.lag_seconds);
    family(out,
           "netpolgen_collect_last_commit_timestamp_seconds",
           "gauge",
           "Unix time of the last commit (0: none yet).");
    sample(out,
           "netpolgen_collect_last_commit_timestamp_seconds",
           src,
           static_cast<double>(s.last_commit));
    return out;
}

}  // namespace netpolgen::collect
