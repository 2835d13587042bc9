#include "notify/notifier_config.h"

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

// Reads one mapping: each known key has a handler, unknown keys are errors, so a typo in a
// secret's key is not silently ignored (the notifier would then send unauthenticated).
class Decoder {
public:
    explicit Decoder(std::string_view file) : file_(file) {}

    Error fail(const SourceNode& node, const std::string& path, const std::string& what) const {
        return Error{file_ + ":" + std::to_string(node.line) + ": " + path + ": " + what};
    }

    using Handler = std::function<Status(const SourceNode&, const std::string&)>;

    Status mapping(const SourceNode& node,
                   const std::string& path,
                   const std::map<std::string, Handler, std::less<>>& handlers) const {
        if (!node.isMapping()) {
            return fail(node, path, "expected a mapping");
        }
        for (const SourceNode& entry : node.children) {
            const std::string child = path.empty() ? entry.key : path + "." + entry.key;
            auto it = handlers.find(entry.key);
            if (it == handlers.end()) {
                return fail(entry, child, "unknown field");
            }
            if (Status st = it->second(entry, child); !st) {
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

    Handler strings(std::vector<std::string>& out) const {
        return [this, &out](const SourceNode& n, const std::string& path) -> Status {
            if (!n.isSequence()) {
                return fail(n, path, "expected a list of strings");
            }
            for (size_t i = 0; i < n.children.size(); ++i) {
                std::string s;
                if (Status st = string(s)(n.children[i], path + "[" + std::to_string(i) + "]");
                    !st) {
                    return st;
                }
                out.push_back(std::move(s));
            }
            return {};
        };
    }

    Handler keyValues(std::vector<KeyValue>& out) const {
        return [this, &out](const SourceNode& n, const std::string& path) -> Status {
            if (!n.isSequence()) {
                return fail(n, path, "expected a list of {key, value}");
            }
            for (size_t i = 0; i < n.children.size(); ++i) {
                KeyValue kv;
                const std::string item = path + "[" + std::to_string(i) + "]";
                Status st = mapping(
                    n.children[i], item, {{"key", string(kv.key)}, {"value", string(kv.value)}});
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
        into.emplace("caCertFile", string(t.ca_cert_file));
        into.emplace("skipTlsVerify", boolean(t.skip_tls_verify));
        into.emplace("clientCertFile", string(t.client_cert_file));
        into.emplace("clientKeyFile", string(t.client_key_file));
    }

    Handler webhook(WebhookConfig& w) const {
        return [this, &w](const SourceNode& n, const std::string& path) -> Status {
            std::map<std::string, Handler, std::less<>> h{
                {"url", string(w.url)},
                {"extraFields", keyValues(w.extra_fields)},
                {"headers", keyValues(w.headers)},
                {"username", string(w.username)},
                {"password", string(w.password)}};
            addTls(w.tls, h);
            return mapping(n, path, h);
        };
    }

    Handler chat(ChatConfig& c) const {
        return [this, &c](const SourceNode& n, const std::string& path) -> Status {
            return mapping(n, path, {{"webhookUrl", string(c.webhook_url)}});
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
                           {{"server", string(e.server)},
                            {"startTLS", startTls(e.start_tls)},
                            {"username", string(e.username)},
                            {"password", string(e.password)},
                            {"from", string(e.from)},
                            {"to", strings(e.to)}});
        };
    }

    Handler jira(JiraConfig& j) const {
        return [this, &j](const SourceNode& n, const std::string& path) -> Status {
            std::map<std::string, Handler, std::less<>> h{{"url", string(j.url)},
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
                node, path + "." + field, "required for type " + std::string(typeName(n.type)));
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
                return d.fail(node, path + ".webhook.extraFields", "\"networkpolicy\" is reserved");
            }
        }
    }
    return st;
}

Result<NotifierConfig> decodeNotifier(const Decoder& d,
                                      const SourceNode& node,
                                      const std::string& path) {
    NotifierConfig n;
    bool has_type = false;
    Decoder::Handler type = d.type(n.type);
    Status st = d.mapping(node,
                          path,
                          {{"id", d.string(n.id)},
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
                           {"jira", d.jira(n.jira)}});
    if (!st) {
        return Error{st.error()};
    }
    if (n.name.empty()) {
        return d.fail(node, path + ".name", "required");
    }
    if (!has_type) {
        return d.fail(node, path + ".type", "required");
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
                          path + "." + entry.key,
                          "not allowed for type " + std::string(typeName(n.type)));
        }
    }
    if (Status c = checkComplete(d, node, path, n); !c) {
        return Error{c.error()};
    }
    return n;
}

std::string secret(const std::string& value) {
    return value.empty() ? std::string() : std::string(kRedacted);
}

Json tlsJson(const TlsOptions& t) {
    return Json{{"caCertFile", t.ca_cert_file},
                {"skipTlsVerify", t.skip_tls_verify},
                {"clientCertFile", t.client_cert_file},
                {"clientKeyFile", t.client_key_file}};
}

Json redactedSection(const NotifierConfig& n) {
    switch (n.type) {
        case NotifierType::kWebhook: {
            Json extra = Json::array();
            for (const KeyValue& kv : n.webhook.extra_fields) {
                extra.push_back({{"key", kv.key}, {"value", kv.value}});
            }
            // Header values are usually credentials (Authorization, API keys): all are hidden.
            Json headers = Json::array();
            for (const KeyValue& kv : n.webhook.headers) {
                headers.push_back({{"key", kv.key}, {"value", kRedacted}});
            }
            Json w{{"url", displayUrl(n.webhook.url, false)},
                   {"extraFields", extra},
                   {"headers", headers},
                   {"username", n.webhook.username},
                   {"password", secret(n.webhook.password)}};
            w.update(tlsJson(n.webhook.tls));
            return w;
        }
        case NotifierType::kSlack:
        case NotifierType::kTeams:
            return Json{{"webhookUrl", displayUrl(n.chat.webhook_url, true)}};
        case NotifierType::kEmail: {
            static constexpr std::string_view kModes[] = {"require", "optional", "none"};
            return Json{{"server", n.email.server},
                        {"startTLS", kModes[static_cast<int>(n.email.start_tls)]},
                        {"username", n.email.username},
                        {"password", secret(n.email.password)},
                        {"from", n.email.from},
                        {"to", n.email.to}};
        }
        case NotifierType::kJira: {
            Json j{{"url", displayUrl(n.jira.url, false)},
                   {"project", n.jira.project},
                   {"issueType", n.jira.issue_type},
                   {"username", n.jira.username},
                   {"token", secret(n.jira.token)}};
            j.update(tlsJson(n.jira.tls));
            return j;
        }
    }
    return Json::object();
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
    auto docs = io::parseDocuments(text, {});
    if (!docs) {
        return Error{std::string(file_name) + ": " + docs.error()};
    }
    if (docs->size() != 1) {
        return Error{std::string(file_name) + ": expected one document, found " +
                     std::to_string(docs->size())};
    }
    const SourceNode& root = docs->front();
    const SourceNode* list = root.isMapping() ? root.find("notifiers") : nullptr;
    if (list == nullptr || !list->isSequence() || root.children.size() != 1) {
        return d.fail(root, "notifiers", "expected a document {notifiers: [...]}");
    }
    std::vector<NotifierConfig> out;
    std::set<std::string> ids;
    for (size_t i = 0; i < list->children.size(); ++i) {
        const std::string path = "notifiers[" + std::to_string(i) + "]";
        auto n = decodeNotifier(d, list->children[i], path);
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
        Json j{{"id", n.id}, {"name", n.name}, {"type", typeName(n.type)}};
        j[std::string(typeName(n.type))] = redactedSection(n);
        list.push_back(std::move(j));
    }
    return Json{{"notifiers", list}}.dump(-1, ' ', false, Json::error_handler_t::replace);
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
