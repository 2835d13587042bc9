// bench_bare_parse: the floor of bench/whole_command.sh, a bare simdjson On-Demand pass over the
// files `netpolgen generate` reads.
//
//   bench_bare_parse --flows FLOWS.jsonl --cluster CLUSTER.json
//
// The flow file (JSON Lines, canonical or Hubble) is read in 16 MiB chunks cut at the last newline
// and each chunk is walked with iterate_many; the cluster file (one JSON text, e.g. a List) is read
// whole. Every value of every document is visited: strings are read (unescaped) and their lengths
// summed, numbers and booleans summed, so nothing can be optimised away. For canonical lines that
// is exactly the fields netpolgen uses (src, dst, port, protocol, time, count); for manifests and
// Hubble lines it is a little more. Prints lines, bytes, the checksum and the CPU time of each
// part; bench/whole_command.sh times the whole process with /usr/bin/time.
#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "bench_common.h"

namespace {

using simdjson::SUCCESS;
using Value = simdjson::ondemand::value;

constexpr size_t kChunkBytes = 16u << 20;
constexpr size_t kBatchBytes = 1u << 20;  // iterate_many's window: more than any line

struct Sums {
    uint64_t documents = 0;
    uint64_t checksum = 0;
    uint64_t errors = 0;
};

// Visits `v` and everything in it. On-Demand descends without recursion into skipped values; this
// walk recurses, but manifests and flow lines are a few levels deep.
void walk(Value v, Sums& sums) {
    simdjson::ondemand::json_type type{};
    if (v.type().get(type) != SUCCESS) {
        ++sums.errors;
        return;
    }
    switch (type) {
        case simdjson::ondemand::json_type::object: {
            simdjson::ondemand::object object;
            if (v.get_object().get(object) != SUCCESS) {
                ++sums.errors;
                return;
            }
            for (auto field_result : object) {
                simdjson::ondemand::field field;
                if (std::move(field_result).get(field) != SUCCESS) {
                    ++sums.errors;
                    return;
                }
                sums.checksum += static_cast<unsigned char>(field.key().raw()[0]);
                walk(field.value(), sums);
            }
            return;
        }
        case simdjson::ondemand::json_type::array: {
            simdjson::ondemand::array array;
            if (v.get_array().get(array) != SUCCESS) {
                ++sums.errors;
                return;
            }
            for (auto element : array) {
                Value item;
                if (std::move(element).get(item) != SUCCESS) {
                    ++sums.errors;
                    return;
                }
                walk(item, sums);
            }
            return;
        }
        case simdjson::ondemand::json_type::string: {
            std::string_view s;
            sums.checksum += v.get_string().get(s) == SUCCESS ? s.size() : 0;
            return;
        }
        case simdjson::ondemand::json_type::number: {
            int64_t i = 0;
            double d = 0;
            if (v.get_int64().get(i) == SUCCESS) {
                sums.checksum += static_cast<uint64_t>(i);
            } else if (v.get_double().get(d) == SUCCESS) {
                sums.checksum += static_cast<uint64_t>(d);
            }
            return;
        }
        case simdjson::ondemand::json_type::boolean: {
            bool b = false;
            sums.checksum += v.get_bool().get(b) == SUCCESS && b ? 1 : 0;
            return;
        }
        case simdjson::ondemand::json_type::null:
            return;
    }
}

// Every document of buffer[0, size): JSON texts separated by white space (iterate_many).
void walkDocuments(simdjson::ondemand::parser& parser,
                   const char* data,
                   size_t size,
                   size_t batch_bytes,
                   Sums& sums) {
    simdjson::ondemand::document_stream stream;
    if (parser.iterate_many(data, size, batch_bytes).get(stream) != SUCCESS) {
        ++sums.errors;
        return;
    }
    for (auto doc_result : stream) {
        simdjson::ondemand::document_reference doc;
        if (std::move(doc_result).get(doc) != SUCCESS) {
            ++sums.errors;
            continue;
        }
        Value root;
        if (doc.get_value().get(root) != SUCCESS) {
            ++sums.errors;
            continue;
        }
        ++sums.documents;
        walk(root, sums);
    }
}

// The flow file in chunks cut after their last newline.
bool walkFlows(const char* path, Sums& sums, uint64_t& bytes) {
    std::FILE* f = std::fopen(path, "rb");
    if (f == nullptr) {
        std::fprintf(stderr, "bench_bare_parse: cannot read %s\n", path);
        return false;
    }
    std::unique_ptr<char[]> buf(new char[kChunkBytes + simdjson::SIMDJSON_PADDING]());
    simdjson::ondemand::parser parser;
    size_t len = 0;
    while (true) {
        const size_t n = std::fread(buf.get() + len, 1, kChunkBytes - len, f);
        bytes += n;
        len += n;
        size_t end = len;
        if (n != 0) {
            const void* last = memrchr(buf.get(), '\n', len);
            if (last == nullptr) {
                std::fprintf(stderr, "bench_bare_parse: a line longer than %zu bytes\n", len);
                std::fclose(f);
                return false;
            }
            end = static_cast<size_t>(static_cast<const char*>(last) - buf.get()) + 1;
        }
        if (end > 0) {
            walkDocuments(parser, buf.get(), end, kBatchBytes, sums);
        }
        if (n == 0) {
            break;
        }
        std::memmove(buf.get(), buf.get() + end, len - end);
        len -= end;
    }
    std::fclose(f);
    return true;
}

bool walkCluster(const char* path, Sums& sums, uint64_t& bytes) {
    simdjson::padded_string text;
    if (simdjson::padded_string::load(path).get(text) != SUCCESS) {
        std::fprintf(stderr, "bench_bare_parse: cannot read %s\n", path);
        return false;
    }
    bytes = text.size();
    simdjson::ondemand::parser parser;
    // One window over the whole text: a List is one document of megabytes.
    walkDocuments(parser, text.data(), text.size(), std::max(kBatchBytes, text.size()), sums);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    std::string flows;
    std::string cluster;
    constexpr const char* kUsage = "bench_bare_parse --flows FLOWS.jsonl [--cluster CLUSTER.json]";
    const bool parsed = netpolgen::bench::parseOptions(
        argc, argv, "bench_bare_parse", kUsage, [&](std::string_view arg, std::string_view value) {
            std::optional<bool> ok;
            if (arg == "--flows") {
                flows = value;
                ok = !flows.empty();
            } else if (arg == "--cluster") {
                cluster = value;
                ok = !cluster.empty();
            }
            return ok;
        });
    if (!parsed || flows.empty()) {
        if (parsed) {
            std::fprintf(stderr, "usage: %s\n", kUsage);
        }
        return 2;
    }
    Sums cluster_sums;
    uint64_t cluster_bytes = 0;
    const double t0 = netpolgen::bench::cpuSeconds();
    if (!cluster.empty() && !walkCluster(cluster.c_str(), cluster_sums, cluster_bytes)) {
        return 1;
    }
    const double t1 = netpolgen::bench::cpuSeconds();
    Sums flow_sums;
    uint64_t flow_bytes = 0;
    if (!walkFlows(flows.c_str(), flow_sums, flow_bytes)) {
        return 1;
    }
    const double t2 = netpolgen::bench::cpuSeconds();
    std::printf(
        "cluster: %llu documents, %llu bytes, %.3f s CPU\n"
        "flows: %llu lines, %llu bytes, %.3f s CPU\n"
        "checksum %llu, errors %llu\n",
        static_cast<unsigned long long>(cluster_sums.documents),
        static_cast<unsigned long long>(cluster_bytes),
        t1 - t0,
        static_cast<unsigned long long>(flow_sums.documents),
        static_cast<unsigned long long>(flow_bytes),
        t2 - t1,
        static_cast<unsigned long long>(cluster_sums.checksum + flow_sums.checksum),
        static_cast<unsigned long long>(cluster_sums.errors + flow_sums.errors));
    return cluster_sums.errors + flow_sums.errors == 0 ? 0 : 1;
}
