#include "net/ring_buffer.h"

#include <deque>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "net/random.h"

namespace kv {
namespace {

TEST(RingBufferTest, IsAFifoAcrossGrowthAndWrapAround) {
  RingBuffer<std::string> ring;
  std::deque<std::string> model;
  Random r(5);
  for (int i = 0; i < 10000; ++i) {
    if (model.empty() || r.Bernoulli(0.55)) {
      std::string s(r.Uniform(40), static_cast<char>('a' + i % 26));  // some beyond SSO
      ring.push_back(s);
      model.push_back(s);
    } else {
      ASSERT_EQ(ring.front(), model.front());
      ring.pop_front();
      model.pop_front();
    }
    ASSERT_EQ(ring.size(), model.size());
    ASSERT_EQ(ring.empty(), model.empty());
  }
}

TEST(RingBufferTest, DestroysWhatItHolds) {
  auto counted = std::make_shared<int>(0);
  {
    RingBuffer<std::shared_ptr<int>> ring;
    for (int i = 0; i < 20; ++i) ring.push_back(counted);
    ring.pop_front();
    EXPECT_EQ(counted.use_count(), 20);
  }
  EXPECT_EQ(counted.use_count(), 1);
}

}  // namespace
}  // namespace kv
