// The findings of the attacker probe of issue 10 against `netpolgen serve`, one test each: Range
// floods, slow lorises, header floods, bodies read before authentication or past --max-body,
// request smuggling, CSRF and DNS rebinding. Malformed requests go over raw sockets
// (RawConnection); well-formed ones through httplib::Client.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../support/cli_run.h"
#include "../support/multi_ns_store.h"
#include "server/access_tokens.h"
#include "server/http_request.h"
#include "server/listen_address.h"
#include "server/server.h"

namespace netpolgen {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const std::string kCluster = testing_support::kMultiNsCluster;
const std::string kFlows = testing_support::kMultiNsFlows;
using testing_support::kDenyDb;

// A TCP connection to 127.0.0.1:port that sends bytes as given.
class RawConnection {
public:
    explicit RawConnection(uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ~RawConnection() { ::close(fd_); }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool connected() const { return connected_; }
    // False once the server closed or reset the connection.
    bool send(std::string_view bytes) {
        while (!bytes.empty()) {
            const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
            if (n <= 0) {
                return false;
            }
            bytes.remove_prefix(static_cast<size_t>(n));
        }
        return true;
    }
    // What the server sends until it closes the connection, or until `timeout` passes.
    std::string readUntilClosed(milliseconds timeout = milliseconds(3000)) {
        return read(timeout, false);
    }
    // One answer: its header and Content-Length bytes of body.
    std::string readAnswer(milliseconds timeout = milliseconds(3000)) {
        return read(timeout, true);
    }
    bool closed() const { return closed_; }

private:
    std::string read(milliseconds timeout, bool one_answer) {
        std::string out;
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline && !(one_answer && complete(out))) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) {
                continue;
            }
            char buffer[65536];
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
            if (n <= 0) {
                closed_ = true;
                break;
            }
            out.append(buffer, static_cast<size_t>(n));
        }
        return out;
    }
    static bool complete(const std::string& answer) {
        const size_t end = answer.find("\r\n\r\n");
        if (end == std::string::npos) {
            return false;
        }
        const size_t cl = answer.find("Content-Length: ");
        const size_t length = cl < end ? std::stoul(answer.substr(cl + 16)) : 0;
        return answer.size() >= end + 4 + length;
    }

    int fd_;
    bool connected_ = false;
    bool closed_ = false;
};

int statusOf(const std::string& answer) {
    return answer.size() > 12 && answer.compare(0, 5, "HTTP/") == 0 ? std::stoi(answer.substr(9, 3))
                                                                    : 0;
}

std::string bodyOf(const std::string& answer) {
    const size_t end = answer.find("\r\n\r\n");
    return end == std::string::npos ? "" : answer.substr(end + 4);
}

double secondsSince(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

class ServerSecurity : public testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("netpolgen-security-" + std::to_string(::getpid()) + "-" +
                testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "web");
        db_ = (dir_ / "store.db").string();
        ASSERT_EQ(
            testing_support::runNetpolgen({"snapshot", "--db", db_, "--cluster", kCluster, "-q"})
                .status,
            0);
        ASSERT_EQ(
            testing_support::runNetpolgen({"ingest", "--db", db_, "--flows", kFlows, "-q"}).status,
            0);
        std::ofstream(dir_ / "web" / "index.html") << std::string(10000, 'x');
    }
    void TearDown() override {
        if (server_) {
            server_->stop();
            thread_.join();
        }
        fs::remove_all(dir_);
    }

    void start(server::ServerOptions options = {}) {
        options.db = db_;
        options.port = 0;
        options.web_dir = (dir_ / "web").string();
        auto created = server::Server::create(std::move(options));
        ASSERT_TRUE(created) << created.error();
        server_ = std::move(*created);
        ASSERT_TRUE(server_->bind());
        thread_ = std::thread([this] { server_->run(); });
        client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    }
    void startWithTokens(const std::string& token_file) {
        server::ServerOptions options;
        auto tokens = server::AccessTokens::parse(token_file, "tokens");
        ASSERT_TRUE(tokens) << tokens.error();
        options.tokens = std::move(*tokens);
        start(options);
    }
    std::string host() const { return "127.0.0.1:" + std::to_string(server_->port()); }

    // The answer to one raw request.
    std::string raw(const std::string& request) {
        RawConnection c(server_->port());
        EXPECT_TRUE(c.connected());
        c.send(request);
        return c.readAnswer();
    }
    // A POST to `path` with the given extra header lines and body.
    std::string rawPost(const std::string& path,
                        const std::string& fields,
                        const std::string& body) {
        return raw("POST " + path + " HTTP/1.1\r\nHost: " + host() + "\r\n" + fields +
                   "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    }

    fs::path dir_;
    std::string db_;
    std::unique_ptr<server::Server> server_;
    std::thread thread_;
    std::unique_ptr<httplib::Client> client_;
};

const std::string kJson = "Content-Type: application/json\r\n";
const std::string kSimulate = "/v1/networkpolicies/simulate/default";

// Finding: one 3 KB `Range: bytes=0-,0-,…` header made a 1.9 GB multipart answer.
TEST_F(ServerSecurity, RangeIsIgnoredAndTheWholeBodyAnswered) {
    start();
    std::string ranges = "bytes=0-";
    for (int i = 0; i < 999; ++i) {
        ranges += ",0-";
    }
    auto file = client_->Get("/", {{"Range", ranges}});
    ASSERT_TRUE(file);
    EXPECT_EQ(file->status, 200);
    EXPECT_EQ(file->body.size(), 10000u);
    EXPECT_FALSE(file->has_header("Content-Range"));
    auto api = client_->Get("/v1/networkpolicies/generate/default", {{"Range", "bytes=0-10"}});
    ASSERT_TRUE(api);
    EXPECT_EQ(api->status, 200);
    EXPECT_TRUE(json::parse(api->body).contains("modification"));
}

// Finding: 8 slow connections (a header byte every 3 s) stopped the server for everyone.
TEST_F(ServerSecurity, SlowConnectionsDoNotDelayOthers) {
    start();
    std::vector<std::unique_ptr<RawConnection>> slow;
    for (int i = 0; i < 200; ++i) {
        slow.push_back(std::make_unique<RawConnection>(server_->port()));
        ASSERT_TRUE(slow.back()->connected());
    }
    std::atomic<bool> done{false};
    std::thread dripper([&] {
        const std::string header = "GET /v1/healthz HTTP/1.1\r\n";
        for (size_t i = 0; i < header.size() && !done; ++i) {
            for (auto& c : slow) {
                c->send(header.substr(i, 1));
            }
            std::this_thread::sleep_for(milliseconds(1000));
        }
    });
    for (int round = 0; round < 3; ++round) {
        auto start = Clock::now();
        auto healthz = client_->Get("/v1/healthz");
        ASSERT_TRUE(healthz);
        EXPECT_EQ(healthz->status, 200);
        auto graph = client_->Get("/v1/graph/default");
        ASSERT_TRUE(graph);
        EXPECT_EQ(graph->status, 200);
        EXPECT_LT(secondsSince(start), 1.0);
        std::this_thread::sleep_for(milliseconds(700));
    }
    done = true;
    dripper.join();
}

// A connection that does not finish its header within header_timeout is closed.
TEST_F(ServerSecurity, AHeaderNotFinishedInTimeClosesTheConnection) {
    server::ServerOptions options;
    options.header_timeout = milliseconds(500);
    start(options);
    RawConnection c(server_->port());
    c.send("GET /v1/healthz HTTP/1.1\r\nHost: ");
    const auto start = Clock::now();
    c.readUntilClosed(milliseconds(3000));
    EXPECT_TRUE(c.closed());
    EXPECT_LT(secondsSince(start), 2.0);
}

// Finding: 200 MiB of headers were read before authentication.
TEST_F(ServerSecurity, AHeaderFloodIsCutAfterTheHeaderLimit) {
    start();
    const std::string big = "X-Fill: " + std::string(20000, 'a') + "\r\n";
    EXPECT_EQ(statusOf(raw("GET /v1/healthz HTTP/1.1\r\nHost: " + host() + "\r\n" + big + "\r\n")),
              431);
    RawConnection flood(server_->port());
    flood.send("GET /v1/healthz HTTP/1.1\r\nHost: " + host() + "\r\n");
    const std::string line = "X-Fill: " + std::string(1000, 'a') + "\r\n";
    std::string chunk;
    for (int i = 0; i < 1000; ++i) {
        chunk += line;
    }
    size_t sent = 0;
    constexpr size_t kFlood = size_t{256} << 20;
    while (sent < kFlood && flood.send(chunk)) {
        sent += chunk.size();
    }
    EXPECT_LT(sent, kFlood) << "the server read 256 MiB of header";
}

TEST_F(ServerSecurity, TooManyHeaderFieldsAre431) {
    start();
    std::string fields;
    for (int i = 0; i < 150; ++i) {
        fields += "X-F" + std::to_string(i) + ": 1\r\n";
    }
    EXPECT_EQ(
        statusOf(raw("GET /v1/healthz HTTP/1.1\r\nHost: " + host() + "\r\n" + fields + "\r\n")),
        431);
}

// Finding: a chunked body passed --max-body.
TEST_F(ServerSecurity, AChunkedBodyAboveMaxBodyIs413) {
    server::ServerOptions options;
    options.max_body = 1024;
    start(options);
    RawConnection c(server_->port());
    c.send("POST " + kSimulate + " HTTP/1.1\r\nHost: " + host() + "\r\n" + kJson +
           "Transfer-Encoding: chunked\r\n\r\n");
    std::string chunks;
    for (int i = 0; i < 4; ++i) {
        chunks += "400\r\n" + std::string(1024, ' ') + "\r\n";
    }
    c.send(chunks + "0\r\n\r\n");
    const std::string answer = c.readAnswer();
    EXPECT_EQ(statusOf(answer), 413) << answer;
    EXPECT_EQ(json::parse(bodyOf(answer))["code"], 413);
    // Below the limit, chunked is read.
    const std::string small = raw("POST " + kSimulate + " HTTP/1.1\r\nHost: " + host() + "\r\n" +
                                  kJson + "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n");
    EXPECT_EQ(statusOf(small), 400) << small;  // read, and refused by the endpoint: no changes
    EXPECT_NE(bodyOf(small).find("error"), std::string::npos);
}

// Finding: a 100 MB body was read before authentication.
TEST_F(ServerSecurity, AnUnauthenticatedBodyIsRefusedBeforeItIsSent) {
    startWithTokens("adm1n admin ci\n");
    RawConnection c(server_->port());
    const auto start = Clock::now();
    c.send("POST /v1/networkpolicies/apply/default HTTP/1.1\r\nHost: " + host() + "\r\n" + kJson +
           "Content-Length: 100000000\r\n\r\n");
    const std::string answer = c.readAnswer(milliseconds(2000));
    EXPECT_EQ(statusOf(answer), 401) << answer;
    EXPECT_LT(secondsSince(start), 1.0);
    c.readUntilClosed(milliseconds(3000));
    EXPECT_TRUE(c.closed()) << "the body of a refused request is never read";
}

// Finding: duplicate Content-Length, and Content-Length with chunked, were accepted (smuggling).
TEST_F(ServerSecurity, AmbiguousFramingIs400) {
    start();
    const std::string head = "POST " + kSimulate + " HTTP/1.1\r\nHost: " + host() + "\r\n" + kJson;
    for (const std::string& framing :
         {std::string("Content-Length: 2\r\nContent-Length: 2\r\n"),
          std::string("Content-Length: 2, 2\r\n"),
          std::string("Content-Length: 2\r\nTransfer-Encoding: chunked\r\n"),
          std::string("Transfer-Encoding: chunked\r\nContent-Length: 2\r\n"),
          std::string("Content-Length: 2\r\nTransfer-Encoding: gzip\r\n")}) {
        RawConnection c(server_->port());
        c.send(head + framing + "\r\n{}");
        const std::string answer = c.readAnswer();
        EXPECT_EQ(statusOf(answer), 400) << framing << answer;
        // Refused for its framing, not by simulate for the body "{}".
        const json body = json::parse(bodyOf(answer), nullptr, false);
        const std::string error = body.is_object() ? body.value("error", "") : "";
        EXPECT_TRUE(error.find("Content-Length") != std::string::npos ||
                    error.find("Transfer-Encoding") != std::string::npos)
            << framing << error;
        c.readUntilClosed(milliseconds(2000));
        EXPECT_TRUE(c.closed()) << framing;
    }
}

// Finding: a page of another site could POST an apply with text/plain or a form.
TEST_F(ServerSecurity, StateChangesNeedAJsonOrYamlContentType) {
    server::ServerOptions options;
    options.max_body = 1024;
    start(options);
    for (const std::string type : {"text/plain",
                                   "application/x-www-form-urlencoded",
                                   "multipart/form-data; boundary=x",
                                   "text/html"}) {
        const std::string answer = rawPost(kSimulate, "Content-Type: " + type + "\r\n", "{}");
        EXPECT_EQ(statusOf(answer), 415) << type << answer;
    }
    EXPECT_EQ(statusOf(rawPost("/v1/networkpolicies/revert/default", "", "")), 415);
    EXPECT_EQ(
        statusOf(rawPost(kSimulate, "Content-Type: application/yaml; charset=utf-8\r\n", kDenyDb)),
        200);
    // A form body above --max-body is 415, not 413: the type is checked first.
    EXPECT_EQ(statusOf(rawPost(kSimulate, "Content-Type: text/plain\r\n", std::string(2000, 'a'))),
              415);
}

TEST_F(ServerSecurity, CrossSiteStateChangesAre403) {
    start();
    const std::string other = rawPost(kSimulate, kJson + "Origin: https://evil.example\r\n", "{}");
    EXPECT_EQ(statusOf(other), 403) << other;
    EXPECT_NE(bodyOf(other).find("cross-origin"), std::string::npos);
    EXPECT_EQ(statusOf(rawPost(kSimulate, kJson + "Origin: null\r\n", "{}")), 403);
    EXPECT_EQ(statusOf(rawPost(kSimulate, kJson + "Sec-Fetch-Site: cross-site\r\n", "{}")), 403);
    EXPECT_EQ(statusOf(rawPost(kSimulate, kJson + "Sec-Fetch-Site: same-site\r\n", "{}")), 403);
    const std::string own = "Origin: http://" + host() + "\r\nSec-Fetch-Site: same-origin\r\n";
    EXPECT_EQ(statusOf(rawPost(kSimulate, kJson + own, kDenyDb)), 200);
    const std::string local =
        "Origin: http://localhost:" + std::to_string(server_->port()) + "\r\n";
    EXPECT_EQ(statusOf(rawPost(kSimulate, kJson + local, kDenyDb)), 200);
}

// Finding: any Host header was answered (DNS rebinding).
TEST_F(ServerSecurity, OnlyTheServersOwnHostNamesAreAnswered) {
    server::ServerOptions options;
    options.allowed_hosts = {"np.example.com", "other.example:9000"};
    start(options);
    const std::string port = std::to_string(server_->port());
    auto get = [&](const std::string& host_line) {
        return statusOf(raw("GET /v1/healthz HTTP/1.1\r\n" + host_line + "\r\n"));
    };
    EXPECT_EQ(get("Host: evil.example:" + port + "\r\n"), 421);
    EXPECT_EQ(get("Host: 127.0.0.1:1\r\n"), 421);
    EXPECT_EQ(get("Host: 127.0.0.1:" + port + "\r\n"), 200);
    EXPECT_EQ(get("Host: LOCALHOST:" + port + "\r\n"), 200);
    EXPECT_EQ(get("Host: [::1]:" + port + "\r\n"), 200);
    EXPECT_EQ(get("Host: np.example.com\r\n"), 200);
    EXPECT_EQ(get("Host: np.example.com:" + port + "\r\n"), 200);
    EXPECT_EQ(get("Host: other.example:9000\r\n"), 200);
    EXPECT_EQ(get("Host: other.example\r\n"), 421);
    EXPECT_EQ(get(""), 400);  // HTTP/1.1 without Host
    EXPECT_EQ(statusOf(raw("GET /v1/healthz HTTP/1.0\r\n\r\n")), 200);
}

TEST_F(ServerSecurity, AnswersCarryTheSecurityHeaders) {
    start();
    for (const std::string path : {"/v1/healthz", "/v1/nothing", "/"}) {
        auto res = client_->Get(path);
        ASSERT_TRUE(res) << path;
        EXPECT_EQ(res->get_header_value("X-Frame-Options"), "DENY") << path;
        EXPECT_EQ(res->get_header_value("X-Content-Type-Options"), "nosniff") << path;
        EXPECT_NE(res->get_header_value("Content-Security-Policy").find("frame-ancestors 'none'"),
                  std::string::npos)
            << path;
    }
    EXPECT_EQ(client_->Get("/v1/healthz")->get_header_value("Cache-Control"), "no-store");
}

TEST_F(ServerSecurity, TheBearerSchemeIsCaseInsensitive) {
    startWithTokens("r3ad read\n");
    const std::string generate = "/v1/networkpolicies/generate/default";
    for (const std::string scheme : {"Bearer", "bearer", "BEARER"}) {
        auto res = client_->Get(generate, {{"Authorization", scheme + " r3ad"}});
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 200) << scheme;
    }
    EXPECT_EQ(client_->Get(generate, {{"Authorization", "Bearerr3ad"}})->status, 401);
}

TEST_F(ServerSecurity, APostWithoutBodyIsAnsweredAtOnce) {
    start();
    const std::string revert = "/v1/networkpolicies/revert/default";
    for (const std::string length : {"Content-Length: 0\r\n", ""}) {
        RawConnection c(server_->port());
        const auto start = Clock::now();
        c.send("POST " + revert + " HTTP/1.1\r\nHost: " + host() + "\r\n" + kJson + length +
               "\r\n");
        const std::string answer = c.readAnswer(milliseconds(2000));
        EXPECT_EQ(statusOf(answer), 404) << answer;  // nothing applied yet to revert
        EXPECT_LT(secondsSince(start), 1.0);
    }
}

TEST_F(ServerSecurity, ConnectionsBeyondTheLimitAreClosed) {
    server::ServerOptions options;
    options.max_connections = 5;
    start(options);
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < 5; ++i) {
        held.push_back(std::make_unique<RawConnection>(server_->port()));
        held.back()->send("G");
    }
    std::this_thread::sleep_for(milliseconds(200));
    RawConnection extra(server_->port());
    extra.readUntilClosed(milliseconds(2000));
    EXPECT_TRUE(extra.closed());
    held.clear();
    std::this_thread::sleep_for(milliseconds(200));
    EXPECT_EQ(statusOf(raw("GET /v1/healthz HTTP/1.1\r\nHost: " + host() + "\r\n\r\n")), 200);
}

TEST_F(ServerSecurity, TheApplyHistoryNamesTheTokenNotItsValue) {
    startWithTokens("adm1n-s3cret admin ci-deploy\n");
    const httplib::Headers admin{{"Authorization", "Bearer adm1n-s3cret"}};
    auto generated = client_->Get("/v1/networkpolicies/generate/default", admin);
    ASSERT_TRUE(generated);
    const std::string body = json::parse(generated->body)["modification"].dump();
    auto applied =
        client_->Post("/v1/networkpolicies/apply/default", admin, body, "application/json");
    ASSERT_TRUE(applied);
    ASSERT_EQ(applied->status, 200) << applied->body;
    auto history = client_->Get("/v1/networkpolicies/history/default", admin);
    ASSERT_TRUE(history);
    EXPECT_NE(history->body.find("token ci-deploy (127.0.0.1)"), std::string::npos)
        << history->body;
    EXPECT_EQ(history->body.find("s3cret"), std::string::npos);
}

TEST_F(ServerSecurity, ErrorAnswersNameNoServerPath) {
    start();
    std::string bodies;
    for (const std::string path : {"/v1/networkpolicies/undo/default",
                                   "/v1/networkpolicies/generate/prod",
                                   "/v1/namespaces/prod",
                                   "/v1/notifiers/none",
                                   "/v1/graph/default?since=x",
                                   "/missing.js"}) {
        auto res = client_->Get(path);
        ASSERT_TRUE(res) << path;
        EXPECT_GE(res->status, 400) << path;
        bodies += res->body;
    }
    EXPECT_EQ(bodies.find(dir_.string()), std::string::npos) << bodies;
}

TEST(ServerSecurityUnits, LoopbackIsDecidedByTheResolvedAddress) {
    EXPECT_TRUE(server::isLoopback("127.0.0.1"));
    EXPECT_TRUE(server::isLoopback("127.1.2.3"));
    EXPECT_TRUE(server::isLoopback("::1"));
    EXPECT_TRUE(server::isLoopback("localhost"));
    EXPECT_FALSE(server::isLoopback("127.evil.example"));
    EXPECT_FALSE(server::isLoopback("0.0.0.0"));
    EXPECT_FALSE(server::isLoopback("::"));
    EXPECT_FALSE(server::isLoopback("10.1.2.3"));
}

TEST(ServerSecurityUnits, TokenNamesDefaultToRoleAndLine) {
    auto tokens = server::AccessTokens::parse("# team\na admin ops\n\nb read\n", "t");
    ASSERT_TRUE(tokens) << tokens.error();
    EXPECT_EQ(tokens->find("Bearer a")->name, "ops");
    EXPECT_EQ(tokens->find("bearer b")->name, "read-4");
    EXPECT_FALSE(server::AccessTokens::parse("a admin ops\nb read ops\n", "t"));
    EXPECT_FALSE(server::AccessTokens::parse("a admin o/ps\n", "t"));
    EXPECT_FALSE(server::AccessTokens::parse("a admin ops extra\n", "t"));
}

TEST(ServerSecurityUnits, QueriesAndPathsDecodeAsHttplibDid) {
    const server::Params params = server::parseQuery("a=b+c&d=%2Fx%zz&e&=f&&g=1=2");
    EXPECT_EQ(params, (server::Params{{"a", "b c"}, {"d", "/x%zz"}, {"e", ""}, {"g", "1=2"}}));
    EXPECT_EQ(server::targetPath("/v1/graph/a%20b+c?x=1"), "/v1/graph/a b+c");
    EXPECT_EQ(server::targetQuery("/v1/graph/a?x=1&y"), "x=1&y");
    EXPECT_EQ(server::targetQuery("/v1/graph/a"), "");
    EXPECT_EQ(server::percentDecode("%", false), "%");
    EXPECT_EQ(server::percentDecode("%4", false), "%4");
    EXPECT_EQ(server::percentDecode("%41", false), "A");
}

}  // namespace
}  // namespace netpolgen
