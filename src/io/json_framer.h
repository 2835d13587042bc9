// JsonFramer: finds the JSON objects of a flow input that is not one object per line (private to
// flow_reader.cpp): a JSON array of objects (`jq -s .`), pretty-printed objects spanning lines
// (`jq .`), or objects one after another with or without whitespace between them.
//
// It only frames: it scans bytes, aware of strings and escapes, counting `{`/`[` against `}`/`]`,
// and hands back where each object (or array element) begins and ends and the line it begins on.
// The FlowLineParser then parses each object as it parses a line. Nothing is held: the framer keeps
// a few counters, so it streams over input of any size, pieces of it at a time.
//
// Grammar (whitespace is space, tab, CR and LF anywhere between values):
//   input   = { object | array }
//   array   = "[" [ element { "," element } ] "]"
//   element = any JSON value; one that is not an object is invalid, and skipped with skip_invalid
// An element ends at the next "," or "]" outside strings and brackets, so a malformed element
// (missing comma, a scalar, a nested array) is one invalid record and the framing goes on. Other
// text between top-level values cannot be framed and stops the reader (Event::kFatal).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace netpolgen::io::detail {

// How one line relates to "one JSON object per line".
enum class LineShape : uint8_t {
    kBlank,      // only whitespace
    kOneObject,  // one object (well framed; maybe malformed inside), nothing but whitespace after
    kUnclosed,   // starts an object that the line does not close: pretty-printed, or truncated
    kMore,       // one object followed by another object or array: concatenated values
    kArray,      // starts with "["
    kOther,      // anything else: a scalar, text, an object followed by other text
};

LineShape lineShape(const char* data, size_t size);

// What the flow input is, said in errors where it is not one of these.
inline constexpr const char* kFramingHint =
    "flows are one JSON object per line (e.g. `jq -c`), a JSON array of objects, or JSON objects "
    "one after another";

class JsonFramer {
public:
    enum class Event : uint8_t {
        kNeedMore,  // every byte given has been scanned
        kRecord,    // record() is a complete object or array element, to be parsed
        kInvalid,   // record() is known to be invalid (message()); skippable
        kFatal,     // the framing is lost (message()); reading must stop
    };

    struct Record {
        size_t begin = 0;          // offsets into the buffer given to next()
        size_t end = 0;            // one past the last byte
        uint64_t line = 0;         // the line where it begins
        uint64_t ordinal = 0;      // 1-based: of top-level objects, or of the array's elements
        bool element = false;      // an element of an array, not a top-level object
        bool has_ordinal = false;  // false for the array as a whole (an unclosed array)
    };

    // `first_line`: the line number of the first byte given.
    explicit JsonFramer(uint64_t first_line) : line_(first_line) {}

    // Scans base[position(), len). Call again after each kRecord, kInvalid, until kNeedMore.
    Event next(const char* base, size_t len);
    // After the last next() returned kNeedMore at the end of the input: reports a last array
    // element that had no "]" after it (kRecord), then what is left unclosed (kInvalid). Call
    // until kNeedMore.
    Event finish();

    const Record& record() const { return record_; }
    const std::string& message() const { return message_; }

    // The bytes from keepFrom() on are still needed: the start of an object being read.
    size_t keepFrom() const { return live() ? record_.begin : pos_; }
    // An object being read and not dropped: its bytes so far are base[record().begin, len).
    bool live() const { return in_value_ && !dropped_; }
    // The object being read is not wanted (too long): it is scanned to its end and forgotten.
    void dropRecord() { dropped_ = true; }
    // The buffer has lost its first `by` bytes (by <= keepFrom()).
    void shift(size_t by);
    // The current line number: one more than the newlines scanned.
    uint64_t line() const { return line_; }

private:
    enum class Expect : uint8_t { kFirst, kAfterElement, kAfterComma };

    bool scanValue(const char* base, size_t len);
    Event endValue();
    Event invalid(std::string message);
    Event fatal(char c);

    size_t pos_ = 0;
    uint64_t line_;
    uint64_t depth_ = 0;
    uint64_t objects_ = 0;
    uint64_t elements_ = 0;
    uint64_t array_line_ = 0;
    Record record_;
    std::string message_;
    bool in_value_ = false;
    bool in_string_ = false;
    bool escaped_ = false;
    bool in_array_ = false;
    bool dropped_ = false;
    Expect expect_ = Expect::kFirst;
};

}  // namespace netpolgen::io::detail
