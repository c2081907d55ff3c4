#include "net/resp.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/assert.h"

namespace kv {

bool ParseRespInteger(absl::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  size_t i = 0;
  const bool negative = text[0] == '-';
  if (negative) ++i;
  if (i == text.size()) return false;
  if (text[i] == '0') {
    if (negative || text.size() != 1) return false;
    *out = 0;
    return true;
  }
  uint64_t magnitude = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (magnitude > (UINT64_MAX - digit) / 10) return false;
    magnitude = magnitude * 10 + digit;
  }
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (magnitude > limit) return false;
  *out = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
  return true;
}

namespace {

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Splits an inline request line into words, with sdssplitargs's quoting rules (see resp.h).
// False if a quote is unbalanced or a closing quote is followed by something other than space.
bool SplitInlineArgs(absl::string_view line, std::vector<std::string>* words) {
  words->clear();
  size_t i = 0;
  const size_t end = line.size();
  while (true) {
    while (i < end && IsSpace(line[i])) ++i;
    if (i == end) return true;
    std::string word;
    enum { kPlain, kDouble, kSingle } mode = kPlain;
    bool done = false;
    while (!done) {
      if (mode == kDouble) {
        if (i == end) return false;
        const char c = line[i];
        if (c == '\\' && i + 3 < end && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          word += static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3]));
          i += 4;
        } else if (c == '\\' && i + 1 < end) {
          const char e = line[i + 1];
          switch (e) {
            case 'n': word += '\n'; break;
            case 'r': word += '\r'; break;
            case 't': word += '\t'; break;
            case 'b': word += '\b'; break;
            case 'a': word += '\a'; break;
            default: word += e; break;
          }
          i += 2;
        } else if (c == '"') {
          ++i;
          if (i < end && !IsSpace(line[i])) return false;
          done = true;
        } else {
          word += c;
          ++i;
        }
      } else if (mode == kSingle) {
        if (i == end) return false;
        const char c = line[i];
        if (c == '\\' && i + 1 < end && line[i + 1] == '\'') {
          word += '\'';
          i += 2;
        } else if (c == '\'') {
          ++i;
          if (i < end && !IsSpace(line[i])) return false;
          done = true;
        } else {
          word += c;
          ++i;
        }
      } else {
        if (i == end || IsSpace(line[i])) {
          done = true;
        } else if (line[i] == '"') {
          mode = kDouble;
          ++i;
        } else if (line[i] == '\'') {
          mode = kSingle;
          ++i;
        } else {
          word += line[i];
          ++i;
        }
      }
    }
    words->push_back(std::move(word));
  }
}

}  // namespace

RespParser::RespParser(RespParserOptions options) : options_(options) {
  KV_ASSERT(options_.inline_bytes_max > 0);
  KV_ASSERT(options_.multibulk_count_max > 0);
}

void RespParser::Feed(absl::string_view bytes) {
  if (failed()) return;
  Compact();
  buffer_.append(bytes.data(), bytes.size());
}

void RespParser::Compact() {
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  } else if (pos_ >= (size_t{16} << 10) && pos_ * 2 >= buffer_.size()) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
}

RespParser::Step RespParser::Fail(absl::string_view message) {
  KV_ASSERT(!message.empty());
  error_ = absl::StrCat("Protocol error: ", message);
  buffer_.clear();
  buffer_.shrink_to_fit();
  pos_ = 0;
  partial_args_.clear();
  partial_count_ = 0;
  partial_args_bytes_ = 0;
  return Step::kError;
}

RespParser::Result RespParser::Next(std::vector<std::string>* args) {
  KV_ASSERT(args != nullptr);
  if (failed()) return Result::kError;
  // Each pass either returns or consumes at least one byte (an empty request), so this ends.
  while (true) {
    if (!in_multibulk_) {
      if (pos_ == buffer_.size()) return Result::kNeedMore;
      if (buffer_[pos_] != '*') {
        const Step step = ParseInline(args);
        if (step == Step::kNeedMore) return Result::kNeedMore;
        if (step == Step::kError) return Result::kError;
        if (args->empty()) continue;  // an empty line
        return Result::kCommand;
      }
      int64_t count = 0;
      const Step step =
          ParseHeaderLine(&count, "too big mbulk count string", "invalid multibulk length");
      if (step == Step::kNeedMore) return Result::kNeedMore;
      if (step == Step::kError) return Result::kError;
      if (count > 0 && static_cast<uint64_t>(count) > options_.multibulk_count_max) {
        Fail("invalid multibulk length");
        return Result::kError;
      }
      if (count <= 0) continue;  // "*0" and "*-1": nothing to run
      in_multibulk_ = true;
      args_left_ = count;
      bulk_len_ = -1;
      partial_count_ = 0;
      partial_args_.reserve(static_cast<size_t>(std::min<int64_t>(count, 1024)));
      partial_args_bytes_ = 0;
    }
    const Step step = ParseMultibulk();
    if (step == Step::kNeedMore) return Result::kNeedMore;
    if (step == Step::kError) return Result::kError;
    KV_ASSERT(args_left_ == 0);
    KV_ASSERT(partial_count_ > 0);
    partial_args_.resize(partial_count_);
    // The caller's previous strings come back to be refilled by the next request, but not a
    // large buffer, which an idle connection would hold.
    std::swap(*args, partial_args_);
    ReleaseLargeArgs(partial_args_);
    partial_count_ = 0;
    partial_args_bytes_ = 0;
    in_multibulk_ = false;
    return Result::kCommand;
  }
}

void RespParser::ReleaseLargeArgs(std::vector<std::string>& words) {
  // Swapped with an empty string: assigning a short one would keep the buffer.
  for (std::string& word : words) {
    if (word.capacity() > kReusedArgBytes) std::string().swap(word);
  }
}

void RespParser::AddArg(absl::string_view arg) {
  if (partial_count_ == partial_args_.size()) {
    partial_args_.emplace_back(arg);
  } else {
    partial_args_[partial_count_].assign(arg.data(), arg.size());
  }
  ++partial_count_;
}

RespParser::Step RespParser::ParseInline(std::vector<std::string>* args) {
  const size_t available = buffer_.size() - pos_;
  const char* start = buffer_.data() + pos_;
  const void* found = std::memchr(start, '\n', available);
  if (found == nullptr) {
    // The line is at least this long already.
    if (available > options_.inline_bytes_max) return Fail("too big inline request");
    return Step::kNeedMore;
  }
  const size_t newline = static_cast<size_t>(static_cast<const char*>(found) - start);
  if (newline > options_.inline_bytes_max) return Fail("too big inline request");
  size_t length = newline;
  if (length > 0 && start[length - 1] == '\r') --length;
  const absl::string_view line(start, length);
  if (!SplitInlineArgs(line, args)) return Fail("unbalanced quotes in request");
  pos_ += newline + 1;
  return Step::kDone;
}

RespParser::Step RespParser::ParseHeaderLine(int64_t* number, const char* too_big,
                                             const char* invalid) {
  const size_t available = buffer_.size() - pos_;
  KV_ASSERT(available > 0);
  const char* start = buffer_.data() + pos_;
  const void* found = std::memchr(start, '\r', available);
  if (found == nullptr) {
    if (available > options_.inline_bytes_max) return Fail(too_big);
    return Step::kNeedMore;
  }
  const size_t cr = static_cast<size_t>(static_cast<const char*>(found) - start);
  if (cr > options_.inline_bytes_max) return Fail(too_big);
  if (cr + 2 > available) return Step::kNeedMore;  // the byte after "\r" (the "\n") is missing
  if (!ParseRespInteger(absl::string_view(start + 1, cr - 1), number)) return Fail(invalid);
  pos_ += cr + 2;
  return Step::kDone;
}

RespParser::Step RespParser::ParseMultibulk() {
  while (args_left_ > 0) {
    if (bulk_len_ < 0) {
      if (pos_ == buffer_.size()) return Step::kNeedMore;
      const char first = buffer_[pos_];
      if (first != '$') {
        return Fail(absl::StrCat("expected '$', got '", absl::string_view(&first, 1), "'"));
      }
      int64_t length = 0;
      const Step step =
          ParseHeaderLine(&length, "too big bulk count string", "invalid bulk length");
      if (step != Step::kDone) return step;
      if (length < 0 || static_cast<uint64_t>(length) > options_.bulk_bytes_max) {
        return Fail("invalid bulk length");
      }
      bulk_len_ = length;
    }
    const size_t need = static_cast<size_t>(bulk_len_) + 2;
    if (buffer_.size() - pos_ < need) return Step::kNeedMore;
    AddArg(absl::string_view(buffer_.data() + pos_, static_cast<size_t>(bulk_len_)));
    partial_args_bytes_ += static_cast<size_t>(bulk_len_);
    pos_ += need;
    bulk_len_ = -1;
    --args_left_;
  }
  return Step::kDone;
}

void RespWriter::Line(char type, absl::string_view text) {
  out_ += type;
  const size_t at = out_.size();
  out_.append(text.data(), text.size());
  for (size_t i = at; i < out_.size(); ++i) {
    if (out_[i] == '\r' || out_[i] == '\n') out_[i] = ' ';
  }
  out_ += "\r\n";
}

RespWriter& RespWriter::SimpleString(absl::string_view text) {
  Line('+', text);
  return *this;
}

RespWriter& RespWriter::Error(absl::string_view text) {
  KV_ASSERT(!text.empty());
  Line('-', text);
  return *this;
}

RespWriter& RespWriter::Integer(int64_t value) {
  absl::StrAppend(&out_, ":", value, "\r\n");
  return *this;
}

RespWriter& RespWriter::Bulk(absl::string_view bytes) {
  absl::StrAppend(&out_, "$", bytes.size(), "\r\n");
  out_.append(bytes.data(), bytes.size());
  out_ += "\r\n";
  return *this;
}

RespWriter& RespWriter::NullBulk() {
  out_ += "$-1\r\n";
  return *this;
}

RespWriter& RespWriter::ArrayHeader(size_t count) {
  absl::StrAppend(&out_, "*", count, "\r\n");
  return *this;
}

RespWriter& RespWriter::NullArray() {
  out_ += "*-1\r\n";
  return *this;
}

RespWriter& RespWriter::Append(const RespWriter& other) {
  out_ += other.out_;
  return *this;
}

std::string RespWriter::Take() {
  std::string out = std::move(out_);
  out_.clear();
  return out;
}

std::string RespCommand(const std::vector<std::string>& args) {
  RespWriter w;
  w.ArrayHeader(args.size());
  for (const std::string& a : args) w.Bulk(a);
  return w.Take();
}

}  // namespace kv
