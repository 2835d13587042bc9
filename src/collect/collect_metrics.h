// CollectMetrics: what a running collector reports about its source — for `/metrics` (the
// Prometheus text format, version 0.0.4) of `collect --metrics-listen` and of `serve`, for the
// portal's source status (`serve`'s /v1/collect), and for nothing else: the collector writes it,
// readers on other threads take snapshots.
//
//   auto metrics = std::make_shared<CollectMetrics>("relay:hubble-relay:80");
//   metrics->received(n);  metrics->committed(flows, skips, seconds, newest);   // the collector
//   std::string text = metrics->prometheusText();                             // /metrics
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace netpolgen::collect {

class CollectMetrics {
public:
    // What a reader sees, all at one instant.
    struct Snapshot {
        std::string source;      // "relay:HOST:PORT", "follow:/path", "kafka:…"
        std::string state;       // "starting", "streaming", "reconnecting", "following", "stopped"
        uint64_t received = 0;   // records (flows, lines) received
        uint64_t committed = 0;  // flows stored
        std::map<std::string, uint64_t> skipped;  // by reason, as `netpolgen ingests` names them
        uint64_t lost_events = 0;
        uint64_t reconnects = 0;
        uint64_t commits = 0;
        double commit_seconds = 0;  // store transactions, summed
        int64_t newest_flow = 0;    // Unix seconds of the newest flow committed; 0: none yet
        int64_t last_commit = 0;    // Unix seconds of the last commit; 0: none yet
        double lag_seconds = -1;  // at the last commit: its time minus the newest flow's; -1: none
    };

    explicit CollectMetrics(std::string source);

    void setState(std::string state);
    void received(uint64_t records);
    void lost(uint64_t events);
    void reconnected();
    // One store transaction: the flows and skips it stored, how long it took, the newest flow's
    // time it holds (Unix s, 0 when undated), and when it committed (Unix s).
    void committed(uint64_t flows,
                   const std::map<std::string, uint64_t>& skipped,
                   double seconds,
                   int64_t newest_flow,
                   int64_t now);

    Snapshot snapshot() const;
    std::string prometheusText() const;

private:
    mutable std::mutex mutex_;
    Snapshot s_;
};

}  // namespace netpolgen::collect
