// The portal's static files (web/dist, bundled by scripts/build-web.sh), served by `serve` at /.
//
//   StaticFile f = staticFile("/usr/share/netpolgen/web", req.path);   // path already %-decoded
//   f.status: 200 (body, content_type), 400 (a path that tries to leave the directory), 404
//
// Only regular files below `root` are served: a path with a `..` or `.` segment, a NUL, a
// backslash or a segment starting with '.' (dot files) is refused before the file system is
// asked, and a symbolic link that leads out of `root` is not followed. "/" is index.html; any
// other directory is 404, never a listing. No token is needed: the files hold no data, the API
// calls the page makes do.
#pragma once

#include <string>
#include <string_view>

namespace netpolgen::server {

struct StaticFile {
    int status = 404;
    std::string content_type;  // with charset for text types
    std::string body;
};

// `request_path` is the decoded path of the request ("/", "/app.js").
StaticFile staticFile(const std::string& root, std::string_view request_path);

// The Content-Type of a file name by its extension; application/octet-stream when unknown.
std::string_view contentTypeOf(std::string_view file_name);

}  // namespace netpolgen::server
