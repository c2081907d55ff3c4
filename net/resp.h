// RESP2, the Redis serialization protocol: an incremental parser of client requests and an
// encoder of replies. Pure: no I/O, no fibers, no clocks; the front end (node/api/redis_server.h)
// feeds it bytes as they arrive and writes what the encoder built.
//
// Requests come in two forms, chosen by the first byte of each request (as Redis does):
//   multibulk  "*<count>\r\n" then <count> times "$<len>\r\n<len bytes>\r\n"   (binary-safe)
//   inline     a line of words ending in "\n" (optionally "\r\n"), split on whitespace; words
//              may be quoted as redis-cli and sdssplitargs do: "double quotes" with escapes
//              (\n \r \t \b \a \\ \" \xHH) and 'single quotes' (only \' escaped). A closing quote
//              must be followed by whitespace or the end of the line.
// Requests with no words ("*0\r\n", "*-1\r\n", an empty line) are skipped, as Redis does.
//
// Errors follow Redis's wording (the reply is "-ERR " + error()), and are sticky: after one the
// parser answers kError forever and ignores further input; the connection must be answered
// with the error and closed. Unlike Redis, which reacts to what one read() happened to return,
// every check here depends only on the byte stream, never on how it was split: the same bytes fed
// whole or one at a time give the same commands and the same error. (E.g. an inline line longer
// than inline_bytes_max is refused whether or not its newline has arrived yet.) Like Redis, the
// two bytes after a bulk's data are skipped without checking that they are "\r\n", and so is the
// byte after a header line's "\r".
//
// Limits (RespParserOptions): a bulk's declared length (Redis's proto-max-bulk-len, 512 MiB), a
// multibulk's count (1M), and any header line or inline request (64 KiB). The parser buffers at
// most one partial request; how big it may grow is the caller's limit (buffered_bytes()).
//
// Threading: none; one parser per connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace kv {

struct RespParserOptions {
  // Longest bulk string accepted: a longer declared length is "invalid bulk length".
  size_t bulk_bytes_max = size_t{512} << 20;
  // Most arguments in one multibulk request: more is "invalid multibulk length".
  size_t multibulk_count_max = 1024 * 1024;
  // Longest inline request line, and longest "*<count>" / "$<len>" header line.
  size_t inline_bytes_max = 64 << 10;
};

class RespParser {
 public:
  enum class Result {
    kCommand,   // a complete request: its words are in *args (at least one)
    kNeedMore,  // everything fed so far is consumed or buffered; Feed more
    kError,     // a protocol error: error() says which; sticky
  };

  explicit RespParser(RespParserOptions options = {});

  // Appends bytes to the input. Ignored after an error.
  void Feed(absl::string_view bytes);

  // Parses the next request from the input. On kCommand, replaces *args with its words (binary
  // strings, possibly empty) and consumes the request's bytes. REQUIRES: args != nullptr.
  // The strings *args held before are kept and refilled by later requests (those of at most
  // kReusedArgBytes): a caller that passes the same vector each time, and gives back the ones it
  // moved elsewhere, parses without allocating once the shapes repeat.
  Result Next(std::vector<std::string>* args);
  static constexpr size_t kReusedArgBytes = 2048;
  // Frees the buffers of `words` larger than kReusedArgBytes (emptying those words), so that
  // strings kept for reuse never pin a large value's memory.
  static void ReleaseLargeArgs(std::vector<std::string>& words);

  // "Protocol error: ..." after kError; empty before.
  const std::string& error() const { return error_; }
  bool failed() const { return !error_.empty(); }

  // Bytes held for the partial request: unparsed input plus the arguments of a multibulk
  // request parsed so far. What a query-buffer limit compares against.
  size_t buffered_bytes() const { return buffer_.size() - pos_ + partial_args_bytes_; }

  const RespParserOptions& options() const { return options_; }

 private:
  enum class Step { kDone, kNeedMore, kError };
  // Parses one inline request line at pos_.
  Step ParseInline(std::vector<std::string>* args);
  // Parses (the rest of) a multibulk request at pos_; resumable across calls.
  Step ParseMultibulk();
  // Finds the header line at pos_ ending in "\r" followed by one more byte. On kDone, *number
  // holds the integer after its first byte and pos_ is past the line. `too_big` and `invalid`
  // are the errors for an over-long line and a malformed or out-of-range number.
  Step ParseHeaderLine(int64_t* number, const char* too_big, const char* invalid);
  Step Fail(absl::string_view message);
  // Drops consumed input when it is worth the copy.
  void Compact();

  RespParserOptions options_;
  std::string buffer_;
  size_t pos_ = 0;  // first unconsumed byte of buffer_
  std::string error_;
  // Multibulk state of the request being parsed.
  bool in_multibulk_ = false;
  int64_t args_left_ = 0;    // arguments still to read
  int64_t bulk_len_ = -1;    // length of the bulk whose header was read; -1: none
  // Appends an argument to the request being parsed, refilling a kept string if there is one.
  void AddArg(absl::string_view arg);

  // The arguments of the request being parsed are its first partial_count_ strings; the rest
  // are kept for reuse.
  std::vector<std::string> partial_args_;
  size_t partial_count_ = 0;
  size_t partial_args_bytes_ = 0;
};

// Builds replies. Each call appends one RESP2 value (an array header is followed by its
// elements, appended by the next calls). The text of simple strings and errors is one line:
// "\r" and "\n" in it are replaced by spaces, as Redis does for error messages.
class RespWriter {
 public:
  RespWriter& SimpleString(absl::string_view text);  // +text
  // An error reply; `text` starts with its code: "ERR syntax error", "NOAUTH ...".
  RespWriter& Error(absl::string_view text);         // -text
  RespWriter& Integer(int64_t value);                // :value
  RespWriter& Bulk(absl::string_view bytes);         // $len bytes
  RespWriter& NullBulk();                            // $-1
  RespWriter& ArrayHeader(size_t count);             // *count, then `count` values
  RespWriter& NullArray();                           // *-1
  // Appends every reply `other` holds (built elsewhere, in order).
  RespWriter& Append(const RespWriter& other);

  const std::string& data() const { return out_; }
  size_t size() const { return out_.size(); }
  bool empty() const { return out_.empty(); }
  // Hands over the bytes built so far and starts empty.
  std::string Take();

 private:
  void Line(char type, absl::string_view text);
  std::string out_;
};

// `args` as a multibulk request, the form redis-cli sends (for clients and tests).
std::string RespCommand(const std::vector<std::string>& args);

// Redis's integer syntax (string2ll), for header lines and command arguments alike: an optional
// '-', then decimal digits without leading zeros ("0" itself is fine, "-0" is not), fitting an
// int64. No '+', no spaces, not empty. False (and *out untouched) otherwise.
bool ParseRespInteger(absl::string_view text, int64_t* out);

}  // namespace kv
