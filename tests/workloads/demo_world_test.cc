// The demo world as a property test: many seeds, faults on, every checker must pass. A failure
// prints the seed and the one-line command that reproduces it.
#include "workloads/demo/demo_world.h"

#include <cstdlib>

#include "gtest/gtest.h"
#include "support/seeds.h"
#include "workloads/demo/segment_log.h"

namespace kv::demo {
namespace {

int SeedCount() { return kv::testing::PropertySeeds(60, 15); }

TEST(DemoWorldTest, EveryCheckerPassesOverManySeeds) {
  DemoOptions options;
  options.duration = absl::Seconds(20);
  for (int i = 0; i < SeedCount(); ++i) {
    const uint64_t seed = 1000 + i;
    DemoResult result = RunDemo(seed, options);
    for (const CheckerVerdict& v : result.checkers) {
      EXPECT_TRUE(v.passed) << "checker " << v.name << " failed for seed " << seed << ": "
                            << v.detail << "\nreproduce: kvsim demo --seed " << seed
                            << " --duration 20s";
    }
  }
}

TEST(DemoWorldTest, RunTwiceInOneProcessGivesTheSameFingerprint) {
  DemoOptions options;
  options.duration = absl::Seconds(15);
  for (uint64_t seed : {1, 2, 3}) {
    EXPECT_EQ(RunDemo(seed, options).fingerprint, RunDemo(seed, options).fingerprint)
        << "seed " << seed;
  }
}

TEST(DemoWorldTest, FaultsReallyHappenAndAreRecovered) {
  // Across a few seeds the nemesis must have crashed nodes, partitioned the network, failed disk
  // calls and made recovery find invalid records; otherwise the checkers above prove little.
  DemoOptions options;
  options.duration = absl::Seconds(30);
  uint64_t crashes = 0, partitions = 0, disk_errors = 0, invalid = 0, failed_appends = 0;
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    DemoResult r = RunDemo(seed, options);
    crashes += r.faults.contains("crash") ? r.faults.at("crash") : 0;
    for (const auto& [kind, n] : r.faults) {
      if (kind.rfind("partition", 0) == 0) partitions += n;
      if (kind.rfind("disk_eio", 0) == 0 || kind == "disk_enospc") disk_errors += n;
    }
    invalid += r.history.invalid_records;
    failed_appends += r.history.appends_failed;
  }
  EXPECT_GT(crashes, 8u);
  EXPECT_GT(partitions, 0u);
  EXPECT_GT(disk_errors, 0u);
  EXPECT_GT(failed_appends, 0u);
  EXPECT_GT(invalid, 0u);
}

TEST(DemoWorldTest, WithoutFaultsNothingFailsAndNothingIsLost) {
  DemoOptions options;
  options.faults = false;
  options.duration = absl::Seconds(20);
  DemoResult r = RunDemo(5, options);
  EXPECT_TRUE(r.passed());
  EXPECT_EQ(r.history.appends_failed, 0u);
  EXPECT_EQ(r.history.pings_timed_out, 0u);
  EXPECT_EQ(r.history.durability.lost_to_detected_corruption(), 0u);
  EXPECT_GT(r.history.appends_ok, 1000u);
}

}  // namespace
}  // namespace kv::demo
