#include "notify/notifier_config.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "io/source_tree.h"

namespace netpolgen::notify {
namespace {

using core::Error;
using core::Result;
using core::Status;
using io::SourceNode;
using Json = nlohmann::ordered_json;

constexpr std::string_view kRedacted = "******";

// "a.b" below "a"; just "b" at the top of a notifier given alone (an API body).
std::string child(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Reads one mapping: each known key has a handler, unknown keys are errors, so a typo in a
// secret's key is not silently ignored (the notifier would then send unauthenticated).
class Decoder {
public:
    explicit Decoder(std::string_view file) : file_(file) {}

    Error fail(const SourceNode& node, const std::string& path, const std::string& what) const {
        const std::string where = file_ + ":" + std::to_string(node.line) + ": ";
        return Error{where + (path.empty() ? "" : path + ": ") + what};
    }

    using Handler = std::function<Status(const SourceNode&, const std::string&)>;

    Status mapping(const SourceNode& node,
                   const std::string& path,
                   const std::map<std::string, Handler, std::less<>>& handlers) const {
        if (!node.isMapping()) {
            return fail(node, path, "expected a mapping");
        }
        for (const SourceNode& entry : node.children) {
            const std::string entry_path = child(path, entry.key);
            auto it = handlers.find(entry.key);
            if (it == handlers.end()) {
                return fail(entry, entry_path, "unknown field");
            }
            if (Status st = it->second(entry, entry_path); !st) {
                return st;
            }
        }
        return {};
    }

    Handler string(std::string& out) const {
        return [this, &out](const SourceNode& n, const std::string& path) -> Status {
            if (!n.isScalar() || (io::isNull(n) && !n.quoted)) {
                return fail(n, path, "expected a string");
            }
            out = n.value;
            return {};
        };
    }

    // A string that goes into a header line (HTTP, SMTP) or a URL: CR or LF there would end the
    // header and inject others, so it is refused here, for the file and the API alike.
    Handler line(std::string& out) const {
        return [this, &out](const SourceNode& n, const std::string& path) -> Status {
            if (Status st = string(out)(n, path); !st) {
                return st;
            }
            if (out.find_first_of("\r\n") != std::string::npos) {
                return fail(n, path, "must not contain a line break (CR or LF)");
            }
            return {};
        };
    }

    // PEM text of certificates (empty: none).
    Handler pem(std::string& out) const {
        return [this, &out](const SourceNode& n, const std::string& path) -> Status {
            if (Status st = string(out)(n, path); !st) {
                return st;
            }
            if (!out.empty() && out.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
                return fail(n, path, "expected PEM text (-----BEGIN CERTIFICATE-----…)");
            }
            return {};
        };
    }

    Handler boolean(bool& out) const {
        return [this, &out](const SourceNode& n, const std::string& path) -> Status {
            std::optional<bool> b = n.isScalar() ? io::asBool(n) : std::nullopt;
            if (!b) {
                return fail(n, path, "expected true or false");
            }
            out = *b;
            return {};
        };
    }

    // A list of lines (e-mail addresses).
    Handler lines(std::vector<std::string>& out) const {
        return [this, &out](const SourceNode& n, const std::string& path) -> Status {
            if (!n.isSequence()) {
                return fail(n, path, "expected a list of strings");
            }
            for (size_t i = 0; i < n.children.size(); ++i) {
                std::string s;
                if (Status st = line(s)(n.children[i], path + "[" + std::to_string(i) + "]"); !st) {
                    return st;
                }
                out.push_back(std::move(s));
            }
            return {};
        };
    }

    // `header`: the pairs are HTTP headers, whose names and values are lines.
    Handler keyValues(std::vector<KeyValue>& out, bool header) const {
        return [this, &out, header](const SourceNode& n, const std::string& path) -> Status {
            if (!n.isSequence()) {
                return fail(n, path, "expected a list of {key, value}");
            }
            for (size_t i = 0; i < n.children.size(); ++i) {
                KeyValue kv;
                const std::string item = path + "[" + std::to_string(i) + "]";
                Status st = header
                                ? mapping(n.children[i],
                                          item,
                                          {{"key", line(kv.key)}, {"value", line(kv.value)}})
                                : mapping(n.children[i],
                                          item,
                                          {{"key", string(kv.key)}, {"value", string(kv.value)}});
                if (!st) {
                    return st;
                }
                if (kv.key.empty()) {
                    return fail(n.children[i], item + ".key", "must not be empty");
                }
                out.push_back(std::move(kv));
            }
            return {};
        };
    }

    // The TLS fields are shared by the webhook and Jira sections.
    void addTls(TlsOptions& t, std::map<std::string, Handler, std::less<>>& into) const {
        into.emplace("caCertFile", line(t.ca_cert_file));
        into.emplace("caCert", pem(t.ca_cert));
        into.emplace("skipTlsVerify", boolean(t.skip_tls_verify));
        into.emplace("clientCertFile", line(t.client_cert_file));
        into.emplace("clientKeyFile", line(t.client_key_file));
    }

    Handler webhook(WebhookConfig& w) const {
        return [this, &w](const SourceNode& n, const std::string& path) -> Status {
            std::map<std::string, Handler, std::less<>> h{
                {"url", line(w.url)},
                {"extraFields", keyValues(w.extra_fields, false)},
                {"headers", keyValues(w.headers, true)},
                {"username", string(w.username)},
                {"password", string(w.password)}};
            addTls(w.tls, h);
            return mapping(n, path, h);
        };
    }

    Handler chat(ChatConfig& c) const {
        return [this, &c](const SourceNode& n, const std::string& path) -> Status {
            return mapping(n, path, {{"webhookUrl", line(c.webhook_url)}});
        };
    }

    Handler startTls(StartTls& out) const {
        return [this, &out](const SourceNode& n, const std::string& path) -> Status {
            static const std::map<std::string, StartTls, std::less<>> kModes{
                {"require", StartTls::kRequire},
                {"optional", StartTls::kOptional},
                {"none", StartTls::kNone}};
            auto it = n.isScalar() ? kModes.find(n.value) : kModes.end();
            if (it == kModes.end()) {
                return fail(n, path, "expected require, optional or none");
            }
            out = it->second;
            return {};
        };
    }

    Handler email(EmailConfig& e) const {
        return [this, &e](const SourceNode& n, const std::string& path) -> Status {
            return mapping(n,
                           path,
                           {{"server", line(e.server)},
                            {"startTLS", startTls(e.start_tls)},
                            {"username", string(e.username)},
                            {"password", string(e.password)},
                            {"from", line(e.from)},
                            {"to", lines(e.to)}});
        };
    }

    Handler jira(JiraConfig& j) const {
        return [this, &j](const SourceNode& n, const std::string& path) -> Status {
            std::map<std::string, Handler, std::less<>> h{{"url", line(j.url)},
                                                          {"project", string(j.project)},
                                                          {"issueType", string(j.issue_type)},
                                                          {"username", string(j.username)},
                                                          {"token", string(j.token)}};
            addTls(j.tls, h);
            return mapping(n, path, h);
        };
    }

    Handler type(NotifierType& out) const {
        return [this, &out](const SourceNode& n, const std::string& path) -> Status {
            for (NotifierType t : {NotifierType::kWebhook,
                                   NotifierType::kSlack,
                                   NotifierType::kTeams,
                                   NotifierType::kEmail,
                                   NotifierType::kJira}) {
                if (n.isScalar() && n.value == typeName(t)) {
                    out = t;
                    return {};
                }
            }
            return fail(n, path, "expected webhook, slack, teams, email or jira");
        };
    }

    std::string file_;
};

// The section of each type must be present and complete: a notifier that cannot send is a
// configuration error, found when the file is read rather than when a user shares YAML.
Status checkComplete(const Decoder& d,
                     const SourceNode& node,
                     const std::string& path,
                     const NotifierConfig& n) {
    auto need = [&](const std::string& value, const std::string& field) -> Status {
        if (value.empty()) {
            return d.fail(
                node, child(path, field), "required for type " + std::string(typeName(n.type)));
        }
        return {};
    };
    Status st;
    switch (n.type) {
        case NotifierType::kWebhook:
            st = need(n.webhook.url, "webhook.url");
            break;
        case NotifierType::kSlack:
            st = need(n.chat.webhook_url, "slack.webhookUrl");
            break;
        case NotifierType::kTeams:
            st = need(n.chat.webhook_url, "teams.webhookUrl");
            break;
        case NotifierType::kEmail:
            st = need(n.email.server, "email.server");
            if (st)
                st = need(n.email.from, "email.from");
            if (st && n.email.to.empty())
                st = need("", "email.to");
            break;
        case NotifierType::kJira:
            st = need(n.jira.url, "jira.url");
            if (st)
                st = need(n.jira.project, "jira.project");
            break;
    }
    if (st && n.type == NotifierType::kWebhook) {
        for (const KeyValue& kv : n.webhook.extra_fields) {
            if (kv.key == "networkpolicy") {
                return d.fail(
                    node, child(path, "webhook.extraFields"), "\"networkpolicy\" is reserved");
            }
        }
    }
    return st;
}

// One setting that decides where or how a secret travels (destination, TLS, recipients): its field
// in the section, its value in the update and in the stored notifier, and whether the change only
// makes the secret travel more safely (verification turned on, STARTTLS made stricter).
struct RouteSetting {
    std::string_view field;
    std::string value;
    std::string stored;
    bool safer = false;
};

// What an update through the API keeps of the notifier it replaces. GET shows secrets masked, so
// a client that sends back what it read, or leaves a secret out, means "unchanged" (StackRox's
// updatePassword: false). A kept secret only travels the way it travelled before: when a route
// setting changed (URL, SMTP server, TLS settings, recipients) the secrets must be given again, so
// that changing the URL cannot send a stored password to a host of one's choosing, nor turning off
// TLS or verification send it where others can read it.
class SecretKeeper {
public:
    // `node`, `path`: the notifier's, for errors; `t`: its type, whose section is read.
    SecretKeeper(const Decoder& d, const SourceNode& node, const std::string& path, NotifierType t)
        : d_(d), node_(node), path_(path), section_(typeName(t)) {}

    // `value` becomes `stored` when `key` is absent from the section or holds the mask.
    void keep(std::string_view key, std::string& value, const std::string& stored) {
        if (absent(key) || value == kRedacted) {
            value = stored;
            noteKept(key, !stored.empty());
        }
    }

    // A URL sent back as GET shows it (no user:password@, no query, maybe a hidden path) is the
    // stored one, with its credentials. An absent Slack or Teams URL (all secret) is kept too.
    void keepUrl(std::string_view key,
                 std::string& url,
                 const std::string& stored,
                 bool hide_path) {
        if ((hide_path && absent(key)) || url == displayUrl(stored, hide_path)) {
            url = stored;
            noteKept(key, stored != displayUrl(stored, hide_path));
        }
    }

    // A client certificate of the notifier file given again through the API (as GET shows it)
    // authenticates like a secret: it is kept only with the same route.
    void keepFile(std::string_view key, const std::string& value, const std::string& stored) {
        if (!stored.empty() && value == stored) {
            noteKept(key, true);
        }
    }

    // Headers absent from the update keep the stored list; a header value given as the mask keeps
    // the stored value of the header with that key.
    Status keepHeaders(std::vector<KeyValue>& headers, const std::vector<KeyValue>& stored) {
        if (absent("headers")) {
            headers = stored;
            noteKept("headers", !stored.empty());
            return {};
        }
        for (size_t i = 0; i < headers.size(); ++i) {
            if (headers[i].value != kRedacted) {
                continue;
            }
            auto it = std::find_if(stored.begin(), stored.end(), [&](const KeyValue& kv) {
                return kv.key == headers[i].key;
            });
            if (it == stored.end()) {
                return d_.fail(node_,
                               child(path_, "webhook.headers[" + std::to_string(i) + "].value"),
                               "\"******\" keeps a stored value, and no stored header is named \"" +
                                   headers[i].key + "\"");
            }
            headers[i].value = it->value;
            noteKept("headers", !it->value.empty());
        }
        return {};
    }

    // An error naming the first kept secret and the first route setting that changed.
    Status sameRoute(const std::vector<RouteSetting>& route) const {
        if (kept_field_.empty()) {
            return {};
        }
        for (const RouteSetting& s : route) {
            if (s.value != s.stored && !s.safer) {
                return d_.fail(node_,
                               child(path_, std::string(section_) + "." + kept_field_),
                               "required again because " + std::string(section_) + "." +
                                   std::string(s.field) +
                                   " changed (a stored secret is only sent the way it was "
                                   "sent before)");
            }
        }
        return {};
    }

private:
    bool absent(std::string_view key) const {
        const SourceNode* section = node_.find(section_);
        return section == nullptr || section->find(key) == nullptr;
    }
    void noteKept(std::string_view field, bool kept_something) {
        if (kept_field_.empty() && kept_something) {
            kept_field_ = field;
        }
    }

    const Decoder& d_;
    const SourceNode& node_;
    const std::string& path_;
    std::string_view section_;
    std::string kept_field_;  // the first secret kept, named in errors
};

// The destination a secret is sent to: the URL without credentials and query.
std::string destination(const std::string& url) {
    return displayUrl(url, false);
}

// The route of an HTTP notifier: its URL's destination and every TLS setting.
std::vector<RouteSetting> httpRoute(const std::string& url,
                                    const TlsOptions& tls,
                                    const std::string& stored_url,
                                    const TlsOptions& stored_tls) {
    auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
    return {{"url", destination(url), destination(stored_url)},
            {"skipTlsVerify",
             flag(tls.skip_tls_verify),
             flag(stored_tls.skip_tls_verify),
             !tls.skip_tls_verify},
            {"caCert", tls.ca_cert, stored_tls.ca_cert},
            {"caCertFile", tls.ca_cert_file, stored_tls.ca_cert_file},
            {"clientCertFile", tls.client_cert_file, stored_tls.client_cert_file},
            {"clientKeyFile", tls.client_key_file, stored_tls.client_key_file}};
}

// The route of an e-mail: the SMTP server, how TLS is used, and who sends to whom (the password
// authorises mail to those recipients, from that sender). StartTls orders require < optional <
// none, from the safest.
std::vector<RouteSetting> emailRoute(const EmailConfig& e, const EmailConfig& stored) {
    auto joined = [](const std::vector<std::string>& to) {
        std::string out;
        for (const std::string& address : to) {
            out += address + "\n";  // no address holds a line break (Decoder::lines)
        }
        return out;
    };
    auto mode = [](StartTls t) { return std::to_string(static_cast<int>(t)); };
    return {{"server", e.server, stored.server},
            {"startTLS", mode(e.start_tls), mode(stored.start_tls), e.start_tls < stored.start_tls},
            {"from", e.from, stored.from},
            {"to", joined(e.to), joined(stored.to)}};
}

Status keepSecrets(const Decoder& d,
                   const SourceNode& node,
                   const std::string& path,
                   const NotifierConfig& stored,
                   NotifierConfig& n) {
    SecretKeeper k(d, node, path, n.type);
    switch (n.type) {
        case NotifierType::kWebhook: {
            k.keep("password", n.webhook.password, stored.webhook.password);
            k.keepUrl("url", n.webhook.url, stored.webhook.url, false);
            if (Status st = k.keepHeaders(n.webhook.headers, stored.webhook.headers); !st) {
                return st;
            }
            k.keepFile(
                "clientKeyFile", n.webhook.tls.client_key_file, stored.webhook.tls.client_key_file);
            return k.sameRoute(
                httpRoute(n.webhook.url, n.webhook.tls, stored.webhook.url, stored.webhook.tls));
        }
        case NotifierType::kSlack:
        case NotifierType::kTeams:
            k.keepUrl("webhookUrl", n.chat.webhook_url, stored.chat.webhook_url, true);
            return {};
        case NotifierType::kEmail:
            k.keep("password", n.email.password, stored.email.password);
            return k.sameRoute(emailRoute(n.email, stored.email));
        case NotifierType::kJira:
            k.keep("token", n.jira.token, stored.jira.token);
            k.keepUrl("url", n.jira.url, stored.jira.url, false);
            k.keepFile(
                "clientKeyFile", n.jira.tls.client_key_file, stored.jira.tls.client_key_file);
            return k.sameRoute(httpRoute(n.jira.url, n.jira.tls, stored.jira.url, stored.jira.tls));
    }
    return {};
}

// How a notifier is read: as an entry of the file, alone as the API receives it, or as stored.
struct DecodeMode {
    bool api = false;                        // "source", which GET adds, is read and ignored
    bool body = false;                       // an API body: no file paths (checkNoFilePaths)
    const NotifierConfig* stored = nullptr;  // the notifier an API update replaces (keepSecrets)
};

// Certificate and key files are read on the server's machine: only the notifier file names them.
// An API body may repeat the paths of the notifier it refers to (as GET shows them), no others:
// else a request could make the server read (and report on) any file it can open.
Status checkNoFilePaths(const Decoder& d,
                        const SourceNode& node,
                        const std::string& path,
                        const NotifierConfig& n,
                        const NotifierConfig* stored) {
    const bool same_type = stored != nullptr && stored->type == n.type;
    const TlsOptions none;
    const TlsOptions* tls = nullptr;
    const TlsOptions* before = &none;
    if (n.type == NotifierType::kWebhook) {
        tls = &n.webhook.tls;
        before = same_type ? &stored->webhook.tls : &none;
    } else if (n.type == NotifierType::kJira) {
        tls = &n.jira.tls;
        before = same_type ? &stored->jira.tls : &none;
    }
    if (tls == nullptr) {
        return {};
    }
    const std::pair<std::string_view, std::string TlsOptions::*> files[] = {
        {"caCertFile", &TlsOptions::ca_cert_file},
        {"clientCertFile", &TlsOptions::client_cert_file},
        {"clientKeyFile", &TlsOptions::client_key_file}};
    const std::string section(typeName(n.type));
    for (const auto& [key, member] : files) {
        if ((tls->*member).empty() || tls->*member == before->*member) {
            continue;
        }
        const SourceNode* in = node.find(section);
        const SourceNode* field = in != nullptr ? in->find(key) : nullptr;
        return d.fail(field != nullptr ? *field : node,
                      child(path, section + "." + std::string(key)),
                      "a file path is only read from the notifier file (serve --notifiers), not "
                      "from the API");
    }
    return {};
}

Result<NotifierConfig> decodeNotifier(const Decoder& d,
                                      const SourceNode& node,
                                      const std::string& path,
                                      const DecodeMode& mode) {
    NotifierConfig n;
    bool has_type = false;
    Decoder::Handler type = d.type(n.type);
    std::map<std::string, Decoder::Handler, std::less<>> handlers{
        {"id", d.string(n.id)},
        {"name", d.string(n.name)},
        {"type",
         [&](const SourceNode& v, const std::string& p) {
             has_type = true;
             return type(v, p);
         }},
        {"webhook", d.webhook(n.webhook)},
        {"slack", d.chat(n.chat)},
        {"teams", d.chat(n.chat)},
        {"email", d.email(n.email)},
        {"jira", d.jira(n.jira)}};
    std::string ignored_source;
    if (mode.api) {
        handlers.emplace("source", d.string(ignored_source));
    }
    if (Status st = d.mapping(node, path, handlers); !st) {
        return Error{st.error()};
    }
    const NotifierConfig* stored = mode.stored;
    if (n.id.empty() && stored != nullptr) {
        n.id = stored->id;  // an update names its notifier in the path
    }
    if (n.name.empty()) {
        return d.fail(node, child(path, "name"), "required");
    }
    if (!has_type) {
        return d.fail(node, child(path, "type"), "required");
    }
    if (n.id.empty()) {
        n.id = n.name;
    }
    // A section of another type is a mistake (a Slack URL under teams:), not something to ignore.
    for (const SourceNode& entry : node.children) {
        const bool section = entry.key == "webhook" || entry.key == "slack" ||
                             entry.key == "teams" || entry.key == "email" || entry.key == "jira";
        if (section && entry.key != typeName(n.type)) {
            return d.fail(entry,
                          child(path, entry.key),
                          "not allowed for type " + std::string(typeName(n.type)));
        }
    }
    if (mode.body) {
        if (Status st = checkNoFilePaths(d, node, path, n, stored); !st) {
            return Error{st.error()};
        }
    }
    if (stored != nullptr && stored->type == n.type) {
        if (Status st = keepSecrets(d, node, path, *stored, n); !st) {
            return Error{st.error()};
        }
    }
    if (Status c = checkComplete(d, node, path, n); !c) {
        return Error{c.error()};
    }
    return n;
}

// The one document of a file or body; `what` names it in errors.
Result<SourceNode> oneDocument(std::string_view text, std::string_view what) {
    auto docs = io::parseDocuments(text, {});
    if (!docs) {
        return Error{std::string(what) + ": " + docs.error()};
    }
    if (docs->size() != 1) {
        return Error{std::string(what) + ": expected one document, found " +
                     std::to_string(docs->size())};
    }
    return std::move(docs->front());
}

// What leaves the process: with kRedact, a secret as the mask (empty stays empty, so a client
// sees that none is set) and URLs through displayUrl.
class Shown {
public:
    explicit Shown(Secrets secrets) : redact_(secrets == Secrets::kRedact) {}
    std::string secret(const std::string& value) const {
        return redact_ && !value.empty() ? std::string(kRedacted) : value;
    }
    std::string url(const std::string& value, bool hide_path) const {
        return redact_ ? displayUrl(value, hide_path) : value;
    }

private:
    bool redact_;
};

Json tlsJson(const TlsOptions& t) {
    return Json{{"caCertFile", t.ca_cert_file},
                {"caCert", t.ca_cert},
                {"skipTlsVerify", t.skip_tls_verify},
                {"clientCertFile", t.client_cert_file},
                {"clientKeyFile", t.client_key_file}};
}

Json sectionJson(const NotifierConfig& n, const Shown& shown) {
    switch (n.type) {
        case NotifierType::kWebhook: {
            Json extra = Json::array();
            for (const KeyValue& kv : n.webhook.extra_fields) {
                extra.push_back({{"key", kv.key}, {"value", kv.value}});
            }
            // Header values are usually credentials (Authorization, API keys): all are hidden.
            Json headers = Json::array();
            for (const KeyValue& kv : n.webhook.headers) {
                headers.push_back({{"key", kv.key}, {"value", shown.secret(kv.value)}});
            }
            Json w{{"url", shown.url(n.webhook.url, false)},
                   {"extraFields", extra},
                   {"headers", headers},
                   {"username", n.webhook.username},
                   {"password", shown.secret(n.webhook.password)}};
            w.update(tlsJson(n.webhook.tls));
            return w;
        }
        case NotifierType::kSlack:
        case NotifierType::kTeams:
            return Json{{"webhookUrl", shown.url(n.chat.webhook_url, true)}};
        case NotifierType::kEmail: {
            static constexpr std::string_view kModes[] = {"require", "optional", "none"};
            return Json{{"server", n.email.server},
                        {"startTLS", kModes[static_cast<int>(n.email.start_tls)]},
                        {"username", n.email.username},
                        {"password", shown.secret(n.email.password)},
                        {"from", n.email.from},
                        {"to", n.email.to}};
        }
        case NotifierType::kJira: {
            Json j{{"url", shown.url(n.jira.url, false)},
                   {"project", n.jira.project},
                   {"issueType", n.jira.issue_type},
                   {"username", n.jira.username},
                   {"token", shown.secret(n.jira.token)}};
            j.update(tlsJson(n.jira.tls));
            return j;
        }
    }
    return Json::object();
}

Json entryJson(const NotifierConfig& n, Secrets secrets) {
    Json j{{"id", n.id}, {"name", n.name}, {"type", typeName(n.type)}};
    j[std::string(typeName(n.type))] = sectionJson(n, Shown(secrets));
    return j;
}

std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

std::string_view typeName(NotifierType type) {
    switch (type) {
        case NotifierType::kWebhook:
            return "webhook";
        case NotifierType::kSlack:
            return "slack";
        case NotifierType::kTeams:
            return "teams";
        case NotifierType::kEmail:
            return "email";
        case NotifierType::kJira:
            return "jira";
    }
    return "unknown";
}

Result<std::vector<NotifierConfig>> parseNotifierConfigs(std::string_view text,
                                                         std::string_view file_name) {
    const Decoder d(file_name);
    auto doc = oneDocument(text, file_name);
    if (!doc) {
        return Error{doc.error()};
    }
    const SourceNode& root = *doc;
    const SourceNode* list = root.isMapping() ? root.find("notifiers") : nullptr;
    if (list == nullptr || !list->isSequence() || root.children.size() != 1) {
        return d.fail(root, "notifiers", "expected a document {notifiers: [...]}");
    }
    std::vector<NotifierConfig> out;
    std::set<std::string> ids;
    for (size_t i = 0; i < list->children.size(); ++i) {
        const std::string path = "notifiers[" + std::to_string(i) + "]";
        auto n = decodeNotifier(d, list->children[i], path, {});
        if (!n) {
            return Error{n.error()};
        }
        if (!ids.insert(n->id).second) {
            return d.fail(list->children[i], path + ".id", "duplicate id \"" + n->id + "\"");
        }
        out.push_back(std::move(*n));
    }
    return out;
}

Result<std::vector<NotifierConfig>> loadNotifierConfigs(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Error{path + ": cannot open"};
    }
    std::ostringstream text;
    text << in.rdbuf();
    return parseNotifierConfigs(text.str(), path);
}

std::string renderRedacted(const std::vector<NotifierConfig>& notifiers) {
    Json list = Json::array();
    for (const NotifierConfig& n : notifiers) {
        list.push_back(entryJson(n, Secrets::kRedact));
    }
    return dump(Json{{"notifiers", list}});
}

std::string notifierJson(const NotifierConfig& notifier, Secrets secrets) {
    return dump(entryJson(notifier, secrets));
}

Result<NotifierConfig> parseNotifier(std::string_view text,
                                     std::string_view what,
                                     const NotifierConfig* stored) {
    auto doc = oneDocument(text, what);
    if (!doc) {
        return Error{doc.error()};
    }
    return decodeNotifier(Decoder(what), *doc, "", {.api = true, .body = true, .stored = stored});
}

Result<NotifierConfig> parseStoredNotifier(std::string_view text, std::string_view what) {
    auto doc = oneDocument(text, what);
    if (!doc) {
        return Error{doc.error()};
    }
    return decodeNotifier(Decoder(what), *doc, "", {.api = true});
}

std::optional<std::string> notifierFileWarning(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) {
        return std::nullopt;
    }
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    const char* how = (st.st_mode & 044) != 0 ? "readable" : "accessible";
    return "warning: " + path + " is " + how + " by other users (mode " + mode +
           "); it holds notifier secrets: chmod 600 " + path;
}

std::string displayUrl(std::string_view url, bool hide_path) {
    const size_t scheme_end = url.find("://");
    const size_t host_start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    size_t path_start = url.find_first_of("/?#", host_start);
    if (path_start == std::string_view::npos) {
        path_start = url.size();
    }
    std::string_view authority = url.substr(host_start, path_start - host_start);
    if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
        authority.remove_prefix(at + 1);  // user:password@ is a secret
    }
    std::string out = std::string(url.substr(0, host_start)) + std::string(authority);
    if (hide_path) {
        return path_start < url.size() ? out + "/" + std::string(kRedacted) : out;
    }
    std::string_view path = url.substr(path_start);
    return out + std::string(path.substr(0, path.find_first_of("?#")));
}

}  // namespace netpolgen::notify
