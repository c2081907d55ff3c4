// The engine's key filter: never forgets a key, stays rare in false positives and small in memory
// as it grows far past its first size.
#include "storage/engine/key_filter.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"
#include "net/random.h"

namespace kv::storage {
namespace {

TEST(KeyFilterTest, AnEmptyFilterContainsNothing) {
  KeyFilter filter;
  Random random(1);
  for (int i = 0; i < 10'000; ++i) EXPECT_FALSE(filter.MayContain(random.Next64()));
}

TEST(KeyFilterTest, NeverForgetsAKeyAndKeepsFalsePositivesRareWhileItGrows) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " (reproduce: tests_storage "
                                      << "--gtest_filter=KeyFilterTest.*)");
    KeyFilter filter;  // kMinCapacity keys before it grows
    Random random(seed);
    std::vector<uint64_t> added;
    const uint64_t keys = KeyFilter::kMinCapacity * 12;  // grows into 4 layers
    for (uint64_t i = 0; i < keys; ++i) {
      added.push_back(random.Next64());
      filter.Add(added.back());
    }
    EXPECT_EQ(filter.added(), keys);
    EXPECT_EQ(filter.layer_count(), 4u);
    for (uint64_t h : added) ASSERT_TRUE(filter.MayContain(h)) << "lost hash " << h;

    Random other(seed + 1000);
    uint64_t false_positives = 0;
    const int probes = 200'000;
    for (int i = 0; i < probes; ++i) false_positives += filter.MayContain(other.Next64()) ? 1 : 0;
    const double rate = static_cast<double>(false_positives) / probes;
    // Four layers at 10, 12, 14 and 16 bits per key: about 1.0 + 0.4 + 0.2 + 0.1 %.
    EXPECT_LT(rate, 0.025) << false_positives << " false positives in " << probes;
    EXPECT_GT(rate, 0.0) << "a filter this full answers some absent keys 'maybe'";

    // Memory stays within a few bytes per key even though the last layer is mostly empty.
    EXPECT_LT(static_cast<double>(filter.memory_bytes()) / static_cast<double>(keys), 3.5);
  }
}

TEST(KeyFilterTest, SizedForTheExpectedKeysItDoesNotGrowBeforeThem) {
  KeyFilter filter(1'000'000);
  Random random(9);
  for (int i = 0; i < 1'000'000; ++i) filter.Add(random.Next64());
  EXPECT_EQ(filter.layer_count(), 1u);
  EXPECT_LE(filter.memory_bytes(), 1'000'000u * 10 / 8 + 64);
  filter.Add(random.Next64());
  EXPECT_EQ(filter.layer_count(), 2u);
}

}  // namespace
}  // namespace kv::storage
