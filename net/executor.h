// The event loop under a process's fibers. The simulator implements it on its event queue (one per
// simulated process, all on one thread); the real runtime implements it on a Boost.Asio io_context.
//
// Contract for every implementation:
//  - Tasks run one at a time on the executor's thread, never inline inside Post/RunAt.
//  - Tasks posted with Post run in the order they were posted, after tasks already due.
//  - A task scheduled with RunAt runs no earlier than `when` on this executor's monotonic clock;
//    tasks due at the same time run in the order they were scheduled.
//  - When the process stops (a simulated crash, or shutdown), pending tasks are dropped unrun.
//  - Tasks run outside any fiber and must not block.
#pragma once

#include <cstdint>

#include "absl/functional/any_invocable.h"
#include "net/time.h"

namespace kv {

using Task = absl::AnyInvocable<void()>;

// Identifies a scheduled task for cancellation. 0 is never a valid id.
using TimerId = uint64_t;

class Executor {
 public:
  virtual ~Executor() = default;

  // The process's monotonic clock.
  virtual MonoTime Now() const = 0;

  // Runs `task` soon, after tasks already due.
  virtual void Post(Task task) = 0;

  // Runs `task` at `when` (or now, if `when` has passed). Returns an id for Cancel.
  virtual TimerId RunAt(MonoTime when, Task task) = 0;

  // Drops a task scheduled with RunAt if it has not run yet. Cancelling a task that already ran or
  // was already cancelled is a no-op.
  virtual void Cancel(TimerId id) = 0;
};

}  // namespace kv
