#include "server/beast_request.h"

namespace netpolgen::server {

namespace http = boost::beast::http;

void limitHeader(HeaderParser& parser) {
    parser.header_limit(static_cast<uint32_t>(kMaxHeaderBytes));
    // Beast would refuse a Content-Length above its default 1 MB limit as soon as the header is
    // read, before admit() authenticates (401 first) and applies max_body (limitBody).
    parser.body_limit(boost::none);
}

void limitBody(BodyParser& parser, size_t max_body) {
    parser.body_limit(max_body);
}

RequestHead requestHead(const http::request_header<>& header, std::string remote) {
    RequestHead head;
    head.method = std::string(header.method_string());
    head.target = std::string(header.target());
    head.version = header.version();
    head.remote = std::move(remote);
    for (const auto& field : header) {
        ++head.field_count;
        const std::string value(field.value());
        switch (field.name()) {
            case http::field::content_length:
                head.content_lengths.push_back(value);
                break;
            case http::field::transfer_encoding:
                head.transfer_encodings.push_back(value);
                break;
            case http::field::host:
                head.host = value;
                break;
            case http::field::origin:
                head.origin = value;
                break;
            case http::field::content_type:
                head.content_type = value;
                break;
            case http::field::authorization:
                head.authorization = value;
                break;
            case http::field::expect:
                head.expect_continue = boost::beast::iequals(value, "100-continue");
                break;
            default:
                if (boost::beast::iequals(field.name_string(), "Sec-Fetch-Site")) {
                    head.sec_fetch_site = value;
                }
        }
    }
    return head;
}

}  // namespace netpolgen::server
