// What `serve` checks in a request before it reads the body, independent of the HTTP library:
// framing, the Host and Origin the request names (DNS rebinding, CSRF), its content type, and the
// path and query decoding. server.cpp reads the header with Boost.Beast and fills a RequestHead.
//
//   AllowedHosts hosts("127.0.0.1", 8080, true, {"np.example.com"});
//   hosts.allowsHost("localhost:8080")          // true: a loopback listen answers its names
//   hosts.allowsOrigin("https://np.example.com")  // true
//   parseQuery("a=b+c&d=%2F")                   // {a: "b c", d: "/"}
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_response.h"
#include "server/request_params.h"

namespace netpolgen::server {

// A browser's request header is 1–2 KB; 16 KiB leaves room for long tokens and the cookies of
// other sites on the same host name, and bounds what a connection holds before it authenticates.
inline constexpr size_t kMaxHeaderBytes = size_t{16} << 10;
// Browsers send about 20 fields; many small ones cost a parser more than their bytes say.
inline constexpr size_t kMaxHeaderFields = 100;
// A request body arrives within 30 s plus 1 s per 100 KiB (a slow link, not a slow loris); an
// answer is written within the same time for its size.
inline constexpr auto kTransferBaseTime = std::chrono::seconds(30);
inline constexpr size_t kMinBytesPerSecond = size_t{100} << 10;

// The time allowed to receive or send `bytes` (see kTransferBaseTime).
std::chrono::seconds transferTime(uint64_t bytes);

// The request line and the header fields serve looks at, as received.
struct RequestHead {
    std::string method;  // "GET"
    std::string target;  // "/v1/graph/default?since=7d", not decoded
    unsigned version = 11;
    size_t field_count = 0;
    std::vector<std::string> content_lengths;     // every Content-Length field
    std::vector<std::string> transfer_encodings;  // every Transfer-Encoding field
    std::optional<std::string> host;
    std::optional<std::string> origin;
    std::optional<std::string> sec_fetch_site;
    std::optional<std::string> content_type;
    std::string authorization;
    bool expect_continue = false;
    std::string remote;  // the client's address, for the apply history

    bool chunked() const { return !transfer_encodings.empty(); }
    // The body's announced length: 0 without Content-Length (chunked: unknown).
    uint64_t contentLength() const;
    // POST, PUT and DELETE change state: they get the CSRF checks.
    bool changesState() const;
};

// Host names a request may use: the listen host with the bound port, for a loopback listen also
// localhost, 127.0.0.1 and [::1], and each --allowed-host (HOST: that name with or without the
// bound port, as behind a proxy; HOST:PORT: exactly). Compared without case.
class AllowedHosts {
public:
    AllowedHosts() = default;
    AllowedHosts(const std::string& listen_host,
                 uint16_t port,
                 bool loopback,
                 const std::vector<std::string>& extra);

    bool allowsHost(std::string_view host) const;
    // An Origin header value: http:// or https:// and an allowed host.
    bool allowsOrigin(std::string_view origin) const;

private:
    std::set<std::string> hosts_;
};

// Malformed framing: more than one Content-Length (even equal), a list or non-number in it, a
// Transfer-Encoding other than one `chunked`, or both (request smuggling). 400.
std::optional<ApiResponse> framingError(const RequestHead& head);

// No Host on HTTP/1.1 (RFC 7230 §5.4: 400), or a Host that is not this server: a page of another
// site reaching the loopback server through DNS rebinding. HTTP/1.0 without Host is answered.
std::optional<ApiResponse> hostError(const RequestHead& head, const AllowedHosts& hosts);

// For POST, PUT and DELETE: 403 when Sec-Fetch-Site says another site sent it or Origin is not
// this server; 415 when a POST or PUT (or a DELETE with a body) is not JSON or YAML, so that no
// form or `no-cors` fetch of another page (text/plain, form-encoded, no type) can change state.
std::optional<ApiResponse> crossSiteError(const RequestHead& head, const AllowedHosts& hosts);

// %XX decoded (invalid escapes kept as written); with `plus_is_space`, '+' is a space (query).
std::string percentDecode(std::string_view text, bool plus_is_space);

// The query of a target ("a=b&c"): keys and values %-decoded with '+' as space; a key without
// '=' has the value "". Empty keys are dropped.
Params parseQuery(std::string_view query);

// The path of a target, %-decoded ('+' kept), and its query after the '?'.
std::string targetPath(std::string_view target);
std::string_view targetQuery(std::string_view target);

}  // namespace netpolgen::server
