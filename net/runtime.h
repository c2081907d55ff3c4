// The runtime seam of one node process: everything node code needs from outside except the disk
// (storage/file_system.h). main() builds one, real (net/real_*) or simulated (sim/), and hands it to
// the node; node code never asks which one it got.
//
// Threading: a Runtime and everything reachable from it belong to one OS thread, and node code runs
// only on fibers of its FiberScheduler (or in short executor tasks). The Runtime does not own its
// parts; whoever built it keeps them alive longer than every fiber of the process.
#pragma once

#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "net/assert.h"
#include "net/clock.h"
#include "net/executor.h"
#include "net/fault_points.h"
#include "net/fiber.h"
#include "net/log.h"
#include "net/random.h"
#include "net/transport.h"

namespace kv {

class Runtime {
 public:
  struct Parts {
    NodeId self = kNoNode;
    Clock* clock = nullptr;
    Executor* executor = nullptr;
    FiberScheduler* fibers = nullptr;
    Transport* transport = nullptr;
    Random* random = nullptr;
    FaultPoints* fault_points = nullptr;
    Logger* logger = nullptr;
  };

  // REQUIRES: every part non-null.
  explicit Runtime(Parts parts);

  NodeId self() const { return p_.self; }
  MonoTime Now() const { return p_.clock->MonoNow(); }
  WallTime WallNow() const { return p_.clock->WallNow(); }

  FiberHandle Spawn(FiberName name, absl::AnyInvocable<void()> fn) {
    return p_.fibers->Spawn(std::move(name), std::move(fn));
  }

  Clock& clock() const { return *p_.clock; }
  Executor& executor() const { return *p_.executor; }
  FiberScheduler& fibers() const { return *p_.fibers; }
  Transport& transport() const { return *p_.transport; }
  Random& random() const { return *p_.random; }
  FaultPoints& fault_points() const { return *p_.fault_points; }
  Logger& logger() const { return *p_.logger; }

  template <typename... Args>
  void Log(LogLevel level, const absl::FormatSpec<Args...>& format, const Args&... args) const {
    if (p_.logger->Enabled(level)) p_.logger->Log(level, absl::StrFormat(format, args...));
  }

 private:
  Parts p_;
};

}  // namespace kv
