#include "cli/output_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace netpolgen::cli {

core::Status writeOutput(const std::string& path, const std::string& content, std::ostream& out) {
    if (path.empty() || path == "-") {
        out << content;
        out.flush();
        if (!out) {
            return core::Error{"cannot write to standard output"};
        }
        return {};
    }
    std::string tmp = path + ".tmp-XXXXXX";
    int fd = mkstemp(tmp.data());
    if (fd < 0) {
        return core::Error{"cannot write " + path + ": " + std::strerror(errno)};
    }
    const char* data = content.data();
    size_t left = content.size();
    while (left > 0) {
        ssize_t n = ::write(fd, data, left);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const std::string why = std::strerror(errno);
            ::close(fd);
            ::unlink(tmp.c_str());
            return core::Error{"cannot write " + path + ": " + why};
        }
        data += n;
        left -= static_cast<size_t>(n);
    }
    // mkstemp creates 0600; give the file the permissions a plain create would.
    ::fchmod(fd, 0644);
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return core::Error{"cannot write " + path + ": " + why};
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return core::Error{"cannot write " + path + ": " + why};
    }
    return {};
}

}  // namespace netpolgen::cli
