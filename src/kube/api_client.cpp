#include "kube/api_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include "io/curl_handle.h"
#include "kube/json_fields.h"
#include "nlohmann/json.hpp"

namespace netpolgen::kube {
namespace {

using core::Error;
using core::Result;

using io::append;
using io::CurlHandle;
using io::ensureCurlInitialized;
using io::Slist;

struct UrlDeleter {
    void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

// An answer is kept whole in memory: a limit keeps a broken or hostile server from exhausting it.
// A list page of 500 objects is a few MiB; 256 MiB is far above any real page.
constexpr size_t kMaxAnswerBytes = 256u << 20;

}  // namespace

// Where a streamed 2xx body goes (ApiClient::stream).
struct ApiClient::Sink {
    const std::function<bool(std::string_view)>* on_data;
    const std::atomic<bool>* stop;
    std::chrono::milliseconds timeout;  // the stream's whole life
    bool stopped = false;
};

namespace {

struct Answer {
    std::string* body;
    CURL* handle = nullptr;
    ApiClient::Sink* sink = nullptr;  // a stream: 2xx bytes go there
    bool too_large = false;
};

size_t collectBody(char* data, size_t size, size_t n, void* user) {
    auto* answer = static_cast<Answer*>(user);
    if (answer->sink != nullptr) {
        long status = 0;
        curl_easy_getinfo(answer->handle, CURLINFO_RESPONSE_CODE, &status);
        if (status >= 200 && status < 300) {
            if (!(*answer->sink->on_data)(std::string_view(data, size * n))) {
                answer->sink->stopped = true;
                return 0;
            }
            return size * n;
        }
    }
    if (answer->body->size() + size * n > kMaxAnswerBytes) {
        answer->too_large = true;
        return 0;  // curl stops with CURLE_WRITE_ERROR
    }
    answer->body->append(data, size * n);
    return size * n;
}

// Ends a stream when its stop flag is set; curl calls it at least once a second.
int checkStop(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* sink = static_cast<ApiClient::Sink*>(user);
    if (sink->stop->load()) {
        sink->stopped = true;
        return 1;
    }
    return 0;
}

size_t collectHeader(char* data, size_t size, size_t n, void* user) {
    std::string line(data, size * n);
    const size_t colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
            return static_cast<char>(std::tolower(c));
        });
        std::string value = line.substr(colon + 1);
        const size_t b = value.find_first_not_of(" \t");
        const size_t e = value.find_last_not_of(" \t\r\n");
        auto& headers = *static_cast<std::map<std::string, std::string>*>(user);
        // Only a few headers are read (Retry-After, Warning); a flood of others is not kept.
        if (headers.size() < 128 || headers.count(name) != 0) {
            headers[name] = b == std::string::npos ? std::string() : value.substr(b, e - b + 1);
        }
    }
    return size * n;
}

std::string reasonPhrase(long status) {
    switch (status) {
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 409:
            return "Conflict";
        case 410:
            return "Gone";
        case 415:
            return "Unsupported Media Type";
        case 422:
            return "Unprocessable Entity";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "HTTP " + std::to_string(status);
    }
}

// Seconds to wait before retrying, from Retry-After (seconds only, as the API server sends).
std::optional<int> retryAfter(const ApiResponse& r) {
    if (r.status != 429 && r.status < 500) {
        return std::nullopt;
    }
    auto it = r.headers.find("retry-after");
    if (it == r.headers.end() || it->second.empty() ||
        !std::all_of(it->second.begin(), it->second.end(), ::isdigit) || it->second.size() > 5) {
        return r.status == 429 ? std::optional<int>(1) : std::nullopt;
    }
    return std::stoi(it->second);
}

// The URL for `path` and, with tls-server-name, where to connect instead: curl verifies and
// sends SNI for the URL's host, so the URL carries the server name and CONNECT_TO the address.
struct Target {
    std::string url;
    std::string connect_to;  // "name:port:host:port" or empty
};

Result<Target> targetFor(const RestConfig& cfg, const std::string& path) {
    Target t;
    t.url = cfg.server + path;
    if (cfg.tls_server_name.empty()) {
        return t;
    }
    std::unique_ptr<CURLU, UrlDeleter> u(curl_url());
    if (!u || curl_url_set(u.get(), CURLUPART_URL, cfg.server.c_str(), 0) != CURLUE_OK) {
        return Error{"server \"" + cfg.server + "\" is not a URL"};
    }
    char* host = nullptr;
    char* port = nullptr;
    curl_url_get(u.get(), CURLUPART_HOST, &host, 0);
    curl_url_get(u.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
    const std::string h = host != nullptr ? host : "";
    const std::string p = port != nullptr ? port : "443";
    curl_free(host);
    curl_free(port);
    curl_url_set(u.get(), CURLUPART_HOST, cfg.tls_server_name.c_str(), 0);
    char* url = nullptr;
    curl_url_get(u.get(), CURLUPART_URL, &url, 0);
    t.url = std::string(url != nullptr ? url : "");
    curl_free(url);
    while (!t.url.empty() && t.url.back() == '/') {
        t.url.pop_back();
    }
    t.url += path;
    t.connect_to = cfg.tls_server_name + ":" + p + ":" + h + ":" + p;
    return t;
}

}  // namespace

std::string describeRequest(const std::string& method, const std::string& path) {
    std::string p = path.substr(0, path.find('?'));
    const bool watch = path.find("watch=") != std::string::npos;
    // /api/v1/namespaces/ns/pods/name or /apis/group/v1/namespaces/ns/resource[/name]
    std::vector<std::string> parts;
    for (size_t s = 0; s < p.size();) {
        size_t e = p.find('/', s + 1);
        if (e == std::string::npos) {
            e = p.size();
        }
        if (e > s + 1) {
            parts.push_back(p.substr(s + 1, e - s - 1));
        }
        s = e;
    }
    const size_t base = !parts.empty() && parts[0] == "api" ? 2 : 3;
    if (parts.size() <= base) {
        return method + " " + p;
    }
    std::vector<std::string> rest(parts.begin() + static_cast<long>(base), parts.end());
    std::string ns;
    if (rest.size() >= 3 && rest[0] == "namespaces") {
        ns = rest[1];
        rest.erase(rest.begin(), rest.begin() + 2);
    }
    const std::string resource = rest[0];
    const bool one = rest.size() >= 2;
    std::string verb = "get";
    if (method == "GET") {
        verb = watch ? "watch" : one ? "get" : "list";
    } else if (method == "POST") {
        verb = "create";
    } else if (method == "PUT") {
        verb = "update";
    } else if (method == "PATCH") {
        verb = "patch";
    } else if (method == "DELETE") {
        verb = one ? "delete" : "deletecollection";
    }
    std::string out = verb + " " + resource + (one ? " " + rest[1] : "");
    if (!ns.empty()) {
        out += " in namespace " + ns;
    }
    return out;
}

std::string describeFailure(const std::string& method,
                            const std::string& path,
                            const ApiResponse& r) {
    std::string out = "cannot " + describeRequest(method, path) + " (" + std::to_string(r.status) +
                      " " + reasonPhrase(r.status) + ")";
    const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_discarded() && j.is_object() && stringField(j, "kind") == "Status") {
        const std::string message = stringField(j, "message");
        if (!message.empty()) {
            out += ": " + message;
        }
        auto details = j.find("details");
        if (r.status == 422 && details != j.end() && details->is_object()) {
            auto causes = details->find("causes");
            if (causes != details->end() && causes->is_array() && message.empty()) {
                for (const auto& c : *causes) {
                    out += "; " + stringField(c, "field") + ": " + stringField(c, "message");
                }
            }
        }
    } else if (!r.body.empty()) {
        std::string text = r.body.substr(0, 200);
        std::replace_if(
            text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
        while (!text.empty() && text.back() == ' ') {
            text.pop_back();
        }
        out += ": " + text;
    }
    if (r.status == 401) {
        out += " — the credentials were refused (expired or revoked token?)";
    }
    return out;
}

ApiClient::ApiClient(RestConfig config, ClientOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      credentials_(config_),
      tokens_(options_.burst),
      refilled_(std::chrono::steady_clock::now()) {
    ensureCurlInitialized();
}

ApiClient::~ApiClient() = default;

void ApiClient::waitForToken() {
    std::unique_lock<std::mutex> lock(bucket_mu_);
    while (true) {
        const auto now = std::chrono::steady_clock::now();
        const double elapsed = std::chrono::duration<double>(now - refilled_).count();
        tokens_ = std::min<double>(options_.burst, tokens_ + elapsed * options_.qps);
        refilled_ = now;
        if (tokens_ >= 1) {
            tokens_ -= 1;
            return;
        }
        const auto wait = std::chrono::duration<double>((1 - tokens_) / options_.qps);
        lock.unlock();
        std::this_thread::sleep_for(wait);
        lock.lock();
    }
}

Result<ApiResponse> ApiClient::once(const std::string& method,
                                    const std::string& path,
                                    const std::string& body,
                                    const std::string& content_type,
                                    AuthMaterial& used,
                                    Sink* sink) {
    auto auth = credentials_.current();
    if (!auth) {
        return Error{auth.error()};
    }
    used = *auth;
    auto target = targetFor(config_, path);
    if (!target) {
        return Error{target.error()};
    }
    CurlHandle c(curl_easy_init());
    if (!c) {
        return Error{"cannot initialise libcurl"};
    }
    char error_buffer[CURL_ERROR_SIZE] = {};
    ApiResponse out;
    CURL* h = c.get();
    curl_easy_setopt(h, CURLOPT_URL, target->url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https,http");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 30000L);
    const auto timeout = sink != nullptr ? sink->timeout : options_.timeout;
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    if (sink != nullptr) {
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, checkStop);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, sink);
    }
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
    curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
    Slist connect_to;
    if (!target->connect_to.empty()) {
        connect_to.reset(curl_slist_append(nullptr, target->connect_to.c_str()));
        curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_to.get());
    }
    if (!config_.proxy_url.empty()) {
        curl_easy_setopt(h, CURLOPT_PROXY, config_.proxy_url.c_str());
    }
    if (!config_.ca_pem.empty()) {
        curl_blob blob{
            const_cast<char*>(config_.ca_pem.data()), config_.ca_pem.size(), CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (config_.insecure_skip_tls_verify) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!used.client_cert_pem.empty()) {
        curl_blob cert{const_cast<char*>(used.client_cert_pem.data()),
                       used.client_cert_pem.size(),
                       CURL_BLOB_COPY};
        curl_blob key{const_cast<char*>(used.client_key_pem.data()),
                      used.client_key_pem.size(),
                      CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &cert);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &key);
    }
    if (!config_.username.empty()) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        curl_easy_setopt(h, CURLOPT_USERNAME, config_.username.c_str());
        curl_easy_setopt(h, CURLOPT_PASSWORD, config_.password.c_str());
    }
    Slist headers;
    auto add = [&](const std::string& line) { append(headers, line); };
    add("Accept: application/json");
    if (!used.token.empty()) {
        add("Authorization: Bearer " + used.token);
    }
    if (!content_type.empty()) {
        add("Content-Type: " + content_type);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collectBody);
    Answer answer{&out.body, h, sink};
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &answer);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collectHeader);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &out.headers);
    const CURLcode rc = curl_easy_perform(h);
    if (sink != nullptr && sink->stopped) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
        return out;
    }
    if (answer.too_large) {
        return Error{config_.server + ": " + describeRequest(method, path) +
                     ": the answer is larger than 256 MiB; refused"};
    }
    if (rc != CURLE_OK) {
        return Error{config_.server + ": " + describeRequest(method, path) + ": " +
                     (error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc))};
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
    return out;
}

Result<ApiResponse> ApiClient::request(const std::string& method,
                                       const std::string& path,
                                       const std::string& body,
                                       const std::string& content_type) {
    for (int attempt = 0;; ++attempt) {
        waitForToken();
        AuthMaterial used;
        auto r = once(method, path, body, content_type, used);
        if (!r) {
            return r;
        }
        if (r->status == 401) {
            credentials_.unauthorized(used);
            return r;
        }
        const auto wait = retryAfter(*r);
        if (!wait || attempt >= options_.max_retries) {
            return r;
        }
        std::this_thread::sleep_for(std::chrono::seconds(*wait));
    }
}

Result<std::string> ApiClient::get(const std::string& path) {
    auto r = request("GET", path);
    if (!r) {
        return Error{r.error()};
    }
    if (r->status < 200 || r->status >= 300) {
        return Error{config_.server + ": " + describeFailure("GET", path, *r)};
    }
    return std::move(r->body);
}

Result<ApiClient::StreamResult> ApiClient::stream(
    const std::string& path,
    const std::function<bool(std::string_view)>& on_data,
    const std::atomic<bool>& stop,
    std::chrono::seconds max_duration) {
    waitForToken();
    // The server ends a watch at its timeoutSeconds; max_duration only guards against a server
    // that never does.
    Sink sink{&on_data, &stop, std::chrono::duration_cast<std::chrono::milliseconds>(max_duration)};
    AuthMaterial used;
    auto r = once("GET", path, {}, {}, used, &sink);
    if (!r) {
        return Error{r.error()};
    }
    if (r->status == 401) {
        credentials_.unauthorized(used);
    }
    StreamResult out;
    out.status = r->status;
    out.stopped = sink.stopped;
    if (r->status < 200 || r->status >= 300) {
        out.failure = std::move(*r);
    }
    return out;
}

}  // namespace netpolgen::kube
