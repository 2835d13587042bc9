#include "cli/metrics_listener.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <utility>

#include "server/listen_address.h"

namespace netpolgen::cli {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

constexpr int kRequestSeconds = 5;
constexpr uint32_t kHeaderLimit = 8 * 1024;

void answer(tcp::socket& socket, const collect::CollectMetrics& metrics) {
    // A stalled client: reads and writes give up after kRequestSeconds.
    const timeval timeout{kRequestSeconds, 0};
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    boost::beast::flat_buffer buffer;
    http::request_parser<http::empty_body> parser;
    parser.header_limit(kHeaderLimit);
    boost::system::error_code ec;
    http::read(socket, buffer, parser, ec);
    http::response<http::string_body> response;
    response.version(11);
    response.keep_alive(false);
    if (ec) {
        response.result(http::status::bad_request);
        response.body() = "malformed request\n";
    } else if (parser.get().method() != http::verb::get || parser.get().target() != "/metrics") {
        response.result(http::status::not_found);
        response.body() = "only GET /metrics here\n";
    } else {
        response.result(http::status::ok);
        response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        response.body() = metrics.prometheusText();
    }
    if (response.result() != http::status::ok) {
        response.set(http::field::content_type, "text/plain; charset=utf-8");
    }
    response.prepare_payload();
    http::write(socket, response, ec);
    socket.shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace

struct MetricsListener::Impl {
    net::io_context io;
    tcp::acceptor acceptor{io};
    std::shared_ptr<const collect::CollectMetrics> metrics;
    std::atomic<bool> stopping{false};
    std::thread thread;

    void serve() {
        while (!stopping) {
            tcp::socket socket(io);
            boost::system::error_code ec;
            acceptor.accept(socket, ec);
            if (ec || stopping) {
                continue;
            }
            answer(socket, *metrics);
        }
    }
};

MetricsListener::MetricsListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

core::Result<std::unique_ptr<MetricsListener>> MetricsListener::start(
    const std::string& address, std::shared_ptr<const collect::CollectMetrics> metrics) {
    auto where = server::parseListenAddress(address);
    if (!where) {
        return core::Error{"--metrics-listen: " + where.error()};
    }
    auto impl = std::make_unique<Impl>();
    impl->metrics = std::move(metrics);
    boost::system::error_code ec;
    tcp::resolver resolver(impl->io);
    const auto endpoints = resolver.resolve(where->host, std::to_string(where->port), ec);
    if (!ec && !endpoints.empty()) {
        const tcp::endpoint endpoint = endpoints.begin()->endpoint();
        impl->acceptor.open(endpoint.protocol(), ec);
        if (!ec) {
            impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
            impl->acceptor.bind(endpoint, ec);
        }
        if (!ec) {
            impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
        }
    }
    if (ec || endpoints.empty()) {
        return core::Error{"--metrics-listen: cannot listen on " + address +
                           (ec ? ": " + ec.message() : "")};
    }
    Impl* raw = impl.get();
    impl->thread = std::thread([raw] { raw->serve(); });
    return std::unique_ptr<MetricsListener>(new MetricsListener(std::move(impl)));
}

MetricsListener::~MetricsListener() {
    impl_->stopping = true;
    boost::system::error_code ec;
    // Unblocks accept(): shutdown wakes a thread blocked on the listening socket.
    ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
    impl_->thread.join();
    impl_->acceptor.close(ec);
}

uint16_t MetricsListener::port() const {
    boost::system::error_code ec;
    return impl_->acceptor.local_endpoint(ec).port();
}

}  // namespace netpolgen::cli
