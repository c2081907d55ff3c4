// Real-mode processes inside one test or benchmark: the Boost.Asio event loop and fibers, no
// network (or the test's own TCP). Shared by the real-mode tests and the engine benchmark.
#pragma once

#include <utility>

#include "absl/functional/any_invocable.h"
#include "net/asio_executor.h"
#include "net/fault_points.h"
#include "net/fiber.h"
#include "net/null_transport.h"
#include "net/random.h"
#include "net/runtime.h"
#include "net/stderr_logger.h"

namespace kv::testing {

// Runs `body` on a fiber of `fibers` and drives `executor` until it returns or `limit` passes,
// then cancels every fiber still alive (servers left waiting). True if `body` finished.
inline bool RunFiberFor(AsioExecutor& executor, FiberScheduler& fibers,
                        absl::AnyInvocable<void()> body, Duration limit) {
  bool finished = false;
  const TimerId watchdog = executor.RunAt(executor.Now() + limit, [&executor] { executor.Stop(); });
  fibers.Spawn("test", [&] {
    body();
    finished = true;
    executor.Cancel(watchdog);
    executor.Stop();
  });
  executor.Run();
  fibers.CancelAll();
  return finished;
}

// A single real process (node 1) without a network: enough to run the storage engine's fibers.
struct RealProcess {
  AsioExecutor executor;
  FiberScheduler fibers{&executor};
  NullTransport transport{1};
  Random random{1};
  NoFaultPoints fault_points;
  StderrLogger logger{"test", LogLevel::kWarn};
  Runtime runtime{Runtime::Parts{1, &executor, &executor, &fibers, &transport, &random,
                                 &fault_points, &logger}};

  // Runs `body` on a fiber and drives the event loop until nothing is left to do.
  void RunOnFiber(absl::AnyInvocable<void()> body) {
    fibers.Spawn("main", std::move(body));
    executor.Run();
  }
};

}  // namespace kv::testing
