// GET /v1/collect (server/endpoints.h): the state of serve's flow source.
#include "server/endpoints.h"

namespace netpolgen::server {

ApiResponse collectEndpoint(const ServerOptions& options, const ApiRequest&) {
    nlohmann::json sources = nlohmann::json::array();
    if (options.collect_metrics) {
        const collect::CollectMetrics::Snapshot s = options.collect_metrics->snapshot();
        nlohmann::json skipped = nlohmann::json::object();
        for (const auto& [reason, count] : s.skipped) {
            skipped[reason] = count;
        }
        sources.push_back({{"source", s.source},
                           {"state", s.state},
                           {"received", s.received},
                           {"committed", s.committed},
                           {"skipped", std::move(skipped)},
                           {"lostEvents", s.lost_events},
                           {"reconnects", s.reconnects},
                           {"commits", s.commits},
                           {"lagSeconds", s.lag_seconds},
                           {"lastCommit", s.last_commit},
                           {"newestFlow", s.newest_flow}});
    }
    return {200, {{"sources", std::move(sources)}}};
}

}  // namespace netpolgen::server
