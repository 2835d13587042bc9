// FileFollower on real files in a temporary directory: appends, partial lines, rotation by rename,
// truncation (with and without a copy), rotated .gz siblings, and resuming from a stored cursor.
#include "collect/file_follower.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../support/compression.h"
#include "store_test_util.h"

namespace netpolgen::collect {
namespace {

namespace fs = std::filesystem;
using store::testing::TempDir;
using Lines = std::vector<std::string>;

void append(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::app | std::ios::binary) << text;
}

void write(const fs::path& path, const std::string& text) {
    std::ofstream(path, std::ios::trunc | std::ios::binary) << text;
}

// A rotated file as the exporter leaves it: old enough not to be one being compressed.
void writeOld(const fs::path& path, const std::string& bytes) {
    write(path, bytes);
    fs::last_write_time(path, fs::file_time_type::clock::now() - std::chrono::hours(1));
}

class FileFollowerTest : public ::testing::Test {
protected:
    fs::path file() const { return dir_.path() / "events.log"; }

    // Polls until nothing new comes (a rotation takes two polls: the drain, then the new file).
    Lines poll(FileFollower& f) {
        Lines lines;
        for (int i = 0; i < 4; ++i) {
            auto got = f.poll([&](std::string_view line, uint64_t) { lines.emplace_back(line); });
            EXPECT_TRUE(got) << got.error();
        }
        return lines;
    }

    // What the store would hold after a commit now.
    static store::FollowState committed(FileFollower& f, store::FollowState before = {}) {
        store::FollowState state;
        state.cursor = f.cursor();
        state.done = before.done;
        for (const auto& head : f.takeDone()) {
            state.done.push_back(head);
        }
        for (const auto& head : f.takeForget()) {
            std::erase(state.done, head);
        }
        return state;
    }

    TempDir dir_;
};

TEST_F(FileFollowerTest, AppendsAreHandedOutOnceAndAPartialLineWaitsForItsNewline) {
    write(file(), "a\nb");
    FileFollower f(file().string(), {});
    EXPECT_EQ(poll(f), Lines{"a"});
    EXPECT_EQ(f.cursor().offset, 2u);  // not past the partial "b"
    append(file(), "c\nd\n");
    EXPECT_EQ(poll(f), (Lines{"bc", "d"}));
    EXPECT_EQ(f.cursor().offset, 7u);
    EXPECT_EQ(f.cursor().head, headOf("a\n"));
    EXPECT_EQ(poll(f), Lines{});
}

TEST_F(FileFollowerTest, AMissingFileIsWaitedFor) {
    FileFollower f(file().string(), {});
    EXPECT_EQ(poll(f), Lines{});
    write(file(), "a\n");
    EXPECT_EQ(poll(f), Lines{"a"});
}

TEST_F(FileFollowerTest, RenameRotationReadsTheOldFileToItsEndThenTheNewOne) {
    write(file(), "a\n");
    FileFollower f(file().string(), {});
    EXPECT_EQ(poll(f), Lines{"a"});
    append(file(), "b\nlast-without-newline");  // written before the rename, not yet read
    fs::rename(file(), dir_.path() / "events-2026-12-07T10-00-00.000.log");
    write(file(), "c\n");
    EXPECT_EQ(poll(f), (Lines{"b", "last-without-newline", "c"}));
    EXPECT_EQ(f.takeDone(), std::vector<std::string>{headOf("a\n")});
    EXPECT_EQ(f.cursor().head, headOf("c\n"));
    // The rotated file, later compressed by the exporter, is the one already read.
    writeOld(dir_.path() / "events-2026-12-07T10-00-00.000.log.gz",
             testing_support::gzipMember("a\nb\nlast-without-newline"));
    fs::remove(dir_.path() / "events-2026-12-07T10-00-00.000.log");
    append(file(), "d\n");
    fs::rename(file(), dir_.path() / "events-2026-12-07T11-00-00.000.log");
    EXPECT_EQ(poll(f), Lines{"d"});
}

TEST_F(FileFollowerTest, TruncationReadsTheFileAgainFromTheStart) {
    write(file(), "a\nb\n");
    FileFollower f(file().string(), {});
    EXPECT_EQ(poll(f), (Lines{"a", "b"}));
    write(file(), "c\n");  // shorter than what was read
    EXPECT_EQ(poll(f), Lines{"c"});
    write(file(), "d\ne\nf\n");  // truncated, then written past the old offset
    EXPECT_EQ(poll(f), (Lines{"d", "e", "f"}));
    EXPECT_FALSE(f.takeNotes().empty());
}

TEST_F(FileFollowerTest, CopytruncateReadsTheRestFromTheCopyOnce) {
    write(file(), "a\n");
    FileFollower f(file().string(), {});
    EXPECT_EQ(poll(f), Lines{"a"});
    append(file(), "b\n");
    fs::copy_file(file(), dir_.path() / "events.log.1");  // logrotate copytruncate
    write(file(), "");
    append(file(), "c\n");
    EXPECT_EQ(poll(f), (Lines{"b", "c"}));
    // A later rotation does not read the copy again.
    fs::rename(file(), dir_.path() / "events.log.2");
    write(file(), "d\n");
    EXPECT_EQ(poll(f), Lines{"d"});
}

TEST_F(FileFollowerTest, ResumesAtTheStoredCursor) {
    write(file(), "a\nb\n");
    store::FollowState state;
    {
        FileFollower f(file().string(), {});
        EXPECT_EQ(poll(f), (Lines{"a", "b"}));
        state = committed(f);
    }
    append(file(), "c\n");
    FileFollower again(file().string(), state);
    Lines replayed;
    again.replayOnResume([&](std::string_view line, uint64_t) { replayed.emplace_back(line); });
    EXPECT_EQ(poll(again), Lines{"c"});
    EXPECT_EQ(replayed, (Lines{"a", "b"}));  // to rebuild the decoder's state only
}

TEST_F(FileFollowerTest, AStoredCursorBeforeTheEndOfItsFileReadsTheRest) {
    write(file(), "a\n");
    store::FollowState state;
    {
        FileFollower f(file().string(), {});
        EXPECT_EQ(poll(f), Lines{"a"});
        state = committed(f);
    }
    // Stopped; meanwhile the file got more lines, was rotated and compressed, and a new one began.
    append(file(), "b\n");
    std::ifstream in(file(), std::ios::binary);
    const std::string old((std::istreambuf_iterator<char>(in)), {});
    writeOld(dir_.path() / "events-1.log.gz", testing_support::gzipMember(old));
    fs::remove(file());
    write(file(), "c\n");
    FileFollower again(file().string(), state);
    EXPECT_EQ(poll(again), (Lines{"b", "c"}));
    const store::FollowState after = committed(again, state);
    FileFollower third(file().string(), after);
    EXPECT_EQ(poll(third), Lines{});
}

TEST_F(FileFollowerTest, RotatedSiblingsAreReadOnceOldestFirst) {
    writeOld(dir_.path() / "events-1.log.gz", testing_support::gzipMember("x\n"));
    write(dir_.path() / "events-2.log", "y\n");
    write(dir_.path() / "other.log", "not ours\n");
    write(dir_.path() / "events2.log", "not ours either\n");
    write(file(), "a\n");
    store::FollowState state;
    {
        FileFollower f(file().string(), {});
        EXPECT_EQ(poll(f), (Lines{"x", "y", "a"}));
        state = committed(f);
    }
    EXPECT_EQ(state.done.size(), 2u);
    FileFollower again(file().string(), state);
    EXPECT_EQ(poll(again), Lines{});
    // A sibling removed from the directory is forgotten by the next scan.
    fs::remove(dir_.path() / "events-2.log");
    fs::rename(file(), dir_.path() / "events-3.log");
    write(file(), "b\n");
    EXPECT_EQ(poll(again), Lines{"b"});
    EXPECT_EQ(again.takeForget(), std::vector<std::string>{headOf("y\n")});
}

}  // namespace
}  // namespace netpolgen::collect
