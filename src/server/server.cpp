#include "server/server.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "server/beast_request.h"
#include "server/cluster_inputs.h"
#include "server/json_text.h"
#include "server/listen_address.h"
#include "server/routes.h"
#include "server/static_files.h"

namespace netpolgen::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

constexpr const char* kJsonType = "application/json; charset=utf-8";
// run() and one more: reads and writes of keep-alive connections go on while one thread is in a
// syscall. Every connection's steps are serialized by its strand.
constexpr int kNetworkThreads = 2;
// What a connection that is closed after an error may still send before it is cut: a client
// that stops sending once answered reads the answer instead of a reset.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerBytes = size_t{256} << 10;

// An answer to write: status, header fields, and the body as pieces written one after the
// other with one gather write, never joined (a generate answer at 10,000 workloads is 124 MB).
struct Reply {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> fields;
    std::vector<std::string> pieces;
};

// The body text with `spliced` in place of the marker string, as pieces sent one after the other.
std::vector<std::string> splicedPieces(const ApiResponse& response) {
    std::string text = jsonText(response.body);
    const std::string marker = std::string("\"") + kSplicedMarker + "\"";
    const size_t at = text.find(marker);
    if (at == std::string::npos) {  // an endpoint bug: never send the marker
        throw std::logic_error("spliced answer without its marker");
    }
    std::vector<std::string> pieces;
    pieces.reserve(response.spliced.size() + 2);
    pieces.push_back(text.substr(0, at + 1));  // up to the opening quote
    for (const std::string& part : response.spliced) {
        pieces.push_back(part);
    }
    pieces.push_back(text.substr(at + marker.size() - 1) + "\n");  // from the closing quote
    return pieces;
}

// /metrics: the collector's counters, or only serve's own line when it collects nothing.
Reply metricsReply(const ServerOptions& options) {
    std::string text =
        "# HELP netpolgen_serve_up 1 while serve runs.\n# TYPE netpolgen_serve_up gauge\n"
        "netpolgen_serve_up 1\n";
    if (options.collect_metrics) {
        text += options.collect_metrics->prometheusText();
    }
    return {200,
            {{"Content-Type", "text/plain; version=0.0.4; charset=utf-8"},
             {"Cache-Control", "no-store"}},
            {std::move(text)}};
}

Reply apiReply(const ApiResponse& response) {
    Reply reply{response.status,
                {{"Content-Type", kJsonType},
                 {"Cache-Control", "no-store"},
                 {"Content-Security-Policy", "frame-ancestors 'none'"}},
                {}};
    if (response.status == 401) {
        reply.fields.emplace_back("WWW-Authenticate", "Bearer");  // RFC 6750: how to authenticate
    }
    if (response.spliced.empty()) {
        reply.pieces.push_back(jsonText(response.body) + "\n");
    } else {
        reply.pieces = splicedPieces(response);
    }
    return reply;
}

Reply staticReply(const ServerOptions& options, const std::string& path) {
    StaticFile file = staticFile(options.web_dir, path);
    if (file.status != 200) {
        return apiReply(apiError(file.status, file.status == 404 ? "no such file" : "bad path"));
    }
    // Everything the page needs is bundled: it may load and call only this server, and no other
    // site may frame it (clickjacking an apply button).
    return {200,
            {{"Content-Type", file.content_type},
             {"Cache-Control", "no-cache"},
             {"Content-Security-Policy",
              "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
              "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"}},
            {std::move(file.body)}};
}

// What every connection shares. Declared in destruction order: the workers go first (their
// queued jobs hold sessions, whose sockets need the io_context), the io_context next (its queued
// handlers hold sessions, which count themselves down in `connections`).
struct Network {
    explicit Network(const ServerOptions& options_in)
        : options(options_in), routes(apiRoutes(!options_in.web_dir.empty())) {}

    void accept();

    const ServerOptions& options;
    const Routes routes;
    AllowedHosts hosts;  // set by bind(), before run()
    std::atomic<size_t> connections{0};
    net::io_context ioc{kNetworkThreads};
    tcp::acceptor acceptor{ioc};
    net::steady_timer retry{ioc};
    // Created by run(), so that its threads inherit the signal mask serve's run() is called with.
    std::optional<net::thread_pool> workers;
};

// One connection: reads a request header, admits it (server/routes.h), reads its body, has a
// worker run the endpoint, writes the answer, and again while the client keeps the connection.
// Every step runs on the connection's strand; only the endpoint runs on a worker.
class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, Network& network) : stream_(std::move(socket)), net_(network) {
        ++net_.connections;
        beast::error_code ec;
        const auto remote = stream_.socket().remote_endpoint(ec);
        remote_ = ec ? "unknown" : remote.address().to_string();
    }
    ~Session() { --net_.connections; }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    void start() {
        net::dispatch(stream_.get_executor(),
                      beast::bind_front_handler(&Session::readHeader, shared_from_this()));
    }

private:
    void readHeader() {
        header_.emplace();
        limitHeader(*header_);
        stream_.expires_after(net_.options.header_timeout);
        http::async_read_header(
            stream_, buffer_, *header_, beast::bind_front_handler(&Session::onHeader, self()));
    }

    void onHeader(beast::error_code ec, size_t) {
        if (ec) {
            return refuseRead(ec);
        }
        head_ = requestHead(header_->get(), remote_);
        keep_alive_ = header_->get().keep_alive();
        admission_ = admit(head_, net_.routes, net_.options, net_.hosts);
        if (admission_.refusal) {
            return write(apiReply(*admission_.refusal), admission_.close);
        }
        if (!head_.chunked() && head_.contentLength() == 0) {
            return dispatch({});  // nothing to wait for
        }
        if (!head_.expect_continue) {
            return readBody();
        }
        static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        net::async_write(
            stream_, net::buffer(kContinue), [self = self()](beast::error_code e, size_t) {
                if (!e) {
                    self->readBody();
                }
            });
    }

    void readBody() {
        body_.emplace(std::move(*header_));
        limitBody(*body_, net_.options.max_body);
        stream_.expires_after(
            transferTime(head_.chunked() ? net_.options.max_body : head_.contentLength()));
        http::async_read(
            stream_, buffer_, *body_, beast::bind_front_handler(&Session::onBody, self()));
    }

    void onBody(beast::error_code ec, size_t) {
        if (ec) {
            return refuseRead(ec);
        }
        dispatch(body_->release().body());
    }

    // A read that failed. A client that left or took too long (beast closes the socket on a
    // timeout) gets no answer; too large a header or body and malformed requests do.
    void refuseRead(beast::error_code ec) {
        keep_alive_ = false;
        if (ec == http::error::header_limit) {
            return write(apiReply(apiError(431,
                                           "request header larger than " +
                                               std::to_string(kMaxHeaderBytes) + " bytes")),
                         true);
        }
        if (ec == http::error::body_limit) {
            return write(apiReply(apiError(413,
                                           "request body too large (at most " +
                                               std::to_string(net_.options.max_body) + " bytes)")),
                         true);
        }
        const bool gone = ec == http::error::end_of_stream || ec == beast::error::timeout ||
                          ec == net::error::eof || ec == net::error::connection_reset ||
                          ec == net::error::operation_aborted || ec == http::error::partial_message;
        if (!gone) {
            write(apiReply(apiError(400, "malformed request: " + ec.message())), true);
        }
    }

    void dispatch(std::string body) {
        if (admission_.route->kind == RouteKind::kHealthz) {
            return write(apiReply({200, {{"status", "ok"}}}), false);
        }
        stream_.expires_never();  // no I/O while the endpoint runs
        net::post(*net_.workers, [self = self(), body = std::move(body)]() mutable {
            Reply reply = self->respond(std::move(body));
            net::post(self->stream_.get_executor(), [self, reply = std::move(reply)]() mutable {
                self->write(std::move(reply), false);
            });
        });
    }

    // On a worker.
    Reply respond(std::string body) {
        if (admission_.route->kind == RouteKind::kStatic) {
            return staticReply(net_.options, admission_.path);
        }
        if (admission_.route->kind == RouteKind::kMetrics) {
            return metricsReply(net_.options);
        }
        try {
            return apiReply(callEndpoint(admission_, head_, std::move(body), net_.options));
        } catch (const std::exception& e) {  // a spliced answer without its marker
            return apiReply(apiError(500, std::string("internal error: ") + e.what()));
        }
    }

    void write(Reply reply, bool close) {
        reply_ = std::move(reply);
        close_ = close || !keep_alive_;
        http::response<http::empty_body> message;
        message.version(head_.version == 10 ? 10 : 11);
        message.result(static_cast<unsigned>(reply_.status));
        for (const auto& [name, value] : reply_.fields) {
            message.set(name, value);
        }
        message.set("X-Frame-Options", "DENY");
        message.set("X-Content-Type-Options", "nosniff");
        size_t length = 0;
        for (const std::string& piece : reply_.pieces) {
            length += piece.size();
        }
        message.content_length(length);
        message.keep_alive(!close_);
        std::ostringstream header;
        header << message.base();
        header_text_ = header.str();
        buffers_.clear();
        buffers_.push_back(net::buffer(header_text_));
        for (const std::string& piece : reply_.pieces) {
            buffers_.push_back(net::buffer(piece));
        }
        stream_.expires_after(transferTime(length));
        net::async_write(stream_, buffers_, beast::bind_front_handler(&Session::onWrite, self()));
    }

    void onWrite(beast::error_code ec, size_t) {
        reply_ = {};
        if (ec) {
            return;
        }
        if (!close_) {
            return readHeader();
        }
        // Half-close, then drain briefly: closing with unread bytes would reset the connection
        // and could throw away the answer the client has not read yet.
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.expires_after(kLingerTime);
        drain(0);
    }

    void drain(size_t drained) {
        buffer_.clear();
        stream_.async_read_some(buffer_.prepare(4096),
                                [self = self(), drained](beast::error_code ec, size_t n) {
                                    if (!ec && drained + n < kLingerBytes) {
                                        self->drain(drained + n);
                                    }
                                });
    }

    std::shared_ptr<Session> self() { return shared_from_this(); }

    beast::tcp_stream stream_;
    Network& net_;
    std::string remote_;
    beast::flat_buffer buffer_;
    std::optional<HeaderParser> header_;
    std::optional<BodyParser> body_;
    RequestHead head_;
    Admission admission_;
    bool keep_alive_ = false;
    bool close_ = false;
    Reply reply_;
    std::string header_text_;
    std::vector<net::const_buffer> buffers_;
};

void Network::accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !acceptor.is_open()) {
            return;
        }
        if (ec) {  // out of file descriptors (EMFILE): try again shortly rather than spin
            retry.expires_after(std::chrono::milliseconds(100));
            retry.async_wait([this](beast::error_code e) {
                if (!e) {
                    accept();
                }
            });
            return;
        }
        if (connections.load() >= options.max_connections) {
            socket.close(ec);  // beyond the limit: closed at once, the others go on
        } else {
            socket.set_option(tcp::no_delay(true), ec);  // headers and body in one write anyway
            std::make_shared<Session>(std::move(socket), *this)->start();
        }
        accept();
    });
}

}  // namespace

struct Server::Impl : Network {
    using Network::Network;
};

core::Result<std::unique_ptr<Server>> Server::create(ServerOptions options) {
    if (options.tokens.empty() && !isLoopback(options.host)) {
        return core::Error{"--listen " + options.host +
                           ": refusing to serve a non-loopback address without --token-file"};
    }
    if (std::error_code ec;
        !options.web_dir.empty() && !std::filesystem::is_directory(options.web_dir, ec)) {
        return core::Error{"--web-dir " + options.web_dir + ": not a directory"};
    }
    return std::unique_ptr<Server>(new Server(std::move(options)));
}

Server::Server(ServerOptions options) : options_(std::move(options)) {
    if (!options_.inputs_cache) {
        options_.inputs_cache = std::make_shared<InputsCache>(
            options_.db, std::chrono::seconds(1), std::chrono::seconds(30));
    }
    impl_ = std::make_unique<Impl>(options_);
}

Server::~Server() = default;

core::Status Server::bind() {
    beast::error_code ec;
    tcp::resolver resolver(impl_->ioc);
    const auto found = resolver.resolve(options_.host,
                                        std::to_string(options_.port),
                                        tcp::resolver::passive | tcp::resolver::numeric_service,
                                        ec);
    tcp::acceptor& acceptor = impl_->acceptor;
    if (!ec && !found.empty()) {
        const tcp::endpoint endpoint = found.begin()->endpoint();
        acceptor.open(endpoint.protocol(), ec);
        if (!ec) {
            acceptor.set_option(net::socket_base::reuse_address(true), ec);
            acceptor.bind(endpoint, ec);
        }
        if (!ec) {
            acceptor.listen(net::socket_base::max_listen_connections, ec);
        }
    }
    if (ec || found.empty()) {
        return core::Error{"cannot listen on " + options_.host + ":" +
                           std::to_string(options_.port) + " (address in use or not local)"};
    }
    port_ = acceptor.local_endpoint().port();
    impl_->hosts =
        AllowedHosts(options_.host, port_, isLoopback(options_.host), options_.allowed_hosts);
    return {};
}

core::Result<std::string> Server::preload() {
    // The graph's first request: the open window, counts of the window (the same when open).
    ClusterInputs in = loadClusterInputs(options_, options_.cluster_name, {}, true);
    if (!in.inputs) {
        return core::Error{in.error.body.value("error", std::string("cannot load"))};
    }
    return std::to_string(in.inputs->cluster.workloads.size()) + " workloads, " +
           std::to_string(in.inputs->graph.size()) + " edges";
}

void Server::run() {
    if (stopped_) {
        return;
    }
    // Endpoints take seconds (a generate at 10,000 workloads): more workers than cores, so that
    // quick reads are not all stuck behind slow ones.
    const size_t threads = std::max<size_t>(4, 2 * std::thread::hardware_concurrency());
    impl_->workers.emplace(threads);
    impl_->accept();
    std::vector<std::thread> network;
    for (int i = 1; i < kNetworkThreads; ++i) {
        network.emplace_back([this] { impl_->ioc.run(); });
    }
    impl_->ioc.run();
    for (std::thread& thread : network) {
        thread.join();
    }
}

void Server::stop() {
    stopped_ = true;
    impl_->ioc.stop();
}

}  // namespace netpolgen::server
