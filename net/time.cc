#include "net/time.h"

#include "absl/strings/str_format.h"

namespace kv {

std::string MonoTime::ToString() const {
  return absl::StrFormat("%d.%09ds", ns_ / 1000000000, ns_ % 1000000000);
}

int64_t MonoTime::ToNanosSaturating(Duration d) {
  if (d == absl::InfiniteDuration()) return INT64_MAX;
  if (d == -absl::InfiniteDuration()) return INT64_MIN;
  return absl::ToInt64Nanoseconds(d);
}

int64_t MonoTime::SaturatingAdd(int64_t a, int64_t b) {
  int64_t out;
  if (__builtin_add_overflow(a, b, &out)) return b > 0 ? INT64_MAX : INT64_MIN;
  return out;
}

}  // namespace kv
