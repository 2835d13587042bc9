#include "notify/payloads.h"

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>

namespace netpolgen::notify {
namespace {

using Json = nlohmann::ordered_json;

// YAML comes from user uploads too: invalid UTF-8 is replaced rather than thrown on.
std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string htmlEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// Bare LF and CR become CRLF, as RFC 5322 requires of a message's lines.
std::string toCrlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 16);
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            continue;  // the LF that follows writes the pair
        }
        if (text[i] == '\n' || text[i] == '\r') {
            out += "\r\n";
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string withFinalNewline(std::string_view text) {
    std::string out(text);
    if (!out.empty() && out.back() != '\n') {
        out += '\n';
    }
    return out;
}

}  // namespace

std::string introText(std::string_view cluster) {
    return "Please review the following network policy YAML that needs to be applied to cluster '" +
           std::string(cluster) + "'.";
}

std::string webhookBody(const WebhookConfig& config,
                        std::string_view cluster,
                        std::string_view yaml) {
    Json body{{"networkpolicy", {{"cluster", cluster}, {"yaml", yaml}}}};
    for (const KeyValue& kv : config.extra_fields) {
        body[kv.key] = kv.value;  // the config decoder reserves "networkpolicy"
    }
    return dump(body);
}

core::Result<std::string> slackBody(std::string_view cluster, std::string_view yaml) {
    const size_t lines = static_cast<size_t>(std::count(yaml.begin(), yaml.end(), '\n')) +
                         (!yaml.empty() && yaml.back() != '\n' ? 1 : 0);
    if (lines > kSlackMaxYamlLines || yaml.size() > kSlackMaxYamlChars) {
        return core::Error{"the YAML has " + std::to_string(lines) + " lines and " +
                           std::to_string(yaml.size()) + " characters; Slack takes at most " +
                           std::to_string(kSlackMaxYamlLines) + " lines and " +
                           std::to_string(kSlackMaxYamlChars) + " characters"};
    }
    const std::string title =
        "Network policy YAML to be applied on cluster '" + std::string(cluster) + "'";
    const std::string code =
        yaml.empty() ? "<YAML is empty>" : "```\n" + withFinalNewline(yaml) + "```";
    Json attachment{{"color", "#FF9365"},
                    {"fallback", title},
                    {"mrkdwn_in", {"text", "pretext"}},
                    {"pretext", "*" + title + "*"},
                    {"text", introText(cluster) + "\n" + code}};
    return dump(Json{{"attachments", Json::array({attachment})}});
}

std::string teamsBody(std::string_view cluster, std::string_view yaml) {
    const std::string title =
        "Network policy YAML applied on cluster \"" + std::string(cluster) + "\"";
    Json card{{"@type", "MessageCard"},
              {"@context", "https://schema.org/extensions"},
              {"themeColor", "FF9365"},
              {"summary", title},
              {"title", title},
              {"text", htmlEscape(introText(cluster)) + "<pre>" + htmlEscape(yaml) + "</pre>"}};
    return dump(card);
}

std::string jiraBody(const JiraConfig& config, std::string_view cluster, std::string_view yaml) {
    const std::string description =
        introText(cluster) + "\n{code:title=Network Policy YAML|theme=FadeToGrey|language=yaml}\n" +
        withFinalNewline(yaml) + "{code}";
    Json fields{{"project", {{"key", config.project}}},
                {"summary", "Network policy yaml to apply on cluster " + std::string(cluster)},
                {"issuetype", {{"name", config.issue_type}}},
                {"description", description}};
    return dump(Json{{"fields", fields}});
}

std::string rfc5322Date(std::chrono::system_clock::time_point time) {
    const std::time_t t = std::chrono::system_clock::to_time_t(time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    // strftime's %a and %b follow the locale; RFC 5322 wants the English names.
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char buf[64];
    std::snprintf(buf,
                  sizeof buf,
                  "%s, %02d %s %04d %02d:%02d:%02d +0000",
                  kDays[tm.tm_wday],
                  tm.tm_mday,
                  kMonths[tm.tm_mon],
                  tm.tm_year + 1900,
                  tm.tm_hour,
                  tm.tm_min,
                  tm.tm_sec);
    return buf;
}

std::string emailMessage(const EmailConfig& config,
                         std::string_view cluster,
                         std::string_view yaml,
                         const EmailMeta& meta) {
    std::string to;
    for (const std::string& rcpt : config.to) {
        to += (to.empty() ? "" : ", ") + rcpt;
    }
    std::string m;
    m += "From: " + config.from + "\r\n";
    m += "To: " + to + "\r\n";
    m += "Subject: New network policy YAML for cluster '" + std::string(cluster) +
         "' needs to be applied\r\n";
    m += "Date: " + rfc5322Date(meta.date) + "\r\n";
    m += "Message-ID: <" + meta.message_id + ">\r\n";
    m += "MIME-Version: 1.0\r\n";
    m += "Content-Type: text/plain; charset=utf-8\r\n";
    m += "Content-Transfer-Encoding: 8bit\r\n";
    m += "\r\n";
    m += introText(cluster) + "\r\n\r\n";
    m += toCrlf(withFinalNewline(yaml));
    return m;
}

core::Status checkHeaderSafe(std::string_view what, std::string_view value) {
    if (value.find_first_of("\r\n") != std::string_view::npos) {
        return core::Error{std::string(what) + " must not contain line breaks"};
    }
    return {};
}

}  // namespace netpolgen::notify
