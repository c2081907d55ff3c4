// The workload's key distributions behave as YCSB's: zipfian(0.99) concentrates on the hottest
// ranks, latest on the newest keys, uniform spreads evenly.
#include "workloads/kv/key_chooser.h"

#include <vector>

#include "gtest/gtest.h"

namespace kv::workloads {
namespace {

std::vector<int> Counts(KeyChooser& chooser, int draws) {
  Random random(7);
  std::vector<int> counts(chooser.keys());
  for (int i = 0; i < draws; ++i) {
    const uint64_t k = chooser.Next(random);
    EXPECT_LT(k, chooser.keys());
    ++counts[k];
  }
  return counts;
}

TEST(KeyChooserTest, ZipfianMakesTheFirstRanksHot) {
  KeyChooser chooser(KeyDistribution::kZipfian, 1000, 0.99);
  const std::vector<int> counts = Counts(chooser, 100'000);
  // With theta 0.99 over 1000 keys, rank 0 draws about 1/zeta(1000) = 13 % of the time, and the
  // top 10 ranks about 39 %.
  EXPECT_NEAR(counts[0] / 100'000.0, 0.134, 0.02);
  int top10 = 0;
  for (int i = 0; i < 10; ++i) top10 += counts[i];
  EXPECT_NEAR(top10 / 100'000.0, 0.39, 0.04);
  EXPECT_GT(counts[0], counts[1]);
  EXPECT_GT(counts[1], counts[10]);
}

TEST(KeyChooserTest, LatestFavoursTheNewestKeyAsTheSpaceGrows) {
  KeyChooser chooser(KeyDistribution::kLatest, 100, 0.99);
  EXPECT_EQ(chooser.Insert(), 100u);
  const std::vector<int> counts = Counts(chooser, 20'000);
  EXPECT_EQ(chooser.keys(), 101u);
  EXPECT_GT(counts[100], counts[99]);
  EXPECT_GT(counts[100], 20'000 / 10);
  EXPECT_LT(counts[0], 20'000 / 100);
}

TEST(KeyChooserTest, UniformSpreadsEvenly) {
  KeyChooser chooser(KeyDistribution::kUniform, 10, 0.99);
  for (int c : Counts(chooser, 50'000)) EXPECT_NEAR(c, 5000, 300);
}

}  // namespace
}  // namespace kv::workloads
