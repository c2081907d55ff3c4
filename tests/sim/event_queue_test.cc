#include "sim/event_queue.h"

#include <algorithm>
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

// Pushes for the time of the last pop (most of a simulation's events) take the queue's FIFO path;
// interleaved with pops, cancels and deferrals, the order must still be exactly (time, push order).
TEST(EventQueueTest, InterleavedPushesAtTheCurrentTimeKeepTheModelOrder) {
  EventQueue q;
  Random r(7);
  struct Pending {
    int64_t time;
    uint64_t seq;  // the model's push order (a deferral counts as a new push)
    uint64_t id;
    TimerId tid;
  };
  std::vector<Pending> model;
  std::vector<uint64_t> got, expected;
  uint64_t seq = 0, next_id = 0;
  int64_t now = 0;
  auto model_head = [&] {
    return std::min_element(model.begin(), model.end(), [](const Pending& a, const Pending& b) {
      return a.time != b.time ? a.time < b.time : a.seq < b.seq;
    });
  };
  for (int i = 0; i < 20000; ++i) {
    const uint64_t action = r.Uniform(10);
    if (action < 5 || model.empty()) {  // push, mostly for now
      const int64_t t = r.Bernoulli(0.7) ? now : now + static_cast<int64_t>(r.Uniform(50));
      const uint64_t id = next_id++;
      const TimerId tid = q.Push(t, 0, 0, [&got, id] { got.push_back(id); });
      model.push_back({t, seq++, id, tid});
    } else if (action < 8) {  // pop
      auto head = model_head();
      expected.push_back(head->id);
      now = head->time;
      model.erase(head);
      EventQueue::Popped e;
      ASSERT_TRUE(q.Pop(&e));
      EXPECT_EQ(e.time_ns, now);
      e.task();
    } else if (action < 9) {  // cancel a random pending event
      const size_t k = r.Uniform(model.size());
      q.Cancel(model[k].tid);
      model.erase(model.begin() + static_cast<ptrdiff_t>(k));
    } else {  // defer the head (a paused process)
      auto head = model_head();
      EventQueue::Head h;
      ASSERT_TRUE(q.PeekLive(&h));
      ASSERT_EQ(h.time_ns, head->time);
      const int64_t to = head->time + static_cast<int64_t>(r.Uniform(3));
      q.DeferHead(to);
      head->time = to;
      head->seq = seq++;
    }
    ASSERT_EQ(q.size(), model.size());
  }
  EventQueue::Popped e;
  while (q.Pop(&e)) e.task();
  while (!model.empty()) {
    auto head = model_head();
    expected.push_back(head->id);
    model.erase(head);
  }
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace kv::sim
