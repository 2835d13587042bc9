// A deterministic synthetic cluster and its traffic, for benchmarks (bench/bench_generate.cpp
// builds it in memory; netpolgen_synth writes it out as manifests and flow files).
//
// The model, from one seed:
//   - M namespaces (team names), W workloads spread over them with a mild skew (a few big
//     namespaces). Pod labels are app=<name> plus one of L shared label sets (team, tier, env and,
//     past 120 sets, shard), so the shared part repeats across workloads. Selectors are app=<name>.
//     1–3 container ports each (http, grpc, databases, a metrics port, a few UDP ports).
//   - Services for a `services_ratio` share of the workloads (selector app=<name>), about 2 %
//     NodePort and 1 % LoadBalancer; default-deny policies in ~5 % of the namespaces, per-app
//     policies for ~2 % of the workloads, a few policies carrying the generated label.
//   - `edges` distinct flow-graph edges (source entity, destination workload, port, protocol):
//     `internet` into every exposed port of an exposed workload, node traffic (`internal`) into the
//     metrics port of ~1 % of the workloads, and workload-to-workload edges for the rest. Callers
//     per destination follow a Zipf law over a random ranking (a few hubs called by many), capped
//     at half the workloads; batch-like workloads (cron-*, worker-*, ~1/8) are called by nobody.
//     A caller is in the destination's namespace with probability `same_namespace`, else anywhere.
//
// Everything is a pure function of the options: the same options give the same model, whatever
// the platform (own PRNG, no std distributions).
//
//   SynthOptions o;  o.workloads = 10'000;  o.edges = 1'000'000;
//   auto model = buildSyntheticModel(o);           // Result<SynthModel>
//   core::FlowGraph graph = buildFlowGraph(*model, o.seed);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/flow_graph.h"
#include "core/result.h"

namespace netpolgen::bench {

// xoshiro256** seeded through splitmix64: fast, and the same sequence on every platform.
class Rng {
public:
    explicit Rng(uint64_t seed) {
        for (uint64_t& s : s_) {
            seed += 0x9e3779b97f4a7c15ULL;
            uint64_t z = seed;
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            s = z ^ (z >> 31);
        }
    }

    uint64_t next() {
        const uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    // Uniform in [0, n); n > 0 (Lemire's multiply-shift; the tiny bias is irrelevant here).
    uint64_t below(uint64_t n) {
        return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
    }
    // Uniform in [0, 1).
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    bool chance(double p) { return uniform() < p; }

private:
    static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    uint64_t s_[4] = {};
};

struct SynthOptions {
    size_t workloads = 1000;
    size_t namespaces = 20;
    size_t label_sets = 50;
    double services_ratio = 0.8;
    double external_ratio = 0.05;  // share of flow lines from outside the cluster (writers)
    uint64_t seed = 1;
    size_t edges = 0;             // distinct graph edges; 0 = 10 per workload
    double zipf_exponent = 1.0;   // callers per destination ∝ rank^-exponent
    double same_namespace = 0.8;  // probability that a caller is in the callee's namespace
};

struct SynthModel {
    core::Cluster cluster;          // as buildCluster() makes it: workloads sorted (ns, kind, name)
    std::vector<uint8_t> replicas;  // per workload of `cluster`
    std::vector<core::EdgeKey> edges;  // distinct, in a random order
    size_t internet_edges = 0;
    size_t internal_edges = 0;  // from the `internal` entity (nodes)
    size_t workload_edges = 0;
    size_t exposed_workloads = 0;  // workloads with traffic from the internet
    size_t max_callers = 0;        // the biggest hub's distinct callers
};

// Errors: no workloads, no namespaces, or more edges than the workloads can carry.
core::Result<SynthModel> buildSyntheticModel(const SynthOptions& options);

// The model's edges as a flow graph: every edge once, with a small count and a first/last seen in
// the week from `base_time`.
core::FlowGraph buildFlowGraph(const SynthModel& model, uint64_t seed, core::Timestamp base_time);

// Identities the writers share, derived from the workload index so they need no storage.
std::string podTemplateHash(size_t workload);            // "7d9f8c6b5"-like, 9 chars
std::string podSuffix(size_t workload, size_t replica);  // "x2lqz"-like, 5 chars
uint32_t podIpV4(size_t workload, size_t replica);       // in 10.128.0.0/9
uint32_t serviceIpV4(size_t service);                    // in 10.96.0.0/12
size_t nodeOf(size_t workload, size_t replica, size_t nodes);

}  // namespace netpolgen::bench
