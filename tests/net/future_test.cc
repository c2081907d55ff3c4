// Promises, futures, Select and channels between fibers.
#include "net/future.h"

#include <string>

#include "gtest/gtest.h"
#include "net/channel.h"
#include "support/sim_test_util.h"

namespace kv {
namespace {

using testing::RunOnFiber;

TEST(FutureTest, GetWaitsForTheValueFromAnotherFiber) {
  RunOnFiber([](Runtime& rt) {
    Promise<std::string> p;
    Future<std::string> f = p.GetFuture();
    rt.Spawn("setter", [&p] {
      FiberSleep(absl::Milliseconds(7));
      p.Set(std::string("hello"));
    });
    EXPECT_FALSE(f.ready());
    absl::StatusOr<std::string> v = f.Get();
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(*v, "hello");
    EXPECT_EQ(rt.Now(), MonoTime() + absl::Milliseconds(7));
  });
}

TEST(FutureTest, GetForTimesOutWithDeadlineExceededAtTheDeadline) {
  RunOnFiber([](Runtime& rt) {
    Promise<int> p;
    Future<int> f = p.GetFuture();
    absl::StatusOr<int> v = f.GetFor(absl::Milliseconds(50));
    EXPECT_EQ(v.status().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_EQ(rt.Now(), MonoTime() + absl::Milliseconds(50));
  });
}

TEST(FutureTest, ErrorsPassThrough) {
  RunOnFiber([](Runtime&) {
    Promise<int> p;
    Future<int> f = p.GetFuture();
    p.Set(absl::UnavailableError("replica down"));
    EXPECT_EQ(f.Get().status(), absl::UnavailableError("replica down"));
  });
}

TEST(FutureTest, BrokenPromiseWakesTheWaiterWithCancelled) {
  RunOnFiber([](Runtime& rt) {
    auto p = std::make_unique<Promise<int>>();
    Future<int> f = p->GetFuture();
    rt.Spawn("dropper", [&p] {
      FiberSleep(absl::Milliseconds(3));
      p.reset();
    });
    EXPECT_EQ(f.Get().status().code(), absl::StatusCode::kCancelled);
  });
}

TEST(FutureTest, SelectReturnsTheFirstReadyOrMinusOneOnTimeout) {
  RunOnFiber([](Runtime& rt) {
    Promise<int> a, b;
    Future<int> fa = a.GetFuture(), fb = b.GetFuture();
    rt.Spawn("b-setter", [&b] {
      FiberSleep(absl::Milliseconds(2));
      b.Set(2);
    });
    rt.Spawn("a-setter", [&a] {
      FiberSleep(absl::Milliseconds(5));
      a.Set(1);
    });
    EXPECT_EQ(SelectFor({&fa, &fb}, absl::Seconds(1)), 1);
    EXPECT_EQ(rt.Now(), MonoTime() + absl::Milliseconds(2));
    EXPECT_EQ(*fb.Get(), 2);
    Promise<int> never;
    Future<int> fn = never.GetFuture();
    EXPECT_EQ(SelectFor({&fn}, absl::Milliseconds(1)), -1);
    EXPECT_EQ(SelectFor({&fn, &fa}, absl::Seconds(1)), 1);
    EXPECT_EQ(rt.Now(), MonoTime() + absl::Milliseconds(5));
  });
}

TEST(FutureTest, CancelledWaiterUnregistersAndThePromiseCanStillBeSet) {
  RunOnFiber([](Runtime& rt) {
    Promise<int> p;
    Future<int> f = p.GetFuture();
    FiberHandle waiter = rt.Spawn("waiter", [&f] { (void)f.Get(); });
    FiberSleep(absl::Milliseconds(1));
    waiter.Cancel();
    waiter.Join();
    p.Set(5);  // must not touch the unwound waiter
  });
}

TEST(ChannelTest, FifoBoundedAndTimesOut) {
  RunOnFiber([](Runtime& rt) {
    Channel<int> ch(2);
    EXPECT_TRUE(ch.TrySend(1));
    EXPECT_TRUE(ch.TrySend(2));
    EXPECT_FALSE(ch.TrySend(3)) << "a full channel refuses";
    EXPECT_EQ(*ch.Receive(), 1);
    EXPECT_EQ(*ch.Receive(), 2);
    absl::StatusOr<int> none = ch.ReceiveUntil(rt.Now() + absl::Milliseconds(4));
    EXPECT_EQ(none.status().code(), absl::StatusCode::kDeadlineExceeded);
    EXPECT_EQ(rt.Now(), MonoTime() + absl::Milliseconds(4));
  });
}

TEST(ChannelTest, ReceiverWakesOnSendAndOnClose) {
  RunOnFiber([](Runtime& rt) {
    Channel<std::string> ch(8);
    std::vector<std::string> got;
    FiberHandle receiver = rt.Spawn("receiver", [&] {
      while (true) {
        absl::StatusOr<std::string> item = ch.Receive();
        if (!item.ok()) {
          got.push_back("closed:" + std::string(absl::StatusCodeToString(item.status().code())));
          return;
        }
        got.push_back(*item);
      }
    });
    FiberSleep(absl::Milliseconds(1));
    ch.TrySend("x");
    ch.TrySend("y");
    FiberSleep(absl::Milliseconds(1));
    ch.Close();
    receiver.Join();
    EXPECT_EQ(got, (std::vector<std::string>{"x", "y", "closed:CANCELLED"}));
  });
}

TEST(ChannelTest, SeveralReceiversEachGetDistinctItems) {
  RunOnFiber([](Runtime& rt) {
    Channel<int> ch(16);
    std::vector<int> got;
    std::vector<FiberHandle> receivers;
    for (int r = 0; r < 3; ++r) {
      receivers.push_back(rt.Spawn("r", [&] {
        for (int i = 0; i < 2; ++i) got.push_back(*ch.Receive());
      }));
    }
    FiberSleep(absl::Milliseconds(1));
    for (int i = 0; i < 6; ++i) ch.TrySend(i);
    for (auto& r : receivers) r.Join();
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  });
}

}  // namespace
}  // namespace kv
