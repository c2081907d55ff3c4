#include "net/http.h"

#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/buffer.hpp"
#include "boost/beast/http/error.hpp"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/serializer.hpp"
#include "boost/beast/http/status.hpp"
#include "boost/beast/http/string_body.hpp"
#include "net/assert.h"

namespace kv::http {

namespace bhttp = boost::beast::http;

namespace {

absl::string_view View(boost::beast::string_view s) {
  return absl::string_view(s.data(), s.size());
}
boost::beast::string_view BeastView(absl::string_view s) {
  return boost::beast::string_view(s.data(), s.size());
}

// RFC 7230 tchar.
bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (absl::ascii_isalnum(static_cast<unsigned char>(c))) continue;
    if (absl::string_view("!#$%&'*+-.^_`|~").find(c) == absl::string_view::npos) return false;
  }
  return true;
}

bool IsFieldValue(absl::string_view s) {
  return s.find_first_of(absl::string_view("\r\n\0", 3)) == absl::string_view::npos;
}

bool BodyForbidden(int status) { return status < 200 || status == 204 || status == 304; }

template <bool kIsRequest>
void SetHeaders(bhttp::message<kIsRequest, bhttp::string_body>& m, const Headers& headers) {
  for (const Header& h : headers) {
    KV_ASSERT_MSG(IsToken(h.name), h.name);
    KV_ASSERT_MSG(IsFieldValue(h.value), h.name);
    // Framing is the serializer's (a parsed message re-serialized carries its old framing).
    if (absl::EqualsIgnoreCase(h.name, "Content-Length") ||
        absl::EqualsIgnoreCase(h.name, "Transfer-Encoding") ||
        absl::EqualsIgnoreCase(h.name, "Connection")) {
      continue;
    }
    m.insert(BeastView(h.name), BeastView(h.value));
  }
}

// Runs Beast's serializer to the end, collecting its buffers.
template <bool kIsRequest>
std::string ToBytes(bhttp::message<kIsRequest, bhttp::string_body>& m) {
  bhttp::serializer<kIsRequest, bhttp::string_body> sr{m};
  std::string out;
  boost::beast::error_code ec;
  while (!sr.is_done()) {
    sr.next(ec, [&](boost::beast::error_code&, const auto& buffers) {
      size_t n = 0;
      for (auto it = boost::asio::buffer_sequence_begin(buffers);
           it != boost::asio::buffer_sequence_end(buffers); ++it) {
        const boost::asio::const_buffer b = *it;
        out.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      sr.consume(n);
    });
    KV_ASSERT_MSG(!ec, ec.message());
  }
  return out;
}

template <bool kIsRequest>
Headers HeadersOf(const bhttp::message<kIsRequest, bhttp::string_body>& m) {
  Headers out;
  for (const auto& field : m) {
    out.push_back(Header{std::string(View(field.name_string())), std::string(View(field.value()))});
  }
  return out;
}

}  // namespace

namespace internal {

// The state shared by request and response parsers: Beast's parser for the current message and
// the bytes it has not consumed yet (Beast needs a whole header in one buffer).
template <bool kIsRequest>
class ParserCore {
 public:
  using Message = bhttp::message<kIsRequest, bhttp::string_body>;

  explicit ParserCore(ParserOptions options) : options_(options) {
    KV_ASSERT(options_.header_bytes_max > 0);
    Reset();
  }

  ParseState Feed(absl::string_view bytes) {
    if (state_ == ParseState::kError) return state_;
    KV_ASSERT_MSG(!eof_, "Feed after FeedEof");
    buffer_.append(bytes.data(), bytes.size());
    if (state_ == ParseState::kNeedMore) Parse();
    return state_;
  }

  ParseState FeedEof() {
    eof_ = true;
    if (state_ == ParseState::kNeedMore) ApplyEof();
    return state_;
  }

  ParseState state() const { return state_; }
  const ParseError& error() const {
    KV_ASSERT(state_ == ParseState::kError);
    return error_;
  }

  // The finished message; parsing resumes on what is buffered after it.
  Message Take() {
    KV_ASSERT(state_ == ParseState::kDone);
    Message m = parser_->release();
    Reset();
    state_ = ParseState::kNeedMore;
    Parse();
    if (eof_ && state_ == ParseState::kNeedMore) ApplyEof();
    return m;
  }

  bool partial() const {
    return state_ == ParseState::kNeedMore && (!buffer_.empty() || parser_->got_some());
  }

  bool header_done_body_pending() const {
    return state_ == ParseState::kNeedMore && parser_->is_header_done() && !parser_->is_done();
  }
  const Message& current() const { return parser_->get(); }

 private:
  void Reset() {
    parser_.emplace();
    parser_->eager(true);
    parser_->header_limit(static_cast<std::uint32_t>(options_.header_bytes_max));
    parser_->body_limit(static_cast<std::uint64_t>(options_.body_bytes_max));
  }

  void Parse() {
    while (state_ == ParseState::kNeedMore && !buffer_.empty()) {
      // Boost 1.74's chunk parser asserts (aborting the process) when it finds the last chunk
      // with only 3 or 4 bytes buffered and is called again before 5 are (boostorg/beast#2861).
      // An unfinished chunked body always has at least 5 bytes to come ("0\r\n\r\n"), so
      // waiting for them never stalls a valid request.
      if (parser_->is_header_done() && parser_->chunked() && buffer_.size() < 5) return;
      boost::beast::error_code ec;
      const size_t used = parser_->put(boost::asio::buffer(buffer_.data(), buffer_.size()), ec);
      KV_ASSERT(used <= buffer_.size());
      buffer_.erase(0, used);
      if (ec == bhttp::error::need_more) return CheckBuffered();
      if (ec) return FailWith(ec);
      if (parser_->is_done()) return Finish();
      if (used == 0) return;  // Beast wants more bytes without saying so
    }
  }

  // Beast 1.74 bounds the header but not a chunk-size line or the trailer, which it keeps
  // unconsumed until they end: hold them to the header limit too.
  void CheckBuffered() {
    if (buffer_.size() <= options_.header_bytes_max) return;
    if (!parser_->is_header_done()) {
      return Fail(431, absl::StrCat("the header exceeds the limit of ", options_.header_bytes_max,
                                    " bytes"));
    }
    Fail(400, absl::StrCat("a chunk header or trailer exceeds the limit of ",
                           options_.header_bytes_max, " bytes"));
  }

  void Finish() {
    if constexpr (kIsRequest) {
      const Message& m = parser_->get();
      if (m.version() == 11 && m.count(bhttp::field::host) != 1) {
        return Fail(400, "an HTTP/1.1 request needs exactly one Host header");
      }
    }
    state_ = ParseState::kDone;
  }

  void ApplyEof() {
    if (!partial()) return;
    if constexpr (!kIsRequest) {
      // A response may end with the stream.
      if (buffer_.empty() && parser_->is_header_done()) {
        boost::beast::error_code ec;
        parser_->put_eof(ec);
        if (!ec && parser_->is_done()) return Finish();
      }
    }
    Fail(400, "the stream ended in the middle of a message");
  }

  void FailWith(const boost::beast::error_code& ec) {
    if (ec == bhttp::error::body_limit) {
      return Fail(
          413, absl::StrCat("the body exceeds the limit of ", options_.body_bytes_max, " bytes"));
    }
    if (ec == bhttp::error::header_limit) {
      return Fail(431, absl::StrCat("the header exceeds the limit of ", options_.header_bytes_max,
                                    " bytes"));
    }
    Fail(400,
         absl::StrCat("malformed HTTP ", kIsRequest ? "request" : "response", ": ", ec.message()));
  }

  void Fail(int status, std::string message) {
    state_ = ParseState::kError;
    error_ = ParseError{status, std::move(message)};
    buffer_.clear();
    buffer_.shrink_to_fit();
  }

  ParserOptions options_;
  std::optional<bhttp::parser<kIsRequest, bhttp::string_body>> parser_;
  std::string buffer_;  // received, not consumed by parser_
  ParseState state_ = ParseState::kNeedMore;
  ParseError error_;
  bool eof_ = false;
};

}  // namespace internal

std::optional<absl::string_view> FindHeader(const Headers& headers, absl::string_view name) {
  for (const Header& h : headers) {
    if (absl::EqualsIgnoreCase(h.name, name)) return absl::string_view(h.value);
  }
  return std::nullopt;
}

RequestParser::RequestParser(ParserOptions options)
    : core_(std::make_unique<internal::ParserCore<true>>(options)) {}
RequestParser::~RequestParser() = default;
ParseState RequestParser::Feed(absl::string_view bytes) { return core_->Feed(bytes); }
ParseState RequestParser::FeedEof() { return core_->FeedEof(); }
ParseState RequestParser::state() const { return core_->state(); }
const ParseError& RequestParser::error() const { return core_->error(); }
bool RequestParser::partial() const { return core_->partial(); }

bool RequestParser::expects_continue() const {
  if (!core_->header_done_body_pending()) return false;
  const auto& m = core_->current();
  auto it = m.find(bhttp::field::expect);
  return it != m.end() && absl::EqualsIgnoreCase(View(it->value()), "100-continue");
}

Request RequestParser::Take() {
  auto m = core_->Take();
  Request r;
  r.method = std::string(View(m.method_string()));
  r.target = std::string(View(m.target()));
  r.version = static_cast<int>(m.version());
  r.headers = HeadersOf(m);
  r.keep_alive = m.keep_alive();
  r.body = std::move(m.body());
  return r;
}

ResponseParser::ResponseParser(ParserOptions options)
    : core_(std::make_unique<internal::ParserCore<false>>(options)) {}
ResponseParser::~ResponseParser() = default;
ParseState ResponseParser::Feed(absl::string_view bytes) { return core_->Feed(bytes); }
ParseState ResponseParser::FeedEof() { return core_->FeedEof(); }
ParseState ResponseParser::state() const { return core_->state(); }
const ParseError& ResponseParser::error() const { return core_->error(); }
bool ResponseParser::partial() const { return core_->partial(); }

Response ResponseParser::Take() {
  auto m = core_->Take();
  Response r;
  r.status = static_cast<int>(m.result_int());
  r.version = static_cast<int>(m.version());
  r.headers = HeadersOf(m);
  r.keep_alive = m.keep_alive();
  r.body = std::move(m.body());
  return r;
}

std::string SerializeResponse(const Response& response) {
  KV_ASSERT(response.status >= 100 && response.status <= 999);
  KV_ASSERT(response.version == 10 || response.version == 11);
  bhttp::response<bhttp::string_body> m;
  m.version(static_cast<unsigned>(response.version));
  m.result(static_cast<unsigned>(response.status));
  m.reason(BeastView(ReasonPhrase(response.status)));
  SetHeaders(m, response.headers);
  if (BodyForbidden(response.status)) {
    KV_ASSERT_MSG(response.body.empty(), "a 1xx, 204 or 304 response has no body");
  } else {
    m.content_length(response.body.size());
  }
  m.keep_alive(response.keep_alive);
  m.body() = response.body;
  return ToBytes(m);
}

std::string SerializeRequest(const Request& request) {
  KV_ASSERT_MSG(IsToken(request.method), request.method);
  KV_ASSERT(!request.target.empty());
  KV_ASSERT(absl::string_view(request.target).find_first_of(absl::string_view(" \r\n\0", 4)) ==
            absl::string_view::npos);
  KV_ASSERT(request.version == 10 || request.version == 11);
  bhttp::request<bhttp::string_body> m;
  m.version(static_cast<unsigned>(request.version));
  m.method_string(BeastView(request.method));
  m.target(BeastView(request.target));
  SetHeaders(m, request.headers);
  if (!request.body.empty() || request.method == "PUT" || request.method == "POST") {
    m.content_length(request.body.size());
  }
  m.keep_alive(request.keep_alive);
  m.body() = request.body;
  return ToBytes(m);
}

absl::string_view ReasonPhrase(int status) {
  const bhttp::status s = bhttp::int_to_status(static_cast<unsigned>(status));
  if (s == bhttp::status::unknown) return "Unknown";
  return View(bhttp::obsolete_reason(s));
}

}  // namespace kv::http
