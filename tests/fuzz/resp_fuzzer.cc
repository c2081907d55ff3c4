// libFuzzer harness for the RESP2 request parser (net/resp.h). Build with clang
// -fsanitize=fuzzer,address,undefined and link kv_net.
//
// Input: byte 0 chooses the limits (odd: tiny limits, so every limit is reached; even: Redis's
// defaults), byte 1 seeds the split points, the rest is the byte stream a client sent. Checked:
//   - no crash, no sanitizer report, no endless loop (every command consumes input);
//   - the stream parses the same whole and cut into arbitrary pieces (split independence);
//   - every command has at least one word; an error reads "Protocol error: ...";
//   - errors are sticky: more input changes nothing, and nothing stays buffered;
//   - the commands, re-encoded as multibulk requests, parse back to themselves.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "net/assert.h"
#include "net/resp.h"

namespace {

using kv::RespParser;
using kv::RespParserOptions;
using Words = std::vector<std::string>;

struct Outcome {
  std::vector<Words> commands;
  std::string error;
  bool operator==(const Outcome&) const = default;
};

void Drain(RespParser& parser, Outcome& out, size_t fed) {
  Words args;
  // Each kCommand consumes at least one byte, so at most `fed` commands exist.
  for (size_t calls = 0; calls <= fed + 1; ++calls) {
    const RespParser::Result r = parser.Next(&args);
    if (r == RespParser::Result::kNeedMore) return;
    if (r == RespParser::Result::kError) {
      out.error = parser.error();
      return;
    }
    KV_ASSERT(!args.empty());
    out.commands.push_back(args);
  }
  KV_UNREACHABLE("the parser returned more commands than bytes fed");
}

// Feeds `input` in pieces whose lengths come from `seed` (0: whole).
Outcome Parse(absl::string_view input, const RespParserOptions& options, uint32_t seed) {
  RespParser parser(options);
  Outcome out;
  size_t at = 0;
  uint32_t state = seed * 2654435761u + 1;
  while (at < input.size()) {
    size_t piece = input.size() - at;
    if (seed != 0) {
      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      piece = std::min<size_t>(piece, 1 + state % 37);
    }
    parser.Feed(input.substr(at, piece));
    at += piece;
    Drain(parser, out, at);
  }
  Drain(parser, out, at);
  if (parser.failed()) {
    // Sticky: more input is ignored and the error stays.
    KV_ASSERT(absl::StartsWith(parser.error(), "Protocol error: "));
    KV_ASSERT(parser.buffered_bytes() == 0);
    parser.Feed("*1\r\n$4\r\nPING\r\nPING\r\n");
    Words args;
    KV_ASSERT(parser.Next(&args) == RespParser::Result::kError);
    KV_ASSERT(parser.error() == out.error);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  RespParserOptions options;
  if (data[0] & 1) {
    options.bulk_bytes_max = 64;
    options.multibulk_count_max = 8;
    options.inline_bytes_max = 32;
  }
  const uint32_t seed = data[1] + 1u;
  const absl::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  const Outcome whole = Parse(input, options, 0);
  const Outcome pieces = Parse(input, options, seed);
  KV_ASSERT_MSG(whole == pieces, "the parse depends on how the input was split");

  // What was parsed re-encodes to requests that parse back to the same words.
  std::string encoded;
  for (const Words& w : whole.commands) encoded += kv::RespCommand(w);
  RespParserOptions roomy = options;
  roomy.inline_bytes_max = std::max<size_t>(roomy.inline_bytes_max, 64);
  roomy.multibulk_count_max = size_t{1} << 20;  // an inline line may hold more words
  const Outcome again = Parse(encoded, roomy, seed);
  KV_ASSERT(again.error.empty());
  KV_ASSERT(again.commands == whole.commands);
  return 0;
}
