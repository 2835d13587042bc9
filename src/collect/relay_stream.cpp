#include "collect/relay_stream.h"

#include <fstream>
#include <sstream>
#include <utility>

namespace netpolgen::collect {
namespace {

constexpr int kMaxMessageBytes = 64 << 20;  // gRPC's default is 4 MiB; a flow is ~1 KB
constexpr int64_t kNanosPerSecond = 1'000'000'000;

// What netpolgen reads of a flow (io/hubble_flow_wire.cpp), as Flow field paths.
constexpr const char* kFieldMask[] = {"time",
                                      "uuid",
                                      "verdict",
                                      "IP",
                                      "l4",
                                      "source",
                                      "destination",
                                      "Type",
                                      "node_name",
                                      "reply",
                                      "event_type",
                                      "traffic_direction",
                                      "trace_observation_point",
                                      "is_reply",
                                      "trace_reason"};

core::Result<std::string> readPem(const std::string& path, const char* what) {
    if (path.empty()) {
        return std::string();
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in || text.str().empty()) {
        return core::Error{std::string("cannot read the ") + what + " " + path};
    }
    return text.str();
}

}  // namespace

core::Result<std::shared_ptr<grpc::Channel>> relayChannel(const RelayEndpoint& e) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxMessageBytes);
    // No keepalive pings: Relay's gRPC-Go server allows one per 5 minutes at most and answers
    // more with GOAWAY "too_many_pings" (docs/hubble-relay.md §10).
    const bool tls = e.tls || !e.ca_file.empty() || !e.cert_file.empty() || !e.server_name.empty();
    if (!tls) {
        return grpc::CreateCustomChannel(e.target, grpc::InsecureChannelCredentials(), args);
    }
    if (e.cert_file.empty() != e.key_file.empty()) {
        return core::Error{"--tls-cert and --tls-key go together (mTLS)"};
    }
    auto ca = readPem(e.ca_file, "CA certificate");
    auto cert = ca ? readPem(e.cert_file, "client certificate") : ca;
    auto key = cert ? readPem(e.key_file, "client key") : cert;
    if (!key) {
        return core::Error{key.error()};
    }
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = *ca;
    ssl.pem_cert_chain = *cert;
    ssl.pem_private_key = *key;
    if (!e.server_name.empty()) {
        args.SetSslTargetNameOverride(e.server_name);
    }
    return grpc::CreateCustomChannel(e.target, grpc::SslCredentials(ssl), args);
}

observer::GetFlowsRequest RelayStream::request(std::optional<int64_t> since_ns,
                                               bool field_mask,
                                               bool follow) {
    observer::GetFlowsRequest req;
    req.set_follow(follow);
    const int64_t since = since_ns.value_or(0);
    req.mutable_since()->set_seconds(since / kNanosPerSecond);
    req.mutable_since()->set_nanos(static_cast<int32_t>(since % kNanosPerSecond));
    // Dropped flows are skipped by netpolgen anyway: the server leaves them out. Replies are
    // not filtered there: a reply filter also drops the flows whose direction Hubble does not
    // know, which netpolgen counts.
    observer::FlowFilter* keep = req.add_whitelist();
    for (const observer::Verdict v : {observer::VERDICT_UNKNOWN,
                                      observer::FORWARDED,
                                      observer::AUDIT,
                                      observer::REDIRECTED,
                                      observer::TRACED,
                                      observer::TRANSLATED}) {
        keep->add_verdict(v);
    }
    if (field_mask) {
        for (const char* path : kFieldMask) {
            req.mutable_field_mask()->add_paths(path);
            req.mutable_experimental()->mutable_field_mask()->add_paths(path);
        }
    }
    return req;
}

RelayStream::RelayStream(const std::shared_ptr<grpc::Channel>& channel,
                         std::optional<int64_t> since_ns,
                         bool field_mask,
                         bool follow)
    : stub_(observer::Observer::NewStub(channel)) {
    // No deadline: a follow stream lasts as long as the collector runs.
    reader_ = stub_->GetFlows(&context_, request(since_ns, field_mask, follow));
    thread_ = std::thread([this] { read(); });
}

RelayStream::~RelayStream() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    room_.notify_all();
    context_.TryCancel();
    thread_.join();
}

void RelayStream::read() {
    observer::GetFlowsResponse response;
    while (reader_->Read(&response)) {
        std::unique_lock lock(mutex_);
        room_.wait(lock, [this] { return queue_.size() < kMaxQueued || stopping_; });
        if (stopping_) {
            break;
        }
        queue_.push_back(std::move(response));
        response.Clear();
        lock.unlock();
        ready_.notify_one();
    }
    grpc::Status status = reader_->Finish();
    std::lock_guard lock(mutex_);
    status_ = std::move(status);
    ended_ = true;
    ready_.notify_one();
}

bool RelayStream::take(std::vector<observer::GetFlowsResponse>& out,
                       std::chrono::milliseconds wait) {
    std::unique_lock lock(mutex_);
    ready_.wait_for(lock, wait, [this] { return !queue_.empty() || ended_; });
    const bool had_room = queue_.size() < kMaxQueued;
    for (auto& r : queue_) {
        out.push_back(std::move(r));
    }
    const bool more = !queue_.empty() || !ended_;
    queue_.clear();
    lock.unlock();
    if (!had_room) {
        room_.notify_one();
    }
    return more || !out.empty();
}

grpc::Status RelayStream::status() const {
    std::lock_guard lock(mutex_);
    return status_;
}

}  // namespace netpolgen::collect
