#include "node/api/http_server.h"

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/assert.h"

namespace kv::node {

namespace {

constexpr absl::string_view kApi = "http";

// `t + d`, where a zero (or infinite) `d` means no deadline.
MonoTime Deadline(MonoTime t, Duration d) {
  if (d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) return MonoTime::Max();
  return t + d;
}

// One connection's state; Serve() is the whole life of it.
class Connection {
 public:
  Connection(Runtime& rt, ByteStream& stream, HttpApi& api, const HttpServerOptions& options)
      : rt_(rt),
        stream_(stream),
        api_(api),
        options_(options),
        parser_(ParserOptionsFor(api, options)),
        chunk_(options.read_chunk_bytes, '\0') {
    KV_ASSERT(options.read_chunk_bytes > 0);
    KV_ASSERT(options.requests_per_connection_max > 0);
    api_.metrics().ConnectionOpened(kApi);
  }
  // Also runs when a cancelled fiber unwinds: nothing here suspends.
  ~Connection() {
    stream_.Close();
    api_.metrics().ConnectionClosed(kApi);
  }

  void Serve() {
    idle_since_ = rt_.Now();
    while (true) {
      switch (parser_.state()) {
        case http::ParseState::kDone:
          if (!Answer()) return;
          continue;
        case http::ParseState::kError:
          Refuse(parser_.error().status, parser_.error().message, "malformed");
          return;
        case http::ParseState::kNeedMore:
          break;
      }
      if (parser_.expects_continue() && !continue_sent_) {
        continue_sent_ = true;
        if (!Write("HTTP/1.1 100 Continue\r\n\r\n")) return;
      }
      if (!Read()) return;
    }
  }

 private:
  static http::ParserOptions ParserOptionsFor(const HttpApi& api, const HttpServerOptions& o) {
    http::ParserOptions p = o.parser;
    if (p.body_bytes_max == 0) p.body_bytes_max = api.value_bytes_max();
    return p;
  }

  // Reads more bytes of the next request into the parser. False: the connection is over.
  bool Read() {
    const bool partial = parser_.partial();
    const MonoTime deadline = partial ? Deadline(request_started_, options_.request_timeout)
                                      : Deadline(idle_since_, options_.idle_timeout);
    absl::StatusOr<size_t> n = stream_.ReadSome(chunk_.data(), chunk_.size(), deadline);
    if (!n.ok()) {
      if (absl::IsDeadlineExceeded(n.status()) && partial) {
        Refuse(408, "the request did not arrive in time", "timeout");
      }
      return false;
    }
    if (*n == 0) {
      // The client ended its side; if it left a request unfinished, it may still read why.
      if (parser_.FeedEof() == http::ParseState::kError) {
        Refuse(parser_.error().status, parser_.error().message, "malformed");
      }
      return false;
    }
    KV_ASSERT(*n <= chunk_.size());
    if (!partial) request_started_ = rt_.Now();
    parser_.Feed(absl::string_view(chunk_.data(), *n));
    return true;
  }

  // Answers the parsed request. False: the connection is over.
  bool Answer() {
    http::Request request = parser_.Take();
    const MonoTime start = rt_.Now();
    HttpApi::Handled handled = api_.Handle(request);
    ++served_;
    const bool keep_alive = request.keep_alive && handled.response.keep_alive &&
                            served_ < options_.requests_per_connection_max;
    handled.response.keep_alive = keep_alive;
    api_.metrics().RecordRequest(kApi, handled.op, handled.ok, rt_.Now() - start);
    if (!Write(http::SerializeResponse(handled.response)) || !keep_alive) return false;
    idle_since_ = rt_.Now();
    request_started_ = idle_since_;  // for bytes of a pipelined request already buffered
    continue_sent_ = false;
    return true;
  }

  // Answers an error that ends the connection.
  void Refuse(int status, absl::string_view message, absl::string_view op) {
    http::Response r;
    r.status = status;
    r.keep_alive = false;
    r.headers.push_back({"Content-Type", "text/plain; charset=utf-8"});
    r.body = absl::StrCat(message, "\n");
    api_.metrics().RecordRequest(kApi, op, false, absl::ZeroDuration());
    rt_.Log(LogLevel::kDebug, "http %s: %d %s", stream_.peer(), status, message);
    Write(http::SerializeResponse(r));
  }

  bool Write(absl::string_view bytes) {
    absl::Status s = stream_.WriteAll(bytes, Deadline(rt_.Now(), options_.write_timeout));
    if (!s.ok())
      rt_.Log(LogLevel::kDebug, "http %s: write failed: %s", stream_.peer(), s.ToString());
    return s.ok();
  }

  Runtime& rt_;
  ByteStream& stream_;
  HttpApi& api_;
  const HttpServerOptions& options_;
  http::RequestParser parser_;
  std::string chunk_;
  MonoTime idle_since_;
  MonoTime request_started_;
  size_t served_ = 0;
  bool continue_sent_ = false;
};

}  // namespace

void ServeHttpConnection(Runtime& rt, ByteStream& stream, HttpApi& api,
                         const HttpServerOptions& options) {
  Connection connection(rt, stream, api, options);
  connection.Serve();
}

}  // namespace kv::node
