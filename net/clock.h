// The clocks of one process. Monotonic time drives timers and timeouts and never jumps. Wall time is
// for TTL expiry and last-writer-wins timestamps; in the simulator each process's wall clock has its
// own offset and drift, and faults may jump it forward or back, so code must tolerate wall time
// that differs between nodes and goes backwards.
#pragma once

#include "net/time.h"

namespace kv {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoTime MonoNow() const = 0;
  virtual WallTime WallNow() const = 0;
};

}  // namespace kv
