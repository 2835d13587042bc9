// Sending a shared network-policy YAML to notifiers over libcurl: HTTP(S) POST of the JSON bodies
// of notify/payloads.h, and SMTP (STARTTLS) for e-mail.
//
// Each notifier gets up to `attempts` tries with exponential backoff (initial_backoff, ×2 each
// time) on connection errors, timeouts and HTTP 429/5xx; other HTTP statuses and SMTP replies fail
// at once. A failure is one line:
//   notifier ops (webhook): POST https://hooks.example.com/np: HTTP 500 after 3 attempts
// URLs in messages go through displayUrl: no credentials, no query, no Slack/Teams path. Nothing
// the remote service answered (HTTP body, SMTP reply text) is kept or quoted: a notifier's URL is
// chosen through the API, and quoting answers would let its users read internal services.
//
//   auto results = sendToAll(notifiers, "prod", yaml, {});
//   if (!results) { fail(results.error()); }        // no notifiers, empty YAML
//   for (auto& r : *results) if (!r.status) report(r.status.error());
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "notify/notifier_config.h"

namespace netpolgen::notify {

struct SendOptions {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds total_timeout{15000};  // per attempt
    int attempts = 3;
    std::chrono::milliseconds initial_backoff{500};
    // Webhook URLs come from users and carry credentials: https only unless this is set (tests).
    bool allow_plain_http = false;
    // The e-mail's Date and Message-ID; empty functions use the clock and a random id.
    std::function<std::chrono::system_clock::time_point()> now;
    std::function<std::string()> message_id;
};

struct NotifierResult {
    std::string id;
    std::string name;
    core::Status status;
    int attempts = 0;  // tries made
};

class Sender {
public:
    explicit Sender(SendOptions options);
    // One notifier; the status's error is the one-line message described above.
    NotifierResult send(const NotifierConfig& notifier,
                        std::string_view cluster,
                        std::string_view yaml) const;

private:
    SendOptions options_;
};

// Every notifier in order, one result each. Errors (not per notifier): no notifiers, empty YAML,
// a cluster name with line breaks.
core::Result<std::vector<NotifierResult>> sendToAll(const std::vector<NotifierConfig>& notifiers,
                                                    std::string_view cluster,
                                                    std::string_view yaml,
                                                    const SendOptions& options);

// The failures of `results` joined by newlines, empty when all succeeded (StackRox collects the
// errors of all notifiers into one).
std::string joinErrors(const std::vector<NotifierResult>& results);

}  // namespace netpolgen::notify
