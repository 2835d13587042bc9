#include "io/flow_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>

#include "io/flow_line_parser.h"
#include "io/flow_source.h"

namespace netpolgen::io {
namespace {

// The read buffer: max(kChunkBytes, max_line_bytes + kMinReadBytes), so that a carried-over line
// of max_line_bytes still leaves room for reads that are not tiny.
constexpr size_t kChunkBytes = 16u << 20;
constexpr size_t kMinReadBytes = 1u << 20;
// A buffer for a small input starts at the input's size, but not below this.
constexpr size_t kMinBufferBytes = 4096;
constexpr size_t kMaxInvalidExamples = 10;

// Splits the bytes of one source into lines and hands each line to the FlowLineParser.
//
// The buffer is one allocation of `capacity_ + SIMDJSON_PADDING` bytes: lines are parsed where they
// lie, the partial last line of a chunk is moved to the front and completed by the next read. A
// line longer than max_line_bytes is never held whole: once it is known to be too long, the bytes
// up to its newline are read and dropped.
class FlowStream {
public:
    FlowStream(std::string_view name,
               const FlowReadOptions& options,
               FlowReadStats& stats,
               const FlowConsumer& consumer)
        : name_(name),
          options_(options),
          max_line_(std::max<size_t>(options.max_line_bytes, 1)),
          max_capacity_(std::max(kChunkBytes, max_line_ + kMinReadBytes)),
          stats_(stats),
          consumer_(consumer),
          parser_(options.format) {}

    core::Status run(ByteSource& source) {
        const size_t hint = source.sizeHint();
        // +1: room to see the end of the input without growing.
        capacity_ = hint < max_capacity_ ? std::max(hint + 1, kMinBufferBytes) : max_capacity_;
        capacity_ = std::min(capacity_, max_capacity_);
        buffer_ = std::make_unique<char[]>(capacity_ + simdjson::SIMDJSON_PADDING);

        size_t len = 0;         // bytes in the buffer: a partial line at its start
        size_t scanned = 0;     // buffer[0, scanned) holds no newline
        bool skipping = false;  // dropping the rest of a line already reported as too long
        while (true) {
            if (len == capacity_) {
                grow(len);
            }
            auto got = source.read(buffer_.get() + len, capacity_ - len);
            if (!got) {
                return core::Error{got.error()};
            }
            const size_t n = *got;
            const bool eof = n == 0;
            stats_.bytes += n;
            len += n;

            char* const base = buffer_.get();
            size_t pos = 0;
            if (skipping) {
                const void* nl = std::memchr(base + scanned, '\n', len - scanned);
                if (nl == nullptr) {
                    len = 0;
                    scanned = 0;
                    if (eof) {
                        break;
                    }
                    continue;
                }
                pos = static_cast<size_t>(static_cast<const char*>(nl) - base) + 1;
                scanned = pos;
                skipping = false;
            }
            size_t search = std::max(pos, scanned);
            while (search < len) {
                const void* nl = std::memchr(base + search, '\n', len - search);
                if (nl == nullptr) {
                    break;
                }
                const auto end = static_cast<size_t>(static_cast<const char*>(nl) - base);
                if (!line(base + pos, end - pos, capacity_ + simdjson::SIMDJSON_PADDING - pos)) {
                    return core::Error{std::move(fatal_)};
                }
                pos = end + 1;
                search = pos;
            }
            if (options_.on_progress) {
                options_.on_progress(stats_);
            }
            const size_t partial = len - pos;
            if (eof) {
                // The last line has no newline.
                if (partial > 0 &&
                    !line(base + pos, partial, capacity_ + simdjson::SIMDJSON_PADDING - pos)) {
                    return core::Error{std::move(fatal_)};
                }
                break;
            }
            if (partial > max_line_) {
                if (!tooLong()) {
                    return core::Error{std::move(fatal_)};
                }
                skipping = true;
                len = 0;
                scanned = 0;
                continue;
            }
            if (pos > 0) {
                std::memmove(base, base + pos, partial);
            }
            len = partial;
            scanned = partial;
        }
        return {};
    }

private:
    // The buffer is full of one partial line that may still be short enough: make room.
    void grow(size_t len) {
        const size_t capacity =
            std::min(max_capacity_, std::max(capacity_ * 2, len + kMinReadBytes));
        auto bigger = std::make_unique<char[]>(capacity + simdjson::SIMDJSON_PADDING);
        std::memcpy(bigger.get(), buffer_.get(), len);
        buffer_ = std::move(bigger);
        capacity_ = capacity;
    }

    // One line without its newline. False when reading must stop (fatal_ is set).
    bool line(const char* data, size_t size, size_t capacity) {
        ++line_number_;
        ++stats_.lines;
        if (size > max_line_) {
            return reject("line longer than " + std::to_string(max_line_) + " bytes");
        }
        if (size > 0 && data[size - 1] == '\r') {
            --size;
        }
        switch (parser_.parse(data, size, capacity, observation_)) {
            case LineOutcome::kFlow:
                if (core::Status st = consumer_(observation_); !st) {
                    return reject(st.error());
                }
                ++stats_.flows;
                return true;
            case LineOutcome::kNonFlow:
                ++stats_.skipped_non_flow;
                return true;
            case LineOutcome::kReply:
                ++stats_.skipped_replies;
                return true;
            case LineOutcome::kDropped:
                ++stats_.skipped_dropped;
                return true;
            case LineOutcome::kNotInitial:
                ++stats_.skipped_not_initial;
                return true;
            case LineOutcome::kDuplicate:
                ++stats_.skipped_duplicates;
                return true;
            case LineOutcome::kInvalid:
                break;
        }
        return reject(parser_.error());
    }

    // The line being read has passed max_line_bytes without a newline.
    bool tooLong() {
        ++line_number_;
        ++stats_.lines;
        return reject("line longer than " + std::to_string(max_line_) + " bytes");
    }

    bool reject(const std::string& what) {
        std::string message = name_ + ":" + std::to_string(line_number_) + ": " + what;
        if (!options_.skip_invalid) {
            fatal_ = std::move(message);
            return false;
        }
        ++stats_.invalid;
        if (stats_.invalid_examples.size() < kMaxInvalidExamples) {
            stats_.invalid_examples.push_back(std::move(message));
        }
        return true;
    }

    std::string name_;
    const FlowReadOptions& options_;
    size_t max_line_;
    size_t max_capacity_;
    FlowReadStats& stats_;
    const FlowConsumer& consumer_;
    FlowLineParser parser_;
    core::FlowObservation observation_;
    std::unique_ptr<char[]> buffer_;
    size_t capacity_ = 0;
    uint64_t line_number_ = 0;
    std::string fatal_;
};

}  // namespace

core::Status readFlowFile(const std::string& path,
                          const FlowReadOptions& options,
                          FlowReadStats& stats,
                          const FlowConsumer& consumer) {
    const std::string name = path == "-" ? "<stdin>" : path;
    auto source = openFlowFile(path, name, options.on_raw_bytes);
    if (!source) {
        return core::Error{source.error()};
    }
    FlowStream stream(name, options, stats, consumer);
    return stream.run(**source);
}

core::Status readFlowBuffer(std::string_view data,
                            std::string_view name,
                            const FlowReadOptions& options,
                            FlowReadStats& stats,
                            const FlowConsumer& consumer) {
    auto source = openFlowBuffer(data, name, options.on_raw_bytes);
    if (!source) {
        return core::Error{source.error()};
    }
    FlowStream stream(name, options, stats, consumer);
    return stream.run(**source);
}

}  // namespace netpolgen::io
