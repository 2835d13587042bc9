#include "synth/synth_output.h"

#include <fmt/compile.h>
#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <string_view>
#include <vector>

#include "core/cluster_index.h"

namespace netpolgen::bench {
namespace {

// A file written through one memory buffer, flushed every kFlushAt bytes.
class BufferedFile {
public:
    static constexpr size_t kFlushAt = size_t{4} << 20;

    explicit BufferedFile(const std::string& path)
        : path_(path), file_(std::fopen(path.c_str(), "wb")) {
        if (file_ == nullptr) {
            error_ = "cannot write " + path + ": " + std::strerror(errno);
        }
    }
    ~BufferedFile() {
        if (file_ != nullptr) {
            std::fclose(file_);
        }
    }
    BufferedFile(const BufferedFile&) = delete;
    BufferedFile& operator=(const BufferedFile&) = delete;

    bool ok() const { return error_.empty(); }
    const std::string& error() const { return error_; }
    fmt::memory_buffer& buffer() { return buf_; }
    auto out() { return std::back_inserter(buf_); }
    void append(std::string_view s) { buf_.append(s.data(), s.data() + s.size()); }

    void endLine() {
        buf_.push_back('\n');
        if (buf_.size() >= kFlushAt) {
            flush();
        }
    }

    core::Result<WriteStats> close(WriteStats stats) {
        flush();
        if (file_ != nullptr && std::fclose(file_) != 0 && error_.empty()) {
            error_ = "cannot write " + path_ + ": " + std::strerror(errno);
        }
        file_ = nullptr;
        if (!error_.empty()) {
            return core::Error{error_};
        }
        stats.bytes = bytes_;
        return stats;
    }

private:
    void flush() {
        if (file_ != nullptr && buf_.size() > 0 &&
            std::fwrite(buf_.data(), 1, buf_.size(), file_) != buf_.size() && error_.empty()) {
            error_ = "cannot write " + path_ + ": " + std::strerror(errno);
        }
        bytes_ += buf_.size();
        buf_.clear();
    }

    std::string path_;
    std::FILE* file_;
    std::string error_;
    fmt::memory_buffer buf_;
    uint64_t bytes_ = 0;
};

// ---- time -----------------------------------------------------------------------------------

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// "YYYY-MM-DDTHH:MM:SS" of Unix seconds, cached per second (lines come in time order).
class TimeText {
public:
    std::string_view seconds(core::Timestamp t) {
        if (t != cached_) {
            cached_ = t;
            const int64_t days = (t >= 0 ? t : t - 86399) / 86400;
            const int64_t sod = t - days * 86400;
            const int64_t z = days + 719468;
            const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
            const auto doe = static_cast<unsigned>(z - era * 146097);
            const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
            const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            const unsigned mp = (5 * doy + 2) / 153;
            const unsigned d = doy - (153 * mp + 2) / 5 + 1;
            const unsigned m = mp < 10 ? mp + 3 : mp - 9;
            const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
            auto end = fmt::format_to(text_.data(),
                                      FMT_COMPILE("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}"),
                                      y,
                                      m,
                                      d,
                                      sod / 3600,
                                      sod / 60 % 60,
                                      sod % 60);
            size_ = static_cast<size_t>(end - text_.data());
        }
        return {text_.data(), size_};
    }

private:
    core::Timestamp cached_ = core::kUndated;
    std::array<char, 40> text_{};
    size_t size_ = 0;
};

constexpr uint64_t kWeekSeconds = 7 * 86400;

// ---- YAML -----------------------------------------------------------------------------------

void labelsYaml(BufferedFile& f, std::string_view indent, const core::Labels& labels) {
    for (const auto& [key, value] : labels) {
        fmt::format_to(f.out(), "{}{}: \"{}\"\n", indent, key, value);
    }
}

void selectorYaml(BufferedFile& f, std::string_view indent, const core::LabelSelector& s) {
    if (s.empty()) {
        f.append(" {}\n");
        return;
    }
    fmt::format_to(f.out(), "\n{}matchLabels:\n", indent);
    labelsYaml(f, std::string(indent) + "  ", s.match_labels);
}

void namespaceYaml(BufferedFile& f, const core::Namespace& ns) {
    fmt::format_to(f.out(),
                   "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {}\n  labels:\n",
                   ns.name);
    labelsYaml(f, "    ", ns.labels);
}

void workloadYaml(BufferedFile& f, const core::Workload& w, unsigned replicas) {
    const std::string_view kind = core::workloadKindName(w.kind);
    fmt::format_to(f.out(),
                   "---\napiVersion: apps/v1\nkind: {}\nmetadata:\n  name: {}\n  namespace: {}\n"
                   "  labels:\n    app: \"{}\"\nspec:\n",
                   kind,
                   w.name,
                   w.ns,
                   w.name);
    if (w.kind != core::WorkloadKind::kDaemonSet) {
        fmt::format_to(f.out(), "  replicas: {}\n", replicas);
    }
    if (w.kind == core::WorkloadKind::kStatefulSet) {
        fmt::format_to(f.out(), "  serviceName: {}\n", w.name);
    }
    f.append("  selector:");
    selectorYaml(f, "    ", w.selector.value_or(core::LabelSelector{}));
    f.append("  template:\n    metadata:\n      labels:\n");
    labelsYaml(f, "        ", w.pod_labels);
    fmt::format_to(f.out(),
                   "    spec:\n      containers:\n      - name: {}\n"
                   "        image: registry.example.com/{}/{}:1.4.2\n        ports:\n",
                   w.name,
                   w.ns,
                   w.name);
    for (const auto& p : w.ports) {
        fmt::format_to(f.out(),
                       "        - name: {}\n          containerPort: {}\n          protocol: {}\n",
                       p.name,
                       p.port,
                       core::protocolName(p.protocol));
    }
}

void serviceYaml(BufferedFile& f, const core::Service& s) {
    fmt::format_to(f.out(),
                   "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {}\n  namespace: {}\n"
                   "spec:\n  type: {}\n",
                   s.name,
                   s.ns,
                   s.type);
    if (!s.cluster_ips.empty()) {
        fmt::format_to(f.out(), "  clusterIP: {}\n", s.cluster_ips.front().toString());
    }
    if (s.selector) {
        f.append("  selector:\n");
        labelsYaml(f, "    ", *s.selector);
    }
    f.append("  ports:\n");
    for (const auto& p : s.ports) {
        fmt::format_to(f.out(),
                       "  - name: {}\n    port: {}\n    protocol: {}\n",
                       p.name,
                       p.port,
                       core::protocolName(p.protocol));
        if (p.target_port.isNamed()) {
            fmt::format_to(f.out(), "    targetPort: {}\n", p.target_port.name);
        } else if (p.target_port.number != 0) {
            fmt::format_to(f.out(), "    targetPort: {}\n", p.target_port.number);
        }
        if (p.node_port != 0) {
            fmt::format_to(f.out(), "    nodePort: {}\n", p.node_port);
        }
    }
}

void policyYaml(BufferedFile& f, const core::NetworkPolicy& p) {
    fmt::format_to(f.out(),
                   "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
                   "  name: {}\n  namespace: {}\n",
                   p.name,
                   p.ns);
    if (!p.labels.empty()) {
        f.append("  labels:\n");
        labelsYaml(f, "    ", p.labels);
    }
    f.append("spec:\n  podSelector:");
    selectorYaml(f, "    ", p.pod_selector);
    f.append("  policyTypes:\n  - Ingress\n");
    if (p.ingress.empty()) {
        return;
    }
    f.append("  ingress:\n");
    for (const auto& rule : p.ingress) {
        bool first = true;
        auto item = [&] {
            const char* lead = first ? "  - " : "    ";
            first = false;
            return lead;
        };
        if (!rule.peers.empty()) {
            fmt::format_to(f.out(), "{}from:\n", item());
            for (const auto& peer : rule.peers) {
                bool first_key = true;
                if (peer.namespace_selector) {
                    f.append("    - namespaceSelector:");
                    selectorYaml(f, "        ", *peer.namespace_selector);
                    first_key = false;
                }
                if (peer.pod_selector) {
                    f.append(first_key ? "    - podSelector:" : "      podSelector:");
                    selectorYaml(f, "        ", *peer.pod_selector);
                }
            }
        }
        if (!rule.ports.empty()) {
            fmt::format_to(f.out(), "{}ports:\n", item());
            for (const auto& port : rule.ports) {
                fmt::format_to(f.out(), "    - protocol: {}\n", core::protocolName(port.protocol));
                if (port.port) {
                    fmt::format_to(f.out(), "      port: {}\n", port.port->number);
                }
            }
        }
        if (first) {
            f.append("  - {}\n");
        }
    }
}

// ---- flows ----------------------------------------------------------------------------------

// Which edge the i-th line (or connection) shows: every edge once first, then at random, with an
// `external_ratio` share of the lines from outside the cluster.
class EdgePicker {
public:
    EdgePicker(const SynthModel& model, double external_ratio, uint64_t seed)
        : model_(model), external_ratio_(external_ratio), rng_(seed) {
        for (size_t i = 0; i < model.edges.size(); ++i) {
            if (model.edges[i].src == core::kInternetEntity) {
                external_.push_back(static_cast<uint32_t>(i));
            }
        }
    }

    const core::EdgeKey& next() {
        const size_t n = model_.edges.size();
        if (served_ < n) {
            return model_.edges[served_++];
        }
        if (!external_.empty() && rng_.chance(external_ratio_)) {
            return model_.edges[external_[rng_.below(external_.size())]];
        }
        return model_.edges[rng_.below(n)];
    }

private:
    const SynthModel& model_;
    double external_ratio_;
    Rng rng_;
    std::vector<uint32_t> external_;
    size_t served_ = 0;
};

constexpr std::array<uint8_t, 14> kPublicFirstOctets = {
    3, 13, 18, 23, 34, 35, 44, 52, 54, 63, 64, 104, 151, 185};

uint32_t publicIp(Rng& rng) {
    const uint32_t first = kPublicFirstOctets[rng.below(kPublicFirstOctets.size())];
    return (first << 24) | static_cast<uint32_t>(rng.below(1u << 24));
}

uint32_t nodeIp(size_t node) {
    return (10u << 24) | static_cast<uint32_t>((node / 250) << 8) |
           static_cast<uint32_t>(1 + node % 250);
}

// "a.b.c.d" into a small buffer.
struct Ip4Text {
    explicit Ip4Text(uint32_t v) {
        auto end = fmt::format_to(text.data(),
                                  FMT_COMPILE("{}.{}.{}.{}"),
                                  v >> 24,
                                  (v >> 16) & 255,
                                  (v >> 8) & 255,
                                  v & 255);
        size = static_cast<size_t>(end - text.data());
    }
    std::string_view view() const { return {text.data(), size}; }
    std::array<char, 16> text{};
    size_t size = 0;
};

std::vector<std::string> workloadRefs(const core::Cluster& cluster) {
    std::vector<std::string> refs;
    refs.reserve(cluster.workloads.size());
    for (const auto& w : cluster.workloads) {
        refs.push_back(w.ns + "/" + w.name);
    }
    return refs;
}

size_t nodeCount(const SynthModel& model) {
    return std::max<size_t>(3, model.cluster.workloads.size() / 30);
}

// The Hubble Endpoint object of every pod, and what else the Hubble writer needs per workload.
struct HubblePods {
    std::vector<size_t> first_pod;      // per workload, index into `endpoint`
    std::vector<std::string> endpoint;  // per pod: the JSON object
    std::vector<std::string> interface_name;
    std::vector<uint32_t> ip;
    std::vector<uint32_t> node;
    std::vector<int> service;  // per workload: its Service (same name), or -1
};

HubblePods hubblePods(const SynthModel& model) {
    const core::Cluster& cluster = model.cluster;
    HubblePods pods;
    const size_t nodes = nodeCount(model);
    pods.service.assign(cluster.workloads.size(), -1);
    const core::ClusterIndex index(cluster);
    for (size_t s = 0; s < cluster.services.size(); ++s) {
        for (size_t w : index.selectedBy(s)) {
            pods.service[w] = static_cast<int>(s);
        }
    }
    for (size_t w = 0; w < cluster.workloads.size(); ++w) {
        const core::Workload& wl = cluster.workloads[w];
        pods.first_pod.push_back(pods.endpoint.size());
        const std::string hash = podTemplateHash(w);
        for (size_t r = 0; r < model.replicas[w]; ++r) {
            const size_t pod = pods.endpoint.size();
            fmt::memory_buffer b;
            auto out = std::back_inserter(b);
            fmt::format_to(out,
                           R"({{"ID":{},"identity":{},"namespace":"{}","labels":[)",
                           100 + pod % 4000,
                           65536 + w,
                           wl.ns);
            bool first = true;
            auto label = [&](std::string_view k, std::string_view v) {
                fmt::format_to(out, R"({}"k8s:{}={}")", first ? "" : ",", k, v);
                first = false;
            };
            for (const auto& [k, v] : wl.pod_labels) {
                if (k < "io.") {
                    label(k, v);
                }
            }
            label("io.kubernetes.pod.namespace", wl.ns);
            for (const auto& [k, v] : wl.pod_labels) {
                if (k >= "io.") {
                    label(k, v);
                }
            }
            fmt::format_to(out,
                           R"(],"pod_name":"{}-{}-{}","workloads":[{{"name":"{}","kind":"{}"}}]}})",
                           wl.name,
                           hash,
                           podSuffix(w, r),
                           wl.name,
                           core::workloadKindName(wl.kind));
            pods.endpoint.emplace_back(b.data(), b.size());
            pods.interface_name.push_back(
                fmt::format("lxc{:012x}", (w * 2654435761u + r) & 0xffffffffffffULL));
            pods.ip.push_back(podIpV4(w, r));
            pods.node.push_back(static_cast<uint32_t>(nodeOf(w, r, nodes)));
        }
    }
    return pods;
}

// One side of a Hubble line: the endpoint JSON, its address and the node that reports it.
struct Side {
    std::string_view endpoint;
    Ip4Text ip;
    size_t node = 0;
    int interface = -1;  // pod index for `interface`, or -1
};

enum class Point : uint8_t { kFromEndpoint, kToEndpoint, kPolicyVerdict };

struct HubbleLine {
    const Side* src = nullptr;  // the packet's source (for a reply, the callee)
    const Side* dst = nullptr;
    uint32_t src_port = 0;
    uint32_t dst_port = 0;
    core::Protocol protocol = core::Protocol::kTcp;
    Point point = Point::kFromEndpoint;
    bool ingress = false;  // traffic_direction
    bool reply = false;
    bool ack = false;  // TCP: SYN-ACK for replies, ACK|PSH for an established segment
    bool established = false;
    int service = -1;     // destination_service of the connection's callee
    int64_t time_ns = 0;  // nanoseconds after `seconds`
    core::Timestamp seconds = 0;
};

class HubbleFormatter {
public:
    HubbleFormatter(const SynthModel& model,
                    const HubblePods& pods,
                    BufferedFile& file,
                    uint64_t seed)
        : model_(model), pods_(pods), f_(file), rng_(seed) {}

    void write(const HubbleLine& l) {
        core::Timestamp sec = l.seconds + l.time_ns / 1000000000;
        const int64_t nanos = l.time_ns % 1000000000;
        const std::string_view time = time_.seconds(sec);
        const size_t node = l.point == Point::kFromEndpoint ? l.src->node : l.dst->node;
        const uint64_t u1 = rng_.next();
        const uint64_t u2 = rng_.next();
        auto out = f_.out();
        fmt::format_to(
            out,
            FMT_COMPILE(
                R"({{"flow":{{"time":"{}.{:09}Z","uuid":"{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",)"
                R"("verdict":"FORWARDED",)"
                R"("IP":{{"source":"{}","destination":"{}","ipVersion":"IPv4"}},"l4":{{)"),
            time,
            nanos,
            u1 >> 32,
            (u1 >> 16) & 0xffff,
            u1 & 0xfff,
            0x8000 | ((u2 >> 48) & 0x3fff),
            u2 & 0xffffffffffffULL,
            l.src->ip.view(),
            l.dst->ip.view());
        const bool tcp = l.protocol == core::Protocol::kTcp;
        fmt::format_to(out,
                       FMT_COMPILE(R"("{}":{{"source_port":{},"destination_port":{})"),
                       tcp ? "TCP" : "UDP",
                       l.src_port,
                       l.dst_port);
        if (tcp) {
            if (l.established) {
                f_.append(R"(,"flags":{"PSH":true,"ACK":true})");
            } else if (l.ack) {
                f_.append(R"(,"flags":{"SYN":true,"ACK":true})");
            } else {
                f_.append(R"(,"flags":{"SYN":true})");
            }
        }
        f_.append(R"(}},"source":)");
        f_.append(l.src->endpoint);
        f_.append(R"(,"destination":)");
        f_.append(l.dst->endpoint);
        fmt::format_to(out, FMT_COMPILE(R"(,"Type":"L3_L4","node_name":"synth/worker-{}",)"), node);
        switch (l.point) {
            case Point::kFromEndpoint:
                f_.append(R"("event_type":{"type":4,"sub_type":5},)");
                break;
            case Point::kToEndpoint:
                f_.append(R"("event_type":{"type":4},)");
                break;
            case Point::kPolicyVerdict:
                f_.append(R"("event_type":{"type":5},)");
                break;
        }
        if (l.service >= 0 && !l.reply) {
            const core::Service& svc = model_.cluster.services[static_cast<size_t>(l.service)];
            fmt::format_to(
                out,
                FMT_COMPILE(R"("destination_service":{{"name":"{}","namespace":"{}"}},)"),
                svc.name,
                svc.ns);
        }
        fmt::format_to(
            out, FMT_COMPILE(R"("traffic_direction":"{}",)"), l.ingress ? "INGRESS" : "EGRESS");
        if (l.point == Point::kPolicyVerdict) {
            f_.append(R"("policy_match_type":4,"is_reply":false)");
        } else {
            fmt::format_to(
                out,
                FMT_COMPILE(R"("trace_observation_point":"{}","trace_reason":"{}","is_reply":{})"),
                l.point == Point::kFromEndpoint ? "FROM_ENDPOINT" : "TO_ENDPOINT",
                l.reply         ? "REPLY"
                : l.established ? "ESTABLISHED"
                                : "NEW",
                l.reply ? "true" : "false");
        }
        const Side* pod_side = l.point == Point::kFromEndpoint ? l.src : l.dst;
        if (pod_side->interface >= 0) {
            const auto pod = static_cast<size_t>(pod_side->interface);
            fmt::format_to(out,
                           FMT_COMPILE(R"(,"interface":{{"index":{},"name":"{}"}})"),
                           10 + pod % 200,
                           pods_.interface_name[pod]);
        }
        fmt::format_to(out,
                       FMT_COMPILE(R"(}},"node_name":"synth/worker-{}","time":"{}.{:09}Z"}})"),
                       node,
                       time,
                       nanos);
        f_.endLine();
    }

private:
    const SynthModel& model_;
    const HubblePods& pods_;
    BufferedFile& f_;
    Rng rng_;
    TimeText time_;
};

}  // namespace

core::Timestamp defaultBaseTime() {
    return daysFromCivil(2026, 11, 20) * 86400;
}

core::Result<WriteStats> writeClusterYaml(const SynthModel& model, const std::string& path) {
    BufferedFile f(path);
    if (!f.ok()) {
        return core::Error{f.error()};
    }
    WriteStats stats;
    const core::Cluster& c = model.cluster;
    for (const auto& ns : c.namespaces) {
        namespaceYaml(f, ns);
        f.endLine();  // flushes when big; the blank line ends nothing in YAML
    }
    for (size_t w = 0; w < c.workloads.size(); ++w) {
        workloadYaml(f, c.workloads[w], model.replicas[w]);
    }
    for (const auto& s : c.services) {
        serviceYaml(f, s);
    }
    for (const auto& p : c.policies) {
        policyYaml(f, p.policy);
    }
    stats.lines = c.namespaces.size() + c.workloads.size() + c.services.size() + c.policies.size();
    return f.close(stats);
}

core::Result<WriteStats> writeCanonicalFlows(const SynthModel& model,
                                             const FlowWriteOptions& options,
                                             const std::string& path) {
    BufferedFile f(path);
    if (!f.ok()) {
        return core::Error{f.error()};
    }
    WriteStats stats;
    if (model.edges.empty()) {
        return f.close(stats);
    }
    const std::vector<std::string> refs = workloadRefs(model.cluster);
    const size_t nodes = nodeCount(model);
    EdgePicker picker(model, options.external_ratio, options.seed ^ 0xca40c1ULL);
    Rng rng(options.seed ^ 0x11e5ULL);
    TimeText time;
    const uint64_t lines = options.lines;
    for (uint64_t i = 0; i < lines; ++i) {
        const core::EdgeKey& e = picker.next();
        const auto t =
            options.base_time +
            static_cast<core::Timestamp>(static_cast<unsigned __int128>(i) * kWeekSeconds / lines);
        const uint64_t count = rng.below(8) == 0 ? 2 + rng.below(40) : 1;
        const std::string_view dst = refs[core::workloadIndex(e.dst)];
        const std::string_view proto = core::protocolName(e.protocol);
        auto out = f.out();
        if (core::isWorkloadEntity(e.src)) {
            fmt::format_to(
                out,
                FMT_COMPILE(
                    R"({{"src":"{}","dst":"{}","port":{},"protocol":"{}","time":"{}Z","count":{}}})"),
                refs[core::workloadIndex(e.src)],
                dst,
                e.port,
                proto,
                time.seconds(t),
                count);
        } else {
            // Outside: "internet", a public address or a CIDR. Nodes: an unresolved private
            // address.
            const uint64_t r = rng.below(20);
            Ip4Text ip(e.src == core::kInternalEntity ? nodeIp(rng.below(nodes)) : publicIp(rng));
            std::string_view src = ip.view();
            if (e.src == core::kInternetEntity && r < 3) {
                src = "internet";
            } else if (e.src == core::kInternetEntity && r == 3) {
                src = "198.51.100.0/24";
            }
            fmt::format_to(
                out,
                FMT_COMPILE(
                    R"({{"src":"{}","dst":"{}","port":{},"protocol":"{}","time":"{}Z","count":{}}})"),
                src,
                dst,
                e.port,
                proto,
                time.seconds(t),
                count);
        }
        f.endLine();
    }
    stats.lines = lines;
    return f.close(stats);
}

core::Result<WriteStats> writeHubbleFlows(const SynthModel& model,
                                          const FlowWriteOptions& options,
                                          const std::string& path) {
    BufferedFile f(path);
    if (!f.ok()) {
        return core::Error{f.error()};
    }
    WriteStats stats;
    if (model.edges.empty()) {
        return f.close(stats);
    }
    const HubblePods pods = hubblePods(model);
    const size_t nodes = nodeCount(model);
    EdgePicker picker(model, options.external_ratio, options.seed ^ 0x4ebb1e1ULL);
    Rng rng(options.seed ^ 0x4ebb1e2ULL);
    HubbleFormatter formatter(model, pods, f, options.seed ^ 0x4ebb1e3ULL);
    const std::string world = R"({"identity":2,"labels":["reserved:world"]})";
    const std::string host = R"({"identity":1,"labels":["reserved:host"]})";
    const std::string remote_node = R"({"identity":6,"labels":["reserved:remote-node"]})";
    const uint64_t lines = options.lines;
    uint64_t written = 0;
    while (written < lines) {
        const core::EdgeKey& e = picker.next();
        const size_t dst_w = core::workloadIndex(e.dst);
        const size_t dst_pod = pods.first_pod[dst_w] + rng.below(model.replicas[dst_w]);
        Side dst{pods.endpoint[dst_pod],
                 Ip4Text(pods.ip[dst_pod]),
                 pods.node[dst_pod],
                 static_cast<int>(dst_pod)};
        Side src{{}, Ip4Text(0), 0, -1};
        if (core::isWorkloadEntity(e.src)) {
            const size_t src_w = core::workloadIndex(e.src);
            const size_t src_pod = pods.first_pod[src_w] + rng.below(model.replicas[src_w]);
            src = Side{pods.endpoint[src_pod],
                       Ip4Text(pods.ip[src_pod]),
                       pods.node[src_pod],
                       static_cast<int>(src_pod)};
        } else if (e.src == core::kInternetEntity) {
            src = Side{world, Ip4Text(publicIp(rng)), 0, -1};
        } else {
            const size_t node = rng.below(nodes);
            src = Side{node == dst.node ? host : remote_node, Ip4Text(nodeIp(node)), node, -1};
        }
        HubbleLine l;
        l.src = &src;
        l.dst = &dst;
        l.src_port =
            32768 + static_cast<uint32_t>((stats.connections * 7919 + rng.below(61)) % 28232);
        l.dst_port = e.port;
        l.protocol =
            e.protocol == core::Protocol::kUdp ? core::Protocol::kUdp : core::Protocol::kTcp;
        l.service = pods.service[dst_w];
        l.seconds =
            options.base_time + static_cast<core::Timestamp>(
                                    static_cast<unsigned __int128>(written) * kWeekSeconds / lines);
        l.time_ns = static_cast<int64_t>(rng.below(1000000000));
        const bool in_cluster_src = core::isWorkloadEntity(e.src);
        auto emit = [&](const HubbleLine& line) {
            if (written < lines) {
                formatter.write(line);
                ++written;
            }
        };
        // The SYN (or the first datagram): at the source's node, then at the destination's.
        if (in_cluster_src) {
            l.point = Point::kFromEndpoint;
            l.ingress = false;
            emit(l);
        }
        l.point = Point::kToEndpoint;
        l.ingress = true;
        l.time_ns += 41000 + static_cast<int64_t>(rng.below(20000));
        emit(l);
        if (rng.below(8) == 0) {
            l.point = Point::kPolicyVerdict;
            emit(l);
        }
        // The reply, seen leaving the callee and, for a pod caller, arriving at it.
        HubbleLine reply = l;
        reply.src = &dst;
        reply.dst = &src;
        std::swap(reply.src_port, reply.dst_port);
        reply.reply = true;
        reply.ack = true;
        reply.point = Point::kFromEndpoint;
        reply.time_ns += 80000;
        emit(reply);
        if (in_cluster_src) {
            reply.point = Point::kToEndpoint;
            reply.ingress = false;
            reply.time_ns += 45000;
            emit(reply);
        }
        if (l.protocol == core::Protocol::kTcp && rng.below(4) == 0) {
            l.point = Point::kToEndpoint;
            l.established = true;
            l.ack = true;
            l.time_ns += 300000;
            emit(l);
        }
        ++stats.connections;
    }
    stats.lines = written;
    return f.close(stats);
}

}  // namespace netpolgen::bench
