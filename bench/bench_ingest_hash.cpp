// bench_ingest_hash: what identifying an ingest input by its SHA-256 costs, two ways, against the
// plain read measured in the same run (the floor):
//   hook   io::readFlowFile with FlowReadOptions::on_raw_bytes feeding SHA-256 (what `netpolgen
//          ingest` does: one read of the file, hashed block by block as it is parsed);
//   pass   a separate SHA-256 pass over the file (1 MiB read()s), then io::readFlowFile.
//
//   bench_ingest_hash --flows FILE [--runs 5]
//
// Prints best-of-N wall and CPU time of each and its ratio to the floor.
#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench_common.h"
#include "io/flow_reader.h"

namespace {

namespace nb = netpolgen::bench;
namespace io = netpolgen::io;

struct Digest {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};
    Digest() { EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr); }
    void update(std::string_view b) { EVP_DigestUpdate(ctx.get(), b.data(), b.size()); }
    unsigned char first() {
        unsigned char out[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_DigestFinal_ex(ctx.get(), out, &n);
        return out[0];
    }
};

// Reads the flows with a consumer that only counts; `hook` (may be empty) sees the raw bytes.
uint64_t readFlows(const std::string& path, const std::function<void(std::string_view)>& hook) {
    io::FlowReadOptions options;
    options.on_raw_bytes = hook;
    io::FlowReadStats stats;
    uint64_t flows = 0;
    auto st = io::readFlowFile(path, options, stats, [&](const netpolgen::core::FlowObservation&) {
        ++flows;
        return netpolgen::core::Status{};
    });
    if (!st) {
        std::fprintf(stderr, "bench_ingest_hash: %s\n", st.error().c_str());
        std::exit(1);
    }
    return flows;
}

unsigned char hashFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        std::perror(path.c_str());
        std::exit(1);
    }
    std::vector<char> block(1 << 20);
    Digest d;
    ssize_t n = 0;
    while ((n = ::read(fd, block.data(), block.size())) > 0) {
        d.update(std::string_view(block.data(), static_cast<size_t>(n)));
    }
    ::close(fd);
    return d.first();
}

}  // namespace

int main(int argc, char** argv) {
    std::string path;
    int runs = 5;
    if (!nb::parseOptions(argc,
                          argv,
                          "bench_ingest_hash",
                          "bench_ingest_hash --flows FILE [--runs N]",
                          [&](std::string_view arg, std::string_view value) -> std::optional<bool> {
                              if (arg == "--flows") {
                                  path = std::string(value);
                                  return !path.empty();
                              }
                              if (arg == "--runs") {
                                  return nb::parseNumber(value, runs) && runs > 0;
                              }
                              return std::nullopt;
                          }) ||
        path.empty()) {
        return 2;
    }
    uint64_t sink = 0;
    readFlows(path, {});  // warm the page cache
    const nb::Timing floor = nb::bestOf(runs, [&] { sink += readFlows(path, {}); });
    const nb::Timing hook = nb::bestOf(runs, [&] {
        Digest d;
        sink += readFlows(path, [&](std::string_view b) { d.update(b); });
        sink += d.first();
    });
    const nb::Timing pass = nb::bestOf(runs, [&] {
        sink += hashFile(path);
        sink += readFlows(path, {});
    });
    std::printf("| SHA-256 of the input (best of %d) | wall | ratio | CPU | ratio | |\n", runs);
    std::printf("|---|---:|---:|---:|---:|---|\n");
    nb::printTimingRow("floor: readFlowFile, no hash", floor, floor, nb::peakRssMiB());
    nb::printTimingRow(
        "hook: SHA-256 in the read loop (on_raw_bytes)", hook, floor, nb::peakRssMiB());
    nb::printTimingRow(
        "pass: separate SHA-256 pass, then readFlowFile", pass, floor, nb::peakRssMiB());
    std::printf(
        "RESULT floor_s=%.4f hook_s=%.4f pass_s=%.4f floor_cpu_s=%.4f hook_cpu_s=%.4f "
        "pass_cpu_s=%.4f sink=%llu\n",
        floor.wall,
        hook.wall,
        pass.wall,
        floor.cpu,
        hook.cpu,
        pass.cpu,
        static_cast<unsigned long long>(sink));
    return 0;
}
