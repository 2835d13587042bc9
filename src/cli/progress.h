// A one-line progress display for long reads, on stderr when it is a terminal:
//   flows.jsonl   43%   1.2M lines   650k lines/s   80.1 MB/s
// redrawn in place (\r) at most every 100 ms, and erased by clear(). Disabled, it prints nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace netpolgen::cli {

// --progress auto|always|never: auto shows progress only when `err` is the process's stderr and
// that is a terminal, so logs and tests never receive escape sequences.
bool progressWanted(std::string_view mode, const std::ostream& err);

class ProgressLine {
public:
    // `total_bytes`: the input's size when known (a regular file), else 0 (no percentage).
    ProgressLine(std::ostream& err, bool enabled, std::string name, uint64_t total_bytes);
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;
    ~ProgressLine() { clear(); }

    // `raw_bytes` read from the file (for the percentage), `lines` and `bytes` (decompressed)
    // processed so far (for the rates).
    void update(uint64_t raw_bytes, uint64_t lines, uint64_t bytes);
    // A phase without counters, e.g. "storing 612k day buckets".
    void status(std::string_view text);
    void clear();

private:
    void draw(const std::string& text);

    std::ostream& err_;
    bool enabled_;
    std::string name_;
    uint64_t total_bytes_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
    bool drawn_ = false;
};

// 1234567 → "1.2M", 12345 → "12k", 123 → "123".
std::string humanCount(double n);

}  // namespace netpolgen::cli
