// Notifier definitions: where a network-policy YAML is shared (docs/stackrox-generator.md §6).
//
// A file (YAML or JSON, one document) lists the notifiers:
//
//   notifiers:
//   - id: ops-hook                 # unique; defaults to the name
//     name: ops webhook
//     type: webhook                # webhook | slack | teams | email | jira
//     webhook:
//       url: https://hooks.example.com/np
//       extraFields: [{key: team, value: platform}]    # merged at the top level of the JSON
//       headers: [{key: X-Api-Key, value: s3cret}]
//       username: bot              # HTTP basic auth
//       password: pw
//       caCertFile: /etc/ssl/ca.pem  # or caCert: the PEM text (the only CA the API accepts)
//       skipTlsVerify: false
//       clientCertFile: c.pem      # with clientKeyFile: mutual TLS
//       clientKeyFile: c.key
//   - {name: chat, type: slack, slack: {webhookUrl: "https://hooks.slack.com/services/…"}}
//   - {name: ms, type: teams, teams: {webhookUrl: "https://example.webhook.office.com/…"}}
//   - name: mail
//     type: email
//     email: {server: "smtp.example.com:587", startTLS: require, username: u, password: p,
//             from: np@example.com, to: [sec@example.com]}      # startTLS: require|optional|none
//   - name: tickets
//     type: jira
//     jira: {url: "https://jira.example.com", project: SEC, issueType: Task, username: u,
//            token: t}
//
// Errors read "FILE:LINE: notifiers[1].webhook.url: …". Secrets (passwords, tokens, header values,
// the path of Slack/Teams webhook URLs, which is their credential) never leave this process through
// renderRedacted().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace netpolgen::notify {

enum class NotifierType : uint8_t { kWebhook, kSlack, kTeams, kEmail, kJira };
enum class StartTls : uint8_t { kRequire, kOptional, kNone };

struct KeyValue {
    std::string key;
    std::string value;
};

struct TlsOptions {
    std::string ca_cert_file;  // empty: the system store
    std::string ca_cert;       // PEM text of the CA certificates, instead of a file
    bool skip_tls_verify = false;
    std::string client_cert_file;
    std::string client_key_file;
};

struct WebhookConfig {
    std::string url;
    std::vector<KeyValue> extra_fields;
    std::vector<KeyValue> headers;
    std::string username;  // basic auth when non-empty
    std::string password;
    TlsOptions tls;
};

// Slack and Teams incoming webhooks: the URL is the whole configuration (and the secret).
struct ChatConfig {
    std::string webhook_url;
};

struct EmailConfig {
    std::string server;  // host:port
    StartTls start_tls = StartTls::kRequire;
    std::string username;
    std::string password;
    std::string from;
    std::vector<std::string> to;
};

struct JiraConfig {
    std::string url;  // base URL; issues are created at URL/rest/api/2/issue
    std::string project;
    std::string issue_type = "Task";
    std::string username;
    std::string token;
    TlsOptions tls;
};

struct NotifierConfig {
    std::string id;
    std::string name;
    NotifierType type = NotifierType::kWebhook;
    WebhookConfig webhook;  // type kWebhook
    ChatConfig chat;        // type kSlack or kTeams
    EmailConfig email;      // type kEmail
    JiraConfig jira;        // type kJira
};

std::string_view typeName(NotifierType type);

// Decodes a notifier file's text; `file_name` names it in errors.
core::Result<std::vector<NotifierConfig>> parseNotifierConfigs(std::string_view text,
                                                               std::string_view file_name);
core::Result<std::vector<NotifierConfig>> loadNotifierConfigs(const std::string& path);

// One notifier as the HTTP API receives it: one document (JSON or YAML) in the shape of one
// entry of the file; `what` names it in errors ("body:3: webhook.url: …"). The id defaults to the
// name, as in the file (to the stored id in an update). A "source" field, which GET adds, is
// ignored.
//
// An update passes the notifier it replaces as `stored`. When the type is unchanged, a secret
// that is absent or given as the mask "******" keeps its stored value (StackRox's
// updatePassword: false), so a client may send back what GET showed: webhook/email password, Jira
// token, webhook headers (absent: all kept; a value "******": the stored value of that key), and
// a URL equal to its shown form (credentials and query kept; Slack/Teams: the whole URL). A kept
// secret is only sent the way it went before: when a setting of its route changed — webhook/Jira
// URL (without credentials and query), skipTlsVerify, caCert, caCertFile, clientCertFile,
// clientKeyFile;
// e-mail server, startTLS, from, to — the secrets must be given again, else an error
// ("body:1: email.password: required again because email.startTLS changed (…)"). Changes that
// only make the secret travel more safely need no secret (skipTlsVerify turned off, startTLS
// none → optional → require). An empty string clears a secret.
//
// The certificate and key file fields (caCertFile, clientCertFile, clientKeyFile) are refused in a
// body unless equal to those of `stored`: only the notifier file names files to read. A private CA
// comes through the API as PEM text (caCert), which is public and not a secret. In the file
// and in a body, a string that goes into a header or URL (header names and values, URLs, the SMTP
// server, from and to, file paths) must not hold CR or LF.
core::Result<NotifierConfig> parseNotifier(std::string_view text,
                                           std::string_view what,
                                           const NotifierConfig* stored = nullptr);

// A notifier as the store keeps it (notifierJson with kInclude): as parseNotifier, with nothing
// to keep and file paths accepted (definitions stored by earlier versions may name files).
core::Result<NotifierConfig> parseStoredNotifier(std::string_view text, std::string_view what);

// `serve --notifiers FILE` warns when FILE is open to other users (mode & 077): the message, or
// nullopt when only its owner can use it (or it cannot be examined).
std::optional<std::string> notifierFileWarning(const std::string& path);

// {"notifiers":[…]} in the file's shape, every secret replaced by "******".
std::string renderRedacted(const std::vector<NotifierConfig>& notifiers);

enum class Secrets : uint8_t {
    kRedact,   // as renderRedacted: what the API shows
    kInclude,  // everything, for the store: parseNotifier reads it back unchanged
};
// One notifier as a JSON object in the shape of a file entry ({"id","name","type","<type>":{…}}).
std::string notifierJson(const NotifierConfig& notifier, Secrets secrets);

// A URL fit for messages and logs: no user:password@, no query; with hide_path only scheme://host.
std::string displayUrl(std::string_view url, bool hide_path);

}  // namespace netpolgen::notify
