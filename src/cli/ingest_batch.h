// The batch one `netpolgen ingest` hands to the store: flows already aggregated per (UTC day,
// edge) in memory (core::BucketedFlowGraph), entities named as the store names them
// (store/entity_key.h).
#pragma once

#include <cstdint>
#include <vector>

#include "core/bucketed_flow_graph.h"
#include "core/cluster.h"
#include "core/flow_aggregator.h"
#include "io/flow_reader.h"
#include "store/store.h"

namespace netpolgen::cli {

struct IngestBatchStats {
    uint64_t edges = 0;        // distinct (src, dst, port, protocol) over all days
    uint64_t day_buckets = 0;  // rows of the batch: (day, edge)
    uint64_t days = 0;         // dated days
    bool undated = false;      // some flows carried no time
};

// `buckets` must be bucketed by store::kSecondsPerDay. Fills batch.record.flows with the sum of
// the counts; the other record fields are the caller's.
store::IngestBatch makeIngestBatch(const core::Cluster& cluster,
                                   const core::BucketedFlowGraph& buckets,
                                   store::IngestRecord record,
                                   IngestBatchStats& stats);

// Why lines and flows were not stored, by reason (the names `ingests` shows), those > 0 only.
std::vector<store::SkipCount> skipCounts(const io::FlowReadStats& read,
                                         const core::AggregationStats& aggregation);

}  // namespace netpolgen::cli
