// `netpolgen collect --hubble-relay HOST:PORT`: learns continuously from Hubble Relay's
// GetFlows stream (collect/relay_stream.h) into the store.
//
// Resumes where the store stands: per node, the time of its newest stored flow
// (collect/node_positions.h), committed in the transaction of the flows, so that a process killed
// at any moment counts nothing twice when it comes back, and loses only what the relay's ring
// buffers dropped meanwhile. A stream that breaks (relay restarted, network) is reopened with
// exponential backoff (1 s doubling to 30 s) from the nodes' positions, less an overlap of 5 s
// for nodes that lag behind the others; flows received again are recognized and not counted.
// Errors no retry can fix (bad TLS configuration, a refused request, authentication) end the
// command with exit 1.
//
// Lost events (the relay's or a node's buffers overflowed: flows never seen) and node status
// changes are counted, shown in the status line and noted on stderr: they are gaps in what was
// learnt.
#pragma once

#include <chrono>
#include <functional>
#include <ostream>

#include "cli/collect_command.h"
#include "cli/collect_loop.h"
#include "collect/collect_metrics.h"
#include "store/store.h"

namespace netpolgen::cli {

// `metrics` (may be null) follows the source: state, counts, commits.
int runRelayCollect(const CollectCommandOptions& options,
                    store::Store& store,
                    std::ostream& err,
                    std::chrono::milliseconds commit_every,
                    const StopWait& stop,
                    collect::CollectMetrics* metrics);

}  // namespace netpolgen::cli
