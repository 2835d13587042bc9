// RelayStream: one GetFlows call to Hubble Relay (or a Hubble server), read on its own thread
// into a bounded queue (docs/hubble-relay.md).
//
// The request follows the stream (`follow`), starts at `since` (the whole ring buffer when the
// source was never read), asks the server to leave out dropped flows (a whitelist on the verdict)
// and to fill only the fields netpolgen reads (a field mask, sent in both places old and new
// servers read it). The reading thread stops when the queue holds kMaxQueued responses: gRPC's flow
// control then slows the server, so a slow store never grows memory.
//
//   RelayStream stream(channel, since);
//   std::vector<observer::GetFlowsResponse> got;
//   while (stream.take(got, 200ms)) { handle(got); got.clear(); }
//   grpc::Status why = stream.status();    // how it ended
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "observer.grpc.pb.h"

namespace netpolgen::collect {

// How to reach the relay. `target` is host:port; TLS when `tls` (or when a CA, a certificate or
// a server name is given).
struct RelayEndpoint {
    std::string target;
    bool tls = false;
    std::string ca_file;    // PEM; empty: the system's roots
    std::string cert_file;  // mTLS: both cert and key
    std::string key_file;
    std::string server_name;  // the name to verify (Helm certs: *.hubble-relay.cilium.io)
    bool field_mask = true;   // false for servers that refuse a path of the mask
};

// The channel to the relay: reads the PEM files; an error names the file.
core::Result<std::shared_ptr<grpc::Channel>> relayChannel(const RelayEndpoint& endpoint);

class RelayStream {
public:
    static constexpr size_t kMaxQueued = 8192;

    // Starts the call. `since_ns`: Unix ns of the first flow wanted; nothing = whole buffer.
    // `follow` false: the relay ends the stream at the end of its buffers.
    RelayStream(const std::shared_ptr<grpc::Channel>& channel,
                std::optional<int64_t> since_ns,
                bool field_mask,
                bool follow = true);
    ~RelayStream();
    RelayStream(const RelayStream&) = delete;
    RelayStream& operator=(const RelayStream&) = delete;

    // Moves the queued responses into `out` (appended), waiting up to `wait` for the first one.
    // false once the stream ended and everything was taken.
    bool take(std::vector<observer::GetFlowsResponse>& out, std::chrono::milliseconds wait);

    // How the stream ended (once take() returned false).
    grpc::Status status() const;

    // The request this stream sent (for tests and messages).
    static observer::GetFlowsRequest request(std::optional<int64_t> since_ns,
                                             bool field_mask,
                                             bool follow);

private:
    void read();

    grpc::ClientContext context_;
    std::unique_ptr<observer::Observer::Stub> stub_;
    std::unique_ptr<grpc::ClientReader<observer::GetFlowsResponse>> reader_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;  // a response queued, or the end
    std::condition_variable room_;   // the queue has room again
    std::deque<observer::GetFlowsResponse> queue_;
    bool ended_ = false;
    bool stopping_ = false;
    grpc::Status status_;
    std::thread thread_;
};

}  // namespace netpolgen::collect
