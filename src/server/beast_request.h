// The Boost.Beast side of reading a request, shared by the server and its fuzz target: the header
// parser with serve's limits, and the RequestHead (server/http_request.h) of a parsed header.
#pragma once

#include <boost/beast/http.hpp>
#include <string>

#include "server/http_request.h"

namespace netpolgen::server {

using HeaderParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;
using BodyParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A parser for the next request's header: at most kMaxHeaderBytes; no body limit yet (admit).
void limitHeader(HeaderParser& parser);

// The parser for the body of the header `parser` read: at most `max_body` bytes, chunked ones
// too (Beast checks each chunk size against the limit before reading the chunk).
void limitBody(BodyParser& parser, size_t max_body);

RequestHead requestHead(const boost::beast::http::request_header<>& header, std::string remote);

}  // namespace netpolgen::server
