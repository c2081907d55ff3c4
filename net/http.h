// HTTP/1.1 messages as bytes: incremental parsers fed whatever a stream delivered, and serializers
// to bytes. A thin, pure layer over Boost.Beast's parser and serializer (kept out of this header,
// so including it is cheap): no I/O, no clock, no fibers. Protocol front ends (node/api/) read a
// ByteStream, Feed() the bytes here, and write what Serialize*() returns.
//
//   RequestParser p(options);
//   p.Feed(bytes)  ->  kNeedMore: read more and Feed again
//                      kDone:     Take() the request; bytes after it start the next one
//                      kError:    answer error().status with error().message, then close
//
// Limits: a start line plus header fields over header_bytes_max is an error with status 431; a
// body (decoded, for chunked ones) over body_bytes_max is 413, reported as soon as the header
// announces it (Content-Length) or the chunks exceed it; anything else malformed is 400 (bad
// request line, bad header field, bad Content-Length or chunk framing, an HTTP/1.1 request without
// exactly one Host field). Errors are final: the parser ignores later bytes. Bytes buffered and not
// yet parsed are bounded by header_bytes_max plus the caller's last Feed.
//
// A message split anywhere across Feed calls parses to the same message as when fed at once.
//
// Threading: none; one parser per connection.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace kv::http {

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

// The value of the first field named `name` (case-insensitive), nullopt if there is none.
std::optional<absl::string_view> FindHeader(const Headers& headers, absl::string_view name);

struct Request {
  std::string method;  // as sent ("GET"); methods are case-sensitive
  std::string target;  // the request-target as sent ("/kv/a%2Fb?r=1")
  int version = 11;    // 10 = HTTP/1.0, 11 = HTTP/1.1
  Headers headers;     // in the order received
  std::string body;    // a chunked body decoded
  // The client keeps the connection open after the response: HTTP/1.1 unless "Connection: close",
  // HTTP/1.0 only with "Connection: keep-alive".
  bool keep_alive = true;

  std::optional<absl::string_view> header(absl::string_view name) const {
    return FindHeader(headers, name);
  }
};

struct Response {
  int status = 200;  // 100..999
  int version = 11;
  // Content-Length, Transfer-Encoding and Connection are the serializer's: any here are ignored.
  Headers headers;
  std::string body;  // REQUIRES: empty for 1xx, 204 and 304
  bool keep_alive = true;

  std::optional<absl::string_view> header(absl::string_view name) const {
    return FindHeader(headers, name);
  }
};

struct ParserOptions {
  size_t body_bytes_max = 1 << 20;
  size_t header_bytes_max = 16 << 10;
};

// Why a message could not be parsed, as the answer to send before closing the connection.
struct ParseError {
  int status = 400;     // 400, 413 or 431
  std::string message;  // one line, for the response body and logs
};

enum class ParseState { kNeedMore, kDone, kError };

namespace internal {
template <bool kIsRequest>
class ParserCore;
}

class RequestParser {
 public:
  explicit RequestParser(ParserOptions options = {});
  ~RequestParser();
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Buffers `bytes` and parses as far as they go; returns state(). While a request waits to be
  // taken (kDone) the bytes are only buffered; after an error they are dropped.
  ParseState Feed(absl::string_view bytes);
  // The peer ended its side of the stream: an unfinished request becomes an error (400); with
  // nothing pending the state stays kNeedMore.
  ParseState FeedEof();
  ParseState state() const;

  // The parsed request; parsing resumes on the bytes buffered after it (pipelining).
  // REQUIRES: state() == kDone.
  Request Take();
  // REQUIRES: state() == kError.
  const ParseError& error() const;

  // Some bytes of the next request have arrived, but not all of them (a server's read timeout
  // for a started request applies, rather than its idle timeout).
  bool partial() const;
  // The header of the request being read is complete, asks "Expect: 100-continue", and its body
  // has not fully arrived: the client waits for a "100 Continue" before sending the body.
  bool expects_continue() const;

 private:
  std::unique_ptr<internal::ParserCore<true>> core_;
};

class ResponseParser {
 public:
  explicit ResponseParser(ParserOptions options = {});
  ~ResponseParser();
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  ParseState Feed(absl::string_view bytes);
  // The server closed the stream: a response whose body runs to the end of the stream (neither
  // Content-Length nor chunked) is done; any other unfinished response is an error.
  ParseState FeedEof();
  ParseState state() const;
  // REQUIRES: state() == kDone. Interim (1xx) responses come out like any other.
  Response Take();
  // REQUIRES: state() == kError.
  const ParseError& error() const;
  bool partial() const;

 private:
  std::unique_ptr<internal::ParserCore<false>> core_;
};

// The response as bytes: status line (with the standard reason phrase), the headers, then
// Content-Length (omitted for 1xx, 204 and 304) and Connection ("close" when !keep_alive;
// "keep-alive" for an HTTP/1.0 response that keeps the connection), then the body.
// REQUIRES: header names are tokens and values hold no CR, LF or NUL.
std::string SerializeResponse(const Response& response);

// The request as bytes (for clients and tests): request line, headers, Content-Length when the
// body is not empty or the method is PUT or POST, Connection as for responses, then the body.
// REQUIRES: as for SerializeResponse; method a token; target non-empty, without spaces or CR/LF.
std::string SerializeRequest(const Request& request);

// The standard reason phrase of `status` ("Not Found"), or "Unknown".
absl::string_view ReasonPhrase(int status);

}  // namespace kv::http
