#include "net/stderr_logger.h"

#include <cstdio>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace kv {

void StderrLogger::Log(LogLevel level, absl::string_view message) {
  if (!Enabled(level)) return;
  const std::string when = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::fprintf(stderr, "%s %s %s %.*s\n", when.c_str(), name_.c_str(), LogLevelName(level),
               static_cast<int>(message.size()), message.data());
}

}  // namespace kv
