#include "server/http_request.h"

#include <algorithm>
#include <charconv>

#include "core/ascii.h"

namespace netpolgen::server {
namespace {

std::string_view trim(std::string_view s) {
    const auto begin = s.find_first_not_of(" \t");
    if (begin == std::string_view::npos) {
        return {};
    }
    return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

// The media type of a Content-Type value, lower case, without parameters ("; charset=utf-8").
std::string mediaType(std::string_view content_type) {
    return core::asciiLower(trim(content_type.substr(0, content_type.find(';'))));
}

// JSON and the YAML types in use (no registered one until RFC 9512's application/yaml).
bool isJsonOrYaml(std::string_view media_type) {
    return media_type == "application/json" || media_type == "application/yaml" ||
           media_type == "application/x-yaml" || media_type == "text/yaml";
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

}  // namespace

std::chrono::seconds transferTime(uint64_t bytes) {
    return kTransferBaseTime + std::chrono::seconds(bytes / kMinBytesPerSecond);
}

uint64_t RequestHead::contentLength() const {
    uint64_t length = 0;
    if (content_lengths.size() == 1) {
        const std::string& text = content_lengths.front();
        std::from_chars(text.data(), text.data() + text.size(), length);
    }
    return length;
}

bool RequestHead::changesState() const {
    return method == "POST" || method == "PUT" || method == "DELETE";
}

AllowedHosts::AllowedHosts(const std::string& listen_host,
                           uint16_t port,
                           bool loopback,
                           const std::vector<std::string>& extra) {
    const std::string suffix = ":" + std::to_string(port);
    auto add = [&](const std::string& host) {
        hosts_.insert(core::asciiLower(host) + suffix);
        if (port == 80) {  // the default port: browsers leave it out
            hosts_.insert(core::asciiLower(host));
        }
    };
    add(listen_host.find(':') != std::string::npos ? "[" + listen_host + "]" : listen_host);
    if (loopback) {
        add("localhost");
        add("127.0.0.1");
        add("[::1]");
    }
    for (const std::string& host : extra) {
        if (host.empty()) {
            continue;
        }
        const bool has_port = host.back() != ']' && host.find(':') != std::string::npos;
        hosts_.insert(core::asciiLower(host));
        if (!has_port) {
            hosts_.insert(core::asciiLower(host) + suffix);
        }
    }
}

bool AllowedHosts::allowsHost(std::string_view host) const {
    return hosts_.count(core::asciiLower(trim(host))) > 0;
}

bool AllowedHosts::allowsOrigin(std::string_view origin) const {
    for (std::string_view scheme : {"http://", "https://"}) {
        if (core::asciiLower(origin.substr(0, scheme.size())) == scheme) {
            return allowsHost(origin.substr(scheme.size()));
        }
    }
    return false;  // "null" (a sandboxed or file: page) and other schemes
}

std::optional<ApiResponse> framingError(const RequestHead& head) {
    if (head.content_lengths.size() > 1) {
        return apiError(400, "more than one Content-Length");
    }
    if (head.transfer_encodings.size() > 1 ||
        (head.chunked() && core::asciiLower(trim(head.transfer_encodings.front())) != "chunked")) {
        return apiError(400, "Transfer-Encoding must be chunked");
    }
    if (head.chunked() && !head.content_lengths.empty()) {
        return apiError(400, "Content-Length together with Transfer-Encoding");
    }
    if (!head.content_lengths.empty()) {
        const std::string& text = head.content_lengths.front();
        const bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
            return c >= '0' && c <= '9';
        });
        if (!digits || text.size() > 19) {
            return apiError(400, "Content-Length must be one number");
        }
    }
    return std::nullopt;
}

std::optional<ApiResponse> hostError(const RequestHead& head, const AllowedHosts& hosts) {
    if (!head.host) {
        if (head.version >= 11) {
            return apiError(400, "an HTTP/1.1 request needs a Host header");
        }
        return std::nullopt;
    }
    if (!hosts.allowsHost(*head.host)) {
        return apiError(421,
                        "this server does not answer for host \"" + *head.host +
                            "\" (netpolgen serve --allowed-host HOST adds one)");
    }
    return std::nullopt;
}

std::optional<ApiResponse> crossSiteError(const RequestHead& head, const AllowedHosts& hosts) {
    if (!head.changesState()) {
        return std::nullopt;
    }
    if (head.sec_fetch_site && *head.sec_fetch_site != "same-origin" &&
        *head.sec_fetch_site != "none") {
        return apiError(
            403, "cross-site request refused (Sec-Fetch-Site: " + *head.sec_fetch_site + ")");
    }
    if (head.origin && !hosts.allowsOrigin(*head.origin)) {
        return apiError(403, "cross-origin request refused (Origin: " + *head.origin + ")");
    }
    const bool has_body = head.chunked() || head.contentLength() > 0;
    if (head.method == "DELETE" && !has_body) {
        return std::nullopt;  // browsers send a cross-origin DELETE only after a CORS preflight
    }
    if (!head.content_type || !isJsonOrYaml(mediaType(*head.content_type))) {
        return apiError(415,
                        "expected Content-Type: application/json or application/yaml, got " +
                            (head.content_type ? "\"" + *head.content_type + "\"" : "none"));
    }
    return std::nullopt;
}

std::string percentDecode(std::string_view text, bool plus_is_space) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const int high = i + 2 < text.size() && text[i] == '%' ? hexValue(text[i + 1]) : -1;
        const int low = high >= 0 ? hexValue(text[i + 2]) : -1;
        if (low >= 0) {
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += plus_is_space && text[i] == '+' ? ' ' : text[i];
        }
    }
    return out;
}

Params parseQuery(std::string_view query) {
    Params params;
    size_t pos = 0;
    while (pos <= query.size()) {
        const size_t end = std::min(query.find('&', pos), query.size());
        const std::string_view pair = query.substr(pos, end - pos);
        pos = end + 1;
        const size_t eq = pair.find('=');
        std::string key = percentDecode(pair.substr(0, eq), true);
        if (!key.empty()) {
            const std::string_view value =
                eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
            params.emplace(std::move(key), percentDecode(value, true));
        }
    }
    return params;
}

std::string targetPath(std::string_view target) {
    return percentDecode(target.substr(0, target.find('?')), false);
}

std::string_view targetQuery(std::string_view target) {
    const size_t q = target.find('?');
    return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

}  // namespace netpolgen::server
