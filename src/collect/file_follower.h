// FileFollower: the complete lines of a file another process appends to — a Hubble exporter file
// (`hubble-export-file-path`, e.g. /var/run/cilium/hubble/events.log) — across its rotations, from
// where the store says reading stopped (`netpolgen collect --follow`).
//
//   FileFollower follower("/var/run/cilium/hubble/events.log", store.followState(…));
//   for (;;) {
//       follower.poll([&](std::string_view line, uint64_t offset) { decode(line); });
//       if (time to commit) store.commitFollow({batch, expected, follower.cursor(),
//                                               follower.takeDone(), follower.takeForget()});
//   }
//
// What it follows, polled (no inotify: a poll costs one fstat and one stat when nothing changed):
// - Appends: every complete line, once. A partial last line (the writer is mid-line) is not
//   handed out until its newline arrives, and the cursor never moves past it.
// - Rotation by rename (the exporter's lumberjack renames events.log to
//   events-<time>.log[.gz] and opens a new events.log): when the path names another file, the
//   open one is read to its end (its last line even without a newline), then the new one from 0.
// - Truncation (copytruncate): the file is shorter than the offset, or its first line changed.
//   The lines the copy holds past the offset are read from the copy when it is in the directory
//   (the sibling with the same first line); then the file is read again from 0.
// - Rotated files in the directory: every sibling (a regular file whose name starts with the
//   followed name's stem, "events" for events.log: events-<time>.log, events.log.1.gz, …; plain,
//   .gz or .zst) not read before is read once, whole, oldest first, when the follower starts and
//   after each rotation. Files read to their end are remembered by their first line's hash (their
//   head: a rotated file keeps its head when it is renamed or compressed), in the store with the
//   cursor, so a restart reads none twice; heads of files gone from the directory are forgotten.
// - Resume: the cursor (device, inode, head, offset) committed with the flows. The same file
//   continues at the offset; when it was rotated meanwhile, its rest is read from the sibling with
//   its head (plain or compressed) before anything else.
// Limits: lines longer than max_line_bytes are handed out in pieces of that size (each invalid
// for the decoder); memory is the read buffer and one partial line.
//
// Not thread-safe; one follower per path (the store refuses the commit of a second collector of
// the same source: Store::commitFollow).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace netpolgen::collect {

// A file's head: its first line with the newline, as "<bytes>-<FNV-1a 64 hex>". Rotated copies
// keep it; a truncated or new file gets another one (the exporter's lines carry nanosecond times).
std::string headOf(std::string_view first_line);

class FileFollower {
public:
    // (line without its newline, the byte offset where it starts in its file)
    using LineSink = std::function<void(std::string_view line, uint64_t offset)>;

    FileFollower(std::string path, store::FollowState state, size_t max_line_bytes = 16u << 20);
    ~FileFollower();
    FileFollower(const FileFollower&) = delete;
    FileFollower& operator=(const FileFollower&) = delete;

    // Hands every complete line there is now to `sink` (at most about max_read_bytes of the
    // followed file per call; rotated siblings whole). Returns the bytes consumed, 0 when nothing
    // was new. Errors are I/O errors other than a missing file (a missing path is waited for).
    core::Result<uint64_t> poll(const LineSink& sink);

    // When the first poll resumes inside the file read before, the lines before the cursor go
    // to `replay` first (they are not stored again): what the decoder remembers across lines
    // (the connection deduper) is rebuilt from them as it was before the restart.
    void replayOnResume(LineSink replay) { replay_ = std::move(replay); }

    // Where reading stands: after the last line handed out.
    store::FileCursor cursor() const { return cursor_; }
    // Heads of files read to their end, and of done files gone from the directory, since the
    // last call.
    std::vector<std::string> takeDone();
    std::vector<std::string> takeForget();
    // What the user should know (a truncation, lines lost with a vanished file), since the last
    // call.
    std::vector<std::string> takeNotes();

    const std::string& path() const { return path_; }
    size_t max_read_bytes = 4u << 20;

private:
    struct Sibling {
        std::string path;
        std::string head;
        int64_t mtime_ns = 0;
    };

    core::Status start(const LineSink& sink);
    core::Result<bool> openStored();
    core::Status replayBeforeCursor();
    core::Status resumeRotated(const LineSink& sink);
    core::Result<uint64_t> readLive(const LineSink& sink);
    core::Result<bool> truncated();
    core::Status onTruncated(const LineSink& sink);
    core::Result<bool> rotated();
    core::Status onRotated(const LineSink& sink);
    core::Status openLive(bool at_cursor);
    void closeLive();
    core::Result<std::vector<Sibling>> siblings();
    core::Status readSiblings(const LineSink& sink);
    core::Result<bool> readRestOf(const std::string& head, uint64_t from, const LineSink& sink);
    core::Status readWhole(const std::string& path, uint64_t skip, const LineSink& sink);
    void markDone(const std::string& head);
    void handBuffer(bool final, const LineSink& sink);
    uint64_t splitLines(std::string_view bytes, uint64_t offset, bool final, const LineSink& sink);

    std::string path_;
    std::string dir_;
    std::string name_;
    std::string stem_;
    size_t max_line_;
    bool started_ = false;
    std::optional<store::FileCursor> stored_;  // the cursor the store had at construction
    store::FileCursor cursor_;
    uint64_t head_bytes_ = 0;  // length of the first line with its newline; 0 while unknown
    int fd_ = -1;
    uint64_t resumed_at_ = 0;  // offset the follower resumed at in the followed file
    std::set<std::string> done_;
    std::vector<std::string> new_done_;
    std::vector<std::string> forget_;
    std::vector<std::string> notes_;
    LineSink replay_;
    std::string buffer_;     // bytes read from the followed file past the cursor
    uint64_t consumed_ = 0;  // bytes handed out as lines, over all files
};

}  // namespace netpolgen::collect
