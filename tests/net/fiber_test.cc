// Fibers on the simulator's executor: spawning, joining, timers, cancellation.
#include "net/fiber.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"
#include "support/sim_test_util.h"

namespace kv {
namespace {

using testing::AddFiberProcess;
using testing::RunOnFiber;

TEST(FiberTest, SpawnedFiberRunsAndJoinWaitsForIt) {
  std::vector<std::string> log;
  RunOnFiber([&](Runtime& rt) {
    FiberHandle child = rt.Spawn("child", [&] {
      log.push_back("child start");
      FiberSleep(absl::Milliseconds(10));
      log.push_back("child end");
    });
    log.push_back("parent spawned");
    child.Join();
    log.push_back("parent joined");
    EXPECT_TRUE(child.done());
  });
  EXPECT_EQ(log, (std::vector<std::string>{"parent spawned", "child start", "child end",
                                           "parent joined"}));
}

TEST(FiberTest, TimersFireInDeadlineOrderAtExactSimulatedTimes) {
  std::vector<std::pair<int, int64_t>> wakes;
  RunOnFiber([&](Runtime& rt) {
    std::vector<FiberHandle> fibers;
    for (int ms : {30, 10, 20, 10, 0}) {
      fibers.push_back(rt.Spawn("sleeper", [&wakes, &rt, ms] {
        FiberSleep(absl::Milliseconds(ms));
        wakes.emplace_back(ms, (rt.Now() - MonoTime()) / absl::Milliseconds(1));
      }));
    }
    for (auto& f : fibers) f.Join();
  });
  ASSERT_EQ(wakes.size(), 5u);
  // Equal deadlines wake in the order they were set.
  EXPECT_EQ(wakes, (std::vector<std::pair<int, int64_t>>{{0, 0}, {10, 10}, {10, 10}, {20, 20},
                                                         {30, 30}}));
}

struct Tracker {
  explicit Tracker(std::vector<std::string>* log, std::string name)
      : log(log), name(std::move(name)) {}
  ~Tracker() { log->push_back(name + " destroyed"); }
  std::vector<std::string>* log;
  std::string name;
};

TEST(FiberTest, CancelledFiberUnwindsRunningDestructorsAndSkipsTheRest) {
  std::vector<std::string> log;
  RunOnFiber([&](Runtime& rt) {
    FiberHandle victim = rt.Spawn("victim", [&] {
      Tracker t(&log, "victim's local");
      FiberSleep(absl::Hours(1));
      log.push_back("victim woke up");  // must never run
    });
    FiberSleep(absl::Milliseconds(5));
    victim.Cancel();
    victim.Join();
    log.push_back("joined at " + rt.Now().ToString());
  });
  EXPECT_EQ(log, (std::vector<std::string>{"victim's local destroyed", "joined at 0.005000000s"}));
}

TEST(FiberTest, CancelBeforeStartNeverRunsTheBody) {
  bool ran = false;
  RunOnFiber([&](Runtime& rt) {
    FiberHandle f = rt.Spawn("never", [&] { ran = true; });
    f.Cancel();
    f.Join();
  });
  EXPECT_FALSE(ran);
}

TEST(FiberTest, CrashCancelsEveryFiberNewestFirst) {
  sim::Simulator sim(7);
  std::vector<std::string> log;
  NodeId p = AddFiberProcess(sim, "p", [&](Runtime& rt, storage::FileSystem&) {
    Tracker main_local(&log, "main");
    rt.Spawn("first", [&] {
      Tracker t(&log, "first");
      FiberSleep(absl::Hours(1));
    });
    rt.Spawn("second", [&] {
      Tracker t(&log, "second");
      FiberSleep(absl::Hours(1));
    });
    FiberSleep(absl::Hours(1));
  });
  sim.Start(p);
  sim.RunFor(absl::Seconds(1));
  EXPECT_EQ(sim.process(p).fibers().fiber_count(), 3u);
  sim.Crash(p);
  EXPECT_EQ(log, (std::vector<std::string>{"second destroyed", "first destroyed", "main destroyed"}));
  EXPECT_FALSE(sim.process(p).alive());
  // Nothing of the crashed incarnation runs afterwards, though its timers were pending.
  sim.RunFor(absl::Hours(2));
  EXPECT_EQ(log.size(), 3u);
}

TEST(FiberTest, YieldLetsOtherFibersRun) {
  std::string order;
  RunOnFiber([&](Runtime& rt) {
    auto a = rt.Spawn("a", [&] {
      for (int i = 0; i < 3; ++i) {
        order += 'a';
        Yield();
      }
    });
    auto b = rt.Spawn("b", [&] {
      for (int i = 0; i < 3; ++i) {
        order += 'b';
        Yield();
      }
    });
    a.Join();
    b.Join();
  });
  EXPECT_EQ(order, "ababab");
}

TEST(FiberTest, OtherFibersReadySaysWhetherAYieldWouldLetAnotherFiberRun) {
  RunOnFiber([&](Runtime& rt) {
    EXPECT_FALSE(OtherFibersReady()) << "alone";
    bool ran = false;
    FiberHandle other = rt.Spawn("other", [&] { ran = true; });
    EXPECT_TRUE(OtherFibersReady()) << "a spawned fiber waits for its first turn";
    Yield();
    EXPECT_TRUE(ran);
    EXPECT_FALSE(OtherFibersReady()) << "the other fiber finished";
    FiberHandle sleeper = rt.Spawn("sleeper", [] { FiberSleep(absl::Seconds(1)); });
    Yield();
    EXPECT_FALSE(OtherFibersReady()) << "a sleeping fiber is not ready";
    sleeper.Join();
    other.Join();
  });
}

TEST(FiberTest, JoinUntilTimesOut) {
  RunOnFiber([&](Runtime& rt) {
    FiberHandle slow = rt.Spawn("slow", [] { FiberSleep(absl::Seconds(10)); });
    EXPECT_FALSE(slow.JoinUntil(rt.Now() + absl::Seconds(1)));
    EXPECT_EQ(rt.Now(), MonoTime() + absl::Seconds(1));
    EXPECT_TRUE(slow.JoinUntil(rt.Now() + absl::Seconds(20)));
    EXPECT_EQ(rt.Now(), MonoTime() + absl::Seconds(10));
  });
}

TEST(FiberDeathTest, WaitingOutsideAFiberAborts) {
  EXPECT_DEATH({ FiberSleep(absl::Seconds(1)); }, "not on a fiber");
}

TEST(FiberDeathTest, ExceptionEscapingAFiberAbortsNamingIt) {
  EXPECT_DEATH(RunOnFiber([](Runtime& rt) {
                 rt.Spawn("thrower", [] { throw std::runtime_error("boom"); }).Join();
               }),
               "fiber 'thrower' ended with exception: boom");
}

}  // namespace
}  // namespace kv
