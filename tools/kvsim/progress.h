// A progress line on a terminal (stderr) while a run goes on, erased when the run ends. Nothing
// when stderr is not a terminal.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <functional>

#include "absl/time/time.h"

namespace kv::tools {

class Progress {
 public:
  // `verb`: how the time is spent ("simulated", "ran").
  explicit Progress(bool enabled, const char* verb = "simulated")
      : enabled_(enabled && isatty(STDERR_FILENO) == 1), verb_(verb) {}
  ~Progress() {
    if (shown_) std::fprintf(stderr, "\r\033[K");
  }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // The hook to hand a run (null when disabled): called with the time so far and the workload's.
  std::function<void(absl::Duration, absl::Duration)> hook() {
    if (!enabled_) return nullptr;
    return [this](absl::Duration done, absl::Duration workload) {
      shown_ = true;
      if (done <= workload) {
        std::fprintf(stderr, "\r\033[K  %s %s of %s (%.0f%%)", verb_,
                     absl::FormatDuration(absl::Trunc(done, absl::Seconds(1))).c_str(),
                     absl::FormatDuration(workload).c_str(), 100 * absl::FDivDuration(done, workload));
      } else {
        std::fprintf(stderr, "\r\033[K  quiescing: %s after the workload",
                     absl::FormatDuration(absl::Trunc(done - workload, absl::Seconds(1))).c_str());
      }
      std::fflush(stderr);
    };
  }

 private:
  bool enabled_;
  const char* verb_;
  bool shown_ = false;
};

}  // namespace kv::tools
