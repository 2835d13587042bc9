#include "io/flow_line_parser.h"

#include <limits>
#include <utility>

#include "core/ip_address.h"
#include "core/protocol.h"

namespace netpolgen::io {
namespace {

using Key = detail::FlowKey;
using detail::EndpointCacheEntry;
using detail::Problem;

using detail::clearEndpoint;
using detail::describe;
using detail::describeEndpointIssue;
using detail::endpointCacheSlot;
using detail::forEachField;
using detail::hasBackslash;
using detail::hubbleEndpoint;
using detail::kMaxUint32;
using detail::labelsArray;
using detail::parseEndpointSegments;
using detail::parseWorkloadFast;
using detail::plainString;
using detail::protocolOf;
using detail::rawEquals;
using detail::readBool;
using detail::readInteger;
using detail::readKey;
using detail::readPort;
using detail::readRaw;
using detail::readString;
using detail::readTime;
using detail::tokenOf;
using detail::workloadsArray;

using simdjson::SUCCESS;
using ErrorCode = simdjson::error_code;
using Value = simdjson::ondemand::value;

constexpr size_t kInitialParserCapacity = 64u << 10;

bool isJsonSpace(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

}  // namespace

FlowLineParser::FlowLineParser(FlowFormat format)
    : format_(format),
      want_canonical_(format != FlowFormat::kHubble),
      want_hubble_(format != FlowFormat::kCanonical) {
    // A failure here only means the first line allocates instead (and reports MEMALLOC if that
    // fails too). The depth is kept for later reallocations; On-Demand skips nested values without
    // recursion, and the decoder itself descends at most five levels.
    const ErrorCode e = parser_.allocate(kInitialParserCapacity, kMaxDepth);
    static_cast<void>(e);
}

core::Status FlowLineParser::resolveTime(const TimeValue& t, core::Timestamp& out) {
    if (!t.present) {
        out = core::kUndated;
        return {};
    }
    if (!t.is_text) {
        out = t.seconds;
        return {};
    }
    // Consecutive lines often carry the same instant (canonical files at second resolution).
    if (last_time_ok_ && t.text == last_time_text_) {
        out = last_time_;
        return {};
    }
    auto parsed = parseRfc3339(t.text);
    if (!parsed) {
        return core::Error{parsed.error()};
    }
    out = *parsed;
    last_time_text_.assign(t.text);
    last_time_ = out;
    last_time_ok_ = true;
    return {};
}

// Member by member, for the same reason as clearEndpoint(). The views are reset too: finishHubble()
// reads them whether or not their keys were present.
void FlowLineParser::resetHubble() {
    Hubble& h = hubble_;
    h.envelope = false;
    h.flow_key = false;
    h.non_flow = false;
    h.dropped = false;
    h.is_reply = -1;
    h.reply = -1;
    h.trace_new = false;
    h.flags = false;
    h.syn = 0;
    h.ack = 0;
    h.has_aggregate = false;
    h.protocol = core::Protocol::kUnknown;
    h.src_port = 0;
    h.dst_port = 0;
    h.event_type = 0;
    h.aggregate = 0;
    h.src_ip = {};
    h.dst_ip = {};
    h.time.present = false;
    for (HubbleEndpoint* ep : {&h.source, &h.destination}) {
        ep->ns = {};
        ep->pod = {};
        ep->workload_name = {};
        ep->workload_kind = {};
        ep->labels = {};
        ep->k8s_labels = false;
        ep->identity = 0;
        ep->world = false;
        ep->internal = false;
        ep->cidr = false;
    }
    h.problem.problem = Problem::kNone;
}

LineOutcome FlowLineParser::invalid(std::string message) {
    error_ = std::move(message);
    return LineOutcome::kInvalid;
}

LineOutcome FlowLineParser::invalidJson(ErrorCode code) {
    return invalid(std::string("invalid JSON: ") + simdjson::error_message(code));
}

LineOutcome FlowLineParser::parse(const char* data,
                                  size_t size,
                                  size_t capacity,
                                  core::FlowObservation& out) {
    size_t first = 0;
    while (first < size && isJsonSpace(data[first])) {
        ++first;
    }
    if (first == size) {
        return LineOutcome::kNonFlow;
    }
    if (data[first] != '{') {
        return invalid("expected a JSON object");
    }
    out_ = &out;
    // Only what is read before being written: the views are used only when their flags are set.
    canonical_.shape = false;
    canonical_.src.seen = false;
    canonical_.dst.seen = false;
    canonical_.port = 0;
    canonical_.protocol = core::Protocol::kTcp;
    canonical_.count = 1;
    canonical_.problem.problem = Problem::kNone;
    top_time_.present = false;
    time_problem_.problem = Problem::kNone;
    if (hubble_dirty_) {
        // Lines of canonical flows never touch the (larger) Hubble state.
        resetHubble();
        hubble_dirty_ = false;
    }

    simdjson::ondemand::document doc;
    ErrorCode e = parser_.iterate(data, size, capacity).get(doc);
    if (e != SUCCESS) {
        return invalidJson(e);
    }
    simdjson::ondemand::object object;
    if ((e = doc.get_object().get(object)) != SUCCESS) {
        return invalidJson(e);
    }
    for (auto result : object) {
        // Used in place: moving the field out costs a store-forwarding stall per key.
        if ((e = result.error()) != SUCCESS) {
            return invalidJson(e);
        }
        simdjson::ondemand::field& field = result.value_unsafe();
        Key key = Key::kOther;
        if ((e = readKey(field, key)) != SUCCESS) {
            return invalidJson(e);
        }
        if ((e = topField(key, field.value())) != SUCCESS) {
            return invalidJson(e);
        }
    }
    // Anything after the closing brace.
    const char* rest = nullptr;
    if (doc.current_location().get(rest) == SUCCESS) {
        return invalid("unexpected content after the JSON object");
    }

    const bool canonical_shape = canonical_.shape;
    const bool hubble_shape = hubble_.envelope || hubble_.flow_key;
    switch (format_) {
        case FlowFormat::kCanonical:
            return finishCanonical(out);
        case FlowFormat::kHubble:
            if (hubble_shape) {
                return finishHubble(out);
            }
            if (hubble_.non_flow) {
                return LineOutcome::kNonFlow;
            }
            return invalid("not a Hubble flow (no \"flow\" key and no Flow fields)");
        case FlowFormat::kAuto:
            break;
    }
    if (canonical_shape) {
        return finishCanonical(out);
    }
    if (hubble_shape) {
        return finishHubble(out);
    }
    if (hubble_.non_flow) {
        return LineOutcome::kNonFlow;
    }
    return invalid(
        "not a flow: expected a canonical flow (\"src\", \"dst\") or a Hubble flow (\"flow\", or "
        "Flow fields such as \"IP\", \"l4\", \"source\")");
}

[[gnu::flatten]] ErrorCode FlowLineParser::topField(Key key, Value& value) {
    switch (key) {
        case Key::kTime:
            return readTime(value, top_time_, time_problem_);
        case Key::kSrc:
            if (!want_canonical_) {
                return SUCCESS;
            }
            canonical_.shape = true;
            return canonicalEndpoint(value, "src", canonical_.src, out_->src);
        case Key::kDst:
            if (!want_canonical_) {
                return SUCCESS;
            }
            canonical_.shape = true;
            return canonicalEndpoint(value, "dst", canonical_.dst, out_->dst);
        case Key::kPort:
            if (!want_canonical_) {
                return SUCCESS;
            }
            return readPort(value, canonical_.port, canonical_.problem, "port");
        case Key::kProtocol:
            return want_canonical_ ? canonicalProtocol(value) : SUCCESS;
        case Key::kCount:
            if (!want_canonical_) {
                return SUCCESS;
            }
            return readInteger(value,
                               1,
                               std::numeric_limits<int64_t>::max(),
                               canonical_.count,
                               canonical_.problem,
                               "count",
                               Problem::kCountRange);
        case Key::kFlow:
            if (!want_hubble_) {
                return SUCCESS;
            }
            hubble_dirty_ = true;
            hubble_.envelope = true;
            return forEachField(value, hubble_.problem, "flow", [&](Key k, Value& v) {
                if (k == Key::kTime) {
                    return readTime(v, hubble_.time, hubble_.problem);
                }
                return flowField(k, v, false);
            });
        case Key::kNonFlow:
            hubble_dirty_ = true;
            hubble_.non_flow = true;
            return SUCCESS;
        default:
            if (!want_hubble_ || key == Key::kOther) {
                return SUCCESS;
            }
            // A bare Flow (legacy JSON): the Flow's fields are at the top level.
            hubble_dirty_ = true;
            return flowField(key, value, true);
    }
}

ErrorCode FlowLineParser::canonicalEndpoint(Value& value,
                                            std::string_view name,
                                            CanonicalEndpoint& out,
                                            core::FlowEndpoint& endpoint) {
    out.seen = false;
    out.issue = EndpointIssue{};
    clearEndpoint(endpoint);
    const std::string_view token = tokenOf(value);
    if (token.size() >= 2 && token.front() == '"' && token.back() == '"') {
        // The raw text lies in the padded line, as parseWorkloadFast() and the cache require.
        const std::string_view raw = token.substr(1, token.size() - 2);
        EndpointCacheEntry& cached = endpoint_cache_[endpointCacheSlot(raw)];
        if (!raw.empty() && cached.size == raw.size() &&
            std::memcmp(cached.text.data(), raw.data(), raw.size()) == 0) {
            cached.apply(raw, endpoint);
            endpoint.text = raw;
            out.seen = true;
            out.text = raw;
            return SUCCESS;
        }
        // parseWorkloadFast() accepts no backslash: only the general parser needs the check.
        const bool fast = parseWorkloadFast(raw, endpoint);
        if (fast || !hasBackslash(raw)) {
            if (!fast) {
                out.issue = parseEndpointSegments(raw, endpoint);
            }
            if (out.issue.what == EndpointIssue::What::kNone) {
                cached.store(raw, endpoint);
            }
            endpoint.text = raw;
            out.seen = true;
            out.text = raw;
            return SUCCESS;
        }
    }
    // Escapes, another type or null.
    std::string_view text;
    const ErrorCode e = readString(value, text, canonical_.problem, name);
    if (e != SUCCESS || text.data() == nullptr) {
        return e;
    }
    out.seen = true;
    out.text = text;
    out.issue = parseEndpointSegments(text, endpoint);
    endpoint.text = text;
    return SUCCESS;
}

ErrorCode FlowLineParser::canonicalProtocol(Value& value) {
    std::string_view text = plainString(value);
    if (text.data() == nullptr) {
        const ErrorCode e = readString(value, text, canonical_.problem, "protocol");
        if (e != SUCCESS || text.data() == nullptr) {
            return e;
        }
    }
    const auto protocol = protocolOf(text);
    if (!protocol) {
        canonical_.problem.set(Problem::kUnknownProtocol, "protocol", text);
    } else {
        canonical_.protocol = *protocol;
    }
    return SUCCESS;
}

ErrorCode FlowLineParser::flowField(Key key, Value& value, bool top) {
    Hubble& h = hubble_;
    switch (key) {
        case Key::kVerdict: {
            h.flow_key = h.flow_key || top;
            const char* verdict = nullptr;
            const ErrorCode e = readRaw(value, verdict, h.problem, "verdict");
            h.dropped = verdict != nullptr &&
                        (rawEquals(verdict, "DROPPED") || rawEquals(verdict, "ERROR"));
            return e;
        }
        case Key::kIp:
            h.flow_key = h.flow_key || top;
            return ipObject(value);
        case Key::kL4:
            h.flow_key = h.flow_key || top;
            return l4Object(value);
        case Key::kSource:
            h.flow_key = h.flow_key || top;
            return endpointObject(value, h.source, true);
        case Key::kDestination:
            h.flow_key = h.flow_key || top;
            return endpointObject(value, h.destination, false);
        case Key::kEventType:
            h.flow_key = h.flow_key || top;
            return forEachField(value, h.problem, "event_type", [&](Key k, Value& v) {
                if (k == Key::kType) {
                    return readInteger(v,
                                       0,
                                       kMaxUint32,
                                       h.event_type,
                                       h.problem,
                                       "event_type.type",
                                       Problem::kNotInteger);
                }
                return SUCCESS;
            });
        case Key::kFlowMarker:
            h.flow_key = h.flow_key || top;
            return SUCCESS;
        case Key::kIsReply:
            return readBool(value, h.is_reply, h.problem, "is_reply");
        case Key::kReply:
            return readBool(value, h.reply, h.problem, "reply");
        case Key::kTraceReason: {
            const char* reason = nullptr;
            const ErrorCode e = readRaw(value, reason, h.problem, "trace_reason");
            h.trace_new = reason != nullptr && rawEquals(reason, "NEW");
            return e;
        }
        case Key::kAggregate:
            h.has_aggregate = true;
            return forEachField(value, h.problem, "aggregate", [&](Key k, Value& v) {
                if (k != Key::kFlowCount) {
                    return SUCCESS;
                }
                uint64_t n = 0;
                const ErrorCode e = readInteger(
                    v, 0, kMaxUint32, n, h.problem, "aggregate count", Problem::kNotInteger);
                h.aggregate += n;
                return e;
            });
        default:
            return SUCCESS;
    }
}

ErrorCode FlowLineParser::ipObject(Value& value) {
    Hubble& h = hubble_;
    return forEachField(value, h.problem, "IP", [&](Key k, Value& v) {
        if (k == Key::kSource) {
            return readString(v, h.src_ip, h.problem, "IP.source");
        }
        if (k == Key::kDestination) {
            return readString(v, h.dst_ip, h.problem, "IP.destination");
        }
        return SUCCESS;
    });
}

ErrorCode FlowLineParser::l4Object(Value& value) {
    Hubble& h = hubble_;
    return forEachField(value, h.problem, "l4", [&](Key k, Value& v) {
        switch (k) {
            case Key::kTcp:
                h.protocol = core::Protocol::kTcp;
                return l4Ports(v, true);
            case Key::kUdp:
                h.protocol = core::Protocol::kUdp;
                return l4Ports(v, false);
            case Key::kSctp:
                h.protocol = core::Protocol::kSctp;
                return l4Ports(v, false);
            case Key::kIcmpV4:
            case Key::kIcmpV6:
                h.protocol = core::Protocol::kIcmp;
                return SUCCESS;
            default:
                return SUCCESS;
        }
    });
}

ErrorCode FlowLineParser::l4Ports(Value& value, bool tcp) {
    Hubble& h = hubble_;
    return forEachField(value, h.problem, "l4 protocol", [&](Key k, Value& v) {
        switch (k) {
            case Key::kSourcePort:
                return readPort(v, h.src_port, h.problem, "l4 source_port");
            case Key::kDestinationPort:
                return readPort(v, h.dst_port, h.problem, "l4 destination_port");
            case Key::kFlags:
                if (!tcp) {
                    return SUCCESS;
                }
                h.flags = true;
                return forEachField(v, h.problem, "l4.TCP.flags", [&](Key f, Value& b) {
                    if (f == Key::kSyn) {
                        return readBool(b, h.syn, h.problem, "l4.TCP.flags.SYN");
                    }
                    if (f == Key::kAck) {
                        return readBool(b, h.ack, h.problem, "l4.TCP.flags.ACK");
                    }
                    return SUCCESS;
                });
            default:
                return SUCCESS;
        }
    });
}

ErrorCode FlowLineParser::endpointObject(Value& value, HubbleEndpoint& ep, bool source) {
    FieldProblem& problem = hubble_.problem;
    const auto name = [source](std::string_view src_name, std::string_view dst_name) {
        return source ? src_name : dst_name;
    };
    return forEachField(value, problem, name("source", "destination"), [&](Key k, Value& v) {
        switch (k) {
            case Key::kNamespace:
                return readString(
                    v, ep.ns, problem, name("source.namespace", "destination.namespace"));
            case Key::kPodName:
                return readString(
                    v, ep.pod, problem, name("source.pod_name", "destination.pod_name"));
            case Key::kIdentity:
                return readInteger(v,
                                   0,
                                   kMaxUint32,
                                   ep.identity,
                                   problem,
                                   name("source.identity", "destination.identity"),
                                   Problem::kNotInteger);
            case Key::kLabels:
                return labelsArray(v, ep, problem, name("source.labels", "destination.labels"));
            case Key::kWorkloads:
                return workloadsArray(
                    v, ep, problem, name("source.workloads", "destination.workloads"));
            default:
                return SUCCESS;
        }
    });
}

LineOutcome FlowLineParser::finishCanonical(core::FlowObservation& out) {
    const Canonical& c = canonical_;
    if (c.problem) {
        return invalid(describe(c.problem));
    }
    if (time_problem_) {
        return invalid(describe(time_problem_));
    }
    if (!c.src.seen) {
        return invalid("missing \"src\"");
    }
    if (!c.dst.seen) {
        return invalid("missing \"dst\"");
    }
    if (c.src.issue.what != EndpointIssue::What::kNone) {
        return invalid(describeEndpointIssue(c.src.text, "src", c.src.issue));
    }
    if (c.dst.issue.what != EndpointIssue::What::kNone) {
        return invalid(describeEndpointIssue(c.dst.text, "dst", c.dst.issue));
    }
    if (core::Status st = resolveTime(top_time_, out.time); !st) {
        return invalid(st.error());
    }
    out.protocol = c.protocol;
    out.port = c.protocol == core::Protocol::kIcmp ? 0 : c.port;
    out.count = c.count;
    return LineOutcome::kFlow;
}

LineOutcome FlowLineParser::finishHubble(core::FlowObservation& out) {
    const Hubble& h = hubble_;
    if (h.problem) {
        return invalid(describe(h.problem));
    }
    const detail::HubbleFlowTraits traits{h.dropped,
                                          h.is_reply,
                                          h.reply,
                                          h.trace_new,
                                          h.flags,
                                          h.syn,
                                          h.ack,
                                          h.protocol,
                                          h.event_type};
    if (const LineOutcome skip = detail::hubbleFlowOutcome(traits); skip != LineOutcome::kFlow) {
        return skip;
    }
    if (!h.src_ip.empty() && !detail::isHubbleIpText(h.src_ip)) {
        return invalid(describe({Problem::kBadIp, "IP.source", h.src_ip}));
    }
    if (!h.dst_ip.empty() && !detail::isHubbleIpText(h.dst_ip)) {
        return invalid(describe({Problem::kBadIp, "IP.destination", h.dst_ip}));
    }
    const TimeValue& time = h.time.present ? h.time : top_time_;
    if (!h.time.present && time_problem_) {
        return invalid(describe(time_problem_));
    }
    if (core::Status st = resolveTime(time, out.time); !st) {
        return invalid(st.error());
    }
    hubbleEndpoint(h.source, h.src_ip, out.src);
    hubbleEndpoint(h.destination, h.dst_ip, out.dst);
    out.protocol = h.protocol;
    out.port = isPolicyProtocol(h.protocol) ? h.dst_port : 0;
    out.count = h.has_aggregate && h.aggregate > 0 ? h.aggregate : 1;
    if (detail::repeatedConnection(
            dedupe_, h.src_ip, h.src_port, h.dst_ip, h.dst_port, h.protocol, out.time)) {
        return LineOutcome::kDuplicate;
    }
    return LineOutcome::kFlow;
}

}  // namespace netpolgen::io
