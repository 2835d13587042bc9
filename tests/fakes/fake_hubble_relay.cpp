// fake_hubble_relay: a Hubble Relay stand-in for the tests and benchmarks of
// `collect --hubble-relay`, serving observer.Observer GetFlows and ServerStatus over gRPC as
// docs/hubble-relay.md describes Relay (§3–§9):
//   - the "ring buffer" is a file of recorded events, one per line as `hubble observe -o jsonpb`
//     and the exporter write them ({"flow":…}, {"lost_events":…}, {"node_status":…}); lines
//     appended while it runs are served to following streams (--follow-file);
//   - a stream starts with node_status NODE_CONNECTED naming the nodes of the buffer; then the
//     events from `since` (flows with time >= since; lost events always), whitelist/blacklist
//     on verdict and reply, the field mask applied; `first` with `follow` is INVALID_ARGUMENT;
//     a non-follow stream ends OK at the end of the buffer;
//   - --fail-after N ends the stream that sends the N-th flow of the server's life with
//     UNAVAILABLE (a relay restarted mid-stream), once;
//   - --repeat K serves the buffer's flows K times, each round shifted one buffer-span later in
//     time with fresh uuids (a large stream for benchmarks);
//   - TLS with --tls-cert/--tls-key, mTLS with --client-ca (a client certificate required).
// It writes the port it listens on to --port-file once ready.
//
//   fake_hubble_relay --events flows.jsonl --port-file port [--follow-file] [--fail-after N]
//                     [--repeat K] [--tls-cert c --tls-key k [--client-ca ca]]
#include <google/protobuf/util/field_mask_util.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "observer.grpc.pb.h"

namespace {

using observer::GetFlowsRequest;
using observer::GetFlowsResponse;
using observer::RecordedEvent;

constexpr int64_t kNanos = 1'000'000'000;

int64_t nanosOf(const google::protobuf::Timestamp& t) {
    return t.seconds() * kNanos + t.nanos();
}

void setNanos(google::protobuf::Timestamp* t, int64_t ns) {
    t->set_seconds(ns / kNanos);
    t->set_nanos(static_cast<int32_t>(ns % kNanos));
}

int64_t timeOf(const RecordedEvent& e) {
    return nanosOf(e.has_flow() ? e.flow().time() : e.time());
}

// The recorded events, growing as lines are appended to the file.
class Buffer {
public:
    explicit Buffer(std::string path) : path_(std::move(path)) {}

    // Reads the lines appended since the last call, in time order as a node's ring buffer holds
    // them (a recorded file need not be); false on a line that is no event.
    bool refresh() {
        std::ifstream in(path_, std::ios::binary);
        in.seekg(static_cast<std::streamoff>(offset_));
        std::string line;
        std::lock_guard lock(mutex_);
        const size_t first_new = events_.size();
        while (std::getline(in, line)) {
            if (in.eof()) {
                break;  // a partial last line: read again next time
            }
            offset_ += line.size() + 1;
            if (line.empty()) {
                continue;
            }
            RecordedEvent e;
            google::protobuf::util::JsonParseOptions options;
            options.ignore_unknown_fields = true;
            if (!google::protobuf::util::JsonStringToMessage(line, &e, options).ok()) {
                std::cerr << "fake_hubble_relay: " << path_ << ": not an event: " << line << "\n";
                return false;
            }
            if (e.has_flow() && e.flow().node_name().empty()) {
                e.mutable_flow()->set_node_name(e.node_name());  // Relay's flows carry it
            }
            if (e.has_flow() && !e.flow().node_name().empty()) {
                nodes_.insert(e.flow().node_name());
            }
            if (e.has_flow()) {
                last_time_ = e.flow().time();
            } else if (e.has_lost_events() && !e.has_time()) {
                *e.mutable_time() = last_time_;  // detected after the flow before it
            }
            events_.push_back(std::move(e));
        }
        std::stable_sort(
            events_.begin() + static_cast<std::ptrdiff_t>(first_new),
            events_.end(),
            [](const RecordedEvent& a, const RecordedEvent& b) { return timeOf(a) < timeOf(b); });
        return true;
    }

    size_t size() const {
        std::lock_guard lock(mutex_);
        return events_.size();
    }
    // Stays valid while lines are appended (a deque).
    const RecordedEvent& at(size_t i) const {
        std::lock_guard lock(mutex_);
        return events_[i];
    }
    std::set<std::string> nodes() const {
        std::lock_guard lock(mutex_);
        return nodes_;
    }
    // The time span of the buffer's flows (for --repeat).
    int64_t span() const {
        std::lock_guard lock(mutex_);
        int64_t lo = INT64_MAX, hi = 0;
        for (const auto& e : events_) {
            if (e.has_flow()) {
                lo = std::min(lo, nanosOf(e.flow().time()));
                hi = std::max(hi, nanosOf(e.flow().time()));
            }
        }
        return hi >= lo ? hi - lo + 1 : 1;
    }

private:
    std::string path_;
    uint64_t offset_ = 0;
    mutable std::mutex mutex_;
    std::deque<RecordedEvent> events_;
    std::set<std::string> nodes_;
    google::protobuf::Timestamp last_time_;
};

bool matches(const observer::FlowFilter& f, const observer::Flow& flow) {
    if (f.verdict_size() > 0 &&
        std::find(f.verdict().begin(), f.verdict().end(), flow.verdict()) == f.verdict().end()) {
        return false;
    }
    if (f.reply_size() > 0) {
        if (!flow.has_is_reply()) {
            return false;  // Hubble: an unknown direction matches no reply filter
        }
        if (std::find(f.reply().begin(), f.reply().end(), flow.is_reply().value()) ==
            f.reply().end()) {
            return false;
        }
    }
    return true;
}

bool wanted(const GetFlowsRequest& req, const observer::Flow& flow) {
    bool keep = req.whitelist_size() == 0;
    for (const auto& f : req.whitelist()) {
        keep = keep || matches(f, flow);
    }
    for (const auto& f : req.blacklist()) {
        keep = keep && !matches(f, flow);
    }
    return keep;
}

struct Settings {
    bool follow_file = false;
    long fail_after = -1;
    int repeat = 1;
};

class FakeObserver final : public observer::Observer::Service {
public:
    FakeObserver(Buffer& buffer, Settings settings) : buffer_(buffer), settings_(settings) {}

    grpc::Status ServerStatus(grpc::ServerContext*,
                              const observer::ServerStatusRequest*,
                              observer::ServerStatusResponse* out) override {
        out->set_num_flows(buffer_.size());
        out->set_max_flows(buffer_.size());
        out->set_seen_flows(sent_.load());
        out->mutable_num_connected_nodes()->set_value(
            static_cast<uint32_t>(buffer_.nodes().size()));
        out->mutable_num_unavailable_nodes()->set_value(0);
        out->set_version("fake-hubble-relay");
        return grpc::Status::OK;
    }

    grpc::Status GetFlows(grpc::ServerContext* context,
                          const GetFlowsRequest* req,
                          grpc::ServerWriter<GetFlowsResponse>* writer) override {
        if (req->first() && req->follow()) {
            return {grpc::StatusCode::INVALID_ARGUMENT, "first cannot be specified with follow"};
        }
        google::protobuf::FieldMask mask = req->field_mask();
        for (const auto& path : mask.paths()) {
            if (!google::protobuf::util::FieldMaskUtil::GetFieldDescriptors(
                    observer::Flow::descriptor(), path, nullptr)) {
                return {grpc::StatusCode::UNKNOWN, "invalid fieldmask path: " + path};
            }
        }
        GetFlowsResponse status;
        const auto nodes = buffer_.nodes();
        if (!nodes.empty()) {
            status.mutable_node_status()->set_state_change(observer::NODE_CONNECTED);
            for (const auto& n : nodes) {
                status.mutable_node_status()->add_node_names(n);
            }
            setNanos(status.mutable_time(), nowNanos());
            if (!writer->Write(status)) {
                return grpc::Status::OK;
            }
        }
        const int64_t since = req->has_since() ? nanosOf(req->since()) : INT64_MIN;
        const int64_t span = buffer_.span();
        std::vector<std::string> cache;  // each flow encoded once, with the mask applied
        size_t i = 0;
        int round = 0;
        for (;;) {
            if (context->IsCancelled()) {
                return grpc::Status::CANCELLED;
            }
            if (i == buffer_.size()) {
                if (round + 1 < settings_.repeat) {
                    ++round;
                    i = 0;
                    continue;
                }
                if (!req->follow()) {
                    return grpc::Status::OK;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
                if (settings_.follow_file) {
                    buffer_.refresh();
                }
                continue;
            }
            const size_t index = i++;
            const RecordedEvent& e = buffer_.at(index);
            GetFlowsResponse out;
            if (e.has_lost_events()) {
                if (round > 0) {
                    continue;
                }
                *out.mutable_lost_events() = e.lost_events();
                *out.mutable_time() = e.time();
            } else if (e.has_node_status()) {
                *out.mutable_node_status() = e.node_status();
            } else if (e.has_flow()) {
                const observer::Flow& flow = e.flow();
                const int64_t time = nanosOf(flow.time()) + span * round;
                if (time < since || !wanted(*req, flow)) {
                    continue;
                }
                out.set_flow(encoded(flow, mask, index, cache));
                if (round > 0) {
                    // A later round: the same flow later, with its own uuid. A field repeated in
                    // the encoding replaces (scalars) or merges into (messages) the first.
                    observer::Flow later;
                    setNanos(later.mutable_time(), time);
                    later.set_uuid(flow.uuid() + "-r" + std::to_string(round));
                    out.mutable_flow()->append(later.SerializeAsString());
                }
                setNanos(out.mutable_time(), time);
                out.set_node_name(flow.node_name());
                const long n = ++sent_;
                if (n == settings_.fail_after && !failed_.exchange(true)) {
                    return {grpc::StatusCode::UNAVAILABLE, "fake relay: restarted"};
                }
            } else {
                continue;
            }
            if (out.node_name().empty()) {
                out.set_node_name(e.node_name());
            }
            // buffer_hint lets gRPC put several responses in one frame, as Relay's gRPC-Go
            // server does when a stream has more to send; the last one available goes at once.
            grpc::WriteOptions options;
            if (i < buffer_.size() || round + 1 < settings_.repeat) {
                options.set_buffer_hint();
            }
            if (!writer->Write(out, options)) {
                return grpc::Status::OK;  // the client went away
            }
        }
    }

private:
    static const std::string& encoded(const observer::Flow& flow,
                                      const google::protobuf::FieldMask& mask,
                                      size_t index,
                                      std::vector<std::string>& cache) {
        if (cache.size() <= index) {
            cache.resize(index + 1);
        }
        if (cache[index].empty()) {
            observer::Flow trimmed = flow;
            if (mask.paths_size() > 0) {
                google::protobuf::util::FieldMaskUtil::TrimMessage(mask, &trimmed);
            }
            cache[index] = trimmed.SerializeAsString();
        }
        return cache[index];
    }

    static int64_t nowNanos() {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }

    Buffer& buffer_;
    Settings settings_;
    std::atomic<long> sent_{0};
    std::atomic<bool> failed_{false};
};

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::string> opt;
    Settings settings;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--follow-file") {
            settings.follow_file = true;
        } else if (i + 1 < argc && a.starts_with("--")) {
            opt[a] = argv[++i];
        } else {
            std::cerr << "fake_hubble_relay: unknown argument " << a << "\n";
            return 2;
        }
    }
    if (!opt.count("--events") || !opt.count("--port-file")) {
        std::cerr << "usage: fake_hubble_relay --events FILE --port-file FILE [--follow-file] "
                     "[--fail-after N] [--repeat K] [--tls-cert C --tls-key K [--client-ca CA]]\n";
        return 2;
    }
    settings.fail_after = opt.count("--fail-after") ? std::stol(opt["--fail-after"]) : -1;
    settings.repeat = opt.count("--repeat") ? std::stoi(opt["--repeat"]) : 1;
    Buffer buffer(opt["--events"]);
    if (!buffer.refresh()) {
        return 1;
    }
    std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
    if (opt.count("--tls-cert")) {
        grpc::SslServerCredentialsOptions ssl(
            opt.count("--client-ca") ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                     : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
        ssl.pem_key_cert_pairs.push_back({readFile(opt["--tls-key"]), readFile(opt["--tls-cert"])});
        if (opt.count("--client-ca")) {
            ssl.pem_root_certs = readFile(opt["--client-ca"]);
        }
        credentials = grpc::SslServerCredentials(ssl);
    }
    FakeObserver service(buffer, settings);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(
        opt.count("--listen") ? opt["--listen"] : "127.0.0.1:0", credentials, &port);
    builder.RegisterService(&service);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server || port == 0) {
        std::cerr << "fake_hubble_relay: cannot listen\n";
        return 1;
    }
    {
        const std::string tmp = opt["--port-file"] + ".tmp";
        std::ofstream(tmp) << port << "\n";
        std::rename(tmp.c_str(), opt["--port-file"].c_str());
    }
    server->Wait();
    return 0;
}
