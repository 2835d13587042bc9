#include "agent/bpf_capture.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <mutex>
#include <thread>

#include "connections.skel.h"

namespace netpolgen::agent {
namespace {

// The layout of `struct conn_key` in connections.bpf.c.
struct ConnKey {
    uint32_t netns;
    uint8_t family;
    uint8_t protocol;
    uint8_t side;
    uint8_t pad;
    uint16_t server_port;
    uint16_t pad2;
    uint8_t client[16];
    uint8_t server[16];
};
static_assert(sizeof(ConnKey) == 44);

constexpr size_t kEdgeCapacity = 65536;  // CONN_ENTRIES in connections.bpf.c
constexpr uint8_t kIpProtoTcp = 6;
constexpr uint8_t kIpProtoUdp = 17;
// Programs that read the old slot finish within microseconds (they run with preemption off);
// this is three orders of magnitude more.
constexpr auto kSlotGrace = std::chrono::milliseconds(5);

// libbpf's messages of the current load, for the error (it prints to stderr otherwise).
std::mutex log_mutex;
std::string* log_sink = nullptr;

int keepLibbpfLog(enum libbpf_print_level level, const char* format, va_list args) {
    if (level == LIBBPF_DEBUG)
        return 0;
    char line[1024];
    vsnprintf(line, sizeof(line), format, args);
    std::lock_guard lock(log_mutex);
    if (log_sink != nullptr && log_sink->size() < 16384)
        *log_sink += line;
    return 0;
}

std::string lastLines(const std::string& log, size_t lines) {
    size_t pos = log.size();
    while (lines > 0 && pos > 0) {
        pos = log.rfind('\n', pos - 1);
        if (pos == std::string::npos)
            return log;
        --lines;
    }
    return log.substr(pos + 1);
}

std::string permissionHint(int error) {
    return error == EPERM || error == EACCES ? " (needs root or CAP_BPF and CAP_PERFMON)" : "";
}

Observation toObservation(const ConnKey& key, uint64_t count) {
    Observation o;
    o.edge.client.family = key.family;
    o.edge.server.family = key.family;
    std::memcpy(o.edge.client.bytes.data(), key.client, 16);
    std::memcpy(o.edge.server.bytes.data(), key.server, 16);
    o.edge.server_port = key.server_port;
    o.edge.protocol = key.protocol == kIpProtoUdp ? core::Protocol::kUdp : core::Protocol::kTcp;
    o.point.netns = key.netns;
    o.point.side = key.side == 0 ? Side::kClient : key.side == 1 ? Side::kServer : Side::kTransit;
    o.count = count;
    return o;
}

}  // namespace

size_t BpfCapture::edgeCapacity() {
    return kEdgeCapacity;
}

core::Result<std::unique_ptr<BpfCapture>> BpfCapture::open() {
    struct stat st {};
    if (::stat(kKernelBtfPath, &st) != 0) {
        return core::Error{std::string("eBPF capture: no kernel BTF at ") + kKernelBtfPath + " (" +
                           std::strerror(errno) +
                           "): the kernel needs CONFIG_DEBUG_INFO_BTF; use --capture conntrack"};
    }
    std::string log;
    {
        std::lock_guard lock(log_mutex);
        log_sink = &log;
    }
    libbpf_print_fn_t previous = libbpf_set_print(keepLibbpfLog);
    connections_bpf* skeleton = connections_bpf::open_and_load();
    int error = skeleton == nullptr ? errno : 0;
    if (skeleton != nullptr) {
        int rc = connections_bpf::attach(skeleton);
        if (rc != 0) {
            error = -rc;
            connections_bpf::destroy(skeleton);
            skeleton = nullptr;
        }
    }
    libbpf_set_print(previous);
    {
        std::lock_guard lock(log_mutex);
        log_sink = nullptr;
    }
    if (skeleton == nullptr) {
        std::string message =
            "eBPF capture: loading the programs failed: " + std::string(std::strerror(error)) +
            permissionHint(error);
        if (!log.empty())
            message += "\n" + lastLines(log, 6);
        return core::Error{message};
    }
    return std::unique_ptr<BpfCapture>(new BpfCapture(skeleton));
}

BpfCapture::BpfCapture(connections_bpf* skeleton)
    : skeleton_(skeleton), possible_cpus_(libbpf_num_possible_cpus()) {}

BpfCapture::~BpfCapture() {
    connections_bpf::destroy(skeleton_);
}

core::Result<std::vector<Observation>> BpfCapture::poll() {
    const uint32_t drained = skeleton_->bss->active_slot;
    __atomic_store_n(&skeleton_->bss->active_slot, drained ^ 1u, __ATOMIC_SEQ_CST);
    std::this_thread::sleep_for(kSlotGrace);
    bpf_map* map = drained == 0 ? skeleton_->maps.conns_0 : skeleton_->maps.conns_1;
    const int fd = bpf_map__fd(map);

    std::vector<ConnKey> keys;
    ConnKey key{};
    ConnKey next{};
    const ConnKey* previous = nullptr;
    while (bpf_map_get_next_key(fd, previous, &next) == 0) {
        keys.push_back(next);
        key = next;
        previous = &key;
    }
    std::vector<Observation> observations;
    observations.reserve(keys.size());
    for (const ConnKey& k : keys) {
        uint64_t total = 0;
        if (bpf_map_lookup_elem(fd, &k, &total) != 0)
            continue;
        bpf_map_delete_elem(fd, &k);
        if (total > 0 && (k.protocol == kIpProtoTcp || k.protocol == kIpProtoUdp)) {
            observations.push_back(toObservation(k, total));
        }
    }
    return observations;
}

uint64_t BpfCapture::lost() const {
    const int fd = bpf_map__fd(skeleton_->maps.lost_events);
    std::vector<uint64_t> per_cpu(static_cast<size_t>(possible_cpus_));
    uint32_t zero = 0;
    if (bpf_map_lookup_elem(fd, &zero, per_cpu.data()) != 0)
        return 0;
    uint64_t total = 0;
    for (uint64_t v : per_cpu)
        total += v;
    return total;
}

}  // namespace netpolgen::agent
