// ApiClient: JSON requests to one Kubernetes API server over libcurl, behaving as client-go does
// where it matters to a server shared by a whole cluster (docs/kubernetes-api-client.md §7.3, §9):
//   - TLS: the kubeconfig's CA (or the system's), tls-server-name for SNI and verification,
//     client certificates, insecure-skip-tls-verify; bearer tokens from kube/credentials.h;
//   - a client-side token bucket (QPS 5, burst 10 by default) on every request;
//   - 429, and 5xx carrying Retry-After, retried after the given seconds, at most 10 times;
//   - a timeout on every request, `Accept: application/json`, gzip, a User-Agent;
//   - 401: the cached credential is dropped (the next request refreshes it) and the 401 returned.
// Non-2xx answers become one-line errors (describeFailure) naming the verb, the resource and the
// API server's message: "cannot list networkpolicies (403 Forbidden): User \"x\" cannot …".
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.h"
#include "kube/credentials.h"
#include "kube/rest_config.h"

namespace netpolgen::kube {

struct ClientOptions {
    double qps = 5;
    int burst = 10;
    std::chrono::milliseconds timeout{60000};  // per request
    int max_retries = 10;                      // on 429 / 5xx with Retry-After
    std::string user_agent = "netpolgen";
};

struct ApiResponse {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-case names
};

// "GET", "/apis/apps/v1/deployments?limit=500" → "list deployments" style words for messages.
std::string describeRequest(const std::string& method, const std::string& path);
// One line for a non-2xx answer: the request, the HTTP status and reason, the Status message,
// and for 422 the causes (field: message).
std::string describeFailure(const std::string& method,
                            const std::string& path,
                            const ApiResponse& response);

class ApiClient {
public:
    ApiClient(RestConfig config, ClientOptions options = {});
    ~ApiClient();
    ApiClient(const ApiClient&) = delete;
    ApiClient& operator=(const ApiClient&) = delete;

    // Any answer with an HTTP status (2xx or not); errors only for transport failures (TLS,
    // connection, timeout, credentials that cannot be had).
    core::Result<ApiResponse> request(const std::string& method,
                                      const std::string& path,
                                      const std::string& body = {},
                                      const std::string& content_type = {});
    // A GET whose answer must be 2xx; otherwise describeFailure's line.
    core::Result<std::string> get(const std::string& path);

    // A long GET (a watch) whose 2xx body is handed to `on_data` as it arrives instead of being
    // kept (the answer's body stays empty); a non-2xx answer is kept whole, for describeFailure.
    // `on_data` returning false, or `stop` becoming true (checked at least once a second), ends
    // the request early: then the status is the HTTP status and `stopped` is set. One
    // rate-limiter token, no Retry-After loop (the caller backs off), no overall timeout beyond
    // `max_duration`.
    struct StreamResult {
        long status = 0;
        ApiResponse failure;   // the answer when not 2xx
        bool stopped = false;  // ended by on_data or stop, not by the server
    };
    core::Result<StreamResult> stream(const std::string& path,
                                      const std::function<bool(std::string_view)>& on_data,
                                      const std::atomic<bool>& stop,
                                      std::chrono::seconds max_duration);

    const RestConfig& config() const { return config_; }

    struct Sink;  // where a stream's bytes go (api_client.cpp)

private:
    void waitForToken();
    core::Result<ApiResponse> once(const std::string& method,
                                   const std::string& path,
                                   const std::string& body,
                                   const std::string& content_type,
                                   AuthMaterial& used,
                                   Sink* sink = nullptr);

    RestConfig config_;
    ClientOptions options_;
    Credentials credentials_;
    std::mutex bucket_mu_;
    double tokens_;
    std::chrono::steady_clock::time_point refilled_;
};

}  // namespace netpolgen::kube
