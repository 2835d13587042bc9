// The loop of a `collect` source that is polled — a followed exporter file, a Kafka topic: poll,
// commit every interval or every N flows, a status line per interval, and on a stop a last commit.
// (Hubble Relay's stream, with its reconnects, has its own loop: collect_relay.cpp.)
//
//   class MySource : public PolledSource { … };      // decodes into a CollectPending
//   return runPolledLoop(source, pending, timing, {status_lines, quiet}, stop, err);
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <ostream>

#include "cli/collect_pending.h"
#include "core/result.h"

namespace netpolgen::cli {

// Waits up to `wait` for a reason to stop; true when the collector should commit and return.
using StopWait = std::function<bool(std::chrono::milliseconds wait)>;

class PolledSource {
public:
    virtual ~PolledSource() = default;
    // Reads what there is now (into its CollectPending); how many lines (0: nothing new). An error
    // ends the run after a last commit.
    virtual core::Result<size_t> poll() = 0;
    // Commits what was read since the last commit (idle: a newer snapshot is still picked up).
    virtual core::Status commit() = 0;
    // After every poll: the source's notes for stderr.
    virtual void report() {}
};

struct LoopTiming {
    std::chrono::milliseconds commit_every{5000};
    std::chrono::milliseconds idle_wait{200};  // the stop wait after a poll that read nothing
    uint64_t commit_flows = 100000;            // a commit at the latest after this many flows
};

struct LoopOutput {
    bool status_lines = false;  // one per interval
    bool quiet = false;         // not even the last one
};

// Until a stop (a last commit: exit 0) or an error (exit 1; what was committed stays).
int runPolledLoop(PolledSource& source,
                  const CollectPending& pending,
                  const LoopTiming& timing,
                  LoopOutput output,
                  const StopWait& stop,
                  std::ostream& err);

}  // namespace netpolgen::cli
