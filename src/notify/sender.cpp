#include "notify/sender.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <random>
#include <thread>

#include "io/curl_handle.h"
#include "notify/payloads.h"

namespace netpolgen::notify {
namespace {

using core::Error;

using io::append;
using io::CurlHandle;
using io::ensureCurlInitialized;
using io::Slist;

// One transfer to make, HTTP POST or SMTP.
struct Request {
    bool smtp = false;
    std::string url;
    std::string body;
    std::vector<std::string> headers;  // "Name: value"
    std::string username;
    std::string password;
    TlsOptions tls;
    StartTls start_tls = StartTls::kRequire;
    std::string mail_from;
    std::vector<std::string> rcpt;
};

struct Outcome {
    CURLcode code = CURLE_OK;
    long status = 0;    // HTTP status, 0 for SMTP
    std::string error;  // curl's message
};

// The response body is read and dropped, never kept: quoting it in errors would let whoever may
// configure a notifier read the answers of any HTTPS service the server can reach.
size_t discard(char* /*data*/, size_t size, size_t n, void* /*user*/) {
    return size * n;  // keep reading so the server sees a clean close
}

struct Upload {
    std::string_view rest;
};

size_t supply(char* buffer, size_t size, size_t n, void* user) {
    auto* up = static_cast<Upload*>(user);
    const size_t count = std::min(size * n, up->rest.size());
    std::copy_n(up->rest.data(), count, buffer);
    up->rest.remove_prefix(count);
    return count;
}

void setCommon(CURL* c, const Request& r, const SendOptions& o, char* error_buffer) {
    curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: threads are safe
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(o.total_timeout.count()));
    if (!r.username.empty()) {
        curl_easy_setopt(c, CURLOPT_USERNAME, r.username.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, r.password.c_str());
    }
    if (!r.tls.ca_cert_file.empty()) {
        curl_easy_setopt(c, CURLOPT_CAINFO, r.tls.ca_cert_file.c_str());
    }
    if (!r.tls.ca_cert.empty()) {
        curl_blob blob{
            const_cast<char*>(r.tls.ca_cert.data()), r.tls.ca_cert.size(), CURL_BLOB_COPY};
        curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (r.tls.skip_tls_verify) {
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!r.tls.client_cert_file.empty()) {
        curl_easy_setopt(c, CURLOPT_SSLCERT, r.tls.client_cert_file.c_str());
        curl_easy_setopt(c, CURLOPT_SSLKEY, r.tls.client_key_file.c_str());
    }
}

Outcome perform(const Request& r, const SendOptions& o) {
    Outcome out;
    CurlHandle c(curl_easy_init());
    if (!c) {
        return Outcome{CURLE_FAILED_INIT, 0, "cannot initialise libcurl"};
    }
    char error_buffer[CURL_ERROR_SIZE] = {};
    setCommon(c.get(), r, o, error_buffer);
    Slist list;
    Upload upload{r.body};
    if (r.smtp) {
        curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        static constexpr curl_usessl kModes[] = {CURLUSESSL_ALL, CURLUSESSL_TRY, CURLUSESSL_NONE};
        curl_easy_setopt(
            c.get(), CURLOPT_USE_SSL, static_cast<long>(kModes[static_cast<int>(r.start_tls)]));
        curl_easy_setopt(c.get(), CURLOPT_MAIL_FROM, ("<" + r.mail_from + ">").c_str());
        for (const std::string& to : r.rcpt) {
            append(list, "<" + to + ">");
        }
        curl_easy_setopt(c.get(), CURLOPT_MAIL_RCPT, list.get());
        curl_easy_setopt(c.get(), CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(c.get(), CURLOPT_READFUNCTION, supply);
        curl_easy_setopt(c.get(), CURLOPT_READDATA, &upload);
    } else {
        curl_easy_setopt(
            c.get(), CURLOPT_PROTOCOLS_STR, o.allow_plain_http ? "http,https" : "https");
        curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 0L);  // a redirect could leak the body
        for (const std::string& h : r.headers) {
            append(list, h);
        }
        curl_easy_setopt(c.get(), CURLOPT_HTTPHEADER, list.get());
        curl_easy_setopt(c.get(), CURLOPT_POSTFIELDS, r.body.data());
        curl_easy_setopt(
            c.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
        if (!r.username.empty()) {
            curl_easy_setopt(c.get(), CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
        }
        curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, discard);
    }
    out.code = curl_easy_perform(c.get());
    if (out.code != CURLE_OK) {
        out.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(out.code);
    } else if (!r.smtp) {
        curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &out.status);
    }
    return out;
}

bool succeeded(const Outcome& o, bool smtp) {
    return o.code == CURLE_OK && (smtp || (o.status >= 200 && o.status < 300));
}

// Worth another try: the request may not have arrived, or the server says "later". For SMTP only
// failures to connect: after DATA a retry could deliver the mail twice.
bool retryable(const Outcome& o, bool smtp) {
    if (o.code == CURLE_COULDNT_CONNECT || o.code == CURLE_OPERATION_TIMEDOUT) {
        return true;
    }
    if (smtp) {
        return false;
    }
    if (o.code == CURLE_GOT_NOTHING || o.code == CURLE_SEND_ERROR || o.code == CURLE_RECV_ERROR) {
        return true;
    }
    return o.code == CURLE_OK && (o.status == 429 || o.status >= 500);
}

// The status, or curl's own message (which names no part of what the server answered).
std::string describe(const Outcome& o, int attempts) {
    const std::string after =
        " after " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
    if (o.code != CURLE_OK) {
        return o.error + after;
    }
    return "HTTP " + std::to_string(o.status) + after;
}

std::string randomMessageId() {
    std::random_device rd;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%08x%08x%08x", rd(), rd(), rd());
    return std::string(buf) + "@netpolgen";
}

Request httpRequest(std::string url, std::string body) {
    Request r;
    r.url = std::move(url);
    r.body = std::move(body);
    // "Expect:" stops curl from waiting for 100-continue, which many webhook receivers never send.
    r.headers = {"Content-Type: application/json", "Expect:"};
    return r;
}

std::string smtpUrl(const std::string& server) {
    return server.find("://") == std::string::npos ? "smtp://" + server : server;
}

core::Result<Request> buildRequest(const NotifierConfig& n,
                                   std::string_view cluster,
                                   std::string_view yaml,
                                   const SendOptions& o) {
    switch (n.type) {
        case NotifierType::kWebhook: {
            Request r = httpRequest(n.webhook.url, webhookBody(n.webhook, cluster, yaml));
            for (const KeyValue& h : n.webhook.headers) {
                r.headers.push_back(h.key + ": " + h.value);
            }
            r.username = n.webhook.username;
            r.password = n.webhook.password;
            r.tls = n.webhook.tls;
            return r;
        }
        case NotifierType::kSlack: {
            auto body = slackBody(cluster, yaml);
            if (!body) {
                return Error{body.error()};
            }
            return httpRequest(n.chat.webhook_url, std::move(*body));
        }
        case NotifierType::kTeams:
            return httpRequest(n.chat.webhook_url, teamsBody(cluster, yaml));
        case NotifierType::kJira: {
            std::string base = n.jira.url;
            while (!base.empty() && base.back() == '/') {
                base.pop_back();
            }
            Request r = httpRequest(base + "/rest/api/2/issue", jiraBody(n.jira, cluster, yaml));
            r.username = n.jira.username;
            r.password = n.jira.token;
            r.tls = n.jira.tls;
            return r;
        }
        case NotifierType::kEmail: {
            // The cluster name goes into the Subject (POST /v1/notifiers/test does not pass
            // through sendToAll).
            if (core::Status st = checkHeaderSafe("the cluster name", cluster); !st) {
                return Error{st.error()};
            }
            for (const std::string& v : n.email.to) {
                if (core::Status st = checkHeaderSafe("email.to", v); !st) {
                    return Error{st.error()};
                }
            }
            if (core::Status st = checkHeaderSafe("email.from", n.email.from); !st) {
                return Error{st.error()};
            }
            const EmailMeta meta{o.now ? o.now() : std::chrono::system_clock::now(),
                                 o.message_id ? o.message_id() : randomMessageId()};
            Request r;
            r.smtp = true;
            r.url = smtpUrl(n.email.server);
            r.body = emailMessage(n.email, cluster, yaml, meta);
            r.username = n.email.username;
            r.password = n.email.password;
            r.start_tls = n.email.start_tls;
            r.mail_from = n.email.from;
            r.rcpt = n.email.to;
            return r;
        }
    }
    return Error{"unknown notifier type"};
}

}  // namespace

Sender::Sender(SendOptions options) : options_(std::move(options)) {
    ensureCurlInitialized();
}

NotifierResult Sender::send(const NotifierConfig& n,
                            std::string_view cluster,
                            std::string_view yaml) const {
    NotifierResult result{n.id, n.name, {}, 0};
    const std::string who = "notifier " + n.name + " (" + std::string(typeName(n.type)) + "): ";
    auto request = buildRequest(n, cluster, yaml, options_);
    if (!request) {
        result.status = Error{who + request.error()};
        return result;
    }
    const bool secret_path = n.type == NotifierType::kSlack || n.type == NotifierType::kTeams;
    const std::string what =
        (request->smtp ? "SMTP " : "POST ") + displayUrl(request->url, secret_path) + ": ";
    if (!request->smtp && !options_.allow_plain_http && request->url.rfind("https://", 0) != 0) {
        result.status = Error{who + what + "only https URLs are allowed"};
        return result;
    }
    std::chrono::milliseconds backoff = options_.initial_backoff;
    Outcome outcome;
    for (int i = 0; i < std::max(1, options_.attempts); ++i) {
        if (i > 0) {
            std::this_thread::sleep_for(backoff);
            backoff *= 2;
        }
        outcome = perform(*request, options_);
        result.attempts = i + 1;
        if (succeeded(outcome, request->smtp) || !retryable(outcome, request->smtp)) {
            break;
        }
    }
    if (!succeeded(outcome, request->smtp)) {
        result.status = Error{who + what + describe(outcome, result.attempts)};
    }
    return result;
}

core::Result<std::vector<NotifierResult>> sendToAll(const std::vector<NotifierConfig>& notifiers,
                                                    std::string_view cluster,
                                                    std::string_view yaml,
                                                    const SendOptions& options) {
    if (notifiers.empty()) {
        return Error{"no notifiers to send the network policy YAML to"};
    }
    if (yaml.find_first_not_of(" \t\r\n") == std::string_view::npos) {
        return Error{"the modification is empty: no network policy YAML to send"};
    }
    if (cluster.empty()) {
        return Error{"the cluster name is empty"};
    }
    if (core::Status st = checkHeaderSafe("the cluster name", cluster); !st) {
        return Error{st.error()};
    }
    const Sender sender(options);
    std::vector<NotifierResult> results;
    for (const NotifierConfig& n : notifiers) {
        results.push_back(sender.send(n, cluster, yaml));
    }
    return results;
}

std::string joinErrors(const std::vector<NotifierResult>& results) {
    std::string out;
    for (const NotifierResult& r : results) {
        if (!r.status) {
            out += (out.empty() ? "" : "\n") + r.status.error();
        }
    }
    return out;
}

}  // namespace netpolgen::notify
