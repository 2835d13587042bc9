#include "io/flow_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "io/flow_line_parser.h"
#include "io/flow_source.h"
#include "io/json_framer.h"

namespace netpolgen::io {
namespace {

// The read buffer: max(kChunkBytes, max_line_bytes + kMinReadBytes), so that a carried-over line
// of max_line_bytes still leaves room for reads that are not tiny.
constexpr size_t kChunkBytes = 16u << 20;
constexpr size_t kMinReadBytes = 1u << 20;
// A buffer for a small input starts at the input's size, but not below this.
constexpr size_t kMinBufferBytes = 4096;
constexpr size_t kMaxInvalidExamples = 10;

// Splits the bytes of one source into records and hands each to the FlowLineParser.
//
// The framing of an input is decided by its first line that is not blank: one JSON object on it
// means JSON Lines, and every later line is one record (the fast path: lines are found with
// memchr). A "[", an object the line does not close, or a second value after the object means a
// framed input (io/json_framer.h): records are the objects the JsonFramer finds, wherever the
// lines break. A later line of JSON Lines input that is not one object is invalid, and its error
// says how the input is read.
//
// The buffer is one allocation of `capacity_ + SIMDJSON_PADDING` bytes: records are parsed where
// they lie, the partial last record of a chunk is moved to the front and completed by the next
// read. A record longer than max_line_bytes is never held whole: once it is known to be too long,
// the rest of it is read and dropped.
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

        while (true) {
            if (len_ == capacity_) {
                grow(len_);
            }
            auto got = source.read(buffer_.get() + len_, capacity_ - len_);
            if (!got) {
                return core::Error{got.error()};
            }
            const size_t n = *got;
            const bool eof = n == 0;
            stats_.bytes += n;
            if (n > 0) {
                ends_with_newline_ = buffer_[len_ + n - 1] == '\n';
            }
            len_ += n;
            const bool ok = framer_ ? framed(eof) : lines(eof);
            if (!ok) {
                return core::Error{std::move(fatal_)};
            }
            if (options_.on_progress) {
                options_.on_progress(stats_);
            }
            if (eof) {
                break;
            }
        }
        if (!framer_) {
            decideLines();  // only blank lines, or nothing
        }
        return {};
    }

private:
    enum class Mode : uint8_t { kUndecided, kLines, kFramed };
    using Event = detail::JsonFramer::Event;

    // Where a record starts, for messages: "NAME:LINE: [object N: ]what".
    struct Place {
        uint64_t line = 0;
        const char* kind = nullptr;  // "object", "element" or none
        uint64_t ordinal = 0;
    };

    // The buffer is full of one partial record that may still be short enough: make room.
    void grow(size_t len) {
        const size_t capacity =
            std::min(max_capacity_, std::max(capacity_ * 2, len + kMinReadBytes));
        auto bigger = std::make_unique<char[]>(capacity + simdjson::SIMDJSON_PADDING);
        std::memcpy(bigger.get(), buffer_.get(), len);
        buffer_ = std::move(bigger);
        capacity_ = capacity;
    }

    // JSON Lines: every complete line of buffer_[0, len_). False when reading must stop.
    bool lines(bool eof) {
        char* const base = buffer_.get();
        size_t pos = 0;
        if (skipping_) {
            const void* nl = std::memchr(base + scanned_, '\n', len_ - scanned_);
            if (nl == nullptr) {
                len_ = 0;
                scanned_ = 0;
                return true;
            }
            pos = static_cast<size_t>(static_cast<const char*>(nl) - base) + 1;
            scanned_ = pos;
            skipping_ = false;
        }
        size_t search = std::max(pos, scanned_);
        while (search < len_) {
            const void* nl = std::memchr(base + search, '\n', len_ - search);
            if (nl == nullptr) {
                break;
            }
            const auto end = static_cast<size_t>(static_cast<const char*>(nl) - base);
            if (mode_ == Mode::kUndecided && framedFrom(base + pos, end - pos)) {
                return switchToFramed(pos, eof);
            }
            if (!line(base + pos, end - pos, capacity_ + simdjson::SIMDJSON_PADDING - pos)) {
                return false;
            }
            pos = end + 1;
            search = pos;
        }
        const size_t partial = len_ - pos;
        if (eof) {
            // The last line has no newline.
            if (partial > 0 && mode_ == Mode::kUndecided && framedFrom(base + pos, partial)) {
                return switchToFramed(pos, eof);
            }
            return partial == 0 ||
                   line(base + pos, partial, capacity_ + simdjson::SIMDJSON_PADDING - pos);
        }
        if (partial > max_line_) {
            // One line of `jq -sc` or of objects without newlines is framed, not too long.
            if (mode_ == Mode::kUndecided && framedFrom(base + pos, partial, true)) {
                return switchToFramed(pos, eof);
            }
            decideLines();
            if (!tooLong()) {
                return false;
            }
            skipping_ = true;
            len_ = 0;
            scanned_ = 0;
            return true;
        }
        if (pos > 0) {
            std::memmove(base, base + pos, partial);
        }
        len_ = partial;
        scanned_ = partial;
        return true;
    }

    // While undecided: whether the input is framed, from its first line that is not blank (a
    // blank line is counted later, once the framing is known). `prefix`: only the start of an
    // over-long line, whose object may not have closed yet.
    bool framedFrom(const char* data, size_t size, bool prefix = false) {
        switch (detail::lineShape(data, size)) {
            case detail::LineShape::kBlank:
                return false;  // line() holds it back
            case detail::LineShape::kArray:
            case detail::LineShape::kMore:
                return true;
            case detail::LineShape::kUnclosed:
                return !prefix;
            case detail::LineShape::kOneObject:
            case detail::LineShape::kOther:
                break;
        }
        decideLines();
        return false;
    }

    // JSON Lines: the blank lines held back before the first line are records too.
    void decideLines() {
        if (mode_ != Mode::kUndecided) {
            return;
        }
        mode_ = Mode::kLines;
        line_number_ += pending_blank_;
        stats_.lines += pending_blank_;
        stats_.records += pending_blank_;
        stats_.skipped_non_flow += pending_blank_;
        pending_blank_ = 0;
        first_line_ = line_number_ + 1;
    }

    // buffer_[pos, len_) starts with the first line that is not blank: frame from there on.
    bool switchToFramed(size_t pos, bool eof) {
        mode_ = Mode::kFramed;
        char* const base = buffer_.get();
        std::memmove(base, base + pos, len_ - pos);
        len_ -= pos;
        scanned_ = 0;
        framer_.emplace(pending_blank_ + 1);
        return framed(eof);
    }

    // Framed input: every record the framer finds in buffer_[0, len_).
    bool framed(bool eof) {
        char* const base = buffer_.get();
        for (auto e = framer_->next(base, len_); e != Event::kNeedMore;
             e = framer_->next(base, len_)) {
            if (!framedEvent(e)) {
                return false;
            }
        }
        if (eof) {
            for (auto e = framer_->finish(); e != Event::kNeedMore; e = framer_->finish()) {
                if (!framedEvent(e)) {
                    return false;
                }
            }
            // Lines as JSON Lines would count them: the last one may lack its newline.
            const uint64_t last = framer_->line();
            stats_.lines += last - (ends_with_newline_ ? 1 : 0);
            return true;
        }
        if (framer_->live() && len_ - framer_->record().begin > max_line_) {
            ++stats_.records;
            if (!reject(place(framer_->record()), tooLongMessage(framer_->record()))) {
                return false;
            }
            framer_->dropRecord();
        }
        const size_t keep = framer_->keepFrom();
        std::memmove(base, base + keep, len_ - keep);
        len_ -= keep;
        framer_->shift(keep);
        return true;
    }

    bool framedEvent(Event e) {
        const detail::JsonFramer::Record& r = framer_->record();
        switch (e) {
            case Event::kRecord: {
                ++stats_.records;
                const size_t size = r.end - r.begin;
                if (size > max_line_) {
                    return reject(place(r), tooLongMessage(r));
                }
                const LineOutcome outcome =
                    parser_.parse(buffer_.get() + r.begin,
                                  size,
                                  capacity_ + simdjson::SIMDJSON_PADDING - r.begin,
                                  observation_);
                return counted(outcome, place(r));
            }
            case Event::kInvalid:
                ++stats_.records;
                return reject(place(r), framer_->message());
            case Event::kFatal:
                fatal_ = message(place(r), framer_->message());
                return false;
            case Event::kNeedMore:
                break;
        }
        return true;
    }

    static Place place(const detail::JsonFramer::Record& r) {
        if (!r.has_ordinal) {
            return {r.line, nullptr, 0};
        }
        return {r.line, r.element ? "element" : "object", r.ordinal};
    }

    std::string tooLongMessage(const detail::JsonFramer::Record& r) const {
        return std::string(r.element ? "element" : "object") + " longer than " +
               std::to_string(max_line_) + " bytes";
    }

    // One line without its newline. False when reading must stop (fatal_ is set).
    bool line(const char* data, size_t size, size_t capacity) {
        if (mode_ == Mode::kUndecided) {
            ++pending_blank_;  // framedFrom() leaves only blank lines undecided
            return true;
        }
        ++line_number_;
        ++stats_.lines;
        ++stats_.records;
        if (size > max_line_) {
            return reject(Place{line_number_},
                          "line longer than " + std::to_string(max_line_) + " bytes");
        }
        if (size > 0 && data[size - 1] == '\r') {
            --size;
        }
        const LineOutcome outcome = parser_.parse(data, size, capacity, observation_);
        if (outcome != LineOutcome::kInvalid) {
            return counted(outcome, Place{line_number_});
        }
        // Say how the input is read when the line is not one object.
        std::string what = parser_.error();
        if (detail::lineShape(data, size) != detail::LineShape::kOneObject) {
            what += line_number_ == first_line_
                        ? std::string("; ") + detail::kFramingHint
                        : "; this input is read as one JSON object per line (e.g. `jq -c`), as "
                          "its first line is one";
        }
        return reject(Place{line_number_}, what);
    }

    // Counts a parsed record. False when reading must stop (fatal_ is set).
    bool counted(LineOutcome outcome, const Place& where) {
        if (outcome == LineOutcome::kFlow) {
            if (core::Status st = consumer_(observation_); !st) {
                return reject(where, st.error());
            }
            ++stats_.flows;
            return true;
        }
        if (detail::countSkipped(outcome, stats_)) {
            return true;
        }
        return reject(where, parser_.error());
    }

    // The line being read has passed max_line_bytes without a newline.
    bool tooLong() {
        ++line_number_;
        ++stats_.lines;
        ++stats_.records;
        return reject(Place{line_number_},
                      "line longer than " + std::to_string(max_line_) + " bytes");
    }

    std::string message(const Place& where, const std::string& what) const {
        std::string m = name_ + ":" + std::to_string(where.line) + ": ";
        if (where.kind != nullptr) {
            m += std::string(where.kind) + " " + std::to_string(where.ordinal) + ": ";
        }
        return m + what;
    }

    bool reject(const Place& where, const std::string& what) {
        std::string m = message(where, what);
        if (!options_.skip_invalid) {
            fatal_ = std::move(m);
            return false;
        }
        ++stats_.invalid;
        if (stats_.invalid_examples.size() < kMaxInvalidExamples) {
            stats_.invalid_examples.push_back(std::move(m));
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
    size_t len_ = 0;         // bytes in the buffer: a partial record at its start
    size_t scanned_ = 0;     // JSON Lines: buffer[0, scanned_) holds no newline
    bool skipping_ = false;  // JSON Lines: dropping the rest of a line reported as too long
    bool ends_with_newline_ = false;  // the last byte read is "\n"
    Mode mode_ = Mode::kUndecided;
    uint64_t pending_blank_ = 0;  // blank lines before the first line, counted once decided
    std::optional<detail::JsonFramer> framer_;  // set once the input is known to be framed
    uint64_t line_number_ = 0;
    uint64_t first_line_ = 0;  // JSON Lines: the first line that is not blank
    std::string fatal_;
};

}  // namespace

bool detail::countSkipped(LineOutcome outcome, FlowReadStats& stats) {
    switch (outcome) {
        case LineOutcome::kNonFlow:
            ++stats.skipped_non_flow;
            return true;
        case LineOutcome::kReply:
            ++stats.skipped_replies;
            return true;
        case LineOutcome::kDropped:
            ++stats.skipped_dropped;
            return true;
        case LineOutcome::kNotInitial:
            ++stats.skipped_not_initial;
            return true;
        case LineOutcome::kDuplicate:
            ++stats.skipped_duplicates;
            return true;
        case LineOutcome::kFlow:
        case LineOutcome::kInvalid:
            break;
    }
    return false;
}

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
