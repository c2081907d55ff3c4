// Processes in the simulator: lifecycle, crash and restart, pause, clocks, fault points, and the
// fingerprint's determinism.
#include "sim/simulator.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/future.h"
#include "sim/sim_process.h"
#include "support/sim_test_util.h"

namespace kv::sim {
namespace {

using kv::testing::AddFiberProcess;

TEST(SimulatorTest, RestartBootsAFreshIncarnationAndDropsTheOldOnesTimers) {
  Simulator sim(1);
  int boots = 0;
  std::vector<std::string> log;
  ProcessOptions options;
  options.name = "node";
  options.boot = [&](Runtime& rt, storage::FileSystem&) -> std::unique_ptr<ProcessApp> {
    const int boot = ++boots;
    rt.Spawn("ticker", [&log, &rt, boot] {
      while (true) {
        FiberSleep(absl::Seconds(1));
        log.push_back("boot" + std::to_string(boot) + "@" + rt.Now().ToString());
      }
    });
    return nullptr;
  };
  NodeId id = sim.AddProcess(options);
  sim.Start(id);
  sim.RunUntil(MonoTime() + absl::Milliseconds(2500));
  sim.Crash(id);
  const uint32_t dead_incarnation = sim.process(id).incarnation();
  sim.RunUntil(MonoTime() + absl::Seconds(4));
  sim.Start(id);
  EXPECT_GT(sim.process(id).incarnation(), dead_incarnation);
  sim.RunUntil(MonoTime() + absl::Milliseconds(5500));
  EXPECT_EQ(boots, 2);
  EXPECT_EQ(log, (std::vector<std::string>{"boot1@1.000000000s", "boot1@2.000000000s",
                                           "boot2@5.000000000s"}));
  EXPECT_EQ(sim.faults().at("crash"), 1u);
  EXPECT_EQ(sim.faults().at("restart"), 1u);
}

TEST(SimulatorTest, PauseFreezesAProcessAndItCatchesUpAfterwards) {
  Simulator sim(1);
  std::vector<std::string> log;
  NodeId id = AddFiberProcess(sim, "p", [&](Runtime& rt, storage::FileSystem&) {
    FiberSleep(absl::Seconds(1));
    log.push_back("woke@" + rt.Now().ToString());
  });
  sim.Start(id);
  sim.RunUntil(MonoTime() + absl::Milliseconds(500));
  sim.Pause(id, absl::Seconds(2));
  EXPECT_TRUE(sim.process(id).paused());
  sim.RunUntil(MonoTime() + absl::Seconds(10));
  // The 1 s timer was due during the stall; it ran when the stall ended at 2.5 s.
  EXPECT_EQ(log, (std::vector<std::string>{"woke@2.500000000s"}));
}

TEST(SimulatorTest, WallClocksCanBeSkewedJumpedAndDriftWhileMonotonicTimeCannot) {
  Simulator sim(1);
  ProcessOptions a;
  a.name = "a";
  ProcessOptions b;
  b.name = "b";
  b.wall_clock_offset = absl::Seconds(30);
  b.wall_clock_drift_ppm = 1000;  // 1 ms per second fast
  NodeId ia = sim.AddProcess(a), ib = sim.AddProcess(b);
  sim.Start(ia);
  sim.Start(ib);
  sim.RunFor(absl::Seconds(100));
  SimProcess& pa = sim.process(ia);
  SimProcess& pb = sim.process(ib);
  EXPECT_EQ(pa.WallNow(), sim.options().epoch + absl::Seconds(100));
  EXPECT_EQ(pb.WallNow() - pa.WallNow(), absl::Seconds(30) + absl::Milliseconds(100));
  sim.JumpWallClock(ia, -absl::Minutes(5));
  EXPECT_EQ(pa.WallNow(), sim.options().epoch + absl::Seconds(100) - absl::Minutes(5));
  EXPECT_EQ(pa.MonoNow(), MonoTime() + absl::Seconds(100));
}

TEST(SimulatorTest, WallClockErrorMaxIsTheLargestSkewSeenEitherWay) {
  Simulator sim(1);
  NodeId a = sim.AddProcess({.name = "a"});
  NodeId b = sim.AddProcess({.name = "b"});
  EXPECT_EQ(sim.WallClockErrorMax(), absl::ZeroDuration());
  sim.JumpWallClock(a, absl::Seconds(5));
  sim.JumpWallClock(a, -absl::Seconds(7));  // now 2 s slow; 5 s fast was the most
  EXPECT_EQ(sim.WallClockErrorMax(), absl::Seconds(5));
  sim.JumpWallClock(b, -absl::Seconds(6));
  EXPECT_EQ(sim.WallClockErrorMax(), absl::Seconds(6));
  sim.JumpWallClock(b, absl::Seconds(6));
  sim.SetWallClockDrift(b, 100'000);  // 10 %: 10 s ahead after 100 s, then stopped
  sim.RunFor(absl::Seconds(100));
  sim.SetWallClockDrift(b, 0);  // the clock keeps what it gained
  EXPECT_EQ(sim.process(b).WallNow(), sim.options().epoch + absl::Seconds(110));
  sim.JumpWallClock(b, -absl::Seconds(10));  // set right again
  EXPECT_EQ(sim.WallClockErrorMax(), absl::Seconds(10));
}

TEST(SimulatorTest, SimulatorEventsRunAtTheirTimesAndSurviveCrashes) {
  Simulator sim(1);
  std::vector<int64_t> at_ms;
  NodeId id = sim.AddProcess({.name = "p"});
  sim.Start(id);
  sim.After(absl::Milliseconds(5), [&] { at_ms.push_back(absl::ToInt64Milliseconds(sim.now() - MonoTime())); });
  sim.After(absl::Milliseconds(1), [&] { sim.Crash(id); });
  sim.After(absl::Milliseconds(3), [&] { at_ms.push_back(absl::ToInt64Milliseconds(sim.now() - MonoTime())); });
  sim.RunFor(absl::Seconds(1));
  EXPECT_EQ(at_ms, (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(sim.now(), MonoTime() + absl::Seconds(1));
}

TEST(SimulatorTest, FaultPointsAreDecidedPerSiteBySeedAndNeverFireWhenDisabled) {
  auto fire_counts = [](uint64_t seed, bool enabled) {
    Simulator sim(seed, SimulatorOptions{.buggify = enabled});
    std::vector<int> fired(20, 0);
    for (int site = 0; site < 20; ++site) {
      for (int i = 0; i < 200; ++i) {
        fired[site] += sim.fault_points().Fire("file.cc:" + std::to_string(site));
      }
    }
    return fired;
  };
  const std::vector<int> a = fire_counts(5, true);
  EXPECT_EQ(a, fire_counts(5, true));
  int enabled_sites = 0;
  for (int f : a) {
    // An enabled site fires about a quarter of the time; a disabled one never.
    if (f > 0) {
      ++enabled_sites;
      EXPECT_GT(f, 20);
      EXPECT_LT(f, 90);
    }
  }
  EXPECT_GT(enabled_sites, 0);
  EXPECT_LT(enabled_sites, 20);
  for (int f : fire_counts(5, false)) EXPECT_EQ(f, 0);
}

TEST(SimulatorTest, FaultPointSitesIgnoreDirectories) {
  Simulator sim(77);
  for (int i = 0; i < 50; ++i) {
    sim.fault_points().Fire("/home/a/node/x.cc:10");
    sim.fault_points().Fire("/build/b/node/x.cc:10");
  }
  // Both names are one site, so a seed reproduces on any checkout path.
  ASSERT_EQ(sim.fault_points().sites().size(), 1u);
  EXPECT_EQ(sim.fault_points().sites().begin()->first, "x.cc:10");
  EXPECT_EQ(sim.fault_points().sites().begin()->second.reached, 100u);
}

// A small random world: processes ping each other and sleep random times.
uint64_t RandomWorldFingerprint(uint64_t seed) {
  Simulator sim(seed);
  std::vector<NodeId> ids;
  for (int i = 0; i < 4; ++i) {
    ids.push_back(AddFiberProcess(sim, "p" + std::to_string(i), [](Runtime& rt, storage::FileSystem&) {
      rt.Spawn("receiver", [&rt] {
        while (rt.transport().ReceiveUntil(MonoTime::Max()).ok()) {
        }
      });
      for (int i = 0; i < 50; ++i) {
        FiberSleep(rt.random().Exponential(absl::Milliseconds(10)));
        const NodeId to = static_cast<NodeId>(1 + rt.random().Uniform(4));
        if (to != rt.self()) (void)rt.transport().Send(to, "ping" + std::to_string(i));
      }
    }));
  }
  for (NodeId id : ids) sim.Start(id);
  sim.RunFor(absl::Seconds(10));
  return sim.fingerprint();
}

TEST(SimulatorTest, SameSeedSameFingerprintDifferentSeedDifferentFingerprint) {
  const uint64_t a = RandomWorldFingerprint(1);
  EXPECT_EQ(a, RandomWorldFingerprint(1));
  EXPECT_NE(a, RandomWorldFingerprint(2));
}

}  // namespace
}  // namespace kv::sim
