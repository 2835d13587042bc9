// BpfCapture: the node's new connections counted by the agent's eBPF programs
// (src/agent/bpf/connections.bpf.c), loaded from the skeleton embedded at build time and
// relocated against the running kernel's BTF (CO-RE).
//
// The programs count into one of two hash maps; poll() switches them to the other, waits for
// programs still running on the old one to finish (they run for microseconds, with preemption
// off), then reads and empties it. So no count is lost or read twice between polls, and the
// maps only need to hold the distinct edges of one interval.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agent/observation.h"

struct connections_bpf;

namespace netpolgen::agent {

class BpfCapture final : public ConnectionSource {
public:
    // Checks the kernel's BTF, loads and attaches the programs. The error says what is missing
    // ("no BTF at /sys/kernel/btf/vmlinux", "loading BPF programs: Operation not permitted
    // (needs CAP_BPF and CAP_PERFMON)", the verifier's complaint).
    static core::Result<std::unique_ptr<BpfCapture>> open();
    ~BpfCapture() override;
    BpfCapture(const BpfCapture&) = delete;
    BpfCapture& operator=(const BpfCapture&) = delete;

    std::string name() const override { return "bpf"; }
    core::Result<std::vector<Observation>> poll() override;
    uint64_t lost() const override;

    // Entries a counting map holds: the distinct edges one interval may bring.
    static size_t edgeCapacity();

private:
    explicit BpfCapture(connections_bpf* skeleton);

    connections_bpf* skeleton_;
    int possible_cpus_;
};

// The BTF file libbpf relocates against; missing on kernels built without CONFIG_DEBUG_INFO_BTF.
inline constexpr const char* kKernelBtfPath = "/sys/kernel/btf/vmlinux";

}  // namespace netpolgen::agent
