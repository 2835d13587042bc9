// The portal's static files (server/static_files.h): what is served, and that nothing outside the
// web directory ever is, whatever the path.
#include "server/static_files.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace netpolgen::server {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        char pattern[] = "/tmp/netpolgen-static-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        base_ = pattern;
        root_ = base_ / "web";
        fs::create_directories(root_ / "assets");
        write(root_ / "index.html", "<!doctype html>");
        write(root_ / "app.js", "export {};");
        write(root_ / "assets" / "app.css", "body{}");
        write(root_ / ".env", "SECRET");
        write(base_ / "secret.txt", "SECRET");
        fs::create_symlink(base_ / "secret.txt", root_ / "link.txt");
    }
    void TearDown() override { fs::remove_all(base_); }

    static void write(const fs::path& path, const std::string& text) {
        std::ofstream(path) << text;
    }

    StaticFile get(std::string_view path) const { return staticFile(root_.string(), path); }

    fs::path base_;
    fs::path root_;
};

TEST_F(StaticFilesTest, ServesFilesWithTheirContentType) {
    const StaticFile index = get("/");
    EXPECT_EQ(index.status, 200);
    EXPECT_EQ(index.body, "<!doctype html>");
    EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(get("/index.html").body, "<!doctype html>");
    EXPECT_EQ(get("/app.js").content_type, "application/javascript; charset=utf-8");
    EXPECT_EQ(get("//assets//app.css").body, "body{}");
    EXPECT_EQ(contentTypeOf("x.unknown"), "application/octet-stream");
}

TEST_F(StaticFilesTest, RefusesPathsThatTryToLeaveTheDirectory) {
    for (const char* path : {"/../secret.txt",
                             "/assets/../../secret.txt",
                             "/assets/../index.html",
                             "/./index.html",
                             "/..\\secret.txt"}) {
        const StaticFile f = get(path);
        EXPECT_EQ(f.status, 400) << path;
        EXPECT_TRUE(f.body.empty()) << path;
    }
    EXPECT_EQ(get(std::string_view("/index.html\0.js", 15)).status, 400);
}

TEST_F(StaticFilesTest, NoDotFilesNoDirectoriesNoLinksOut) {
    EXPECT_EQ(get("/.env").status, 400);
    EXPECT_EQ(get("/assets").status, 404);  // a directory: no listing
    EXPECT_EQ(get("/assets/").status, 404);
    EXPECT_EQ(get("/link.txt").status, 404);  // a symbolic link out of the root
    EXPECT_EQ(get("/missing.js").status, 404);
    EXPECT_EQ(staticFile((base_ / "nowhere").string(), "/").status, 404);
}

}  // namespace
}  // namespace netpolgen::server
