// libFuzzer harness for the HTTP request parser (net/http.h). The input is split in two: the
// parser limits and the points where the stream is cut into Feed calls (taken from the input's
// end, as FuzzedDataProvider does), and the byte stream a client sent. Checked, beyond "no crash, no sanitizer report":
//   - split anywhere, the stream yields the same requests as fed at once (up to where either
//     parse stopped: an error, or bytes that do not complete a request);
//   - errors are 400, 413 or 431 with a message; bodies respect the limit;
//   - every request parsed re-serializes (SerializeRequest) to bytes that parse to it again.
//
// Build and run (clang 14, from the repository root):
//   clang++-14 -std=c++20 -O1 -g -fsanitize=fuzzer,address,undefined -I. \
//     tests/fuzz/http_fuzzer.cc net/http.cc net/assert.cc \
//     $(pkg-config --cflags --libs absl_strings absl_str_format) -o http_fuzzer
//   ./http_fuzzer -max_len=2048 CORPUS_DIR
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "net/assert.h"
#include "net/http.h"

namespace {

using kv::http::ParseState;

std::string Flatten(const kv::http::Request& r) {
  std::string out = r.method + " " + r.target + " " + std::to_string(r.version) + "\n";
  for (const kv::http::Header& h : r.headers) out += h.name + ": " + h.value + "\n";
  out += (r.keep_alive ? "keep-alive\n" : "close\n") + r.body;
  return out;
}

struct Outcome {
  std::vector<kv::http::Request> requests;
  bool error = false;
};

Outcome Parse(const std::vector<std::string>& chunks, const kv::http::ParserOptions& options) {
  kv::http::RequestParser p(options);
  Outcome out;
  for (const std::string& chunk : chunks) {
    p.Feed(chunk);
    while (p.state() == ParseState::kDone) {
      out.requests.push_back(p.Take());
      const kv::http::Request& r = out.requests.back();
      KV_ASSERT(r.body.size() <= options.body_bytes_max);
      KV_ASSERT(!r.method.empty());
      KV_ASSERT(!r.target.empty());
      KV_ASSERT(r.version == 10 || r.version == 11);
    }
  }
  const bool partial = p.partial();
  if (p.FeedEof() == ParseState::kError) {
    out.error = true;
    const int status = p.error().status;
    KV_ASSERT(status == 400 || status == 413 || status == 431);
    KV_ASSERT(!p.error().message.empty());
  } else {
    KV_ASSERT(!partial);  // an unfinished request at the end of the stream is an error
  }
  return out;
}

// A parsed request, serialized again, parses to the same request.
void CheckRoundTrip(const kv::http::Request& r, const kv::http::ParserOptions& options) {
  const std::string bytes = kv::http::SerializeRequest(r);
  // Trailer fields come back as header fields, and the framing differs: the header may grow.
  kv::http::ParserOptions roomy = options;
  roomy.header_bytes_max = bytes.size() + 1;
  kv::http::RequestParser p(roomy);
  KV_ASSERT(p.Feed(bytes) == ParseState::kDone);
  const kv::http::Request back = p.Take();
  KV_ASSERT(back.method == r.method);
  KV_ASSERT(back.target == r.target);
  KV_ASSERT(back.version == r.version);
  KV_ASSERT(back.body == r.body);
  KV_ASSERT(back.keep_alive == r.keep_alive);
  KV_ASSERT(p.state() == ParseState::kNeedMore && !p.partial());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  kv::http::ParserOptions options;
  options.body_bytes_max = fdp.ConsumeIntegralInRange<size_t>(0, 4096);
  options.header_bytes_max = fdp.ConsumeIntegralInRange<size_t>(1, 4096);
  const size_t cuts = fdp.ConsumeIntegralInRange<size_t>(0, 16);
  std::vector<size_t> sizes;
  for (size_t i = 0; i < cuts; ++i) sizes.push_back(fdp.ConsumeIntegralInRange<size_t>(0, 64));
  const std::string stream = fdp.ConsumeRemainingBytesAsString();

  std::vector<std::string> chunks;
  size_t at = 0;
  for (size_t n : sizes) {
    if (at >= stream.size()) break;
    chunks.push_back(stream.substr(at, n));
    at += chunks.back().size();
  }
  chunks.push_back(stream.substr(at));

  const Outcome whole = Parse({stream}, options);
  const Outcome split = Parse(chunks, options);
  const size_t common = std::min(whole.requests.size(), split.requests.size());
  for (size_t i = 0; i < common; ++i) {
    KV_ASSERT(Flatten(whole.requests[i]) == Flatten(split.requests[i]));
  }
  if (!whole.error && !split.error) KV_ASSERT(whole.requests.size() == split.requests.size());
  for (const kv::http::Request& r : whole.requests) CheckRoundTrip(r, options);
  return 0;
}
