// Time types of the seam. Durations are absl::Duration. Monotonic time (MonoTime) and wall time
// (WallTime = absl::Time) are distinct types so one cannot be passed for the other: monotonic time
// never jumps and is what timers and timeouts use; wall time may be skewed or jump (per node, in the
// simulator) and is only for TTL expiry and last-writer-wins timestamps.
#pragma once

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace kv {

using Duration = absl::Duration;
using WallTime = absl::Time;

// A point on a process's monotonic clock, in nanoseconds since an arbitrary origin (the simulation
// start in the simulator, process start in real mode). Only differences are meaningful.
class MonoTime {
 public:
  constexpr MonoTime() = default;
  static constexpr MonoTime FromNanos(int64_t ns) { return MonoTime(ns); }
  static constexpr MonoTime Max() { return MonoTime(INT64_MAX); }

  constexpr int64_t nanos() const { return ns_; }
  Duration SinceOrigin() const { return absl::Nanoseconds(ns_); }

  friend MonoTime operator+(MonoTime t, Duration d) {
    return MonoTime(SaturatingAdd(t.ns_, ToNanosSaturating(d)));
  }
  friend MonoTime operator-(MonoTime t, Duration d) {
    return MonoTime(SaturatingAdd(t.ns_, -ToNanosSaturating(d)));
  }
  friend Duration operator-(MonoTime a, MonoTime b) { return absl::Nanoseconds(a.ns_ - b.ns_); }
  friend constexpr auto operator<=>(MonoTime a, MonoTime b) = default;

  // "12.345678s" since origin; for traces and reports.
  std::string ToString() const;

 private:
  constexpr explicit MonoTime(int64_t ns) : ns_(ns) {}
  static int64_t ToNanosSaturating(Duration d);
  static int64_t SaturatingAdd(int64_t a, int64_t b);

  int64_t ns_ = 0;
};

}  // namespace kv
