#include "sim/event_queue.h"

#include <vector>

#include "gtest/gtest.h"
#include "net/random.h"

namespace kv::sim {
namespace {

TEST(EventQueueTest, PopsByTimeThenByPushOrder) {
  EventQueue q;
  std::vector<int> ran;
  q.Push(20, 0, 0, [&] { ran.push_back(3); });
  q.Push(10, 0, 0, [&] { ran.push_back(1); });
  q.Push(10, 0, 0, [&] { ran.push_back(2); });
  q.Push(5, 0, 0, [&] { ran.push_back(0); });
  EventQueue::Popped e;
  std::vector<int64_t> times;
  while (q.Pop(&e)) {
    times.push_back(e.time_ns);
    e.task();
  }
  EXPECT_EQ(ran, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(times, (std::vector<int64_t>{5, 10, 10, 20}));
}

TEST(EventQueueTest, CancelledEventsNeverRunAndIdsAreNotReused) {
  EventQueue q;
  int ran = 0;
  TimerId a = q.Push(1, 0, 0, [&] { ran += 1; });
  TimerId b = q.Push(2, 0, 0, [&] { ran += 10; });
  q.Cancel(a);
  q.Cancel(a);  // twice is harmless
  EventQueue::Popped e;
  ASSERT_TRUE(q.Pop(&e));
  e.task();
  EXPECT_EQ(ran, 10);
  EXPECT_FALSE(q.Pop(&e));
  // b's slot is reused by c; cancelling the stale id b must not cancel c.
  TimerId c = q.Push(3, 0, 0, [&] { ran += 100; });
  EXPECT_NE(b, c);
  q.Cancel(b);
  ASSERT_TRUE(q.Pop(&e));
  e.task();
  EXPECT_EQ(ran, 110);
}

TEST(EventQueueTest, DeferredHeadKeepsItsIdAndGoesBehindEventsDueThen) {
  EventQueue q;
  std::vector<int> ran;
  TimerId a = q.Push(1, 7, 1, [&] { ran.push_back(1); });
  q.Push(5, 0, 0, [&] { ran.push_back(5); });
  EventQueue::Head head;
  ASSERT_TRUE(q.PeekLive(&head));
  EXPECT_EQ(head.owner, 7u);
  q.DeferHead(5);
  EventQueue::Popped e;
  ASSERT_TRUE(q.Pop(&e));
  e.task();
  ASSERT_TRUE(q.Pop(&e));
  e.task();
  EXPECT_EQ(ran, (std::vector<int>{5, 1}));
  // Deferring then cancelling works (a paused process's timer can still be cancelled).
  a = q.Push(1, 7, 1, [&] { ran.push_back(99); });
  ASSERT_TRUE(q.PeekLive(&head));
  q.DeferHead(100);
  q.Cancel(a);
  EXPECT_FALSE(q.Pop(&e));
}

TEST(EventQueueTest, RandomisedAgainstASortedModel) {
  EventQueue q;
  Random r(123);
  std::vector<std::pair<int64_t, uint64_t>> expected;
  std::vector<std::pair<int64_t, uint64_t>> got;
  uint64_t n = 0;
  for (int i = 0; i < 5000; ++i) {
    const int64_t t = static_cast<int64_t>(r.Uniform(1000));
    const uint64_t id = n++;
    const TimerId tid = q.Push(t, 0, 0, [&got, t, id] { got.emplace_back(t, id); });
    if (r.Bernoulli(0.2)) {
      q.Cancel(tid);
    } else {
      expected.emplace_back(t, id);
    }
  }
  std::stable_sort(expected.begin(), expected.end(),
                   [](auto& a, auto& b) { return a.first < b.first; });
  EventQueue::Popped e;
  while (q.Pop(&e)) e.task();
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace kv::sim
