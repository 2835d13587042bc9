// The notifier library: exact payloads, the config file, and sending to real local receivers (a
// tiny HTTP server and an SMTP sink on 127.0.0.1, ephemeral ports, written here with POSIX sockets
// so the tests need no extra package).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "notify/notifier_config.h"
#include "notify/payloads.h"
#include "notify/sender.h"

namespace netpolgen::notify {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

const std::string kYaml =
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: a\n";

// ---- local receivers ----------------------------------------------------------------------------

// A listening socket on 127.0.0.1 with an ephemeral port, served by one thread until destruction.
class LocalServer {
public:
    LocalServer() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
        EXPECT_EQ(::listen(fd_, 8), 0);
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
    }
    virtual ~LocalServer() { stop(); }
    LocalServer(const LocalServer&) = delete;
    LocalServer& operator=(const LocalServer&) = delete;

    int port() const { return port_; }
    std::string url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

protected:
    // Subclasses call this at the end of their constructor, when handle() can run.
    void start() {
        thread_ = std::thread([this] { acceptLoop(); });
    }
    // Joins before the subclass's members go away.
    void stop() {
        stopping_ = true;
        if (thread_.joinable()) {
            thread_.join();
        }
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }
    virtual void handle(int client) = 0;

    // Reads more bytes into `buf`; false on close, error or stop.
    bool readMore(int client, std::string& buf) {
        while (!stopping_) {
            pollfd p{client, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) {
                continue;
            }
            char chunk[4096];
            const ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
            if (n <= 0) {
                return false;
            }
            buf.append(chunk, static_cast<size_t>(n));
            return true;
        }
        return false;
    }
    static void sendAll(int client, const std::string& data) {
        (void)::send(client, data.data(), data.size(), MSG_NOSIGNAL);
    }

private:
    void acceptLoop() {
        while (!stopping_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) <= 0) {
                continue;
            }
            const int client = ::accept(fd_, nullptr, nullptr);
            if (client >= 0) {
                handle(client);
                ::close(client);
            }
        }
    }

    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

struct HttpRequest {
    std::string method;
    std::string path;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
};

// Answers each connection with the next scripted status (0: hang until the client gives up), then
// 200 once the script is used up. Records every request.
class HttpServer : public LocalServer {
public:
    explicit HttpServer(std::vector<int> script = {}, std::string reply_body = "ok")
        : script_(std::move(script)), reply_body_(std::move(reply_body)) {
        start();
    }
    ~HttpServer() override { stop(); }

    std::vector<HttpRequest> requests() {
        std::lock_guard lock(mu_);
        return requests_;
    }

private:
    void handle(int client) override {
        std::string buf;
        size_t head_end;
        while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
            if (!readMore(client, buf)) {
                return;
            }
        }
        HttpRequest req = parseHead(buf.substr(0, head_end));
        const size_t length =
            std::stoul(req.headers.count("content-length") != 0 ? req.headers["content-length"]
                                                                : std::string("0"));
        while (buf.size() < head_end + 4 + length && readMore(client, buf)) {
        }
        req.body = buf.substr(head_end + 4);
        const int status = next();
        {
            std::lock_guard lock(mu_);
            requests_.push_back(std::move(req));
        }
        if (status == 0) {
            while (readMore(client, buf)) {  // until the client times out and closes
            }
            return;
        }
        sendAll(client,
                "HTTP/1.1 " + std::to_string(status) +
                    " X\r\nContent-Length: " + std::to_string(reply_body_.size()) +
                    "\r\nConnection: close\r\n\r\n" + reply_body_);
    }

    static HttpRequest parseHead(const std::string& head) {
        HttpRequest req;
        size_t pos = head.find("\r\n");
        const std::string first = head.substr(0, pos);
        req.method = first.substr(0, first.find(' '));
        req.path = first.substr(first.find(' ') + 1, first.rfind(' ') - first.find(' ') - 1);
        while (pos != std::string::npos && pos < head.size()) {
            const size_t end = head.find("\r\n", pos + 2);
            const std::string line =
                head.substr(pos + 2, end == std::string::npos ? end : end - pos - 2);
            const size_t colon = line.find(':');
            if (colon != std::string::npos) {
                std::string name = line.substr(0, colon);
                for (char& c : name) {
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                }
                req.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
            }
            pos = end;
        }
        return req;
    }

    int next() {
        std::lock_guard lock(mu_);
        return calls_ < script_.size() ? script_[calls_++] : 200;
    }

    std::vector<int> script_;
    std::string reply_body_;
    std::mutex mu_;
    size_t calls_ = 0;
    std::vector<HttpRequest> requests_;
};

// Speaks just enough SMTP (no TLS, no AUTH) to take one message: EHLO, MAIL, RCPT, DATA, QUIT.
// Each RCPT is answered with `rcpt_reply`.
class SmtpSink : public LocalServer {
public:
    explicit SmtpSink(std::string rcpt_reply = "250 ok\r\n") : rcpt_reply_(std::move(rcpt_reply)) {
        start();
    }
    ~SmtpSink() override { stop(); }

    struct Mail {
        std::vector<std::string> commands;
        std::string data;  // between "354" and the terminating ".", CRLFs as sent
    };
    Mail mail() {
        std::lock_guard lock(mu_);
        return mail_;
    }

private:
    void handle(int client) override {
        sendAll(client, "220 sink ESMTP\r\n");
        std::string buf;
        Mail mail;
        // What was received is published before each reply: once the client has read a reply,
        // the test sees everything that came before it (curl may return before QUIT is answered).
        auto reply = [&](const std::string& text) {
            record(mail);
            sendAll(client, text);
        };
        for (;;) {
            size_t eol;
            while ((eol = buf.find("\r\n")) == std::string::npos) {
                if (!readMore(client, buf)) {
                    return;
                }
            }
            const std::string line = buf.substr(0, eol);
            buf.erase(0, eol + 2);
            mail.commands.push_back(line);
            const std::string verb = line.substr(0, 4);
            if (verb == "EHLO") {
                reply("250 sink\r\n");
            } else if (verb == "DATA") {
                reply("354 go ahead\r\n");
                size_t end;
                while ((end = buf.find("\r\n.\r\n")) == std::string::npos &&
                       readMore(client, buf)) {
                }
                if (end == std::string::npos) {
                    return;
                }
                mail.data = buf.substr(0, end + 2);
                buf.erase(0, end + 5);
                reply("250 queued\r\n");
            } else if (verb == "RCPT") {
                reply(rcpt_reply_);
            } else if (verb == "QUIT") {
                return reply("221 bye\r\n");
            } else {
                reply("250 ok\r\n");
            }
        }
    }
    void record(const Mail& mail) {
        std::lock_guard lock(mu_);
        mail_ = mail;
    }

    std::string rcpt_reply_;
    std::mutex mu_;
    Mail mail_;
};

// ---- helpers ------------------------------------------------------------------------------------

SendOptions fastOptions() {
    SendOptions o;
    o.connect_timeout = 500ms;
    o.total_timeout = 1000ms;
    o.initial_backoff = 5ms;
    o.allow_plain_http = true;
    o.now = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1795722600)); };
    o.message_id = [] { return std::string("id1@netpolgen"); };
    return o;
}

NotifierConfig webhook(const std::string& url) {
    NotifierConfig n;
    n.id = "hook";
    n.name = "ops";
    n.type = NotifierType::kWebhook;
    n.webhook.url = url;
    return n;
}

// ---- payloads -----------------------------------------------------------------------------------

TEST(NotifyPayload, WebhookAddsExtraFieldsAtTopLevelInOrder) {
    WebhookConfig w;
    w.extra_fields = {{"team", "platform"}, {"env", "prod"}};
    EXPECT_EQ(
        webhookBody(w, "prod", "a: \"b\"\n"),
        R"({"networkpolicy":{"cluster":"prod","yaml":"a: \"b\"\n"},"team":"platform","env":"prod"})");
}

TEST(NotifyPayload, SlackAttachmentWithYamlInCodeBlock) {
    auto body = slackBody("prod", "a: 1\n");
    ASSERT_TRUE(body.ok()) << body.error();
    EXPECT_EQ(
        *body,
        R"({"attachments":[{"color":"#FF9365","fallback":"Network policy YAML to be applied on cluster 'prod'","mrkdwn_in":["text","pretext"],"pretext":"*Network policy YAML to be applied on cluster 'prod'*","text":"Please review the following network policy YAML that needs to be applied to cluster 'prod'.\n```\na: 1\n```"}]})");
    auto empty = slackBody("prod", "");
    ASSERT_TRUE(empty.ok());
    EXPECT_NE(empty->find(R"(cluster 'prod'.\n<YAML is empty>")"), std::string::npos) << *empty;
}

TEST(NotifyPayload, SlackRejectsYamlOverStackRoxLimits) {
    std::string lines;
    for (int i = 0; i < 301; ++i) {
        lines += "a: 1\n";
    }
    auto tooLong = slackBody("c", lines);
    ASSERT_FALSE(tooLong.ok());
    EXPECT_EQ(tooLong.error(),
              "the YAML has 301 lines and 1505 characters; Slack takes at most 300 lines and 35000 "
              "characters");
    EXPECT_TRUE(slackBody("c", lines.substr(5)).ok());
    EXPECT_FALSE(slackBody("c", std::string(35001, 'x')).ok());
}

TEST(NotifyPayload, TeamsMessageCardEscapesYamlInPre) {
    EXPECT_EQ(
        teamsBody("prod", "a: <b> & c\n"),
        R"({"@type":"MessageCard","@context":"https://schema.org/extensions","themeColor":"FF9365","summary":"Network policy YAML applied on cluster \"prod\"","title":"Network policy YAML applied on cluster \"prod\"","text":"Please review the following network policy YAML that needs to be applied to cluster 'prod'.<pre>a: &lt;b&gt; &amp; c\n</pre>"})");
}

TEST(NotifyPayload, JiraCreateIssue) {
    JiraConfig j;
    j.project = "SEC";
    j.issue_type = "Bug";
    EXPECT_EQ(
        jiraBody(j, "prod", "a: 1"),
        R"({"fields":{"project":{"key":"SEC"},"summary":"Network policy yaml to apply on cluster prod","issuetype":{"name":"Bug"},"description":"Please review the following network policy YAML that needs to be applied to cluster 'prod'.\n{code:title=Network Policy YAML|theme=FadeToGrey|language=yaml}\na: 1\n{code}"}})");
}

const char* const kExpectedMail =
    "From: np@example.com\r\n"
    "To: a@example.com, b@example.com\r\n"
    "Subject: New network policy YAML for cluster 'prod' needs to be applied\r\n"
    "Date: Thu, 26 Nov 2026 19:50:00 +0000\r\n"
    "Message-ID: <id1@netpolgen>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Please review the following network policy YAML that needs to be applied to cluster "
    "'prod'.\r\n"
    "\r\n"
    "apiVersion: networking.k8s.io/v1\r\n"
    "kind: NetworkPolicy\r\n"
    "metadata:\r\n"
    "  name: a\r\n";

TEST(NotifyPayload, EmailMessageIsCrlfRfc5322) {
    EmailConfig e;
    e.from = "np@example.com";
    e.to = {"a@example.com", "b@example.com"};
    const EmailMeta meta{fastOptions().now(), "id1@netpolgen"};
    EXPECT_EQ(emailMessage(e, "prod", kYaml, meta), kExpectedMail);
    EXPECT_EQ(rfc5322Date(std::chrono::system_clock::time_point{}),
              "Thu, 01 Jan 1970 00:00:00 +0000");
}

// ---- configuration ------------------------------------------------------------------------------

const char* const kConfigYaml = R"(notifiers:
- id: hook
  name: ops
  type: webhook
  webhook:
    url: https://user:pw@hooks.example.com/np?token=t1
    extraFields: [{key: team, value: platform}]
    headers: [{key: Authorization, value: Bearer abc123}]
    username: bot
    password: hunter2
    skipTlsVerify: true
- {name: chat, type: slack, slack: {webhookUrl: "https://hooks.slack.com/services/T0/B0/XYZ"}}
- {name: ms, type: teams, teams: {webhookUrl: "https://x.webhook.office.com/abc"}}
- name: mail
  type: email
  email: {server: "smtp.example.com:587", startTLS: optional, username: u, password: mailpw,
          from: np@example.com, to: [sec@example.com]}
- name: tickets
  type: jira
  jira: {url: "https://jira.example.com", project: SEC, username: u, token: jiratoken}
)";

TEST(NotifyConfig, DecodesEveryType) {
    auto n = parseNotifierConfigs(kConfigYaml, "n.yaml");
    ASSERT_TRUE(n.ok()) << n.error();
    ASSERT_EQ(n->size(), 5u);
    EXPECT_EQ((*n)[0].webhook.headers[0].value, "Bearer abc123");
    EXPECT_TRUE((*n)[0].webhook.tls.skip_tls_verify);
    EXPECT_EQ((*n)[1].id, "chat");
    EXPECT_EQ((*n)[1].type, NotifierType::kSlack);
    EXPECT_EQ((*n)[3].email.start_tls, StartTls::kOptional);
    EXPECT_EQ((*n)[4].jira.issue_type, "Task");
}

TEST(NotifyConfig, RenderedConfigHasNoSecrets) {
    auto n = parseNotifierConfigs(kConfigYaml, "n.yaml");
    ASSERT_TRUE(n.ok()) << n.error();
    const std::string out = renderRedacted(*n);
    for (const char* secret :
         {"hunter2", "abc123", "pw@", "t1", "XYZ", "/abc", "mailpw", "jiratoken"}) {
        EXPECT_EQ(out.find(secret), std::string::npos) << secret << " in " << out;
    }
    EXPECT_NE(out.find(R"("url":"https://hooks.example.com/np")"), std::string::npos) << out;
    EXPECT_NE(out.find(R"("webhookUrl":"https://hooks.slack.com/******")"), std::string::npos);
    EXPECT_NE(out.find(R"("password":"******")"), std::string::npos);
}

TEST(NotifyConfig, ErrorsNameFileLineAndField) {
    auto bad = parseNotifierConfigs(
        "notifiers:\n- name: a\n  type: webhook\n  webhook:\n"
        "    url: https://x\n    skipTlsVerify: maybe\n",
        "n.yaml");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), "n.yaml:6: notifiers[0].webhook.skipTlsVerify: expected true or false");
    auto unknown =
        parseNotifierConfigs("notifiers:\n- name: a\n  type: slack\n  slack: {url: x}\n", "n.yaml");
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error(), "n.yaml:4: notifiers[0].slack.url: unknown field");
    auto other = parseNotifierConfigs(
        "notifiers:\n- name: a\n  type: slack\n  teams: {webhookUrl: x}\n", "n.yaml");
    ASSERT_FALSE(other.ok());
    EXPECT_EQ(other.error(), "n.yaml:4: notifiers[0].teams: not allowed for type slack");
    auto missing = parseNotifierConfigs("notifiers:\n- name: a\n  type: jira\n", "n.yaml");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error(), "n.yaml:2: notifiers[0].jira.url: required for type jira");
    auto type =
        parseNotifierConfigs(R"({"notifiers":[{"name":"a","type":"pagerduty"}]})", "n.json");
    ASSERT_FALSE(type.ok());
    EXPECT_EQ(type.error(),
              "n.json:1: notifiers[0].type: expected webhook, slack, teams, email or jira");
}

// ---- one notifier, as the HTTP API reads and stores it
// -------------------------------------------

TEST(NotifyConfig, StoredJsonReadsBackUnchangedAndShownJsonHasNoSecrets) {
    auto all = parseNotifierConfigs(kConfigYaml, "n.yaml");
    ASSERT_TRUE(all.ok()) << all.error();
    for (const NotifierConfig& n : *all) {
        const std::string stored = notifierJson(n, Secrets::kInclude);
        auto back = parseStoredNotifier(stored, "stored");
        ASSERT_TRUE(back.ok()) << back.error();
        EXPECT_EQ(notifierJson(*back, Secrets::kInclude), stored);
        const std::string shown = notifierJson(n, Secrets::kRedact);
        for (const char* secret :
             {"hunter2", "abc123", "pw@", "t1", "XYZ", "/abc", "mailpw", "jiratoken"}) {
            EXPECT_EQ(shown.find(secret), std::string::npos) << secret << " in " << shown;
        }
    }
}

TEST(NotifyConfig, OneNotifierErrorsNameTheField) {
    auto missing = parseNotifier(R"({"name":"a","type":"webhook","webhook":{}})", "body");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error(), "body:1: webhook.url: required for type webhook");
    auto typo = parseNotifier("name: a\ntype: slack\nslack: {url: x}\n", "body");
    ASSERT_FALSE(typo.ok());
    EXPECT_EQ(typo.error(), "body:3: slack.url: unknown field");
    auto list = parseNotifier("[]", "body");
    ASSERT_FALSE(list.ok());
    EXPECT_EQ(list.error(), "body:1: expected a mapping");
    auto two = parseNotifier("name: a\n---\nname: b\n", "body");
    ASSERT_FALSE(two.ok());
    EXPECT_EQ(two.error(), "body: expected one document, found 2");
    auto id = parseNotifier(R"({"name":"ops","type":"slack","slack":{"webhookUrl":"https://x/y"}})",
                            "body");
    ASSERT_TRUE(id.ok()) << id.error();
    EXPECT_EQ(id->id, "ops") << "the id defaults to the name";
}

NotifierConfig storedHook() {
    auto all = parseNotifierConfigs(kConfigYaml, "n.yaml");
    EXPECT_TRUE(all.ok()) << all.error();
    return all.ok() ? (*all)[0] : NotifierConfig{};
}

TEST(NotifyConfig, UpdateWithWhatGetShowedKeepsEverySecret) {
    const NotifierConfig stored = storedHook();
    const std::string shown = notifierJson(stored, Secrets::kRedact);
    auto same = parseNotifier(shown, "body", &stored);
    ASSERT_TRUE(same.ok()) << same.error();
    EXPECT_EQ(notifierJson(*same, Secrets::kInclude), notifierJson(stored, Secrets::kInclude))
        << "masked password and header, URL without credentials and query: all kept";
    auto absent = parseNotifier(
        R"({"id":"hook","name":"renamed","type":"webhook",
            "webhook":{"url":"https://hooks.example.com/np","username":"bot"}})",
        "body",
        &stored);
    ASSERT_TRUE(absent.ok()) << absent.error();
    EXPECT_EQ(absent->name, "renamed");
    EXPECT_EQ(absent->webhook.password, "hunter2") << "absent: kept";
    ASSERT_EQ(absent->webhook.headers.size(), 1u);
    EXPECT_EQ(absent->webhook.headers[0].value, "Bearer abc123");
    EXPECT_EQ(absent->webhook.url, stored.webhook.url);
    EXPECT_FALSE(absent->webhook.tls.skip_tls_verify) << "other fields are replaced";
}

TEST(NotifyConfig, UpdateReplacesOrClearsGivenSecrets) {
    const NotifierConfig stored = storedHook();
    auto changed = parseNotifier(
        R"({"id":"hook","name":"ops","type":"webhook",
            "webhook":{"url":"https://hooks.example.com/np?token=t2","password":"",
                       "headers":[{"key":"Authorization","value":"Bearer new"}]}})",
        "body",
        &stored);
    ASSERT_TRUE(changed.ok()) << changed.error();
    EXPECT_EQ(changed->webhook.url, "https://hooks.example.com/np?token=t2");
    EXPECT_EQ(changed->webhook.password, "") << "an empty string clears";
    EXPECT_EQ(changed->webhook.headers[0].value, "Bearer new");
    auto unknown_header = parseNotifier(
        R"({"name":"ops","type":"webhook","webhook":{"url":"https://hooks.example.com/np",
            "headers":[{"key":"X-Other","value":"******"}]}})",
        "body",
        &stored);
    ASSERT_FALSE(unknown_header.ok());
    EXPECT_EQ(unknown_header.error(),
              "body:1: webhook.headers[0].value: \"******\" keeps a stored value, and no stored "
              "header is named \"X-Other\"");
}

TEST(NotifyConfig, KeptSecretsOnlyGoWhereTheyWentBefore) {
    const NotifierConfig stored = storedHook();
    auto moved = parseNotifier(
        R"({"name":"ops","type":"webhook","webhook":{"url":"https://evil.example/np"}})",
        "body",
        &stored);
    ASSERT_FALSE(moved.ok());
    EXPECT_EQ(moved.error(),
              "body:1: webhook.password: required again because webhook.url changed (a stored "
              "secret is only sent the way it was sent before)");
    auto moved_with_secrets = parseNotifier(
        R"({"name":"ops","type":"webhook","webhook":{"url":"https://new.example/np",
            "password":"p2","headers":[]}})",
        "body",
        &stored);
    ASSERT_TRUE(moved_with_secrets.ok()) << moved_with_secrets.error();
    EXPECT_EQ(moved_with_secrets->webhook.password, "p2");

    auto all = parseNotifierConfigs(kConfigYaml, "n.yaml");
    ASSERT_TRUE(all.ok()) << all.error();
    const NotifierConfig& mail = (*all)[3];
    auto mail_moved = parseNotifier(
        R"({"name":"mail","type":"email","email":{"server":"smtp.evil.example:587",
            "from":"np@example.com","to":["sec@example.com"]}})",
        "body",
        &mail);
    ASSERT_FALSE(mail_moved.ok());
    EXPECT_NE(
        mail_moved.error().find("email.password: required again because email.server changed"),
        std::string::npos)
        << mail_moved.error();
    const NotifierConfig& chat = (*all)[1];
    auto chat_same = parseNotifier(notifierJson(chat, Secrets::kRedact), "body", &chat);
    ASSERT_TRUE(chat_same.ok()) << chat_same.error();
    EXPECT_EQ(chat_same->chat.webhook_url, chat.chat.webhook_url) << "the masked Slack URL";
    auto as_teams = parseNotifier(
        R"({"name":"chat","type":"teams","teams":{"webhookUrl":"https://hooks.slack.com/******"}})",
        "body",
        &chat);
    ASSERT_TRUE(as_teams.ok()) << as_teams.error();
    EXPECT_EQ(as_teams->chat.webhook_url, "https://hooks.slack.com/******")
        << "another type keeps nothing";
}

// Issue 10.5, finding 1: "the same destination" is every setting that decides where and how a
// kept secret travels.
TEST(NotifyConfig, KeptSecretsNeedTheSameTlsSettingsAndRecipients) {
    auto all = parseNotifierConfigs(kConfigYaml, "n.yaml");
    ASSERT_TRUE(all.ok()) << all.error();
    const auto update = [](const NotifierConfig& stored, const std::function<void(Json&)>& edit) {
        Json body = Json::parse(notifierJson(stored, Secrets::kRedact));
        edit(body);
        return parseNotifier(body.dump(), "body", &stored);
    };
    const std::string why = " changed (a stored secret is only sent the way it was sent before)";
    NotifierConfig hook = (*all)[0];
    hook.webhook.tls.skip_tls_verify = false;
    auto unverified = update(hook, [](Json& b) { b["webhook"]["skipTlsVerify"] = true; });
    ASSERT_FALSE(unverified.ok());
    EXPECT_EQ(unverified.error(),
              "body:1: webhook.password: required again because webhook.skipTlsVerify" + why);
    const auto unverified_with_password = [](Json& b) {
        b["webhook"]["skipTlsVerify"] = true;
        b["webhook"]["password"] = "new";
        b["webhook"]["headers"] = Json::array();
    };
    auto given_again = update(hook, unverified_with_password);
    ASSERT_FALSE(given_again.ok()) << "the URL's credentials and query are secrets too";
    EXPECT_EQ(given_again.error(),
              "body:1: webhook.url: required again because webhook.skipTlsVerify" + why);
    auto all_given = update(hook, [&](Json& b) {
        unverified_with_password(b);
        b["webhook"]["url"] = "https://hooks.example.com/np?token=t2";
    });
    ASSERT_TRUE(all_given.ok()) << all_given.error();
    EXPECT_TRUE(all_given->webhook.tls.skip_tls_verify);
    EXPECT_TRUE(update((*all)[0], [](Json& b) { b["webhook"]["skipTlsVerify"] = false; }).ok())
        << "turning verification on keeps the secrets";

    const NotifierConfig& mail = (*all)[3];  // startTLS: optional
    const std::map<std::string, std::function<void(Json&)>> mail_edits{
        {"startTLS", [](Json& b) { b["email"]["startTLS"] = "none"; }},
        {"to", [](Json& b) { b["email"]["to"].push_back("other@example.com"); }},
        {"from", [](Json& b) { b["email"]["from"] = "boss@example.com"; }}};
    for (const auto& [field, edit] : mail_edits) {
        auto refused = update(mail, edit);
        ASSERT_FALSE(refused.ok()) << field;
        EXPECT_EQ(refused.error(),
                  "body:1: email.password: required again because email." + field + why);
    }
    auto stricter = update(mail, [](Json& b) { b["email"]["startTLS"] = "require"; });
    ASSERT_TRUE(stricter.ok()) << stricter.error();
    EXPECT_EQ(stricter->email.password, "mailpw");

    const NotifierConfig& jira = (*all)[4];
    auto jira_moved = update(jira, [](Json& b) { b["jira"]["url"] = "https://evil.example"; });
    ASSERT_FALSE(jira_moved.ok());
    EXPECT_EQ(jira_moved.error(), "body:1: jira.token: required again because jira.url" + why);
    EXPECT_TRUE(update(jira, [](Json& b) { b["jira"]["project"] = "OPS"; }).ok())
        << "the project is not a route: the token goes to the same server";
}

// Finding 3: certificate and key files are named by the notifier file only.
TEST(NotifyConfig, FilePathsAreRefusedFromTheApi) {
    for (const char* field : {"caCertFile", "clientCertFile", "clientKeyFile"}) {
        auto refused = parseNotifier(
            "name: a\ntype: jira\njira:\n  url: https://jira.example\n  project: P\n  " +
                std::string(field) + ": /etc/shadow\n",
            "body");
        ASSERT_FALSE(refused.ok()) << field;
        EXPECT_EQ(refused.error(),
                  "body:6: jira." + std::string(field) +
                      ": a file path is only read from the notifier file (serve --notifiers), "
                      "not from the API");
    }
    auto file = parseNotifierConfigs(
        "notifiers:\n- {name: a, type: webhook, webhook: {url: \"https://h.example/x\", "
        "password: pw, caCertFile: /etc/ca.pem, clientCertFile: c.pem, clientKeyFile: c.key}}\n",
        "n.yaml");
    ASSERT_TRUE(file.ok()) << file.error();
    const NotifierConfig& stored = (*file)[0];
    auto shown_back = parseNotifier(notifierJson(stored, Secrets::kRedact), "body", &stored);
    ASSERT_TRUE(shown_back.ok()) << "the file's own paths, as GET shows them: "
                                 << shown_back.error();
    EXPECT_EQ(shown_back->webhook.tls.client_key_file, "c.key");
    EXPECT_EQ(shown_back->webhook.password, "pw");
    Json other = Json::parse(notifierJson(stored, Secrets::kRedact));
    other["webhook"]["clientKeyFile"] = "/root/.ssh/id_rsa";
    auto other_path = parseNotifier(other.dump(), "body", &stored);
    ASSERT_FALSE(other_path.ok());
    EXPECT_NE(other_path.error().find("webhook.clientKeyFile: a file path is only read"),
              std::string::npos)
        << other_path.error();
    Json moved = Json::parse(notifierJson(stored, Secrets::kRedact));
    moved["webhook"]["url"] = "https://evil.example/x";
    moved["webhook"]["password"] = "given";
    auto cert_elsewhere = parseNotifier(moved.dump(), "body", &stored);
    ASSERT_FALSE(cert_elsewhere.ok()) << "the file's client certificate, sent to another host";
    EXPECT_NE(cert_elsewhere.error().find(
                  "webhook.clientKeyFile: required again because webhook.url changed"),
              std::string::npos)
        << cert_elsewhere.error();
    // A private CA comes through the API as PEM text; it is part of the route.
    const std::string pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
    Json inline_ca = Json::parse(notifierJson(stored, Secrets::kRedact));
    inline_ca["webhook"]["caCertFile"] = "";
    inline_ca["webhook"]["clientCertFile"] = "";
    inline_ca["webhook"]["clientKeyFile"] = "";
    inline_ca["webhook"]["caCert"] = pem;
    inline_ca["webhook"]["password"] = "given";
    auto with_pem = parseNotifier(inline_ca.dump(), "body");
    ASSERT_TRUE(with_pem.ok()) << with_pem.error();
    EXPECT_EQ(with_pem->webhook.tls.ca_cert, pem);
    inline_ca["webhook"]["password"] = "******";
    auto pem_changed = parseNotifier(inline_ca.dump(), "body", &*with_pem);
    ASSERT_TRUE(pem_changed.ok()) << "the same PEM keeps the secret: " << pem_changed.error();
    inline_ca["webhook"]["caCert"] = pem + pem;
    auto other_ca = parseNotifier(inline_ca.dump(), "body", &*with_pem);
    ASSERT_FALSE(other_ca.ok());
    EXPECT_NE(other_ca.error().find("webhook.password: required again because webhook.caCert "
                                    "changed"),
              std::string::npos)
        << other_ca.error();
    inline_ca["webhook"]["caCert"] = "/etc/ssl/ca.pem";
    auto not_pem = parseNotifier(inline_ca.dump(), "body");
    ASSERT_FALSE(not_pem.ok());
    EXPECT_EQ(not_pem.error(),
              "body:1: webhook.caCert: expected PEM text (-----BEGIN CERTIFICATE-----…)");

    auto stored_form = parseStoredNotifier(notifierJson(stored, Secrets::kInclude), "stored");
    ASSERT_TRUE(stored_form.ok()) << "a definition stored earlier with paths still reads: "
                                  << stored_form.error();
}

// Finding 4: CR or LF in anything that becomes a header line is refused when decoding.
TEST(NotifyConfig, LineBreaksInHeaderFieldsAreRefused) {
    // The error of decoding `text` as a notifier file (n.yaml) or as one notifier (body).
    const auto error = [](const std::string& text, bool file) -> std::string {
        if (file) {
            auto all = parseNotifierConfigs(text, "n.yaml");
            return all.ok() ? "" : all.error();
        }
        auto one = parseNotifier(text, "body");
        return one.ok() ? "" : one.error();
    };
    const std::string mail = R"({"name":"m","type":"email","email":{"server":"smtp.example:587",)";
    const std::tuple<std::string, bool, std::string> refused[] = {
        {"notifiers:\n- name: a\n  type: webhook\n  webhook:\n    url: https://h.example/x\n"
         "    headers:\n    - {key: X-A, value: \"a\\r\\nX-Injected: 1\"}\n",
         true,
         "n.yaml:7: notifiers[0].webhook.headers[0].value"},
        {R"({"name":"a","type":"webhook","webhook":{"url":"https://h.example/x",
            "headers":[{"key":"X-A\nX-B","value":"v"}]}})",
         false,
         "body:2: webhook.headers[0].key"},
        {mail + R"("from":"a@example.com\r\nBcc: x@example.com","to":["b@example.com"]}})",
         false,
         "body:1: email.from"},
        {mail + R"("from":"a@example.com","to":["b@example.com\nBcc: x"]}})",
         false,
         "body:1: email.to[0]"}};
    for (const auto& [text, file, field] : refused) {
        EXPECT_EQ(error(text, file), field + ": must not contain a line break (CR or LF)");
    }
    auto extra = parseNotifier(
        R"({"name":"a","type":"webhook","webhook":{"url":"https://h.example/x",
            "extraFields":[{"key":"k","value":"two\nlines"}]}})",
        "body");
    EXPECT_TRUE(extra.ok()) << "extra fields go into the JSON body, escaped: " << extra.error();
}

TEST(NotifyConfig, DisplayUrlDropsCredentials) {
    EXPECT_EQ(displayUrl("https://u:p@h.example:8443/a/b?k=v", false),
              "https://h.example:8443/a/b");
    EXPECT_EQ(displayUrl("https://hooks.slack.com/services/T/B/X", true),
              "https://hooks.slack.com/******");
}

// ---- sending ------------------------------------------------------------------------------------

TEST(NotifySend, WebhookPostsJsonWithHeadersAndBasicAuth) {
    HttpServer server;
    NotifierConfig n = webhook(server.url("/hook"));
    n.webhook.headers = {{"X-Api-Key", "k1"}};
    n.webhook.username = "user";
    n.webhook.password = "pw";
    n.webhook.extra_fields = {{"team", "platform"}};
    const NotifierResult r = Sender(fastOptions()).send(n, "prod", kYaml);
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "POST");
    EXPECT_EQ(reqs[0].path, "/hook");
    EXPECT_EQ(reqs[0].headers.at("content-type"), "application/json");
    EXPECT_EQ(reqs[0].headers.at("x-api-key"), "k1");
    EXPECT_EQ(reqs[0].headers.at("authorization"), "Basic dXNlcjpwdw==");  // user:pw
    EXPECT_EQ(reqs[0].body, webhookBody(n.webhook, "prod", kYaml));
}

TEST(NotifySend, RetriesServerErrorsWithBackoff) {
    HttpServer server({500, 500});
    const NotifierResult r = Sender(fastOptions()).send(webhook(server.url("/h")), "prod", kYaml);
    EXPECT_TRUE(r.status.ok()) << r.status.error();
    EXPECT_EQ(r.attempts, 3);
    EXPECT_EQ(server.requests().size(), 3u);
}

TEST(NotifySend, GivesUpAfterAttemptsWithOneLineError) {
    HttpServer server({500, 503, 500}, "boom\nline two");
    const NotifierResult r =
        Sender(fastOptions()).send(webhook(server.url("/h?secret=1")), "c", kYaml);
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error(),
              "notifier ops (webhook): POST " + server.url("/h") + ": HTTP 500 after 3 attempts");
}

// Finding 2: what the remote service answers never comes back in an error (an internal HTTPS
// service's body, an SMTP server's reply text).
TEST(NotifySend, ErrorsNeverQuoteWhatTheServiceAnswered) {
    HttpServer server({500, 403}, "internal-only-data");
    SendOptions o = fastOptions();
    o.attempts = 1;
    const NotifierResult r5 = Sender(o).send(webhook(server.url("/h")), "c", kYaml);
    const NotifierResult r4 = Sender(o).send(webhook(server.url("/h")), "c", kYaml);
    EXPECT_EQ(r5.status.error(),
              "notifier ops (webhook): POST " + server.url("/h") + ": HTTP 500 after 1 attempt");
    EXPECT_EQ(r4.status.error(),
              "notifier ops (webhook): POST " + server.url("/h") + ": HTTP 403 after 1 attempt");

    SmtpSink sink("550 5.1.1 internal-only-data: mailbox unknown\r\n");
    NotifierConfig n{"m", "mail", NotifierType::kEmail, {}, {}, {}, {}};
    n.email.server = "127.0.0.1:" + std::to_string(sink.port());
    n.email.start_tls = StartTls::kNone;
    n.email.from = "np@example.com";
    n.email.to = {"a@example.com"};
    const NotifierResult smtp = Sender(fastOptions()).send(n, "prod", kYaml);
    ASSERT_FALSE(smtp.status.ok());
    EXPECT_EQ(smtp.status.error().find("internal-only-data"), std::string::npos)
        << smtp.status.error();
    EXPECT_NE(smtp.status.error().find("550"), std::string::npos) << smtp.status.error();
    // A cluster name reaches the Subject on every path, the test message's included.
    const NotifierResult injected = Sender(fastOptions()).send(n, "c\r\nBcc: x@example.com", kYaml);
    ASSERT_FALSE(injected.status.ok());
    EXPECT_NE(injected.status.error().find("the cluster name must not contain line breaks"),
              std::string::npos)
        << injected.status.error();
}

TEST(NotifySend, ClientErrorsAreNotRetried) {
    HttpServer server({400, 400});
    const NotifierResult r = Sender(fastOptions()).send(webhook(server.url("/h")), "c", kYaml);
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.attempts, 1);
    EXPECT_TRUE(r.status.error().ends_with("HTTP 400 after 1 attempt")) << r.status.error();
}

TEST(NotifySend, HangingServerTimesOut) {
    HttpServer server({0, 0});
    SendOptions o = fastOptions();
    o.total_timeout = 200ms;
    o.attempts = 2;
    const auto start = std::chrono::steady_clock::now();
    const NotifierResult r = Sender(o).send(webhook(server.url("/h")), "c", kYaml);
    ASSERT_FALSE(r.status.ok());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_EQ(r.attempts, 2);  // a timeout is worth another try
    EXPECT_NE(r.status.error().find("timed out"), std::string::npos) << r.status.error();
}

TEST(NotifySend, ConnectionRefusedIsRetriedThenReported) {
    int port;
    {
        HttpServer closed;  // a port that was free a moment ago and is closed now
        port = closed.port();
    }
    const NotifierResult r =
        Sender(fastOptions())
            .send(webhook("http://127.0.0.1:" + std::to_string(port) + "/h"), "c", kYaml);
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.attempts, 3);
    EXPECT_NE(r.status.error().find("after 3 attempts"), std::string::npos) << r.status.error();
}

TEST(NotifySend, PlainHttpRefusedByDefault) {
    SendOptions o = fastOptions();
    o.allow_plain_http = false;
    const NotifierResult r = Sender(o).send(webhook("http://127.0.0.1:1/h"), "c", kYaml);
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error(),
              "notifier ops (webhook): POST http://127.0.0.1:1/h: only https URLs are allowed");
}

TEST(NotifySend, SlackTeamsAndJiraBodiesArrive) {
    HttpServer server;
    NotifierConfig slack{
        "s", "chat", NotifierType::kSlack, {}, {server.url("/services/X")}, {}, {}};
    NotifierConfig teams{"t", "ms", NotifierType::kTeams, {}, {server.url("/teams")}, {}, {}};
    NotifierConfig jira{"j", "tickets", NotifierType::kJira, {}, {}, {}, {}};
    jira.jira = JiraConfig{server.url("/"), "SEC", "Task", "u", "tok", {}};
    auto results = sendToAll({slack, teams, jira}, "prod", kYaml, fastOptions());
    ASSERT_TRUE(results.ok()) << results.error();
    EXPECT_EQ(joinErrors(*results), "");
    const auto reqs = server.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[0].body, *slackBody("prod", kYaml));
    EXPECT_EQ(reqs[1].body, teamsBody("prod", kYaml));
    EXPECT_EQ(reqs[2].path, "/rest/api/2/issue");
    EXPECT_EQ(reqs[2].headers.at("authorization"), "Basic dTp0b2s=");  // u:tok
    EXPECT_EQ(reqs[2].body, jiraBody(jira.jira, "prod", kYaml));
}

TEST(NotifySend, SlackPathIsHiddenInErrors) {
    HttpServer server({404});
    NotifierConfig slack{
        "s", "chat", NotifierType::kSlack, {}, {server.url("/services/X")}, {}, {}};
    const NotifierResult r = Sender(fastOptions()).send(slack, "prod", kYaml);
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error(),
              "notifier chat (slack): POST http://127.0.0.1:" + std::to_string(server.port()) +
                  "/******: HTTP 404 after 1 attempt");
}

TEST(NotifySend, EmailOverSmtpDeliversExactMessage) {
    SmtpSink sink;
    NotifierConfig n{"m", "mail", NotifierType::kEmail, {}, {}, {}, {}};
    n.email.server = "127.0.0.1:" + std::to_string(sink.port());
    n.email.start_tls = StartTls::kNone;
    n.email.from = "np@example.com";
    n.email.to = {"a@example.com", "b@example.com"};
    const NotifierResult r = Sender(fastOptions()).send(n, "prod", kYaml);
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    const SmtpSink::Mail mail = sink.mail();
    EXPECT_EQ(mail.data, kExpectedMail);
    ASSERT_GE(mail.commands.size(), 5u);
    EXPECT_EQ(mail.commands[1], "MAIL FROM:<np@example.com>");
    EXPECT_EQ(mail.commands[2], "RCPT TO:<a@example.com>");
    EXPECT_EQ(mail.commands[3], "RCPT TO:<b@example.com>");
    EXPECT_EQ(mail.commands[4], "DATA");
}

TEST(NotifySend, SmtpTransportDotStuffsLinesStartingWithADot) {
    SmtpSink sink;
    NotifierConfig n{"m", "mail", NotifierType::kEmail, {}, {}, {}, {}};
    n.email.server = "127.0.0.1:" + std::to_string(sink.port());
    n.email.start_tls = StartTls::kNone;
    n.email.from = "np@example.com";
    n.email.to = {"a@example.com"};
    const NotifierResult r = Sender(fastOptions()).send(n, "prod", "a: 1\n.\n");
    ASSERT_TRUE(r.status.ok()) << r.status.error();
    const std::string data = sink.mail().data;
    EXPECT_TRUE(data.ends_with("\r\na: 1\r\n..\r\n")) << data;  // a lone "." would end DATA
}

TEST(NotifyConfig, MissingFileIsAnError) {
    auto n = loadNotifierConfigs("/nonexistent/notifiers.yaml");
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.error(), "/nonexistent/notifiers.yaml: cannot open");
}

TEST(NotifySend, StartTlsRequiredFailsWithoutTls) {
    SmtpSink sink;  // offers no STARTTLS
    NotifierConfig n{"m", "mail", NotifierType::kEmail, {}, {}, {}, {}};
    n.email.server = "127.0.0.1:" + std::to_string(sink.port());
    n.email.from = "np@example.com";
    n.email.to = {"a@example.com"};
    const NotifierResult r = Sender(fastOptions()).send(n, "prod", kYaml);
    ASSERT_FALSE(r.status.ok());
    EXPECT_EQ(r.status.error().rfind("notifier mail (email): SMTP smtp://127.0.0.1:", 0), 0u)
        << r.status.error();
    EXPECT_EQ(r.attempts, 1);
}

TEST(NotifySend, ValidatesLikeStackRox) {
    auto none = sendToAll({}, "prod", kYaml, fastOptions());
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error(), "no notifiers to send the network policy YAML to");
    auto empty = sendToAll({webhook("https://x")}, "prod", "\n", fastOptions());
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error(), "the modification is empty: no network policy YAML to send");
    auto injected = sendToAll({webhook("https://x")}, "prod\r\nBcc: x", kYaml, fastOptions());
    ASSERT_FALSE(injected.ok());
}

}  // namespace
}  // namespace netpolgen::notify
