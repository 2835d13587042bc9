#include "kube/credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "io/manifest_decoder.h"
#include "kube/json_fields.h"
#include "kube/kubeconfig.h"
#include "nlohmann/json.hpp"

extern char** environ;

namespace netpolgen::kube {
namespace {

using core::Error;
using core::Result;

constexpr size_t kMaxPluginOutput = 1u << 20;
constexpr auto kTokenFileMaxAge = std::chrono::minutes(1);

// "2026-05-14T10:21:07Z" (also with fractional seconds or an offset) → Unix seconds.
std::optional<int64_t> parseTimestamp(const std::string& text) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (end == nullptr) {
        return std::nullopt;
    }
    int64_t offset = 0;
    if (*end == '.') {
        ++end;
        while (*end >= '0' && *end <= '9') {
            ++end;
        }
    }
    if ((*end == '+' || *end == '-') && std::strlen(end) == 6) {
        const int sign = *end == '-' ? -1 : 1;
        offset = sign * ((end[1] - '0') * 10 + (end[2] - '0')) * 3600 +
                 sign * ((end[4] - '0') * 10 + (end[5] - '0')) * 60;
    } else if (std::strcmp(end, "Z") != 0 && std::strcmp(end, "z") != 0) {
        return std::nullopt;
    }
    return static_cast<int64_t>(::timegm(&tm)) - offset;
}

std::string execInfo(const ExecConfig& exec, const RestConfig& cluster) {
    nlohmann::json spec = {{"interactive", false}};
    if (exec.provide_cluster_info) {
        nlohmann::json c = {{"server", cluster.server},
                            {"tls-server-name", cluster.tls_server_name},
                            {"insecure-skip-tls-verify", cluster.insecure_skip_tls_verify},
                            {"proxy-url", cluster.proxy_url}};
        if (!cluster.ca_pem.empty()) {
            c["certificate-authority-data"] = encodeBase64(cluster.ca_pem);
        }
        if (!cluster.exec_cluster_config.is_null()) {
            c["config"] = cluster.exec_cluster_config;
        }
        spec["cluster"] = c;
    }
    return nlohmann::json{
        {"kind", "ExecCredential"}, {"apiVersion", exec.api_version}, {"spec", spec}}
        .dump();
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

// Reads the child's stdout until EOF, the deadline or the cap.
Result<std::string> readOutput(int fd, std::chrono::steady_clock::time_point deadline) {
    std::string out;
    char buf[8192];
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return Error{"timed out"};
        }
        pollfd p{fd, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return Error{r == 0 ? "timed out" : std::string("poll: ") + std::strerror(errno)};
        }
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return out;
        }
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > kMaxPluginOutput) {
            return Error{"printed more than 1 MiB"};
        }
    }
}

}  // namespace

Result<ExecCredential> parseExecCredential(const std::string& json,
                                           const std::string& api_version) {
    const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return Error{"its output is not a JSON ExecCredential"};
    }
    const std::string version = stringField(j, "apiVersion");
    if (version != api_version) {
        return Error{"it answered apiVersion \"" + version + "\", configured \"" + api_version +
                     "\""};
    }
    auto status = j.find("status");
    if (status == j.end() || !status->is_object()) {
        return Error{"exec plugin didn't return a status field"};
    }
    ExecCredential c;
    auto text = [&](const char* key) {
        auto it = status->find(key);
        return it != status->end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    c.auth.token = text("token");
    c.auth.client_cert_pem = text("clientCertificateData");
    c.auth.client_key_pem = text("clientKeyData");
    if (c.auth.client_cert_pem.empty() != c.auth.client_key_pem.empty()) {
        return Error{"it returned a client certificate without a key or the other way round"};
    }
    if (c.auth.token.empty() && c.auth.client_cert_pem.empty()) {
        return Error{"it returned neither a token nor a client certificate"};
    }
    if (const std::string ts = text("expirationTimestamp"); !ts.empty()) {
        c.expires_at = parseTimestamp(ts);
        if (!c.expires_at) {
            return Error{"expirationTimestamp \"" + ts + "\" is not RFC 3339"};
        }
    }
    return c;
}

Result<ExecCredential> runExecPlugin(const ExecConfig& exec,
                                     const RestConfig& cluster,
                                     std::chrono::seconds timeout) {
    const std::string what = "exec credential plugin \"" + exec.command + "\"";
    std::vector<std::string> env_text;
    for (char** e = environ; *e != nullptr; ++e) {
        env_text.emplace_back(*e);
    }
    for (const auto& [k, v] : exec.env) {
        env_text.push_back(k + "=" + v);
    }
    env_text.push_back("KUBERNETES_EXEC_INFO=" + execInfo(exec, cluster));
    std::vector<char*> envp;
    for (auto& s : env_text) {
        envp.push_back(s.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> argv_text{exec.command};
    argv_text.insert(argv_text.end(), exec.args.begin(), exec.args.end());
    std::vector<char*> argv;
    for (auto& s : argv_text) {
        argv.push_back(s.data());
    }
    argv.push_back(nullptr);

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
        return Error{what + ": pipe: " + std::strerror(errno)};
    }
    Fd read_end{pipe_fds[0]};
    Fd write_end{pipe_fds[1]};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, write_end.fd, 1);
    pid_t pid = 0;
    const int rc = ::posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(write_end.fd);
    write_end.fd = -1;
    if (rc != 0) {
        std::string message = what + ": " + std::strerror(rc);
        if (!exec.install_hint.empty()) {
            message += " (" + exec.install_hint + ")";
        }
        return Error{message};
    }
    auto output = readOutput(read_end.fd, std::chrono::steady_clock::now() + timeout);
    if (!output) {
        ::kill(pid, SIGKILL);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!output) {
        return Error{what + ": " + output.error()};
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return Error{what + " failed (exit status " +
                     std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")"};
    }
    auto credential = parseExecCredential(*output, exec.api_version);
    if (!credential) {
        return Error{what + ": " + credential.error()};
    }
    return credential;
}

Credentials::Credentials(RestConfig config) : config_(std::move(config)) {}

Result<AuthMaterial> Credentials::current() {
    std::lock_guard<std::mutex> lock(mu_);
    AuthMaterial m{config_.token, config_.client_cert_pem, config_.client_key_pem};
    if (config_.exec) {
        const int64_t now = static_cast<int64_t>(std::time(nullptr));
        if (!exec_ || (exec_->expires_at && *exec_->expires_at <= now)) {
            auto c = runExecPlugin(*config_.exec, config_, std::chrono::seconds(60));
            if (!c) {
                return Error{c.error()};
            }
            exec_ = std::move(*c);
        }
        if (!exec_->auth.token.empty()) {
            m.token = exec_->auth.token;
        }
        if (!exec_->auth.client_cert_pem.empty()) {
            m.client_cert_pem = exec_->auth.client_cert_pem;
            m.client_key_pem = exec_->auth.client_key_pem;
        }
        return m;
    }
    if (!config_.token_file.empty()) {
        const auto now = Clock::now();
        if (!file_read_ || now - file_read_at_ >= kTokenFileMaxAge) {
            auto text = io::readManifestFile(config_.token_file);
            if (text) {
                std::string token = *text;
                while (!token.empty() &&
                       (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
                    token.pop_back();
                }
                file_token_ = token;
                file_read_ = true;
                file_read_at_ = now;
            } else if (!file_read_ && config_.token.empty()) {
                return Error{"token file: " + text.error()};
            }
        }
        // The last successful read of the file wins over a static token (client-go).
        if (file_read_ && !file_token_.empty()) {
            m.token = file_token_;
        }
    }
    return m;
}

void Credentials::unauthorized(const AuthMaterial& used) {
    std::lock_guard<std::mutex> lock(mu_);
    // Concurrent 401s share one refresh: only a credential still in use is dropped.
    if (exec_ && exec_->auth.token == used.token &&
        exec_->auth.client_cert_pem == used.client_cert_pem) {
        exec_.reset();
    }
    if (file_read_ && file_token_ == used.token) {
        file_read_ = false;
    }
}

}  // namespace netpolgen::kube
