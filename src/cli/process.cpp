#include "cli/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <tuple>

namespace netpolgen::cli {
namespace {

// A pipe whose ends close themselves; both ends close on exec.
class Pipe {
public:
    Pipe() {
        if (::pipe2(fds_.data(), O_CLOEXEC) != 0) {
            fds_ = {-1, -1};
        }
    }
    ~Pipe() {
        closeRead();
        closeWrite();
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;

    bool ok() const { return fds_[0] >= 0; }
    int read() const { return fds_[0]; }
    int write() const { return fds_[1]; }
    void closeRead() { closeEnd(0); }
    void closeWrite() { closeEnd(1); }

private:
    void closeEnd(size_t i) {
        if (fds_[i] >= 0) {
            ::close(fds_[i]);
            fds_[i] = -1;
        }
    }
    std::array<int, 2> fds_{-1, -1};
};

// In the child: only async-signal-safe calls until exec. On failure the errno goes to `status`.
[[noreturn]] void execChild(char* const* argv, Pipe& in, Pipe& out, Pipe& err, Pipe& status) {
    if (::dup2(in.read(), STDIN_FILENO) < 0 || ::dup2(out.write(), STDOUT_FILENO) < 0 ||
        ::dup2(err.write(), STDERR_FILENO) < 0) {
        const int e = errno;
        (void)!::write(status.write(), &e, sizeof e);
        ::_exit(127);
    }
    ::execvp(argv[0], argv);
    const int e = errno;
    (void)!::write(status.write(), &e, sizeof e);
    ::_exit(127);
}

// Writes to a pipe whose reader may be gone without dying of SIGPIPE: the signal is blocked for
// this thread while writing and a pending one is consumed, so no process-wide handler changes.
ssize_t writeNoSigpipe(int fd, const char* data, size_t size) {
    sigset_t pipe_set;
    sigset_t old_set;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EPIPE) {
        const timespec zero{0, 0};
        sigtimedwait(&pipe_set, nullptr, &zero);
        errno = EPIPE;
    }
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
    return n;
}

// Feeds `input` and drains stdout and stderr together, so that neither side blocks the other.
void exchange(const std::string& input, Pipe& in, Pipe& out, Pipe& err, ProcessResult& result) {
    size_t written = 0;
    if (input.empty()) {
        in.closeWrite();
    } else {
        ::fcntl(in.write(), F_SETFL, O_NONBLOCK);
    }
    std::array<char, 4096> buf{};
    while (out.read() >= 0 || err.read() >= 0) {
        std::array<pollfd, 3> fds{pollfd{out.read(), POLLIN, 0},
                                  pollfd{err.read(), POLLIN, 0},
                                  pollfd{in.write(), POLLOUT, 0}};
        if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
            return;
        }
        if (in.write() >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
            const ssize_t n =
                writeNoSigpipe(in.write(), input.data() + written, input.size() - written);
            if (n > 0) {
                written += static_cast<size_t>(n);
            }
            if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
                in.closeWrite();  // done, or the program stopped reading
            }
        }
        for (auto [pfd, pipe, text] :
             {std::tuple{&fds[0], &out, &result.out}, std::tuple{&fds[1], &err, &result.err}}) {
            if (pipe->read() < 0 || (pfd->revents & (POLLIN | POLLERR | POLLHUP)) == 0) {
                continue;
            }
            const ssize_t n = ::read(pipe->read(), buf.data(), buf.size());
            if (n > 0) {
                text->append(buf.data(), static_cast<size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                pipe->closeRead();
            }
        }
    }
}

int waitFor(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return 127;
        }
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}

}  // namespace

core::Result<ProcessResult> runProcess(const std::vector<std::string>& argv,
                                       const std::string& input) {
    if (argv.empty()) {
        return core::Error{"no program to run"};
    }
    std::vector<char*> args;
    for (const std::string& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    Pipe in;
    Pipe out;
    Pipe err;
    Pipe status;  // closes on a successful exec, carries errno otherwise
    if (!in.ok() || !out.ok() || !err.ok() || !status.ok()) {
        return core::Error{"cannot run " + argv[0] + ": " + std::strerror(errno)};
    }
    const pid_t pid = ::fork();
    if (pid < 0) {
        return core::Error{"cannot run " + argv[0] + ": " + std::strerror(errno)};
    }
    if (pid == 0) {
        execChild(args.data(), in, out, err, status);
    }
    in.closeRead();
    out.closeWrite();
    err.closeWrite();
    status.closeWrite();
    int exec_errno = 0;
    const bool exec_failed = ::read(status.read(), &exec_errno, sizeof exec_errno) > 0;
    ProcessResult result;
    if (!exec_failed) {
        exchange(input, in, out, err, result);
    }
    result.exit_code = waitFor(pid);
    if (exec_failed) {
        return core::Error{"cannot run " + argv[0] + ": " + std::strerror(exec_errno)};
    }
    return result;
}

}  // namespace netpolgen::cli
