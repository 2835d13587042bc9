// InputsCache: reuse while the SQLite file is unchanged (relative windows and stores without a
// visible version: while younger than their max age); errors are not kept; clear() and a changed
// file force a load.
#include "server/inputs_cache.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace netpolgen::server {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

class InputsCacheTest : public testing::Test {
protected:
    void SetUp() override {
        db_ =
            (fs::temp_directory_path() / ("netpolgen-cache-" + std::to_string(::getpid()) + ".db"))
                .string();
        std::ofstream(db_) << "x";
    }
    void TearDown() override { fs::remove(db_); }

    InputsCache::Inputs load() {
        ++loads_;
        return std::make_shared<const store::LoadedInputs>();
    }

    std::string db_;
    int loads_ = 0;
};

TEST_F(InputsCacheTest, ReusesUntilTheFileChangesOrClear) {
    InputsCache cache(db_, milliseconds(60'000), milliseconds(60'000));
    const InputsKey key{"default", 100, std::nullopt, false, ""};
    const auto first = cache.get(key, [&] { return load(); });
    EXPECT_EQ(cache.get(key, [&] { return load(); }), first);
    EXPECT_EQ(loads_, 1);
    // Another window is another entry.
    cache.get({"default", 200, std::nullopt, false, ""}, [&] { return load(); });
    EXPECT_EQ(loads_, 2);
    std::ofstream(db_, std::ios::app) << "more";  // an ingest by another process
    EXPECT_NE(cache.get(key, [&] { return load(); }), first);
    EXPECT_EQ(loads_, 3);
    cache.clear();
    cache.get(key, [&] { return load(); });
    EXPECT_EQ(loads_, 4);
}

TEST_F(InputsCacheTest, OnlyRelativeWindowsAndUnversionedStoresExpire) {
    InputsCache cache(db_, milliseconds(20), milliseconds(20));
    const InputsKey fixed{"default", std::nullopt, std::nullopt, true, ""};
    const InputsKey relative{"default", std::nullopt, std::nullopt, true, "since=7d"};
    cache.get(fixed, [&] { return load(); });
    cache.get(relative, [&] { return load(); });
    std::this_thread::sleep_for(milliseconds(40));
    cache.get(fixed, [&] { return load(); });  // the file did not change: kept
    EXPECT_EQ(loads_, 2);
    cache.get(relative, [&] { return load(); });  // now has moved on
    EXPECT_EQ(loads_, 3);

    InputsCache postgres("postgresql://localhost/np", milliseconds(20), milliseconds(60'000));
    postgres.get(fixed, [&] { return load(); });
    std::this_thread::sleep_for(milliseconds(40));
    postgres.get(fixed, [&] { return load(); });  // no version to see: max age
    EXPECT_EQ(loads_, 5);
}

TEST_F(InputsCacheTest, FailedLoadsAreNotKept) {
    InputsCache cache(db_, milliseconds(60'000), milliseconds(60'000));
    const InputsKey key{"default", std::nullopt, std::nullopt, false, ""};
    EXPECT_EQ(cache.get(key, [] { return InputsCache::Inputs{}; }), nullptr);
    cache.get(key, [&] { return load(); });
    EXPECT_EQ(loads_, 1);
}

}  // namespace
}  // namespace netpolgen::server
