#include "node/failure_detector.h"

#include "gtest/gtest.h"
#include "net/random.h"

namespace kv::node {
namespace {

MonoTime At(double seconds) { return MonoTime() + absl::Seconds(seconds); }

TEST(FailureDetectorTest, RegularHeartbeatsKeepAPeerAliveAndSilenceMakesItSuspect) {
  FailureDetector fd;
  for (int i = 0; i <= 100; ++i) fd.Heartbeat(7, At(i));  // one per second
  EXPECT_TRUE(fd.Alive(7, At(100.5)));
  EXPECT_LT(fd.Phi(7, At(101)), 1.0);
  // Down after about threshold / log10(e) = 18.4 intervals of silence, not before.
  EXPECT_TRUE(fd.Alive(7, At(100 + 18)));
  EXPECT_FALSE(fd.Alive(7, At(100 + 19)));
  fd.Heartbeat(7, At(130));
  EXPECT_TRUE(fd.Alive(7, At(130.5))) << "a returning peer is alive again at once";
}

TEST(FailureDetectorTest, SuspicionScalesWithThePeersUsualRhythm) {
  FailureDetector fd;
  Random r(1);
  // Over the same 100 s: peer 1 every ~110 ms, peer 2 every 2 s.
  double fast = 0;
  while (fast < 100) {
    fd.Heartbeat(1, At(fast));
    fast += 0.1 + 0.02 * r.NextDouble();
  }
  for (double slow = 0; slow <= 100; slow += 2.0) fd.Heartbeat(2, At(slow));
  // Three seconds of silence: fatal for the fast peer, normal for the slow one.
  EXPECT_FALSE(fd.Alive(1, At(103)));
  EXPECT_TRUE(fd.Alive(2, At(103)));
}

TEST(FailureDetectorTest, UnknownAndRemovedPeersAreNotAlive) {
  FailureDetector fd;
  EXPECT_FALSE(fd.Alive(3, At(0)));
  fd.Heartbeat(3, At(0));
  EXPECT_TRUE(fd.Alive(3, At(0.5)));
  fd.Remove(3);
  EXPECT_FALSE(fd.Alive(3, At(0.5)));
  EXPECT_TRUE(fd.peers().empty());
}

TEST(FailureDetectorTest, ThresholdIsTunable) {
  FailureDetector strict({.phi_threshold = 1.0});
  FailureDetector lenient({.phi_threshold = 16.0});
  for (int i = 0; i <= 10; ++i) {
    strict.Heartbeat(1, At(i));
    lenient.Heartbeat(1, At(i));
  }
  EXPECT_FALSE(strict.Alive(1, At(13)));
  EXPECT_TRUE(lenient.Alive(1, At(13)));
}

}  // namespace
}  // namespace kv::node
