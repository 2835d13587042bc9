#include "collect/file_follower.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <memory>
#include <tuple>
#include <utility>

#include "io/flow_source.h"

namespace netpolgen::collect {
namespace {

using core::Error;
using core::Result;
using core::Status;

constexpr size_t kChunkBytes = 1u << 20;
// A compressed sibling this recent may still be being written (the exporter compresses after the
// rename): it is left for a later scan.
constexpr int64_t kSettleNs = 2'000'000'000;

std::string errnoText(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

int64_t mtimeNs(const struct stat& st) {
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

bool compressed(const std::string& name) {
    return name.ends_with(".gz") || name.ends_with(".zst");
}

// The head of a file: of its first line with the newline, or of all of it (up to `max` bytes)
// when it has no newline and `whole` (a rotated file is complete). Empty: no head yet.
Result<std::string> headOfFile(const std::string& path, size_t max, bool whole) {
    auto source = io::openFlowFile(path, path);
    if (!source) {
        return Error{source.error()};
    }
    std::string bytes;
    std::string chunk(64u << 10, '\0');
    while (bytes.size() <= max) {
        auto got = (*source)->read(chunk.data(), chunk.size());
        if (!got) {
            return Error{got.error()};
        }
        const size_t before = bytes.size();
        bytes.append(chunk.data(), *got);
        if (const size_t nl = bytes.find('\n', before); nl != std::string::npos) {
            return headOf(std::string_view(bytes).substr(0, nl + 1));
        }
        if (*got == 0) {
            break;
        }
    }
    return whole && !bytes.empty() ? headOf(std::string_view(bytes).substr(0, max)) : std::string();
}

// The length a head was taken over ("<bytes>-<hash>"); 0 when it is not one.
uint64_t headBytes(const std::string& head) {
    uint64_t bytes = 0;
    const auto [end, ec] = std::from_chars(head.data(), head.data() + head.size(), bytes);
    return ec == std::errc() && end != head.data() + head.size() && *end == '-' ? bytes : 0;
}

}  // namespace

std::string headOf(std::string_view first_line) {
    uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a 64
    for (const char c : first_line) {
        hash = (hash ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
    }
    char hex[17];
    for (int i = 15; i >= 0; --i) {
        hex[i] = "0123456789abcdef"[hash & 0xf];
        hash >>= 4;
    }
    hex[16] = '\0';
    return std::to_string(first_line.size()) + "-" + hex;
}

FileFollower::FileFollower(std::string path, store::FollowState state, size_t max_line_bytes)
    : path_(std::move(path)), max_line_(std::max<size_t>(max_line_bytes, 1)) {
    const size_t slash = path_.rfind('/');
    dir_ = slash == std::string::npos ? "." : slash == 0 ? "/" : path_.substr(0, slash);
    name_ = slash == std::string::npos ? path_ : path_.substr(slash + 1);
    stem_ = name_.substr(0, name_.find('.'));
    done_.insert(state.done.begin(), state.done.end());
    stored_ = std::move(state.cursor);
}

FileFollower::~FileFollower() {
    closeLive();
}

std::vector<std::string> FileFollower::takeDone() {
    return std::exchange(new_done_, {});
}

std::vector<std::string> FileFollower::takeForget() {
    return std::exchange(forget_, {});
}

std::vector<std::string> FileFollower::takeNotes() {
    return std::exchange(notes_, {});
}

Result<uint64_t> FileFollower::poll(const LineSink& sink) {
    const uint64_t before = consumed_;
    if (!started_) {
        started_ = true;
        if (Status st = start(sink); !st) {
            return Error{st.error()};
        }
    }
    if (fd_ < 0) {
        if (Status st = openLive(false); !st || fd_ < 0) {
            return st ? Result<uint64_t>(consumed_ - before) : Error{st.error()};
        }
    }
    auto cut = truncated();
    if (!cut) {
        return Error{cut.error()};
    }
    if (*cut) {
        if (Status st = onTruncated(sink); !st) {
            return Error{st.error()};
        }
    }
    auto got = readLive(sink);
    if (!got) {
        return Error{got.error()};
    }
    if (*got == 0) {
        auto moved = rotated();
        if (!moved) {
            return Error{moved.error()};
        }
        if (*moved) {
            if (Status st = onRotated(sink); !st) {
                return Error{st.error()};
            }
        }
    }
    return consumed_ - before;
}

// --- start and resume ----------------------------------------------------------------------------

Status FileFollower::start(const LineSink& sink) {
    if (stored_ && !stored_->head.empty()) {
        auto same = openStored();
        if (!same) {
            return Status{Error{same.error()}};
        }
        if (*same) {
            cursor_ = *stored_;
            head_bytes_ = headBytes(cursor_.head);
            resumed_at_ = cursor_.offset;
            if (Status replayed = replayBeforeCursor(); !replayed) {
                return replayed;
            }
        } else if (Status st = resumeRotated(sink); !st) {
            return st;
        }
    }
    return readSiblings(sink);
}

// Opens the path and keeps it open when it is the stored cursor's file: the same device and
// inode, as long as the offset, and the same first line (the checks are on the open file, so a
// rotation in between cannot mix two files).
Result<bool> FileFollower::openStored() {
    if (Status st = openLive(true); !st || fd_ < 0) {
        return st ? Result<bool>(false) : Error{st.error()};
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        return Error{errnoText("cannot stat", path_)};
    }
    const uint64_t head_bytes = headBytes(stored_->head);
    std::string first(head_bytes, '\0');
    bool same = static_cast<uint64_t>(st.st_dev) == stored_->device &&
                static_cast<uint64_t>(st.st_ino) == stored_->inode &&
                static_cast<uint64_t>(st.st_size) >= std::max(stored_->offset, head_bytes) &&
                ::pread(fd_, first.data(), first.size(), 0) == static_cast<ssize_t>(first.size()) &&
                headOf(first) == stored_->head;
    if (!same) {
        closeLive();
    }
    return same;
}

// The file read before is no longer at the path (or no longer the same there): its rest is read
// from the sibling that has its head, wherever it went.
Status FileFollower::resumeRotated(const LineSink& sink) {
    auto found = readRestOf(stored_->head, stored_->offset, sink);
    if (!found) {
        return Status{Error{found.error()}};
    }
    if (!*found) {
        notes_.push_back(path_ + ": the file read before (up to byte " +
                         std::to_string(stored_->offset) +
                         ") is gone: lines it got after that are lost");
    }
    markDone(stored_->head);
    return {};
}

Status FileFollower::replayBeforeCursor() {
    if (!replay_) {
        return {};
    }
    std::string bytes(kChunkBytes, '\0');
    std::string pending;
    uint64_t pos = 0;
    while (pos < resumed_at_) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunkBytes, resumed_at_ - pos));
        const ssize_t n = ::pread(fd_, bytes.data(), want, static_cast<off_t>(pos));
        if (n <= 0) {
            return n == 0 ? Status{} : Status{Error{errnoText("cannot read", path_)}};
        }
        const uint64_t start = pos - pending.size();
        pending.append(bytes.data(), static_cast<size_t>(n));
        pos += static_cast<uint64_t>(n);
        pending.erase(0, splitLines(pending, start, false, replay_));
    }
    consumed_ -= resumed_at_;  // not handed out again: read only to rebuild the decoder's state
    return {};
}

// --- the followed file ---------------------------------------------------------------------------

Status FileFollower::openLive(bool at_cursor) {
    closeLive();
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
        return errno == ENOENT ? Status{} : Status{Error{errnoText("cannot open", path_)}};
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        return Status{Error{errnoText("cannot stat", path_)}};
    }
    buffer_.clear();
    if (!at_cursor) {
        cursor_ = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino), "", 0};
        head_bytes_ = 0;
        resumed_at_ = 0;
    }
    return {};
}

void FileFollower::closeLive() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

// New bytes of the followed file, up to max_read_bytes; their complete lines handed out.
Result<uint64_t> FileFollower::readLive(const LineSink& sink) {
    uint64_t read = 0;
    std::string chunk(kChunkBytes, '\0');
    while (read < max_read_bytes) {
        const uint64_t pos = cursor_.offset + buffer_.size();
        const ssize_t n = ::pread(fd_, chunk.data(), chunk.size(), static_cast<off_t>(pos));
        if (n < 0) {
            return Error{errnoText("cannot read", path_)};
        }
        if (n == 0) {
            break;
        }
        read += static_cast<uint64_t>(n);
        buffer_.append(chunk.data(), static_cast<size_t>(n));
        handBuffer(false, sink);
    }
    return read;
}

// The complete lines of buffer_ (all of it when `final`) to the sink; the cursor moves past them.
void FileFollower::handBuffer(bool final, const LineSink& sink) {
    const uint64_t used =
        splitLines(buffer_, cursor_.offset, final, [&](std::string_view line, uint64_t offset) {
            if (offset == 0) {
                // The first line names the file: with its newline, unless the file ended without.
                const bool has_newline =
                    line.size() < buffer_.size() && buffer_[line.size()] == '\n';
                cursor_.head =
                    headOf(std::string_view(buffer_).substr(0, line.size() + has_newline));
                head_bytes_ = line.size() + has_newline;
            }
            sink(line, offset);
        });
    buffer_.erase(0, used);
    cursor_.offset += used;
}

// Shorter than what was read, or another first line: truncated (and maybe written again).
Result<bool> FileFollower::truncated() {
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        return Error{errnoText("cannot stat", path_)};
    }
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    const uint64_t read_to = cursor_.offset + buffer_.size();
    if (size < read_to) {
        return true;
    }
    if (head_bytes_ == 0) {
        return false;
    }
    // Also when the size is unchanged: a copytruncate may have been written back to the same
    // size. One pread of the first line per poll.
    std::string first(head_bytes_, '\0');
    const ssize_t n = ::pread(fd_, first.data(), first.size(), 0);
    if (n < 0) {
        return Error{errnoText("cannot read", path_)};
    }
    return static_cast<size_t>(n) < first.size() || headOf(first) != cursor_.head;
}

Status FileFollower::onTruncated(const LineSink& sink) {
    notes_.push_back(path_ + ": truncated after byte " + std::to_string(cursor_.offset) +
                     ": reading it again from the start");
    if (!cursor_.head.empty()) {
        // copytruncate: the copy has the lines written after the offset, before the truncation.
        auto found = readRestOf(cursor_.head, cursor_.offset, sink);
        if (!found) {
            return Status{Error{found.error()}};
        }
        markDone(cursor_.head);
    }
    cursor_.head.clear();
    cursor_.offset = 0;
    head_bytes_ = 0;
    buffer_.clear();
    return {};
}

// The path names another file than the open one, or none.
Result<bool> FileFollower::rotated() {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) {
        if (errno == ENOENT) {
            return true;
        }
        return Error{errnoText("cannot stat", path_)};
    }
    return static_cast<uint64_t>(st.st_dev) != cursor_.device ||
           static_cast<uint64_t>(st.st_ino) != cursor_.inode;
}

// The open file was renamed away: it is read to its end (the writer has left it), then the file
// now at the path from its start, after any sibling no one has read.
Status FileFollower::onRotated(const LineSink& sink) {
    for (;;) {
        auto got = readLive(sink);
        if (!got) {
            return Status{Error{got.error()}};
        }
        if (*got == 0) {
            break;
        }
    }
    handBuffer(true, sink);
    if (!cursor_.head.empty()) {
        markDone(cursor_.head);
    }
    if (Status st = openLive(false); !st) {
        return st;
    }
    return readSiblings(sink);
}

// --- rotated siblings ----------------------------------------------------------------------------

Result<std::vector<FileFollower::Sibling>> FileFollower::siblings() {
    std::vector<Sibling> out;
    if (stem_.empty()) {
        return out;
    }
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(dir_.c_str()), ::closedir);
    if (!dir) {
        return Error{errnoText("cannot list", dir_)};
    }
    while (const dirent* e = ::readdir(dir.get())) {
        const std::string name = e->d_name;
        // events-<time>.log, events.log.1, events.log-20261207.gz; not events2.log.
        if (name == name_ || !name.starts_with(stem_) || name.size() == stem_.size() ||
            std::isalnum(static_cast<unsigned char>(name[stem_.size()])) != 0) {
            continue;
        }
        const std::string path = dir_ + "/" + name;
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
            continue;
        }
        auto head = headOfFile(path, max_line_, true);
        if (!head) {
            notes_.push_back(head.error());
            continue;
        }
        if (!head->empty()) {
            out.push_back({path, std::move(*head), mtimeNs(st)});
        }
    }
    std::sort(out.begin(), out.end(), [](const Sibling& a, const Sibling& b) {
        return std::tie(a.mtime_ns, a.path) < std::tie(b.mtime_ns, b.path);
    });
    return out;
}

// Every sibling not read before, whole and oldest first; done heads of files gone are forgotten.
Status FileFollower::readSiblings(const LineSink& sink) {
    auto list = siblings();
    if (!list) {
        return Status{Error{list.error()}};
    }
    std::set<std::string> present;
    for (const Sibling& s : *list) {
        present.insert(s.head);
    }
    for (auto it = done_.begin(); it != done_.end();) {
        if (present.count(*it) == 0 && *it != cursor_.head) {
            forget_.push_back(*it);
            it = done_.erase(it);
        } else {
            ++it;
        }
    }
    struct timespec now {};
    ::clock_gettime(CLOCK_REALTIME, &now);
    const int64_t now_ns = static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
    for (const Sibling& s : *list) {
        if (done_.count(s.head) != 0 || (compressed(s.path) && now_ns - s.mtime_ns < kSettleNs)) {
            continue;
        }
        if (Status st = readWhole(s.path, 0, sink); !st) {
            notes_.push_back(st.error() + " (the lines before were read)");
        }
        markDone(s.head);
    }
    return {};
}

// The rest of the sibling with this head after `from` bytes; false when there is none.
Result<bool> FileFollower::readRestOf(const std::string& head,
                                      uint64_t from,
                                      const LineSink& sink) {
    auto list = siblings();
    if (!list) {
        return Error{list.error()};
    }
    for (const Sibling& s : *list) {
        if (s.head == head) {
            if (Status st = readWhole(s.path, from, sink); !st) {
                notes_.push_back(st.error() + " (the lines before were read)");
            }
            return true;
        }
    }
    return false;
}

// A complete file (plain or compressed): its lines after the first `skip` bytes.
Status FileFollower::readWhole(const std::string& path, uint64_t skip, const LineSink& sink) {
    auto source = io::openFlowFile(path, path);
    if (!source) {
        return Status{Error{source.error()}};
    }
    std::string chunk(kChunkBytes, '\0');
    std::string pending;
    uint64_t pos = 0;  // decompressed bytes read
    for (;;) {
        auto got = (*source)->read(chunk.data(), chunk.size());
        if (!got) {
            return Status{Error{got.error()}};
        }
        const uint64_t start = pos;
        pos += *got;
        if (pos > skip) {
            const size_t from = start >= skip ? 0 : static_cast<size_t>(skip - start);
            const uint64_t pending_start = std::max(start, skip) - pending.size();
            pending.append(chunk.data() + from, *got - from);
            pending.erase(0, splitLines(pending, pending_start, *got == 0, sink));
        }
        if (*got == 0) {
            return {};
        }
    }
}

void FileFollower::markDone(const std::string& head) {
    if (done_.insert(head).second) {
        new_done_.push_back(head);
    }
}

// Hands the lines of `bytes` (which start at `offset` in their file) to the sink: complete ones,
// pieces of max_line_ bytes of a longer one, and when `final` the last one without a newline.
// Returns the bytes handed out.
uint64_t FileFollower::splitLines(std::string_view bytes,
                                  uint64_t offset,
                                  bool final,
                                  const LineSink& sink) {
    size_t pos = 0;
    while (pos < bytes.size()) {
        const size_t nl = bytes.find('\n', pos);
        if (nl == std::string_view::npos) {
            const size_t rest = bytes.size() - pos;
            if (!final && rest <= max_line_) {
                break;
            }
            const size_t piece = final ? rest : max_line_;
            sink(bytes.substr(pos, piece), offset + pos);
            pos += piece;
            continue;
        }
        sink(bytes.substr(pos, nl - pos), offset + pos);
        pos = nl + 1;
    }
    consumed_ += pos;
    return pos;
}

}  // namespace netpolgen::collect
