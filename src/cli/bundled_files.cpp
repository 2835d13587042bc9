#include "cli/bundled_files.h"

#include <cstdlib>
#include <filesystem>
#include <vector>

namespace netpolgen::cli {
namespace {

namespace fs = std::filesystem;

// The executable's directory's parent (PREFIX of PREFIX/bin/netpolgen), or empty.
fs::path exePrefix() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : exe.parent_path().parent_path();
}

}  // namespace

std::string findDemoDir() {
    if (const char* env = std::getenv("NETPOLGEN_DEMO_DIR"); env != nullptr && *env != '\0') {
        return env;
    }
    std::error_code ec;
    if (const fs::path prefix = exePrefix(); !prefix.empty()) {
        for (const fs::path& candidate : {prefix / "share/netpolgen/demo", prefix / "demo"}) {
            if (fs::exists(candidate / "online-boutique", ec)) {
                return candidate.string();
            }
        }
    }
    for (const char* candidate : {NETPOLGEN_INSTALL_DEMO_DIR, NETPOLGEN_SOURCE_DEMO_DIR}) {
        if (fs::exists(fs::path(candidate) / "online-boutique", ec)) {
            return candidate;
        }
    }
    return NETPOLGEN_SOURCE_DEMO_DIR;
}

std::string findWebDir() {
    std::error_code ec;
    std::vector<fs::path> candidates{NETPOLGEN_SOURCE_WEB_DIR};
    if (const fs::path prefix = exePrefix(); !prefix.empty()) {
        candidates.push_back(prefix / "share/netpolgen/web");
    }
    candidates.emplace_back(NETPOLGEN_INSTALL_WEB_DIR);
    for (const fs::path& candidate : candidates) {
        if (fs::is_regular_file(candidate / "index.html", ec)) {
            return candidate.string();
        }
    }
    return {};
}

}  // namespace netpolgen::cli
