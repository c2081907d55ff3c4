#include "tools/kvsim/args.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace kv::tools {

absl::StatusOr<uint64_t> ParseSeed(const std::string& text) {
  const std::string t(absl::StripAsciiWhitespace(text));
  uint64_t seed = 0;
  bool ok = false;
  if (t.size() > 2 && (t[0] == '0') && (t[1] == 'x' || t[1] == 'X')) {
    ok = absl::SimpleHexAtoi(t.substr(2), &seed) && t.substr(2).find_first_not_of(
                                                        "0123456789abcdefABCDEF") == std::string::npos;
  } else {
    ok = !t.empty() && t.find_first_not_of("0123456789") == std::string::npos &&
         absl::SimpleAtoi(t, &seed);
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid seed '", text, "': expected a 64-bit number, decimal (42) or hexadecimal (0x2a)"));
  }
  return seed;
}

absl::StatusOr<absl::Duration> ParsePositiveDuration(const std::string& text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d <= absl::ZeroDuration() || d == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid duration '", text, "': expected a positive duration such as 60s, 5m or 1h30m"));
  }
  return d;
}

}  // namespace kv::tools
