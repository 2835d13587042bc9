// `netpolgen collect --kafka BROKERS --topic TOPIC --group GROUP` (collect_command.h): a Kafka
// topic as a polled source of collect's loop (collect_loop.h), exactly once into the store.
//
// Each message's value is one or more flow lines (Hubble JSON or canonical, newline-separated),
// decoded, resolved and aggregated as `collect --follow` does (CollectPending). The source is one
// ingest record, digest "kafka:BROKERS/TOPIC/GROUP"; each partition is a stream "TOPIC/PARTITION"
// whose position (the offset of the next message to read) moves in the store transaction of the
// flows read from it (collect/kafka_consumer.h). So:
// - a member stopped, killed or crashed between the store commit and the broker commit resumes
//   from the store's positions: no message counted twice, none lost;
// - when the store refuses a commit (another member of the group moved a partition since: a
//   rebalance race), the batch is dropped, the positions read again and the partitions sought
//   back to them, so the messages are read again rather than counted twice;
// - partitions released by a rebalance are committed first (one transaction); offsets go to the
//   broker after each store commit (for lag tools), the store stays the source of truth.
#pragma once

#include <ostream>

#include "cli/collect_command.h"
#include "cli/collect_loop.h"
#include "store/store.h"

namespace netpolgen::cli {

// Runs until `stop` (a last commit, then leaving the group: exit 0) or a failure (exit 1; exit 2
// for options librdkafka refuses or a store without snapshot). crash_after_commits_for_test > 0:
// right after that many store commits the run ends like a crash (exit 1: no broker commit, no
// last commit, no leaving the group).
int collectFromKafka(const CollectCommandOptions& options,
                     const LoopTiming& timing,
                     store::Store& store,
                     std::ostream& err,
                     const StopWait& stop,
                     int crash_after_commits_for_test = 0,
                     collect::CollectMetrics* metrics = nullptr);

}  // namespace netpolgen::cli
