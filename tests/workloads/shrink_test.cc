// Shrinking keeps the failure and drops what does not cause it.
#include "workloads/kv/shrink.h"

#include "gtest/gtest.h"
#include "support/seeds.h"
#include "workloads/kv/scenario_toml.h"

namespace kv::workloads {
namespace {

// One replica per key, writes synced once a second, nodes crashing again and again, and a
// nemesis of pauses on top: acknowledged writes are lost. Only the crashes matter.
Scenario LossyScenario() {
  Scenario s;
  s.cluster.nodes = 3;
  s.cluster.n = s.cluster.r = s.cluster.w = 1;
  s.cluster.durability = storage::Durability::kInterval;
  s.workload.duration = absl::Seconds(4);
  s.workload.rate = 200;
  for (int t = 0; t < 5; ++t) {
    for (NodeId node = 1; node <= 3; ++node) {
      FaultEvent e;
      e.kind = FaultEvent::Kind::kCrash;
      e.at = absl::Milliseconds(500 + 700 * t);
      e.node = node;
      e.duration = absl::Milliseconds(200);
      s.script.push_back(e);
    }
  }
  s.nemesis.enabled = true;
  s.nemesis.partition = s.nemesis.crash = s.nemesis.clock_jump = s.nemesis.disk = 0;
  return s;
}

TEST(ShrinkTest, KeepsTheFailureAndDropsWhatDoesNotCauseIt) {
  if (kv::testing::kSanitizerBuild) {
    GTEST_SKIP() << "dozens of whole simulations (a minute under the sanitizers): the release "
                    "build runs this; the sanitizer build runs the simulation in KvWorldTest";
  }
  const Scenario s = LossyScenario();
  ASSERT_TRUE(ValidateScenario(s).ok());
  const uint64_t seed = 3;
  ASSERT_EQ(FailingChecker(s, seed), "no-lost-writes");
  const ShrinkResult r = Shrink(s, seed, "no-lost-writes");
  EXPECT_EQ(FailingChecker(r.scenario, seed), "no-lost-writes");
  EXPECT_FALSE(r.scenario.nemesis.enabled);  // pauses cause nothing here
  EXPECT_LT(r.scenario.script.size(), s.script.size());
  EXPECT_GE(r.scenario.script.size(), 1u);  // without a crash nothing is lost
  EXPECT_LE(r.scenario.workload.clients, s.workload.clients);
  EXPECT_LT(r.scenario.workload.duration, s.workload.duration);
  EXPECT_GT(r.steps_kept, 0);
  // Deterministic, and the written TOML fails the same way when read back.
  EXPECT_EQ(ScenarioToToml(Shrink(s, seed, "no-lost-writes").scenario), ScenarioToToml(r.scenario));
  absl::StatusOr<Scenario> back = ParseScenario(ScenarioToToml(r.scenario), "shrunk.toml");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(FailingChecker(*back, seed), "no-lost-writes");
}

}  // namespace
}  // namespace kv::workloads
