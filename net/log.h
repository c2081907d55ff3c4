// Process logging through the seam: the simulator stamps lines with simulated time and the process
// name (and can keep them out of the way of the report); the real runtime writes to stderr.
#pragma once

#include "absl/strings/string_view.h"

namespace kv {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

const char* LogLevelName(LogLevel level);

class Logger {
 public:
  virtual ~Logger() = default;
  virtual void Log(LogLevel level, absl::string_view message) = 0;
  virtual bool Enabled(LogLevel level) const = 0;
};

}  // namespace kv
