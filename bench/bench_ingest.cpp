// bench_ingest: flow ingest throughput against a floor measured in the same run.
//
//   bench_ingest --make-canonical 1000000 /tmp/c.jsonl     write test input (throwaway generator)
//   bench_ingest --make-hubble 1000000 /tmp/h.jsonl
//   bench_ingest --canonical /tmp/c.jsonl --hubble /tmp/h.jsonl [--runs 3]
//
// For each file it times (a) the floor: a bare simdjson On-Demand pass with the same chunking and
// line splitting that extracts the same fields and does nothing else, and (b) io::readFlowFile with
// a consumer that only counts. Each is run --runs times (default 3) and the best run is reported,
// as lines/s, MB/s and the ratio ours / floor (the target is >= 0.5).
#include <simdjson.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/flow_reader.h"

namespace {

using netpolgen::io::FlowFormat;
using netpolgen::io::FlowReadOptions;
using netpolgen::io::FlowReadStats;
using simdjson::SUCCESS;
using Value = simdjson::ondemand::value;

constexpr size_t kChunkBytes = 16u << 20;
constexpr int kDefaultRuns = 3;

// ------------------------------------------------------------------------------------------------
// Throwaway generator (until bench/synth exists): realistic lines with varied names and addresses.

class Random {
public:
    explicit Random(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        state_ = state_ * 6364136223846793005ULL + 1442695040888963407ULL;
        uint64_t x = state_;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        return x;
    }
    uint64_t below(uint64_t n) { return next() % n; }

private:
    uint64_t state_;
};

constexpr const char* kNamespaces[] = {
    "shop", "payments", "identity", "search", "checkout", "catalog", "media", "ml-serving"};
constexpr const char* kWorkloads[] = {"frontend",
                                      "cartservice",
                                      "checkout",
                                      "redis",
                                      "postgres",
                                      "api-gateway",
                                      "recommendation",
                                      "currency",
                                      "shipping",
                                      "email",
                                      "ad-service",
                                      "inventory"};
constexpr const char* kKinds[] = {"Deployment", "StatefulSet", "DaemonSet"};
constexpr uint32_t kPorts[] = {80, 443, 5432, 6379, 7070, 8080, 9090, 9555, 3550, 50051};

struct Peer {
    std::string ns;
    std::string workload;
    std::string kind;
    std::string pod;
    std::string ip;
    uint32_t identity = 0;
};

Peer randomPeer(Random& rng) {
    Peer p;
    p.ns = kNamespaces[rng.below(std::size(kNamespaces))];
    p.workload = kWorkloads[rng.below(std::size(kWorkloads))];
    p.kind = kKinds[rng.below(std::size(kKinds))];
    char pod[64];
    std::snprintf(pod,
                  sizeof pod,
                  "-%06llx-%05llx",
                  static_cast<unsigned long long>(rng.below(0xffffff)),
                  static_cast<unsigned long long>(rng.below(0xfffff)));
    p.pod = p.workload + pod;
    p.ip = "10.244." + std::to_string(rng.below(64)) + "." + std::to_string(1 + rng.below(250));
    p.identity = static_cast<uint32_t>(10000 + rng.below(50000));
    return p;
}

std::string rfc3339(uint64_t nanos) {
    // Seconds since 2026-05-14T00:00:00Z plus nanoseconds; enough for a benchmark.
    const uint64_t base_seconds = nanos / 1000000000ULL;
    const uint64_t ns = nanos % 1000000000ULL;
    char buf[64];
    std::snprintf(buf,
                  sizeof buf,
                  "2026-05-14T%02llu:%02llu:%02llu.%09lluZ",
                  static_cast<unsigned long long>(base_seconds / 3600 % 24),
                  static_cast<unsigned long long>(base_seconds / 60 % 60),
                  static_cast<unsigned long long>(base_seconds % 60),
                  static_cast<unsigned long long>(ns));
    return buf;
}

std::string endpointJson(const Peer& p) {
    return R"({"identity":)" + std::to_string(p.identity) + R"(,"namespace":")" + p.ns +
           R"(","labels":["k8s:app.kubernetes.io/name=)" + p.workload +
           R"(","k8s:io.kubernetes.pod.namespace=)" + p.ns + R"("],"pod_name":")" + p.pod +
           R"(","workloads":[{"name":")" + p.workload + R"(","kind":")" + p.kind + R"("}]})";
}

const std::string kWorldEndpoint = R"({"identity":2,"labels":["reserved:world"]})";

// One Hubble GetFlowsResponse line of about 900 bytes.
std::string hubbleLine(Random& rng,
                       uint64_t nanos,
                       const std::string& src_ip,
                       const std::string& dst_ip,
                       const std::string& src_ep,
                       const std::string& dst_ep,
                       const char* l4,
                       bool reply,
                       bool egress,
                       const char* reason,
                       const char* summary) {
    const std::string time = rfc3339(nanos);
    const char* node = egress ? "prod-eu1/worker-a-1" : "prod-eu1/worker-b-3";
    char uuid[64];
    std::snprintf(uuid,
                  sizeof uuid,
                  "%08llx-%04llx-4%03llx-9%03llx-%012llx",
                  static_cast<unsigned long long>(rng.below(0xffffffffULL)),
                  static_cast<unsigned long long>(rng.below(0xffff)),
                  static_cast<unsigned long long>(rng.below(0xfff)),
                  static_cast<unsigned long long>(rng.below(0xfff)),
                  static_cast<unsigned long long>(rng.below(0xffffffffffffULL)));
    std::string line =
        R"({"flow":{"time":")" + time + R"(","uuid":")" + uuid +
        R"(","emitter":{"name":"Hubble","version":"1.18.2"},"verdict":"FORWARDED",)" +
        R"("IP":{"source":")" + src_ip + R"(","destination":")" + dst_ip +
        R"(","ipVersion":"IPv4"},"l4":)" + l4 + R"(,"source":)" + src_ep + R"(,"destination":)" +
        dst_ep + R"(,"Type":"L3_L4","node_name":")" + node +
        R"(","event_type":{"type":4,"sub_type":)" + (egress ? "5" : "0") +
        R"(},"traffic_direction":")" + (egress ? "EGRESS" : "INGRESS") +
        R"(","trace_observation_point":")" + (egress ? "FROM_ENDPOINT" : "TO_ENDPOINT") +
        R"(","trace_reason":")" + reason + R"(","is_reply":)" + (reply ? "true" : "false") +
        R"(,"Summary":")" + summary + R"("},"node_name":")" + node + R"(","time":")" + time +
        R"("})";
    return line;
}

std::string tcpL4(uint32_t sport, uint32_t dport, const char* flags) {
    return R"({"TCP":{"source_port":)" + std::to_string(sport) + R"(,"destination_port":)" +
           std::to_string(dport) + R"(,"flags":{)" + flags + "}}}";
}

int makeHubble(uint64_t n, const char* path) {
    std::ofstream out(path, std::ios::binary);
    Random rng(42);
    uint64_t nanos = 9ULL * 3600 * 1000000000ULL;
    uint64_t written = 0;
    while (written < n) {
        Peer client = randomPeer(rng);
        Peer server = randomPeer(rng);
        const bool to_world = rng.below(10) == 0;
        const std::string server_ip =
            to_world ? "203.0.113." + std::to_string(1 + rng.below(250)) : server.ip;
        const std::string client_ep = endpointJson(client);
        const std::string server_ep = to_world ? kWorldEndpoint : endpointJson(server);
        const auto sport = static_cast<uint32_t>(32768 + rng.below(28000));
        const uint32_t dport = kPorts[rng.below(std::size(kPorts))];
        nanos += 100000 + rng.below(900000);
        std::vector<std::string> lines;
        // SYN seen at both ends, SYN-ACK reply, then an established segment.
        const std::string syn = tcpL4(sport, dport, R"("SYN":true)");
        lines.push_back(hubbleLine(rng,
                                   nanos,
                                   client.ip,
                                   server_ip,
                                   client_ep,
                                   server_ep,
                                   syn.c_str(),
                                   false,
                                   true,
                                   "NEW",
                                   "TCP Flags: SYN"));
        if (!to_world) {
            lines.push_back(hubbleLine(rng,
                                       nanos + 70000,
                                       client.ip,
                                       server_ip,
                                       client_ep,
                                       server_ep,
                                       syn.c_str(),
                                       false,
                                       false,
                                       "NEW",
                                       "TCP Flags: SYN"));
        }
        const std::string synack = tcpL4(dport, sport, R"("SYN":true,"ACK":true)");
        lines.push_back(hubbleLine(rng,
                                   nanos + 150000,
                                   server_ip,
                                   client.ip,
                                   server_ep,
                                   client_ep,
                                   synack.c_str(),
                                   true,
                                   !to_world,
                                   "REPLY",
                                   "TCP Flags: SYN, ACK"));
        const std::string ack = tcpL4(sport, dport, R"("ACK":true,"PSH":true)");
        lines.push_back(hubbleLine(rng,
                                   nanos + 300000,
                                   client.ip,
                                   server_ip,
                                   client_ep,
                                   server_ep,
                                   ack.c_str(),
                                   false,
                                   true,
                                   "ESTABLISHED",
                                   "TCP Flags: ACK, PSH"));
        if (rng.below(4) == 0) {
            // DNS to kube-dns over UDP.
            const std::string udp = R"({"UDP":{"source_port":)" + std::to_string(sport + 1) +
                                    R"(,"destination_port":53}})";
            Peer dns{"kube-system",
                     "coredns",
                     "Deployment",
                     "coredns-5d78c9869d-abcde",
                     "10.244.0.10",
                     102};
            lines.push_back(hubbleLine(rng,
                                       nanos + 400000,
                                       client.ip,
                                       dns.ip,
                                       client_ep,
                                       endpointJson(dns),
                                       udp.c_str(),
                                       false,
                                       true,
                                       "NEW",
                                       "UDP"));
        }
        for (const std::string& l : lines) {
            if (written == n) {
                break;
            }
            out << l << '\n';
            ++written;
        }
    }
    return out ? 0 : 1;
}

int makeCanonical(uint64_t n, const char* path) {
    std::ofstream out(path, std::ios::binary);
    Random rng(7);
    for (uint64_t i = 0; i < n; ++i) {
        const Peer a = randomPeer(rng);
        const Peer b = randomPeer(rng);
        const uint64_t pick = rng.below(10);
        std::string src = pick == 0   ? std::string("internet")
                          : pick == 1 ? a.ip
                          : pick == 2 ? a.ns + "/" + a.kind + "/" + a.workload
                                      : a.ns + "/" + a.workload;
        std::string line = R"({"src":")" + src + R"(","dst":")" + b.ns + "/" + b.workload +
                           R"(","port":)" + std::to_string(kPorts[rng.below(std::size(kPorts))]);
        if (rng.below(5) == 0) {
            line += R"(,"protocol":"UDP")";
        } else {
            line += R"(,"protocol":"TCP")";
        }
        if (rng.below(2) == 0) {
            line += R"(,"time":")" +
                    rfc3339((9ULL * 3600 + i / 1000) * 1000000000ULL).substr(0, 19) + "Z\"";
        } else {
            line += R"(,"time":)" + std::to_string(1778716800 + i / 1000);
        }
        line += R"(,"count":)" + std::to_string(1 + rng.below(20)) + "}\n";
        out << line;
    }
    return out ? 0 : 1;
}

// ------------------------------------------------------------------------------------------------
// The floor: the same chunked reading and line splitting, one reused parser, the same fields.

struct FloorResult {
    uint64_t lines = 0;
    uint64_t bytes = 0;
    uint64_t checksum = 0;
    bool ok = true;
};

template <typename LineFn>
FloorResult floorPass(const char* path, LineFn&& on_line) {
    FloorResult r;
    std::FILE* f = std::fopen(path, "rb");
    if (f == nullptr) {
        r.ok = false;
        return r;
    }
    const size_t capacity = kChunkBytes + (1u << 20);
    std::unique_ptr<char[]> buf(new char[capacity + simdjson::SIMDJSON_PADDING]());
    simdjson::ondemand::parser parser;
    size_t len = 0;
    while (true) {
        const size_t n = std::fread(buf.get() + len, 1, capacity - len, f);
        r.bytes += n;
        len += n;
        size_t pos = 0;
        while (true) {
            const char* nl =
                static_cast<const char*>(std::memchr(buf.get() + pos, '\n', len - pos));
            if (nl == nullptr) {
                break;
            }
            const size_t end = static_cast<size_t>(nl - buf.get());
            ++r.lines;
            r.checksum += on_line(
                parser, buf.get() + pos, end - pos, capacity + simdjson::SIMDJSON_PADDING - pos);
            pos = end + 1;
        }
        std::memmove(buf.get(), buf.get() + pos, len - pos);
        len -= pos;
        if (n == 0) {
            break;
        }
    }
    std::fclose(f);
    return r;
}

uint64_t sv(simdjson::simdjson_result<std::string_view> r) {
    std::string_view s;
    return std::move(r).get(s) == SUCCESS ? s.size() : 0;
}

uint64_t num(simdjson::simdjson_result<int64_t> r) {
    int64_t n = 0;
    return std::move(r).get(n) == SUCCESS ? static_cast<uint64_t>(n) : 0;
}

uint64_t boolean(simdjson::simdjson_result<bool> r) {
    bool b = false;
    return std::move(r).get(b) == SUCCESS && b ? 1 : 0;
}

uint64_t floorCanonicalLine(simdjson::ondemand::parser& parser,
                            const char* p,
                            size_t n,
                            size_t cap) {
    simdjson::ondemand::document doc;
    if (parser.iterate(p, n, cap).get(doc) != SUCCESS) {
        return 0;
    }
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj) != SUCCESS) {
        return 0;
    }
    uint64_t sum = 0;
    for (auto field_result : obj) {
        simdjson::ondemand::field field;
        if (std::move(field_result).get(field) != SUCCESS) {
            return sum;
        }
        const auto key = field.key();
        Value& v = field.value();
        if (key == "src" || key == "dst" || key == "protocol") {
            sum += sv(v.get_string());
        } else if (key == "port" || key == "count") {
            sum += num(v.get_int64());
        } else if (key == "time") {
            simdjson::ondemand::json_type t{};
            if (v.type().get(t) == SUCCESS && t == simdjson::ondemand::json_type::string) {
                sum += sv(v.get_string());
            } else {
                sum += num(v.get_int64());
            }
        }
    }
    return sum;
}

uint64_t floorEndpoint(Value& v) {
    simdjson::ondemand::object obj;
    if (v.get_object().get(obj) != SUCCESS) {
        return 0;
    }
    uint64_t sum = 0;
    for (auto field_result : obj) {
        simdjson::ondemand::field field;
        if (std::move(field_result).get(field) != SUCCESS) {
            return sum;
        }
        const auto key = field.key();
        Value& fv = field.value();
        if (key == "namespace" || key == "pod_name") {
            sum += sv(fv.get_string());
        } else if (key == "labels") {
            simdjson::ondemand::array labels;
            if (fv.get_array().get(labels) == SUCCESS) {
                for (auto label : labels) {
                    simdjson::ondemand::raw_json_string raw;
                    if (label.get_raw_json_string().get(raw) == SUCCESS) {
                        sum += static_cast<unsigned char>(raw.raw()[0]);
                    }
                }
            }
        } else if (key == "workloads") {
            simdjson::ondemand::array workloads;
            if (fv.get_array().get(workloads) == SUCCESS) {
                for (auto w : workloads) {
                    sum += sv(w.find_field_unordered("name").get_string());
                    break;
                }
            }
        }
    }
    return sum;
}

uint64_t floorPorts(Value& v) {
    simdjson::ondemand::object obj;
    if (v.get_object().get(obj) != SUCCESS) {
        return 0;
    }
    uint64_t sum = 0;
    for (auto field_result : obj) {
        simdjson::ondemand::field field;
        if (std::move(field_result).get(field) != SUCCESS) {
            return sum;
        }
        const auto key = field.key();
        Value& fv = field.value();
        if (key == "source_port" || key == "destination_port") {
            sum += num(fv.get_int64());
        } else if (key == "flags") {
            simdjson::ondemand::object flags;
            if (fv.get_object().get(flags) == SUCCESS) {
                for (auto flag_result : flags) {
                    simdjson::ondemand::field flag;
                    if (std::move(flag_result).get(flag) != SUCCESS) {
                        break;
                    }
                    if (flag.key() == "SYN" || flag.key() == "ACK") {
                        sum += boolean(flag.value().get_bool());
                    }
                }
            }
        }
    }
    return sum;
}

uint64_t floorFlow(Value& v) {
    simdjson::ondemand::object obj;
    if (v.get_object().get(obj) != SUCCESS) {
        return 0;
    }
    uint64_t sum = 0;
    for (auto field_result : obj) {
        simdjson::ondemand::field field;
        if (std::move(field_result).get(field) != SUCCESS) {
            return sum;
        }
        const auto key = field.key();
        Value& fv = field.value();
        if (key == "time" || key == "verdict") {
            sum += sv(fv.get_string());
        } else if (key == "is_reply") {
            sum += boolean(fv.get_bool());
        } else if (key == "IP") {
            simdjson::ondemand::object ip;
            if (fv.get_object().get(ip) == SUCCESS) {
                for (auto ip_field_result : ip) {
                    simdjson::ondemand::field ip_field;
                    if (std::move(ip_field_result).get(ip_field) != SUCCESS) {
                        break;
                    }
                    if (ip_field.key() == "source" || ip_field.key() == "destination") {
                        sum += sv(ip_field.value().get_string());
                    }
                }
            }
        } else if (key == "l4") {
            simdjson::ondemand::object l4;
            if (fv.get_object().get(l4) == SUCCESS) {
                for (auto proto_result : l4) {
                    simdjson::ondemand::field proto;
                    if (std::move(proto_result).get(proto) != SUCCESS) {
                        break;
                    }
                    sum += floorPorts(proto.value());
                }
            }
        } else if (key == "source" || key == "destination") {
            sum += floorEndpoint(fv);
        }
    }
    return sum;
}

uint64_t floorHubbleLine(simdjson::ondemand::parser& parser, const char* p, size_t n, size_t cap) {
    simdjson::ondemand::document doc;
    if (parser.iterate(p, n, cap).get(doc) != SUCCESS) {
        return 0;
    }
    simdjson::ondemand::object obj;
    if (doc.get_object().get(obj) != SUCCESS) {
        return 0;
    }
    uint64_t sum = 0;
    for (auto field_result : obj) {
        simdjson::ondemand::field field;
        if (std::move(field_result).get(field) != SUCCESS) {
            return sum;
        }
        if (field.key() == "flow") {
            sum += floorFlow(field.value());
        } else if (field.key() == "time") {
            sum += sv(field.value().get_string());
        }
    }
    return sum;
}

// ------------------------------------------------------------------------------------------------

// Wall time and the thread's CPU time (user + system). On a shared machine the CPU time is the
// steadier of the two: it does not count the time the process waits for a core.
struct Stamp {
    std::chrono::steady_clock::time_point wall;
    double cpu = 0;
};

Stamp now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return {std::chrono::steady_clock::now(),
            static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9};
}

struct Measure {
    double wall = 1e300;  // best of the runs
    double cpu = 1e300;   // best of the runs
    uint64_t lines = 0;
    uint64_t bytes = 0;

    void add(const Stamp& a, const Stamp& b) {
        wall = std::min(wall, std::chrono::duration<double>(b.wall - a.wall).count());
        cpu = std::min(cpu, b.cpu - a.cpu);
    }
};

// Which passes to time; profiling one alone (perf stat / record) is easier with --only.
enum class Only : uint8_t { kBoth, kFloor, kOurs };

bool benchFile(const char* label, const char* path, FlowFormat format, int runs, Only only) {
    Measure floor;
    Measure ours;
    FlowReadStats last;
    uint64_t checksum = 0;
    const auto run_floor = [&]() {
        const Stamp t0 = now();
        const FloorResult fr = format == FlowFormat::kHubble ? floorPass(path, floorHubbleLine)
                                                             : floorPass(path, floorCanonicalLine);
        const Stamp t1 = now();
        if (!fr.ok) {
            std::fprintf(stderr, "cannot read %s\n", path);
            return false;
        }
        checksum += fr.checksum;
        floor.add(t0, t1);
        floor.lines = fr.lines;
        floor.bytes = fr.bytes;
        return true;
    };
    const auto run_ours = [&]() {
        FlowReadStats stats;
        uint64_t flows = 0;
        const Stamp t0 = now();
        auto st = netpolgen::io::readFlowFile(path, {}, stats, [&](const auto& f) {
            flows += f.count;
            return netpolgen::core::Status();
        });
        const Stamp t1 = now();
        if (!st.ok()) {
            std::fprintf(stderr, "%s\n", st.error().c_str());
            return false;
        }
        ours.add(t0, t1);
        ours.lines = stats.lines;
        ours.bytes = stats.bytes;
        last = stats;
        checksum += flows;
        return true;
    };
    for (int run = 0; run < runs; ++run) {
        if (only != Only::kOurs && !run_floor()) {
            return false;
        }
        if (only != Only::kFloor && !run_ours()) {
            return false;
        }
    }
    const auto row = [&](const char* method, const Measure& m) {
        std::printf("| %-9s | %-25s | %9llu | %6.3f | %6.3f | %9.0f | %7.1f | %9.0f | %7.1f |\n",
                    label,
                    method,
                    static_cast<unsigned long long>(m.lines),
                    m.wall,
                    m.cpu,
                    static_cast<double>(m.lines) / m.wall,
                    static_cast<double>(m.bytes) / 1e6 / m.wall,
                    static_cast<double>(m.lines) / m.cpu,
                    static_cast<double>(m.bytes) / 1e6 / m.cpu);
    };
    if (only != Only::kOurs) {
        row("floor: bare simdjson", floor);
    }
    if (only != Only::kFloor) {
        row("readFlowFile", ours);
    }
    if (only == Only::kBoth) {
        const double wall_ratio = floor.wall / ours.wall;
        const double cpu_ratio = floor.cpu / ours.cpu;
        std::printf("| %-9s | %-25s | %9s | %6s | %6s | %9.2f | %7.2f | %9.2f | %7.2f |\n",
                    label,
                    "ratio ours / floor",
                    "",
                    "",
                    "",
                    wall_ratio,
                    wall_ratio,
                    cpu_ratio,
                    cpu_ratio);
    }
    std::fprintf(stderr,
                 "  %s: flows %llu, replies %llu, not-initial %llu, duplicates %llu, dropped %llu, "
                 "non-flow %llu, invalid %llu (checksum %llu)\n",
                 label,
                 static_cast<unsigned long long>(last.flows),
                 static_cast<unsigned long long>(last.skipped_replies),
                 static_cast<unsigned long long>(last.skipped_not_initial),
                 static_cast<unsigned long long>(last.skipped_duplicates),
                 static_cast<unsigned long long>(last.skipped_dropped),
                 static_cast<unsigned long long>(last.skipped_non_flow),
                 static_cast<unsigned long long>(last.invalid),
                 static_cast<unsigned long long>(checksum));
    return true;
}

int usage() {
    std::fprintf(
        stderr,
        "usage: bench_ingest --canonical FILE --hubble FILE [--runs N] [--only floor|ours]\n"
        "       bench_ingest --make-canonical N FILE | --make-hubble N FILE\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    const char* canonical = nullptr;
    const char* hubble = nullptr;
    int runs = kDefaultRuns;
    Only only = Only::kBoth;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if ((arg == "--make-canonical" || arg == "--make-hubble") && i + 2 < argc) {
            const uint64_t n = std::strtoull(argv[i + 1], nullptr, 10);
            return arg == "--make-hubble" ? makeHubble(n, argv[i + 2])
                                          : makeCanonical(n, argv[i + 2]);
        }
        if (arg == "--canonical" && i + 1 < argc) {
            canonical = argv[++i];
        } else if (arg == "--hubble" && i + 1 < argc) {
            hubble = argv[++i];
        } else if (arg == "--only" && i + 1 < argc) {
            const std::string_view which = argv[++i];
            only = which == "floor" ? Only::kFloor : which == "ours" ? Only::kOurs : Only::kBoth;
        } else if (arg == "--runs" && i + 1 < argc) {
            runs = std::max(1, std::atoi(argv[++i]));
        } else {
            return usage();
        }
    }
    if (canonical == nullptr && hubble == nullptr) {
        return usage();
    }
    // "wall": elapsed time; "CPU": the thread's CPU time (steadier when the machine is shared).
    std::printf(
        "| format    | method                    |     lines | wall s |  CPU s | lines/s/w | "
        "MB/s/w  "
        "| lines/s/c | MB/s/c  |\n");
    std::printf(
        "|-----------|---------------------------|-----------|--------|--------|-----------|-------"
        "--"
        "|-----------|---------|\n");
    bool ok = true;
    if (canonical != nullptr) {
        ok = benchFile("canonical", canonical, FlowFormat::kCanonical, runs, only) && ok;
    }
    if (hubble != nullptr) {
        ok = benchFile("hubble", hubble, FlowFormat::kHubble, runs, only) && ok;
    }
    return ok ? 0 : 1;
}
