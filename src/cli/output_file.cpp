#include "cli/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace netpolgen::cli {
namespace {

core::Status writeAll(int fd, std::span<const std::string> parts, const std::string& path) {
    for (const std::string& content : parts) {
        const char* data = content.data();
        size_t left = content.size();
        while (left > 0) {
            ssize_t n = ::write(fd, data, left);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                return core::Error{"cannot write " + path + ": " + std::strerror(errno)};
            }
            data += n;
            left -= static_cast<size_t>(n);
        }
    }
    return {};
}

// Devices and pipes (/dev/null, /dev/stdout, a FIFO) cannot be replaced by a rename: write to them.
core::Status writeSpecial(const std::string& path, std::span<const std::string> content) {
    int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0) {
        return core::Error{"cannot write " + path + ": " + std::strerror(errno)};
    }
    core::Status st = writeAll(fd, content, path);
    ::close(fd);
    return st;
}

}  // namespace

core::Status writeOutput(const std::string& path, const std::string& content, std::ostream& out) {
    return writeOutput(path, std::span<const std::string>(&content, 1), out);
}

core::Status writeOutput(const std::string& path,
                         std::span<const std::string> content,
                         std::ostream& out) {
    if (path.empty() || path == "-") {
        for (const std::string& part : content) {
            out << part;
        }
        out.flush();
        if (!out) {
            return core::Error{"cannot write to standard output"};
        }
        return {};
    }
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);  // follows symlinks
    if (!ec && fs::exists(status) && !fs::is_regular_file(status)) {
        if (fs::is_directory(status)) {
            return core::Error{"cannot write " + path + ": is a directory"};
        }
        return writeSpecial(path, content);
    }
    // Replace the file a symlink points to, not the link.
    const std::string target =
        fs::is_symlink(fs::symlink_status(path, ec)) ? fs::canonical(path, ec).string() : path;
    std::string tmp = target + ".tmp-XXXXXX";
    int fd = mkstemp(tmp.data());
    if (fd < 0) {
        return core::Error{"cannot write " + path + ": " + std::strerror(errno)};
    }
    if (core::Status st = writeAll(fd, content, path); !st) {
        ::close(fd);
        ::unlink(tmp.c_str());
        return st;
    }
    // mkstemp creates 0600; give the file the permissions a plain create would.
    ::fchmod(fd, 0644);
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return core::Error{"cannot write " + path + ": " + why};
    }
    if (std::rename(tmp.c_str(), target.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return core::Error{"cannot write " + path + ": " + why};
    }
    return {};
}

}  // namespace netpolgen::cli
