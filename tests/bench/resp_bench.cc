// The Redis-protocol front end's pure parts (net/resp.h): parsing client requests as they arrive
// (one at a time, pipelined, split across reads, inline) and building replies.
//
//   build/release/tests/bench/resp_bench
//
// Items/s is requests (or replies) per second; bytes/s the request bytes parsed.
#include <cstddef>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/resp.h"

namespace kv {
namespace {

// `count` multibulk SET requests of `value_bytes`-byte values (every fourth one a GET), as
// redis-benchmark or a pipelining client sends them.
std::string RespRequestStream(size_t count, size_t value_bytes) {
  std::string stream;
  const std::string value(value_bytes, 'x');
  for (size_t i = 0; i < count; ++i) {
    const std::string key = absl::StrCat("key:", 100000 + i);
    stream += (i % 4 == 3) ? RespCommand({"GET", key}) : RespCommand({"SET", key, value});
  }
  return stream;
}

// Parses everything fed so far; returns the number of requests. Asserts none failed.
size_t DrainRequests(RespParser& parser, std::vector<std::string>& args) {
  size_t requests = 0;
  for (;;) {
    const RespParser::Result r = parser.Next(&args);
    KV_ASSERT(r != RespParser::Result::kError);
    if (r == RespParser::Result::kNeedMore) return requests;
    ++requests;
  }
}

// args: pipeline depth, value bytes. One iteration = one read() worth of `depth` requests fed
// whole and parsed (depth 1 is a client waiting for each reply; 16 is redis-benchmark -P 16).
void BM_RespParsePipeline(benchmark::State& state) {
  const auto depth = static_cast<size_t>(state.range(0));
  const std::string stream = RespRequestStream(depth, static_cast<size_t>(state.range(1)));
  RespParser parser;
  std::vector<std::string> args;
  for (auto _ : state) {
    parser.Feed(stream);
    const size_t parsed = DrainRequests(parser, args);
    KV_ASSERT(parsed == depth);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(depth));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stream.size()));
}
BENCHMARK(BM_RespParsePipeline)
    ->ArgNames({"depth", "value_bytes"})
    ->ArgsProduct({{1, 16, 256}, {3, 1024}});

// args: chunk bytes, value bytes. 64 requests arriving in reads of `chunk` bytes, so requests
// straddle reads and the parser resumes mid-header and mid-bulk.
void BM_RespParseSplitReads(benchmark::State& state) {
  const auto chunk = static_cast<size_t>(state.range(0));
  constexpr size_t kRequests = 64;
  const std::string stream = RespRequestStream(kRequests, static_cast<size_t>(state.range(1)));
  RespParser parser;
  std::vector<std::string> args;
  for (auto _ : state) {
    size_t parsed = 0;
    for (size_t at = 0; at < stream.size(); at += chunk) {
      parser.Feed(absl::string_view(stream).substr(at, chunk));
      parsed += DrainRequests(parser, args);
    }
    KV_ASSERT(parsed == kRequests);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kRequests));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stream.size()));
}
BENCHMARK(BM_RespParseSplitReads)
    ->ArgNames({"chunk", "value_bytes"})
    ->ArgsProduct({{7, 512, 4096}, {3, 1024}});

// Inline requests (what a person types into telnet; redis-cli sends multibulk), 16 per read.
void BM_RespParseInline(benchmark::State& state) {
  std::string stream;
  constexpr size_t kRequests = 16;
  for (size_t i = 0; i < kRequests; ++i) {
    stream += absl::StrCat("SET key:", i, " \"some value\\twith escapes\"\r\n");
  }
  RespParser parser;
  std::vector<std::string> args;
  for (auto _ : state) {
    parser.Feed(stream);
    KV_ASSERT(DrainRequests(parser, args) == kRequests);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kRequests));
}
BENCHMARK(BM_RespParseInline);

// arg: value bytes. One iteration = 16 replies to GET (bulk) and SET (+OK), as one pipelined
// batch is answered, and the bytes handed over.
void BM_RespWriteReplies(benchmark::State& state) {
  const std::string value(static_cast<size_t>(state.range(0)), 'v');
  RespWriter writer;
  for (auto _ : state) {
    for (int i = 0; i < 8; ++i) {
      writer.Bulk(value);
      writer.SimpleString("OK");
    }
    const std::string out = writer.Take();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 16);
}
BENCHMARK(BM_RespWriteReplies)->Arg(3)->Arg(1024);

}  // namespace
}  // namespace kv
