// The real executor: fibers, timers and cancellation on a Boost.Asio io_context.
#include "net/asio_executor.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/fiber.h"
#include "net/future.h"

namespace kv {
namespace {

TEST(AsioExecutorTest, FibersSleepAndWakeInDeadlineOrder) {
  AsioExecutor executor;
  FiberScheduler fibers(&executor);
  std::vector<int> order;
  for (int ms : {15, 5, 10}) {
    fibers.Spawn("sleeper", [&order, ms] {
      FiberSleep(absl::Milliseconds(ms));
      order.push_back(ms);
    });
  }
  const MonoTime start = executor.Now();
  executor.Run();
  EXPECT_EQ(order, (std::vector<int>{5, 10, 15}));
  EXPECT_GE(executor.Now() - start, absl::Milliseconds(15));
  EXPECT_EQ(fibers.fiber_count(), 0u);
}

TEST(AsioExecutorTest, FutureTimeoutsAndCancelledTimersWork) {
  AsioExecutor executor;
  FiberScheduler fibers(&executor);
  absl::StatusCode code = absl::StatusCode::kOk;
  bool cancelled_timer_ran = false;
  fibers.Spawn("waiter", [&] {
    Promise<int> never;
    Future<int> f = never.GetFuture();
    code = f.GetFor(absl::Milliseconds(3)).status().code();
    const TimerId t = executor.RunAt(executor.Now() + absl::Milliseconds(1),
                                     [&] { cancelled_timer_ran = true; });
    executor.Cancel(t);
    FiberSleep(absl::Milliseconds(5));
  });
  executor.Run();
  EXPECT_EQ(code, absl::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(cancelled_timer_ran);
}

TEST(AsioExecutorTest, WallClockIsTheSystemClock) {
  AsioExecutor executor;
  const absl::Duration skew = executor.WallNow() - absl::Now();
  EXPECT_LT(absl::AbsDuration(skew), absl::Seconds(5));
}

}  // namespace
}  // namespace kv
