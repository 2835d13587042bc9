#include "io/hubble_flow_wire.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <climits>
#include <string>
#include <utility>

#include "io/flow_json_fields.h"

namespace netpolgen::io {
namespace {

using google::protobuf::io::CodedInputStream;
using Wire = google::protobuf::internal::WireFormatLite;

// flow.proto field numbers (proto/observer.proto).
namespace field {
constexpr uint32_t kTime = 1, kVerdict = 2, kIp = 5, kL4 = 6, kSource = 8, kDestination = 9,
                   kNodeName = 11, kReply = 16, kEventType = 19, kIsReply = 26, kUuid = 34,
                   kTraceReason = 36, kAggregate = 21007;
}  // namespace field

constexpr uint64_t kDropped = 2, kError = 3;  // Verdict
constexpr uint64_t kTraceNew = 1;             // TraceReason NEW
constexpr int64_t kNanosPerSecond = 1'000'000'000;

// A protobuf message read field by field over CodedInputStream. A field of a known number but
// another wire type is skipped as an unknown field, as generated parsers do.
class WireReader {
public:
    explicit WireReader(std::string_view bytes)
        : base_(reinterpret_cast<const uint8_t*>(bytes.data())),
          in_(base_, static_cast<int>(bytes.size())) {
        in_.PushLimit(static_cast<int>(bytes.size()));  // so that BytesUntilLimit() is exact
    }

    // Calls on_field(number, wire_type) for every field up to the current limit; on_field reads
    // the value or skips it. False when the bytes are malformed.
    template <typename OnField>
    bool fields(OnField&& on_field) {
        for (;;) {
            const uint32_t tag = in_.ReadTag();
            if (tag == 0) {
                return in_.ConsumedEntireMessage();  // else a zero tag: malformed
            }
            tag_ = tag;
            if (!on_field(Wire::GetTagFieldNumber(tag), Wire::GetTagWireType(tag))) {
                return false;
            }
        }
    }

    // A nested message (the current field is length-delimited): its fields as fields() reads them.
    template <typename OnField>
    bool message(OnField&& on_field) {
        uint32_t size = 0;
        if (!in_.ReadVarint32(&size) || static_cast<int64_t>(size) > in_.BytesUntilLimit()) {
            return false;
        }
        const auto outer = in_.PushLimit(static_cast<int>(size));
        const bool ok = fields(on_field);
        in_.PopLimit(outer);
        return ok;
    }

    bool text(std::string_view& out) {
        uint32_t size = 0;
        if (!in_.ReadVarint32(&size) || static_cast<int64_t>(size) > in_.BytesUntilLimit()) {
            return false;
        }
        out = {reinterpret_cast<const char*>(base_) + in_.CurrentPosition(), size};
        return in_.Skip(static_cast<int>(size));
    }

    bool varint(uint64_t& out) { return in_.ReadVarint64(&out); }

    // The current field, whatever it is.
    bool skip() { return Wire::SkipField(&in_, tag_); }

private:
    const uint8_t* base_;
    CodedInputStream in_;
    uint32_t tag_ = 0;
};

constexpr auto kVarint = Wire::WIRETYPE_VARINT;
constexpr auto kBytes = Wire::WIRETYPE_LENGTH_DELIMITED;

// Appends `text` to `out` as a JSON string, quotes included.
void appendJsonString(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    out += '"';
    const bool plain = std::none_of(text.begin(), text.end(), [](char c) {
        return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
    });
    if (plain) {  // labels nearly always are: one copy
        out.append(text);
        out += '"';
        return;
    }
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            out += "\\u00";
            out += kHex[u >> 4];
            out += kHex[u & 0xf];
        } else {
            out += c;
        }
    }
    out += '"';
}

// Timestamp {seconds = 1, nanos = 2}: its Unix seconds (-1 out of range: before 1970, after
// 9999, or nanos beyond a second) and Unix nanoseconds, saturated after 2262 (what int64 holds).
bool timestamp(WireReader& r, int64_t& unix_seconds, int64_t& ns) {
    uint64_t seconds = 0;
    uint64_t nanos = 0;
    const bool ok = r.message([&](uint32_t f, Wire::WireType t) {
        if (t == kVarint && f == 1) {
            return r.varint(seconds);
        }
        if (t == kVarint && f == 2) {
            return r.varint(nanos);
        }
        return r.skip();
    });
    const bool in_range = seconds <= static_cast<uint64_t>(detail::kMaxUnixSeconds) &&
                          nanos < static_cast<uint64_t>(kNanosPerSecond);
    constexpr int64_t kMaxNanoSeconds = INT64_MAX / kNanosPerSecond - 1;
    unix_seconds = in_range ? static_cast<int64_t>(seconds) : -1;
    ns = !in_range ? -1
         : unix_seconds > kMaxNanoSeconds
             ? INT64_MAX
             : unix_seconds * kNanosPerSecond + static_cast<int64_t>(nanos);
    return ok;
}

// A message of varints: on(field, value) for each.
template <typename OnValue>
bool varints(WireReader& r, OnValue&& on) {
    return r.message([&](uint32_t f, Wire::WireType t) {
        uint64_t v = 0;
        if (t != kVarint) {
            return r.skip();
        }
        if (!r.varint(v)) {
            return false;
        }
        on(f, v);
        return true;
    });
}

uint32_t port(uint64_t v) {
    return v <= 0xffff ? static_cast<uint32_t>(v) : 0;
}

}  // namespace
}  // namespace netpolgen::io

namespace netpolgen::io {
namespace {

// Endpoint: identity 2, namespace 3, labels 4, pod_name 5, workloads 6 {name 1, kind 2}; the
// labels classified as the JSON decoder classifies them (io/hubble_endpoint.h) and appended to
// `labels` as JSON text.
bool endpoint(WireReader& r,
              detail::HubbleEndpoint& ep,
              std::string& labels,
              std::pair<size_t, size_t>& span) {
    const size_t labels_at = labels.size();
    bool first_workload = true;
    const bool ok = r.message([&](uint32_t f, Wire::WireType t) {
        if (t == kVarint && f == 2) {
            return r.varint(ep.identity);
        }
        if (t != kBytes) {
            return r.skip();
        }
        switch (f) {
            case 3:
                return r.text(ep.ns);
            case 5:
                return r.text(ep.pod);
            case 4: {
                std::string_view label;
                if (!r.text(label)) {
                    return false;
                }
                if (label.starts_with("k8s:")) {
                    ep.k8s_labels = true;
                } else if (label.starts_with("reserved:")) {
                    const std::string_view name = label.substr(9);
                    if (name == "world" || name.starts_with("world-")) {
                        ep.world = true;
                    } else if (name == "host" || name == "remote-node" ||
                               name == "kube-apiserver" || name == "health" || name == "init" ||
                               name == "ingress" || name == "unmanaged") {
                        ep.internal = true;
                    }
                } else if (label.starts_with("cidr:")) {
                    ep.cidr = true;
                }
                if (labels.size() > labels_at) {
                    labels += ',';
                }
                appendJsonString(labels, label);
                return true;
            }
            case 6:
                if (!first_workload) {
                    return r.skip();
                }
                first_workload = false;
                return r.message([&](uint32_t wf, Wire::WireType wt) {
                    if (wt == kBytes && wf == 1) {
                        return r.text(ep.workload_name);
                    }
                    if (wt == kBytes && wf == 2) {
                        return r.text(ep.workload_kind);
                    }
                    return r.skip();
                });
            default:
                return r.skip();
        }
    });
    span = {labels_at, labels.size()};
    return ok;
}

}  // namespace

LineOutcome HubbleFlowWireDecoder::invalid(std::string what) {
    error_ = "flow: " + std::move(what);
    return LineOutcome::kInvalid;
}

bool HubbleFlowWireDecoder::parse(std::string_view bytes, Parts& p) {
    WireReader r(bytes);
    std::pair<size_t, size_t> source_labels;
    std::pair<size_t, size_t> destination_labels;
    labels_.clear();
    uint64_t src_port = 0;
    uint64_t dst_port = 0;
    const auto l4_ports = [&](bool tcp) {
        return r.message([&](uint32_t f, Wire::WireType t) {
            if (t == kVarint && f == 1) {
                return r.varint(src_port);
            }
            if (t == kVarint && f == 2) {
                return r.varint(dst_port);
            }
            if (tcp && t == kBytes && f == 3) {
                p.traits.flags = true;
                return varints(r, [&](uint32_t flag, uint64_t v) {
                    if (flag == 2) {
                        p.traits.syn = v != 0 ? 1 : 0;
                    } else if (flag == 5) {
                        p.traits.ack = v != 0 ? 1 : 0;
                    }
                });
            }
            return r.skip();
        });
    };
    const bool ok = r.fields([&](uint32_t f, Wire::WireType t) {
        uint64_t v = 0;
        if (t == kVarint) {
            if (!r.varint(v)) {
                return false;
            }
            if (f == field::kVerdict) {
                p.traits.dropped = v == kDropped || v == kError;
            } else if (f == field::kReply) {
                p.traits.reply = v != 0 ? 1 : -1;
            } else if (f == field::kTraceReason) {
                p.traits.trace_new = v == kTraceNew;
            }
            return true;
        }
        if (t != kBytes) {
            return r.skip();
        }
        switch (f) {
            case field::kTime:
                p.has_time = true;
                return timestamp(r, p.seconds, time_ns_);
            case field::kUuid:
                return r.text(uuid_);
            case field::kNodeName:
                return r.text(node_name_);
            case field::kIp:
                return r.message([&](uint32_t ipf, Wire::WireType ipt) {
                    if (ipt == kBytes && ipf == 1) {
                        return r.text(p.src_ip);
                    }
                    if (ipt == kBytes && ipf == 2) {
                        return r.text(p.dst_ip);
                    }
                    return r.skip();
                });
            case field::kL4:
                return r.message([&](uint32_t lf, Wire::WireType lt) {
                    if (lt != kBytes) {
                        return r.skip();
                    }
                    switch (lf) {
                        case 1:
                            p.traits.protocol = core::Protocol::kTcp;
                            return l4_ports(true);
                        case 2:
                            p.traits.protocol = core::Protocol::kUdp;
                            return l4_ports(false);
                        case 5:
                            p.traits.protocol = core::Protocol::kSctp;
                            return l4_ports(false);
                        case 3:
                        case 4:
                            p.traits.protocol = core::Protocol::kIcmp;
                            return r.skip();
                        default:
                            return r.skip();
                    }
                });
            case field::kSource:
                return endpoint(r, p.source, labels_, source_labels);
            case field::kDestination:
                return endpoint(r, p.destination, labels_, destination_labels);
            case field::kEventType:
                return varints(r, [&](uint32_t ef, uint64_t ev) {
                    if (ef == 1) {
                        p.traits.event_type = ev;
                    }
                });
            case field::kIsReply:
                p.traits.is_reply = 0;
                return varints(r, [&](uint32_t bf, uint64_t bv) {
                    if (bf == 1) {
                        p.traits.is_reply = bv != 0 ? 1 : 0;
                    }
                });
            case field::kAggregate:
                p.has_aggregate = true;
                return varints(r, [&](uint32_t af, uint64_t av) {
                    if (af >= 1 && af <= 3) {
                        p.aggregate += av & 0xffffffffu;
                    }
                });
            default:
                return r.skip();
        }
    });
    if (!ok) {
        return false;
    }
    p.src_port = port(src_port);
    p.dst_port = port(dst_port);
    if (src_port > 0xffff || dst_port > 0xffff) {
        error_ = "l4 port out of range";
        return false;
    }
    // Views into labels_ only now that it no longer grows. A repeated endpoint field (allowed
    // by the wire format) keeps the last one's labels.
    const std::string_view all(labels_);
    p.source.labels = all.substr(source_labels.first, source_labels.second - source_labels.first);
    p.destination.labels =
        all.substr(destination_labels.first, destination_labels.second - destination_labels.first);
    return true;
}

LineOutcome HubbleFlowWireDecoder::decode(std::string_view bytes, core::FlowObservation& out) {
    uuid_ = {};
    node_name_ = {};
    time_ns_ = 0;
    error_.clear();
    if (bytes.size() > static_cast<size_t>(INT_MAX)) {
        return invalid("larger than 2 GiB");
    }
    Parts p;
    if (!parse(bytes, p)) {
        return invalid(error_.empty() ? "malformed protobuf" : error_);
    }
    if (const LineOutcome skip = detail::hubbleFlowOutcome(p.traits); skip != LineOutcome::kFlow) {
        return skip;
    }
    if (!p.src_ip.empty() && !detail::isHubbleIpText(p.src_ip)) {
        return invalid("IP.source is not an address");
    }
    if (!p.dst_ip.empty() && !detail::isHubbleIpText(p.dst_ip)) {
        return invalid("IP.destination is not an address");
    }
    if (p.has_time && p.seconds < 0) {
        return invalid("time out of range");
    }
    out.time = p.has_time ? p.seconds : core::kUndated;
    detail::hubbleEndpoint(p.source, p.src_ip, out.src);
    detail::hubbleEndpoint(p.destination, p.dst_ip, out.dst);
    out.protocol = p.traits.protocol;
    out.port = isPolicyProtocol(p.traits.protocol) ? p.dst_port : 0;
    out.count = p.has_aggregate && p.aggregate > 0 ? p.aggregate : 1;
    if (detail::repeatedConnection(
            dedupe_, p.src_ip, p.src_port, p.dst_ip, p.dst_port, p.traits.protocol, out.time)) {
        return LineOutcome::kDuplicate;
    }
    return LineOutcome::kFlow;
}

}  // namespace netpolgen::io
