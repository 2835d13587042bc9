// relay_floor: the floor of bench/relay_collect.sh — GetFlows read from a (fake) Hubble Relay
// with the request `collect --hubble-relay --no-follow` sends, and every flow parsed whole into a
// flow.Flow message by the generated protobuf code: what any client pays to receive the stream,
// before resolving, aggregating or storing anything.
//
//   relay_floor 127.0.0.1:PORT      → "N flows in S s"
#include <chrono>
#include <cstdio>

#include "collect/relay_stream.h"
#include "observer.grpc.pb.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: relay_floor HOST:PORT\n");
        return 2;
    }
    auto channel = grpc::CreateChannel(argv[1], grpc::InsecureChannelCredentials());
    auto stub = observer::Observer::NewStub(channel);
    grpc::ClientContext context;
    const auto start = std::chrono::steady_clock::now();
    auto reader = stub->GetFlows(
        &context, netpolgen::collect::RelayStream::request(std::nullopt, true, false));
    observer::GetFlowsResponse response;
    observer::Flow flow;
    uint64_t flows = 0;
    uint64_t ports = 0;  // read from the parsed flows, so that the parse is not optimized away
    while (reader->Read(&response)) {
        if (response.has_flow() && flow.ParseFromString(response.flow())) {
            ++flows;
            ports += flow.l4().tcp().destination_port();
        }
    }
    const grpc::Status status = reader->Finish();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!status.ok()) {
        std::fprintf(stderr, "relay_floor: %s\n", status.error_message().c_str());
        return 1;
    }
    std::printf("%llu flows in %.3f s (port sum %llu)\n",
                static_cast<unsigned long long>(flows),
                seconds,
                static_cast<unsigned long long>(ports));
    return 0;
}
