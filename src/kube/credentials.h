// Credentials: what a request to the API server carries, kept current as client-go does
// (docs/kubernetes-api-client.md §2, §3):
//   - a static token or client certificate from the kubeconfig;
//   - a token file (tokenFile, or the in-cluster service account token) re-read when the copy is
//     older than a minute, and at once after a 401 (projected tokens rotate);
//   - an exec credential plugin run with KUBERNETES_EXEC_INFO, its credential cached until its
//     expirationTimestamp (or until a 401 when it has none).
// The request that got the 401 is not retried here; the caller decides. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "core/result.h"
#include "kube/rest_config.h"

namespace netpolgen::kube {

struct AuthMaterial {
    std::string token;  // bearer token, empty for none
    std::string client_cert_pem;
    std::string client_key_pem;
};

// What an exec plugin answered (ExecCredential.status).
struct ExecCredential {
    AuthMaterial auth;
    std::optional<int64_t> expires_at;  // Unix seconds
};

// Runs the plugin once: no stdin (non-interactive), stderr passed through, at most `timeout` and
// 1 MiB of output. Errors name the command and what went wrong.
core::Result<ExecCredential> runExecPlugin(const ExecConfig& exec,
                                           const RestConfig& cluster,
                                           std::chrono::seconds timeout);

// Parses an ExecCredential answer (exposed for tests and the fuzzer).
core::Result<ExecCredential> parseExecCredential(const std::string& json,
                                                 const std::string& api_version);

class Credentials {
public:
    explicit Credentials(RestConfig config);

    core::Result<AuthMaterial> current();
    // The server answered 401 to a request made with `used`: forget cached tokens so that the
    // next current() reads the file or runs the plugin again.
    void unauthorized(const AuthMaterial& used);

private:
    using Clock = std::chrono::steady_clock;

    RestConfig config_;
    std::mutex mu_;
    std::string file_token_;
    Clock::time_point file_read_at_{};
    bool file_read_ = false;
    std::optional<ExecCredential> exec_;
};

}  // namespace netpolgen::kube
