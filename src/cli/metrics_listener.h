// MetricsListener: `collect --metrics-listen HOST:PORT` — GET /metrics answers the collector's
// CollectMetrics in the Prometheus text format; every other request is 404, a bad one 400. One
// connection at a time on its own thread, each with a 5 s budget to send its request (header at
// most 8 KiB, no body): a scraper every few seconds needs no more, and a client that stalls costs
// nothing but its own answer.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "collect/collect_metrics.h"
#include "core/result.h"

namespace netpolgen::cli {

class MetricsListener {
public:
    // Binds HOST:PORT (as serve's --listen reads it) and starts answering.
    static core::Result<std::unique_ptr<MetricsListener>> start(
        const std::string& address, std::shared_ptr<const collect::CollectMetrics> metrics);
    ~MetricsListener();
    MetricsListener(const MetricsListener&) = delete;
    MetricsListener& operator=(const MetricsListener&) = delete;

    uint16_t port() const;

private:
    struct Impl;
    explicit MetricsListener(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace netpolgen::cli
