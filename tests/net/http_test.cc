// The HTTP parsers and serializers (net/http.h): requests split at every byte parse the same,
// pipelining, chunked bodies, limits (413, 431), malformed requests (400), keep-alive rules,
// Expect: 100-continue, and responses round-tripping through the serializer and parser.
#include "net/http.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kv::http {
namespace {

const std::string kPut =
    "PUT /kv/a%2Fb?w=2 HTTP/1.1\r\n"
    "Host: node1\r\n"
    "X-Kv-Context: YWJj\r\n"
    "Content-Length: 11\r\n"
    "\r\n"
    "hello world";

const std::string kChunked =
    "PUT /kv/k HTTP/1.1\r\n"
    "Host: node1\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "5\r\nhello\r\n"
    "1;ext=1\r\n \r\n"
    "5\r\nworld\r\n"
    "0\r\n"
    "\r\n";

// Everything a parse produced, comparable.
struct Outcome {
  std::vector<std::string> requests;  // method, target, headers, body, keep-alive, flattened
  int error_status = 0;
  bool operator==(const Outcome&) const = default;
};

std::string Flatten(const Request& r) {
  std::string out = r.method + " " + r.target + " " + std::to_string(r.version) + "\n";
  for (const Header& h : r.headers) out += h.name + ": " + h.value + "\n";
  out += "keep-alive=" + std::to_string(r.keep_alive) + "\n" + r.body;
  return out;
}

// Feeds `chunks` in order, taking requests as they complete.
Outcome Parse(const std::vector<std::string>& chunks, ParserOptions options = {}) {
  RequestParser p(options);
  Outcome out;
  for (const std::string& c : chunks) {
    p.Feed(c);
    while (p.state() == ParseState::kDone) out.requests.push_back(Flatten(p.Take()));
  }
  if (p.state() == ParseState::kError) out.error_status = p.error().status;
  return out;
}

Outcome ParseWhole(const std::string& bytes, ParserOptions options = {}) {
  return Parse({bytes}, options);
}

TEST(HttpParserTest, ParsesARequestWithItsHeadersBodyAndKeepAlive) {
  RequestParser p;
  ASSERT_EQ(p.Feed(kPut), ParseState::kDone);
  Request r = p.Take();
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.target, "/kv/a%2Fb?w=2");
  EXPECT_EQ(r.version, 11);
  EXPECT_EQ(r.body, "hello world");
  EXPECT_TRUE(r.keep_alive);
  ASSERT_TRUE(r.header("x-kv-context").has_value()) << "lookups ignore case";
  EXPECT_EQ(*r.header("X-KV-CONTEXT"), "YWJj");
  EXPECT_FALSE(r.header("X-Kv-Ttl").has_value());
  EXPECT_EQ(p.state(), ParseState::kNeedMore);
  EXPECT_FALSE(p.partial());
}

TEST(HttpParserTest, ARequestSplitAtEveryBytePairParsesTheSame) {
  for (const std::string& message : {kPut, kChunked}) {
    const Outcome whole = ParseWhole(message);
    ASSERT_EQ(whole.requests.size(), 1u);
    for (size_t i = 0; i <= message.size(); ++i) {
      for (size_t j = i; j <= message.size(); j += 7) {
        EXPECT_EQ(Parse({message.substr(0, i), message.substr(i, j - i), message.substr(j)}), whole)
            << "split at " << i << " and " << j;
      }
    }
    std::vector<std::string> bytes;
    for (char c : message) bytes.push_back(std::string(1, c));
    EXPECT_EQ(Parse(bytes), whole) << "one byte at a time";
  }
}

TEST(HttpParserTest, PartialIsTrueFromTheFirstByteUntilTheRequestIsComplete) {
  RequestParser p;
  EXPECT_FALSE(p.partial());
  p.Feed("G");
  EXPECT_TRUE(p.partial());
  p.Feed("ET /health HTTP/1.1\r\nHost: x\r\n");
  EXPECT_TRUE(p.partial());
  EXPECT_EQ(p.Feed("\r\n"), ParseState::kDone);
  p.Take();
  EXPECT_FALSE(p.partial());
}

TEST(HttpParserTest, PipelinedRequestsComeOutInOrder) {
  const std::string get = "GET /kv/k HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string close = "DELETE /kv/k HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  const std::string all = get + kPut + close + "GET /half";
  RequestParser p;
  ASSERT_EQ(p.Feed(all), ParseState::kDone);
  EXPECT_EQ(p.Take().method, "GET");
  ASSERT_EQ(p.state(), ParseState::kDone);
  EXPECT_EQ(p.Take().body, "hello world");
  ASSERT_EQ(p.state(), ParseState::kDone);
  Request last = p.Take();
  EXPECT_EQ(last.method, "DELETE");
  EXPECT_FALSE(last.keep_alive);
  EXPECT_EQ(p.state(), ParseState::kNeedMore);
  EXPECT_TRUE(p.partial()) << "the start of a fourth request is buffered";
  // Split at every byte, pipelining gives the same requests.
  const Outcome whole = ParseWhole(get + kPut + close);
  ASSERT_EQ(whole.requests.size(), 3u);
  const std::string three = get + kPut + close;
  for (size_t i = 0; i <= three.size(); ++i) {
    EXPECT_EQ(Parse({three.substr(0, i), three.substr(i)}), whole) << i;
  }
}

TEST(HttpParserTest, ChunkedBodiesAreDecoded) {
  RequestParser p;
  ASSERT_EQ(p.Feed(kChunked), ParseState::kDone);
  Request r = p.Take();
  EXPECT_EQ(r.body, "hello world");
}

TEST(HttpParserTest, AnEmptyChunkedBodyTricklingInIsParsed) {
  // Boost 1.74's chunk parser asserts when the last chunk arrives in pieces this small
  // (boostorg/beast#2861); a client must not be able to abort the node this way.
  const std::string head = "PUT /kv/k HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const std::vector<std::string>& tail : {std::vector<std::string>{"0\r\n", "\r", "\n"},
                                               {"0\r\n", "\r\n"},
                                               {"0", "\r\n\r", "\n"},
                                               {"0\r\nX-T: 1\r\n", "\r", "\n"}}) {
    std::vector<std::string> chunks = {head};
    chunks.insert(chunks.end(), tail.begin(), tail.end());
    const Outcome got = Parse(chunks);
    ASSERT_EQ(got.requests.size(), 1u) << tail[0];
    EXPECT_EQ(got.error_status, 0);
  }
}

TEST(HttpParserTest, AChunkSizeLineThatNeverEndsIsRefusedAtTheHeaderLimit) {
  ParserOptions small;
  small.header_bytes_max = 256;
  RequestParser p(small);
  p.Feed("PUT /kv/k HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=");
  for (int i = 0; i < 100 && p.state() == ParseState::kNeedMore; ++i) p.Feed("aaaaaaaa");
  ASSERT_EQ(p.state(), ParseState::kError);
  EXPECT_EQ(p.error().status, 400);
}

TEST(HttpParserTest, ABodyOverTheLimitIs413AsSoonAsItIsAnnounced) {
  ParserOptions small;
  small.body_bytes_max = 10;
  RequestParser p(small);
  // The header alone says it is too big: refused before the body is sent.
  EXPECT_EQ(p.Feed("PUT /kv/k HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n"),
            ParseState::kError);
  EXPECT_EQ(p.error().status, 413);
  EXPECT_NE(p.error().message.find("10 bytes"), std::string::npos) << p.error().message;
  // Chunked: refused once the chunks exceed it.
  EXPECT_EQ(ParseWhole(kChunked, small).error_status, 413);
  EXPECT_EQ(ParseWhole(kPut, ParserOptions{.body_bytes_max = 11}).requests.size(), 1u)
      << "exactly the limit is fine";
}

TEST(HttpParserTest, AHeaderOverTheLimitIs431) {
  ParserOptions small;
  small.header_bytes_max = 256;
  const std::string big =
      "GET /kv/k HTTP/1.1\r\nHost: h\r\nX-Pad: " + std::string(300, 'a') + "\r\n\r\n";
  EXPECT_EQ(ParseWhole(big, small).error_status, 431);
  std::vector<std::string> bytes;
  for (char c : big) bytes.push_back(std::string(1, c));
  EXPECT_EQ(Parse(bytes, small).error_status, 431) << "also when it trickles in";
  // A header that never ends is refused once it passes the limit, not buffered forever.
  RequestParser p(small);
  p.Feed("GET /kv/k HTTP/1.1\r\nHost: h\r\n");
  for (int i = 0; i < 100 && p.state() == ParseState::kNeedMore; ++i) p.Feed("X-Pad: aaaa\r\n");
  ASSERT_EQ(p.state(), ParseState::kError);
  EXPECT_EQ(p.error().status, 431);
}

TEST(HttpParserTest, MalformedRequestsAre400AndTheErrorIsFinal) {
  const std::vector<std::string> bad = {
      "GET\r\n\r\n",
      "GET /kv/k\r\n\r\n",
      "GET /kv/k HTTP/9.9\r\nHost: h\r\n\r\n",
      "GET /kv/k HTTP/1.1 extra\r\nHost: h\r\n\r\n",
      "G(T /kv/k HTTP/1.1\r\nHost: h\r\n\r\n",
      "GET /kv/k HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n",
      "GET /kv/k HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n",
      "PUT /kv/k HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
      "PUT /kv/k HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
      "PUT /kv/k HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET /kv/k HTTP/1.1\r\n\r\n",                        // HTTP/1.1 without Host
      "GET /kv/k HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",  // two Hosts
      std::string("GET /kv/k HTTP/1.1\r\nHost: h\0\r\n\r\n", 31),
  };
  for (const std::string& b : bad) {
    RequestParser p;
    EXPECT_EQ(p.Feed(b), ParseState::kError) << b;
    if (p.state() != ParseState::kError) continue;
    EXPECT_EQ(p.error().status, 400) << b;
    EXPECT_FALSE(p.error().message.empty());
    EXPECT_EQ(p.Feed("GET / HTTP/1.1\r\nHost: h\r\n\r\n"), ParseState::kError) << "final";
  }
}

TEST(HttpParserTest, KeepAliveFollowsTheVersionAndTheConnectionHeader) {
  auto keep_alive = [](const std::string& head) {
    RequestParser p;
    EXPECT_EQ(p.Feed(head + "\r\n"), ParseState::kDone) << head;
    return p.state() == ParseState::kDone && p.Take().keep_alive;
  };
  EXPECT_TRUE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"));
  EXPECT_FALSE(keep_alive("GET / HTTP/1.0\r\n"));
  EXPECT_TRUE(keep_alive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"));
}

TEST(HttpParserTest, TheEndOfTheStreamInTheMiddleOfARequestIsAnError) {
  RequestParser idle;
  EXPECT_EQ(idle.FeedEof(), ParseState::kNeedMore) << "nothing pending: a clean end";
  RequestParser p;
  p.Feed(kPut.substr(0, kPut.size() - 3));
  ASSERT_EQ(p.FeedEof(), ParseState::kError);
  EXPECT_EQ(p.error().status, 400);
  RequestParser header_only;
  header_only.Feed("GET / HTTP/1.1\r\nHo");
  EXPECT_EQ(header_only.FeedEof(), ParseState::kError);
}

TEST(HttpParserTest, ExpectsContinueOnceTheHeaderIsInAndTheBodyIsNot) {
  RequestParser p;
  p.Feed("PUT /kv/k HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n");
  EXPECT_FALSE(p.expects_continue()) << "the header is not complete";
  p.Feed("\r\n");
  EXPECT_TRUE(p.expects_continue());
  p.Feed("ab");
  EXPECT_TRUE(p.expects_continue());
  EXPECT_EQ(p.Feed("c"), ParseState::kDone);
  EXPECT_FALSE(p.expects_continue());
  RequestParser plain;
  plain.Feed("PUT /kv/k HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n");
  EXPECT_FALSE(plain.expects_continue());
}

TEST(HttpSerializerTest, AResponseHasItsStatusHeadersContentLengthAndConnection) {
  Response r;
  r.status = 404;
  r.headers.push_back({"Content-Type", "text/plain"});
  r.body = "not found\n";
  EXPECT_EQ(SerializeResponse(r),
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n"
            "not found\n");
  r.keep_alive = false;
  EXPECT_NE(SerializeResponse(r).find("Connection: close\r\n"), std::string::npos);
  Response empty;
  empty.status = 204;
  empty.headers.push_back({"X-Kv-Context", "YWJj"});
  EXPECT_EQ(SerializeResponse(empty), "HTTP/1.1 204 No Content\r\nX-Kv-Context: YWJj\r\n\r\n")
      << "no Content-Length on a 204";
  Response old;
  old.version = 10;
  EXPECT_NE(SerializeResponse(old).find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_EQ(ReasonPhrase(300), "Multiple Choices");
  EXPECT_EQ(ReasonPhrase(799), "Unknown");
}

TEST(HttpSerializerTest, ResponsesRoundTripThroughTheResponseParserSplitAnywhere) {
  std::vector<Response> responses(3);
  responses[0].status = 200;
  responses[0].headers = {{"X-Kv-Context", "abc="}, {"Content-Type", "application/octet-stream"}};
  responses[0].body = std::string("binary\0\r\nvalue", 14);
  responses[1].status = 204;
  responses[2].status = 503;
  responses[2].body = "no quorum\n";
  responses[2].keep_alive = false;
  std::string bytes;
  for (const Response& r : responses) bytes += SerializeResponse(r);
  for (size_t split = 0; split <= bytes.size(); ++split) {
    ResponseParser p;
    std::vector<Response> got;
    for (const std::string& part : {bytes.substr(0, split), bytes.substr(split)}) {
      p.Feed(part);
      while (p.state() == ParseState::kDone) got.push_back(p.Take());
    }
    ASSERT_EQ(got.size(), 3u) << split;
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(got[i].status, responses[i].status);
      EXPECT_EQ(got[i].body, responses[i].body);
      EXPECT_EQ(got[i].keep_alive, responses[i].keep_alive);
    }
    EXPECT_EQ(*got[0].header("x-kv-context"), "abc=");
  }
}

TEST(HttpSerializerTest, ARequestRoundTripsAndAResponseMayEndWithTheStream) {
  Request r;
  r.method = "PUT";
  r.target = "/kv/k?w=1";
  r.headers = {{"Host", "n1"}, {"X-Kv-Ttl", "1.5"}};
  r.body = "v";
  RequestParser p;
  ASSERT_EQ(p.Feed(SerializeRequest(r)), ParseState::kDone);
  Request back = p.Take();
  EXPECT_EQ(back.method, "PUT");
  EXPECT_EQ(back.target, "/kv/k?w=1");
  EXPECT_EQ(back.body, "v");
  EXPECT_EQ(*back.header("X-Kv-Ttl"), "1.5");

  ResponseParser to_eof;
  EXPECT_EQ(to_eof.Feed("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"),
            ParseState::kNeedMore);
  ASSERT_EQ(to_eof.FeedEof(), ParseState::kDone);
  EXPECT_EQ(to_eof.Take().body, "until the end");
  ResponseParser cut;
  cut.Feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc");
  EXPECT_EQ(cut.FeedEof(), ParseState::kError);
}

}  // namespace
}  // namespace kv::http
