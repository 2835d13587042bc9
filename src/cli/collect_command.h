// `netpolgen collect`: learns continuously from a live flow source into the store.
//
//   netpolgen collect --db DB --hubble-relay HOST:PORT [--tls] [--tls-ca F] [--tls-cert F
//                     --tls-key F] [--tls-server-name NAME] [--no-field-mask] …
//     Streams flows from Hubble Relay: see collect_relay.h.
//
//   netpolgen collect --db DB --kafka BROKERS --topic TOPIC --group GROUP
//                     [--kafka-property KEY=VALUE]… [--commit-interval …] [--poll-interval …] …
//     Consumes a Kafka topic as a member of consumer group GROUP, each message one or more Hubble
//     (or canonical) JSON lines: see kafka_collect.h. The partitions' positions are committed with
//     the flows (one ingest record per group) and each partition resumes where the store has it.
//
//   netpolgen collect --db DB --follow FILE [--cluster-name NAME] [--flow-format F]
//                     [--commit-interval 5s] [--commit-flows 100000] [--poll-interval 200ms]
//                     [--status] [-q]
//     Follows a Hubble exporter file (collect/file_follower.h) across its rotations, resolves
//     each flow against the latest snapshot of NAME (re-read when a newer one is stored),
//     aggregates them per (UTC day, edge) in memory and commits every --commit-interval or
//     --commit-flows flows, whichever comes first: the edges, the source's ingest record and
//     the file cursor in one transaction (Store::commitFollow), so a process killed at any moment
//     loses at most what it read since its last commit — which the next run reads again — and
//     never stores a line twice. SIGINT/SIGTERM commit and exit 0.
//
// Invalid lines are counted and skipped (never fatal), and so are flows of workloads the snapshot
// lacks. One status line per commit interval on stderr when it is a terminal, or with --status:
// flows read, committed, skipped by reason, lag (now - the newest flow's time); -q silences it.
// Exit status: 2 for bad options or a store without snapshot; 1 when the store, the file or Kafka
// fails (what was committed stays), or when another collector of the same file moved its cursor.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "io/flow_reader.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace netpolgen::cli {

struct CollectCommandOptions {
    std::string db;
    std::string cluster_name;
    std::string follow;  // the exporter file
    // Hubble Relay (collect_relay.h): host:port, and how to reach it.
    std::string hubble_relay;
    bool tls = false;
    std::string tls_ca;
    std::string tls_cert;
    std::string tls_key;
    std::string tls_server_name;
    bool no_field_mask = false;
    bool no_follow = false;  // read what the relay holds now, then exit
    // Kafka (kafka_collect.h): bootstrap servers, topic, consumer group, librdkafka properties.
    std::string kafka;
    std::string topic;
    std::string group;
    std::vector<std::string> kafka_properties;  // "key=value"
    io::FlowFormat flow_format = io::FlowFormat::kAuto;
    // A commit every 5 s bounds what a crash loses to a few seconds and keeps a flow's way into
    // `generate --db` and the graph well within 15 s, at one small transaction per interval.
    std::string commit_interval = "5s";
    // 100,000 flows aggregate to at most 100,000 (day, edge) rows in memory (a few tens of MB)
    // whatever the flow rate, and commit in well under a second.
    uint64_t commit_flows = 100000;
    // How often the file is checked for new lines, a truncation or a rotation when idle.
    std::string poll_interval = "200ms";
    bool status = false;         // the status line even when stderr is no terminal
    std::string metrics_listen;  // HOST:PORT of /metrics (cli/metrics_listener.h); empty: none
    bool quiet = false;
};

// The Hubble Relay options (--hubble-relay, --tls…, --no-follow, --no-field-mask), also `serve`'s;
// returns --hubble-relay.
CLI::Option* addRelayOptions(CLI::App& command, CollectCommandOptions& options);

// "200ms", or what io::parseDuration reads ("5s", "1m"); nothing unless positive.
std::optional<std::chrono::milliseconds> parseMillis(const std::string& text);

// Registers `collect`; `options` must outlive the parse.
CLI::App* addCollectCommand(CLI::App& app, CollectCommandOptions& options);

int runCollect(const CollectCommandOptions& options, std::ostream& err);

}  // namespace netpolgen::cli
