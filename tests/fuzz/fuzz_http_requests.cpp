// libFuzzer target for the request path of `serve` up to the endpoint: the Boost.Beast header
// parser with serve's limits (server/beast_request.h), the RequestHead it gives, admit() with the
// real route table, a token file and allowed hosts (server/routes.h), the query and path
// decoding, and then the body parser with a small max_body. The input is the bytes a client
// sends, as one piece.
//
// Properties (any broken one aborts): the header parser never takes more than its limit; an
// admitted request has a route and no refusal; a refusal is a JSON error with its status as code
// and a 4xx status; no body is read past max_body, chunked or not.
//
//   ./fuzz_http_requests -max_total_time=60 /tmp/scratch tests/fuzz/corpus/http_requests/
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/beast_request.h"
#include "server/routes.h"

namespace {

namespace server = netpolgen::server;
namespace http = boost::beast::http;
constexpr size_t kMaxBody = 256;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_http_requests: %s\n%s\n", what, detail.c_str());
    std::abort();
}

struct Fixture {
    Fixture() : routes(server::apiRoutes(true)), hosts("127.0.0.1", 8080, true, {"np.example"}) {
        options.max_body = kMaxBody;
        options.tokens = *server::AccessTokens::parse("r read\na admin ci\n", "tokens");
    }
    server::ServerOptions options;
    server::Routes routes;
    server::AllowedHosts hosts;
};

// Feeds `bytes` to `parser` until it is done (with `header_only`, until its header is: as the
// server's async_read_header stops, so that the body parser it becomes has read no body yet),
// needs more, or fails; the bytes it took.
template <class Parser>
size_t feed(Parser& parser,
            std::string_view bytes,
            boost::beast::error_code& ec,
            bool header_only = false) {
    size_t used = 0;
    while (used < bytes.size() && !parser.is_done() && !(header_only && parser.is_header_done())) {
        const size_t n =
            parser.put(boost::asio::buffer(bytes.data() + used, bytes.size() - used), ec);
        used += n;
        if (ec || n == 0) {
            break;
        }
    }
    return used;
}

void checkRefusal(const server::ApiResponse& refusal) {
    if (refusal.status < 400 || refusal.status > 499 ||
        refusal.body.value("code", 0) != refusal.status || !refusal.body.contains("error")) {
        fail("a refusal that is not a 4xx JSON error", refusal.body.dump());
    }
}

void readBody(server::HeaderParser& header, std::string_view rest) {
    server::BodyParser body(std::move(header));
    server::limitBody(body, kMaxBody);
    boost::beast::error_code ec;
    feed(body, rest, ec);
    if (body.get().body().size() > kMaxBody) {
        fail("a body read past max_body", std::to_string(body.get().body().size()));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const Fixture fixture;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    server::HeaderParser header;
    server::limitHeader(header);
    boost::beast::error_code ec;
    const size_t used = feed(header, bytes, ec, /*header_only=*/true);
    if (used > server::kMaxHeaderBytes + 4096 && !header.is_header_done()) {
        fail("the header parser took more than its limit", std::to_string(used));
    }
    if (ec || !header.is_header_done()) {
        return 0;
    }
    const server::RequestHead head = server::requestHead(header.get(), "127.0.0.1");
    const server::Admission admission =
        server::admit(head, fixture.routes, fixture.options, fixture.hosts);
    server::parseQuery(server::targetQuery(head.target));
    if (admission.refusal) {
        checkRefusal(*admission.refusal);
        return 0;
    }
    if (admission.route == nullptr) {
        fail("admitted without a route", head.target);
    }
    if (head.chunked() || head.contentLength() > 0) {
        readBody(header, bytes.substr(used));
    }
    return 0;
}
