#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <iostream>

namespace netpolgen::cli {
namespace {

constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
// ANSI "erase to the end of the line": a shorter redraw leaves nothing of the previous one.
constexpr std::string_view kEraseLine = "\r\033[K";

}  // namespace

bool progressWanted(std::string_view mode, const std::ostream& err) {
    if (mode == "always") {
        return true;
    }
    if (mode == "never") {
        return false;
    }
    return &err == &std::cerr && ::isatty(STDERR_FILENO) == 1;
}

std::string humanCount(double n) {
    if (n >= 1e6) {
        return fmt::format("{:.1f}M", n / 1e6);
    }
    if (n >= 1e3) {
        return fmt::format("{:.0f}k", n / 1e3);
    }
    return fmt::format("{:.0f}", n);
}

ProgressLine::ProgressLine(std::ostream& err, bool enabled, std::string name, uint64_t total_bytes)
    : err_(err),
      enabled_(enabled),
      name_(std::move(name)),
      total_bytes_(total_bytes),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressLine::update(uint64_t raw_bytes, uint64_t lines, uint64_t bytes) {
    if (!enabled_) {
        return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (drawn_ && now - last_draw_ < kRedrawInterval) {
        return;
    }
    last_draw_ = now;
    const double seconds = std::chrono::duration<double>(now - start_).count();
    const double per_second = seconds > 0 ? 1 / seconds : 0;
    std::string text = name_;
    if (total_bytes_ > 0) {
        text +=
            fmt::format("  {:3.0f}%",
                        100.0 * static_cast<double>(raw_bytes) / static_cast<double>(total_bytes_));
    }
    text += fmt::format("  {} lines  {} lines/s  {:.1f} MB/s",
                        humanCount(static_cast<double>(lines)),
                        humanCount(static_cast<double>(lines) * per_second),
                        static_cast<double>(bytes) / 1e6 * per_second);
    draw(text);
}

void ProgressLine::status(std::string_view text) {
    if (enabled_) {
        draw(name_ + "  " + std::string(text));
    }
}

void ProgressLine::clear() {
    if (enabled_ && drawn_) {
        err_ << kEraseLine << std::flush;
        drawn_ = false;
    }
}

void ProgressLine::draw(const std::string& text) {
    err_ << kEraseLine << text << std::flush;
    drawn_ = true;
}

}  // namespace netpolgen::cli
