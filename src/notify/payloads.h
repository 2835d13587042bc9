// The bodies sent to each notifier type when a network-policy YAML is shared
// (docs/stackrox-generator.md §6). Pure: no I/O, no clock; the e-mail's Date and Message-ID are
// passed in so tests can check exact bytes.
//
// Every body starts from StackRox's shared text:
//   Please review the following network policy YAML that needs to be applied to cluster '<c>'.
//
//   webhook  {"networkpolicy":{"cluster":"c","yaml":"…"},"<extra key>":"<extra value>",…}
//            (extra fields at the top level, in configuration order)
//   slack    {"attachments":[{"color":"#FF9365","fallback":…,"mrkdwn_in":["text","pretext"],
//            "pretext":"*Network policy YAML to be applied on cluster 'c'*","text":"…```yaml```"}]}
//            rejected above 300 lines or 35,000 characters of YAML, as StackRox does
//   teams    an Office 365 connector MessageCard: title, themeColor FF9365, the YAML HTML-escaped
//            in <pre>
//   email    RFC 5322 text/plain message, CRLF line ends, the YAML inline after the shared text
//   jira     REST v2 create-issue JSON, the YAML in a {code:…language=yaml} block
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/result.h"
#include "notify/notifier_config.h"

namespace netpolgen::notify {

// StackRox's Slack limits for a network-policy YAML.
inline constexpr size_t kSlackMaxYamlLines = 300;
inline constexpr size_t kSlackMaxYamlChars = 35000;

std::string introText(std::string_view cluster);

std::string webhookBody(const WebhookConfig& config,
                        std::string_view cluster,
                        std::string_view yaml);
core::Result<std::string> slackBody(std::string_view cluster, std::string_view yaml);
std::string teamsBody(std::string_view cluster, std::string_view yaml);
std::string jiraBody(const JiraConfig& config, std::string_view cluster, std::string_view yaml);

struct EmailMeta {
    std::chrono::system_clock::time_point date;
    std::string message_id;  // without the angle brackets, e.g. "abc@netpolgen"
};
// The whole message, headers and body, CRLF line ends. SMTP dot-stuffing is the transport's.
std::string emailMessage(const EmailConfig& config,
                         std::string_view cluster,
                         std::string_view yaml,
                         const EmailMeta& meta);
// RFC 5322 date in UTC: "Thu, 26 Nov 2026 20:10:00 +0000".
std::string rfc5322Date(std::chrono::system_clock::time_point time);

// Names, addresses and a cluster name go into mail headers: CR or LF there would inject headers.
core::Status checkHeaderSafe(std::string_view what, std::string_view value);

}  // namespace netpolgen::notify
