#include "server/static_files.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

namespace netpolgen::server {
namespace {

namespace fs = std::filesystem;

// A path segment that could name something other than a plain file below the root.
bool unsafeSegment(std::string_view segment) {
    return segment.empty() || segment.front() == '.' ||
           segment.find_first_of(std::string_view("\\\0", 2)) != std::string_view::npos;
}

// The relative path of a request, or nullopt when a segment is unsafe. "/" and "" give
// index.html; empty segments from doubled slashes are dropped.
std::optional<fs::path> relativePath(std::string_view request_path) {
    fs::path out;
    size_t pos = 0;
    while (pos < request_path.size()) {
        const size_t end = std::min(request_path.find('/', pos), request_path.size());
        const std::string_view segment = request_path.substr(pos, end - pos);
        if (!segment.empty()) {
            if (unsafeSegment(segment)) {
                return std::nullopt;
            }
            out /= fs::path(std::string(segment));
        }
        pos = end + 1;
    }
    if (out.empty()) {
        out = "index.html";
    }
    return out;
}

// True when `path` is `root` or below it (both canonical).
bool isBelow(const fs::path& path, const fs::path& root) {
    return std::mismatch(root.begin(), root.end(), path.begin(), path.end()).first == root.end();
}

}  // namespace

std::string_view contentTypeOf(std::string_view file_name) {
    // Scripts as application/javascript and JSON with a charset: httplib compresses text/* and
    // bare application/json with brotli at its slowest quality (server.cpp), seconds for the
    // bundle. HTML and CSS are small.
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> kTypes{{
        {".html", "text/html; charset=utf-8"},
        {".js", "application/javascript; charset=utf-8"},
        {".mjs", "application/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".map", "application/json; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".yaml", "text/yaml; charset=utf-8"},
    }};
    for (const auto& [extension, type] : kTypes) {
        if (file_name.size() > extension.size() && file_name.ends_with(extension)) {
            return type;
        }
    }
    return "application/octet-stream";
}

StaticFile staticFile(const std::string& root, std::string_view request_path) {
    StaticFile out;
    const auto relative = relativePath(request_path);
    if (!relative) {
        out.status = 400;
        return out;
    }
    std::error_code ec;
    const fs::path canonical_root = fs::canonical(root, ec);
    if (ec) {
        return out;
    }
    // canonical() resolves symbolic links, so a link inside the root that points out of it is
    // caught here; it also fails (404) when the file does not exist.
    const fs::path file = fs::canonical(canonical_root / *relative, ec);
    if (ec || !isBelow(file, canonical_root) || !fs::is_regular_file(file, ec)) {
        return out;
    }
    std::ifstream in(file, std::ios::binary);
    std::ostringstream body;
    body << in.rdbuf();
    if (!in) {
        return out;
    }
    out.status = 200;
    out.content_type = contentTypeOf(file.filename().string());
    out.body = std::move(body).str();
    return out;
}

}  // namespace netpolgen::server
