// The RESP2 parser and reply encoder: requests split at every byte boundary parse alike, binary
// arguments survive, malformed input gets Redis's error text, limits hold, errors are sticky.
#include "net/resp.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace kv {
namespace {

using namespace std::string_literals;
using Words = std::vector<std::string>;

// What a parser made of some input: its commands, then "need more" or the error.
struct Parsed {
  std::vector<Words> commands;
  std::string error;  // empty: it needs more input
  bool operator==(const Parsed&) const = default;
};

// Drains every command the parser has.
void Drain(RespParser& parser, Parsed& out) {
  Words args;
  while (true) {
    RespParser::Result r = parser.Next(&args);
    if (r == RespParser::Result::kNeedMore) return;
    if (r == RespParser::Result::kError) {
      out.error = parser.error();
      return;
    }
    out.commands.push_back(args);
  }
}

// Feeds `input` in pieces cut at `cuts` (ascending offsets), draining after each.
Parsed ParseInPieces(const std::string& input, const std::vector<size_t>& cuts,
                     RespParserOptions options = {}) {
  RespParser parser(options);
  Parsed out;
  size_t at = 0;
  for (size_t cut : cuts) {
    parser.Feed(absl::string_view(input).substr(at, cut - at));
    Drain(parser, out);
    at = cut;
  }
  parser.Feed(absl::string_view(input).substr(at));
  Drain(parser, out);
  return out;
}

Parsed ParseWhole(const std::string& input, RespParserOptions options = {}) {
  return ParseInPieces(input, {}, options);
}

Parsed ParseByteByByte(const std::string& input, RespParserOptions options = {}) {
  std::vector<size_t> cuts;
  for (size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
  return ParseInPieces(input, cuts, options);
}

// The input parses the same whole, byte by byte and split in two at every offset.
void ExpectSplitIndependent(const std::string& input, RespParserOptions options = {}) {
  const Parsed whole = ParseWhole(input, options);
  EXPECT_EQ(ParseByteByByte(input, options), whole) << "byte by byte";
  for (size_t i = 0; i <= input.size(); ++i) {
    EXPECT_EQ(ParseInPieces(input, {i}, options), whole) << "split at " << i;
  }
}

std::string ErrorOf(const std::string& input, RespParserOptions options = {}) {
  return ParseWhole(input, options).error;
}

TEST(RespParserTest, ParsesMultibulkCommands) {
  const Parsed p = ParseWhole("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(p.commands, (std::vector<Words>{{"SET", "k", "value"}, {"PING"}}));
  EXPECT_EQ(p.error, "");
}

TEST(RespParserTest, ParsesInlineCommandsWithQuotes) {
  const Parsed p = ParseWhole(
      "PING\r\nset  k   v\n\r\n\nset \"a b\" 'c d'\r\nset \"\\x41\\n\\\"q\" 'it\\'s'\r\nget \"\"\n");
  EXPECT_EQ(p.commands, (std::vector<Words>{{"PING"},
                                            {"set", "k", "v"},
                                            {"set", "a b", "c d"},
                                            {"set", "A\n\"q", "it's"},
                                            {"get", ""}}));
  EXPECT_EQ(p.error, "");
}

TEST(RespParserTest, EmptyRequestsAreSkipped) {
  const Parsed p = ParseWhole("*0\r\n*-1\r\n\r\n   \r\n*1\r\n$4\r\nPING\r\n");
  EXPECT_EQ(p.commands, (std::vector<Words>{{"PING"}}));
}

TEST(RespParserTest, EveryByteBoundaryGivesTheSameCommands) {
  ExpectSplitIndependent(
      "*3\r\n$3\r\nSET\r\n$4\r\nk\r\nx\r\n$0\r\n\r\nPING\r\n*2\r\n$3\r\nGET\r\n$4\r\nk\r\nx\r\n"
      "echo \"a\\x00b\"\r\n");
  ExpectSplitIndependent("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$x\r\n");  // ends in an error
}

TEST(RespParserTest, BinaryArgumentsWithCrLfAndNulSurvive) {
  std::string key("a\r\nb\0c", 6);
  std::string value;
  for (int i = 0; i < 256; ++i) value += static_cast<char>(i);
  const std::string input = RespCommand({"SET", key, value});
  const Parsed p = ParseByteByByte(input);
  ASSERT_EQ(p.commands.size(), 1u);
  EXPECT_EQ(p.commands[0], (Words{"SET", key, value}));
  ExpectSplitIndependent(input);
}

TEST(RespParserTest, MalformedInputGetsRedisErrorText) {
  EXPECT_EQ(ErrorOf("*x\r\n"), "Protocol error: invalid multibulk length");
  EXPECT_EQ(ErrorOf("*01\r\n"), "Protocol error: invalid multibulk length");
  EXPECT_EQ(ErrorOf("*+1\r\n"), "Protocol error: invalid multibulk length");
  EXPECT_EQ(ErrorOf("*1\r\n+PING\r\n"), "Protocol error: expected '$', got '+'");
  EXPECT_EQ(ErrorOf("*1\r\nx"), "Protocol error: expected '$', got 'x'");
  EXPECT_EQ(ErrorOf("*1\r\n$-1\r\n"), "Protocol error: invalid bulk length");
  EXPECT_EQ(ErrorOf("*1\r\n$abc\r\n"), "Protocol error: invalid bulk length");
  EXPECT_EQ(ErrorOf("*1\r\n$99999999999999999999\r\n"), "Protocol error: invalid bulk length");
  EXPECT_EQ(ErrorOf("set \"abc\r\n"), "Protocol error: unbalanced quotes in request");
  EXPECT_EQ(ErrorOf("set 'a'b\r\n"), "Protocol error: unbalanced quotes in request");
  // Commands before the error are still delivered.
  const Parsed p = ParseWhole("PING\r\n*1\r\n$4\r\nECHO\r\n*1\r\n@");
  EXPECT_EQ(p.commands, (std::vector<Words>{{"PING"}, {"ECHO"}}));
  EXPECT_EQ(p.error, "Protocol error: expected '$', got '@'");
}

TEST(RespParserTest, LimitsAreEnforcedWhetherOrNotTheLineHasEnded) {
  RespParserOptions small;
  small.bulk_bytes_max = 10;
  small.multibulk_count_max = 3;
  small.inline_bytes_max = 16;
  EXPECT_EQ(ErrorOf("*1\r\n$11\r\n", small), "Protocol error: invalid bulk length");
  EXPECT_EQ(ParseWhole("*1\r\n$10\r\n0123456789\r\n", small).commands,
            (std::vector<Words>{{"0123456789"}}));
  EXPECT_EQ(ErrorOf("*4\r\n", small), "Protocol error: invalid multibulk length");
  EXPECT_EQ(ParseWhole("*3\r\n", small).error, "");
  const std::string long_line = "echo " + std::string(20, 'a');
  EXPECT_EQ(ErrorOf(long_line, small), "Protocol error: too big inline request");
  EXPECT_EQ(ErrorOf(long_line + "\r\n", small), "Protocol error: too big inline request");
  EXPECT_EQ(ParseWhole("echo 0123456789\r\n", small).commands,
            (std::vector<Words>{{"echo", "0123456789"}}));
  EXPECT_EQ(ErrorOf("*" + std::string(20, '1'), small),
            "Protocol error: too big mbulk count string");
  EXPECT_EQ(ErrorOf("*1\r\n$" + std::string(20, '1'), small),
            "Protocol error: too big bulk count string");
  ExpectSplitIndependent(long_line + "\r\n", small);
  ExpectSplitIndependent("*1\r\n$" + std::string(20, '1') + "\r\n", small);
}

TEST(RespParserTest, DefaultLimitsAreRedis) {
  RespParserOptions defaults;
  EXPECT_EQ(defaults.bulk_bytes_max, size_t{512} << 20);
  EXPECT_EQ(defaults.multibulk_count_max, 1024u * 1024u);
  EXPECT_EQ(defaults.inline_bytes_max, 64u << 10);
  EXPECT_EQ(ErrorOf("*1\r\n$536870913\r\n"), "Protocol error: invalid bulk length");
  EXPECT_EQ(ParseWhole("*1\r\n$536870912\r\n").error, "") << "waits for the data";
  EXPECT_EQ(ErrorOf("*1048577\r\n"), "Protocol error: invalid multibulk length");
  EXPECT_EQ(ErrorOf(std::string(65 << 10, 'a')), "Protocol error: too big inline request");
}

TEST(RespParserTest, ErrorsAreStickyAndDropInput) {
  RespParser parser;
  parser.Feed("*1\r\n$x\r\n");
  Words args;
  EXPECT_EQ(parser.Next(&args), RespParser::Result::kError);
  const std::string error = parser.error();
  parser.Feed("PING\r\n");
  EXPECT_EQ(parser.Next(&args), RespParser::Result::kError);
  EXPECT_EQ(parser.error(), error);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(RespParserTest, BufferedBytesCountThePartialRequest) {
  RespParser parser;
  Words args;
  parser.Feed("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\n01234");
  EXPECT_EQ(parser.Next(&args), RespParser::Result::kNeedMore);
  EXPECT_EQ(parser.buffered_bytes(), 3u + 1u + 5u) << "two arguments parsed, five bytes waiting";
  parser.Feed("56789\r\n");
  EXPECT_EQ(parser.Next(&args), RespParser::Result::kCommand);
  EXPECT_EQ(args, (Words{"SET", "k", "0123456789"}));
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

TEST(RespParserTest, ManyPipelinedCommandsWithLargeValues) {
  std::string input;
  std::vector<Words> expected;
  for (int i = 0; i < 200; ++i) {
    Words w{"SET", "key" + std::to_string(i), std::string(1000 + i, static_cast<char>('a' + i % 26))};
    input += RespCommand(w);
    expected.push_back(w);
  }
  RespParser parser;
  Parsed out;
  // Pieces of 4 KiB, as reads would return them.
  for (size_t at = 0; at < input.size(); at += 4096) {
    parser.Feed(absl::string_view(input).substr(at, 4096));
    Drain(parser, out);
  }
  EXPECT_EQ(out.commands, expected);
  EXPECT_EQ(parser.buffered_bytes(), 0u);
}

// The header's contract: a caller passing the same vector each time gets every command right
// whatever the shapes, small strings are refilled in place, and no large buffer is held on to.
TEST(RespParserTest, ArgumentStringsAreReusedAndLargeOnesReleased) {
  RespParser parser;
  Words args;
  auto next = [&](const Words& command) {
    parser.Feed(RespCommand(command));
    EXPECT_EQ(parser.Next(&args), RespParser::Result::kCommand);
    EXPECT_EQ(args, command);
  };
  next({"SET", "k1", std::string(1000, 'a')});
  next({"SET", "k2", std::string(1000, 'b')});
  const char* value_buffer = args[2].data();
  next({"SET", "k3", std::string(900, 'c')});
  next({"SET", "k4", std::string(1000, 'd')});
  EXPECT_EQ(args[2].data(), value_buffer) << "the value string of two commands ago is refilled";
  // Shapes change: fewer words, more words, a moved-out word, an empty one.
  next({"PING"});
  next({"MSET", "a", "1", "b", "2", "c", ""});
  std::string taken = std::move(args[1]);
  next({"GET", "a"});
  EXPECT_EQ(taken, "a");
  next({"SET", "big", std::string(1 << 20, 'x')});
  for (const char* key : {"k5", "k6", "k7"}) {
    next({"SET", key, "v"});
    for (const std::string& word : args) {
      EXPECT_LE(word.capacity(), RespParser::kReusedArgBytes) << key << ": a 1 MiB buffer refilled";
    }
  }
}

TEST(RespParserTest, IntegersFollowRedisSyntax) {
  int64_t v = 7;
  EXPECT_TRUE(ParseRespInteger("0", &v));
  EXPECT_EQ(v, 0);
  EXPECT_TRUE(ParseRespInteger("-42", &v));
  EXPECT_EQ(v, -42);
  EXPECT_TRUE(ParseRespInteger("9223372036854775807", &v));
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_TRUE(ParseRespInteger("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
  for (const char* bad : {"", "-", "+1", " 1", "1 ", "01", "-0", "1.5", "9223372036854775808",
                          "-9223372036854775809", "99999999999999999999"}) {
    EXPECT_FALSE(ParseRespInteger(bad, &v)) << bad;
  }
}

TEST(RespWriterTest, EncodesEveryReplyType) {
  RespWriter w;
  w.SimpleString("OK").Error("ERR bad\r\nthing").Integer(-12).Bulk(std::string("a\0\r\n", 4));
  w.NullBulk().ArrayHeader(2).Bulk("x").NullArray();
  const std::string expected =
      "+OK\r\n-ERR bad  thing\r\n:-12\r\n$4\r\na\0\r\n\r\n$-1\r\n*2\r\n$1\r\nx\r\n*-1\r\n"s;
  EXPECT_EQ(w.data(), expected);
  EXPECT_EQ(w.Take(), expected);
  EXPECT_TRUE(w.empty());
}

TEST(RespWriterTest, CommandsRoundTripThroughTheParser) {
  const Words words{"MSET", "", std::string(3, '\0'), "\r\n", "*1\r\n$1\r\n"};
  const Parsed p = ParseWhole(RespCommand(words));
  EXPECT_EQ(p.commands, std::vector<Words>{words});
}

}  // namespace
}  // namespace kv
