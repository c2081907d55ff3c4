// The simulated network: latency, FIFO order, loss, duplication, reordering, partitions of every
// shape, connection events, and crashes.
#include "sim/sim_network.h"

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "sim/sim_process.h"
#include "sim/sim_transport.h"
#include "sim/simulator.h"
#include "support/sim_test_util.h"

namespace kv::sim {
namespace {

// A process that records every transport event it receives, and sends what it is told to.
struct Recorder {
  std::vector<std::pair<MonoTime, TransportEvent>> events;
  std::vector<std::string> messages() const {
    std::vector<std::string> out;
    for (auto& [t, e] : events) {
      if (e.kind == TransportEvent::Kind::kMessage) out.push_back(e.payload);
    }
    return out;
  }
  size_t count(TransportEvent::Kind kind) const {
    size_t n = 0;
    for (auto& [t, e] : events) n += e.kind == kind;
    return n;
  }
};

class NetworkTest : public ::testing::Test {
 protected:
  // Adds n processes that record what they receive.
  void AddRecorders(int n) {
    recorders_.resize(n + 1);
    for (int i = 1; i <= n; ++i) {
      ProcessOptions options;
      options.name = "n" + std::to_string(i);
      options.boot = [this, i](Runtime& rt, storage::FileSystem&) -> std::unique_ptr<ProcessApp> {
        rt.Spawn("receiver", [this, i, &rt] {
          while (true) {
            absl::StatusOr<TransportEvent> e = rt.transport().ReceiveUntil(MonoTime::Max());
            if (!e.ok()) return;
            recorders_[i].events.emplace_back(rt.Now(), *e);
          }
        });
        return nullptr;
      };
      sim_.Start(sim_.AddProcess(options));
    }
  }
  void Send(NodeId from, NodeId to, std::string payload) {
    ASSERT_TRUE(sim_.process(from).transport().Send(to, std::move(payload)).ok());
  }
  Recorder& at(NodeId id) { return recorders_[id]; }

  Simulator sim_{42};
  std::vector<Recorder> recorders_;
};

TEST_F(NetworkTest, DeliversWithinTheLinkLatencyAndKeepsFifoOrder) {
  LinkProfile p;
  p.shape = LinkProfile::Shape::kUniform;
  p.latency_min = absl::Milliseconds(1);
  p.latency_max = absl::Milliseconds(9);
  sim_.network().set_default_profile(p);
  AddRecorders(2);
  for (int i = 0; i < 100; ++i) Send(1, 2, std::to_string(i));
  sim_.RunFor(absl::Seconds(1));
  std::vector<std::string> expected;
  for (int i = 0; i < 100; ++i) expected.push_back(std::to_string(i));
  EXPECT_EQ(at(2).messages(), expected);
  for (auto& [t, e] : at(2).events) {
    EXPECT_GE(t, MonoTime() + absl::Milliseconds(1));
    EXPECT_LE(t, MonoTime() + absl::Milliseconds(9));
  }
  EXPECT_EQ(sim_.network().stats().delivered, 100u);
}

TEST_F(NetworkTest, ConnectedComesBeforeTheFirstMessage) {
  AddRecorders(2);
  Send(1, 2, "a");
  Send(1, 2, "b");
  sim_.RunFor(absl::Seconds(1));
  ASSERT_EQ(at(2).events.size(), 3u);
  EXPECT_EQ(at(2).events[0].second.kind, TransportEvent::Kind::kConnected);
  EXPECT_EQ(at(2).events[0].second.peer, 1u);
}

TEST_F(NetworkTest, SymmetricPartitionBlocksBothWaysUntilHealed) {
  AddRecorders(3);
  sim_.network().PartitionSymmetric({1}, {2, 3});
  Send(1, 2, "lost");
  Send(2, 1, "lost");
  Send(2, 3, "same side");
  sim_.RunFor(absl::Seconds(1));
  EXPECT_TRUE(at(1).messages().empty());
  EXPECT_TRUE(at(2).messages().empty());
  EXPECT_EQ(at(3).messages(), std::vector<std::string>{"same side"});
  EXPECT_EQ(sim_.network().stats().dropped_partition, 2u);
  sim_.network().Heal();
  Send(1, 2, "after heal");
  sim_.RunFor(absl::Seconds(1));
  EXPECT_EQ(at(2).messages(), std::vector<std::string>{"after heal"});
  EXPECT_EQ(sim_.faults().at("partition_symmetric"), 1u);
  EXPECT_EQ(sim_.faults().at("heal"), 1u);
}

TEST_F(NetworkTest, PartitionStartingWhileAMessageIsInFlightDropsIt) {
  LinkProfile p;
  p.shape = LinkProfile::Shape::kFixed;
  p.latency_min = absl::Milliseconds(10);
  sim_.network().set_default_profile(p);
  AddRecorders(2);
  Send(1, 2, "in flight");
  sim_.RunFor(absl::Milliseconds(5));
  sim_.network().Isolate(2);
  sim_.RunFor(absl::Seconds(1));
  EXPECT_TRUE(at(2).messages().empty());
}

TEST_F(NetworkTest, OneWayPartitionBlocksOnlyOneDirection) {
  AddRecorders(2);
  sim_.network().PartitionOneWay({1}, {2});
  Send(1, 2, "blocked");
  Send(2, 1, "passes");
  sim_.RunFor(absl::Seconds(1));
  EXPECT_TRUE(at(2).messages().empty());
  EXPECT_EQ(at(1).messages(), std::vector<std::string>{"passes"});
}

TEST_F(NetworkTest, IsolatedNodeCanNeitherSendNorReceive) {
  AddRecorders(3);
  sim_.network().Isolate(2);
  Send(1, 2, "x");
  Send(2, 3, "y");
  Send(3, 1, "z");
  sim_.RunFor(absl::Seconds(1));
  EXPECT_TRUE(at(2).messages().empty());
  EXPECT_TRUE(at(3).messages().empty());
  EXPECT_EQ(at(1).messages(), std::vector<std::string>{"z"});
}

TEST_F(NetworkTest, MajorityMinoritySplitSeparatesTheSidesOnly) {
  AddRecorders(5);
  std::vector<NodeId> minority = sim_.network().SplitMajorityMinority();
  ASSERT_EQ(minority.size(), 2u);
  for (NodeId a = 1; a <= 5; ++a) {
    for (NodeId b = 1; b <= 5; ++b) {
      if (a == b) continue;
      const bool a_min = std::count(minority.begin(), minority.end(), a) > 0;
      const bool b_min = std::count(minority.begin(), minority.end(), b) > 0;
      EXPECT_EQ(sim_.network().blocked(a, b), a_min != b_min) << a << "->" << b;
    }
  }
}

TEST_F(NetworkTest, BridgeNodeTalksToBothSidesWhichCannotTalkToEachOther) {
  AddRecorders(5);
  const NodeId bridge = 3;
  std::vector<NodeId> first = sim_.network().Bridge(bridge);
  ASSERT_EQ(first.size(), 2u);
  for (NodeId a = 1; a <= 5; ++a) {
    EXPECT_FALSE(sim_.network().blocked(a, bridge));
    EXPECT_FALSE(sim_.network().blocked(bridge, a));
    for (NodeId b = 1; b <= 5; ++b) {
      if (a == b || a == bridge || b == bridge) continue;
      const bool a_first = std::count(first.begin(), first.end(), a) > 0;
      const bool b_first = std::count(first.begin(), first.end(), b) > 0;
      EXPECT_EQ(sim_.network().blocked(a, b), a_first != b_first);
    }
  }
}

TEST_F(NetworkTest, LossDropsAboutItsProbability) {
  LinkProfile p;
  p.loss_probability = 0.3;
  sim_.network().set_default_profile(p);
  AddRecorders(2);
  for (int i = 0; i < 2000; ++i) Send(1, 2, "m");
  sim_.RunFor(absl::Seconds(5));
  EXPECT_NEAR(at(2).messages().size() / 2000.0, 0.7, 0.05);
  EXPECT_EQ(sim_.network().stats().dropped_loss + at(2).messages().size(), 2000u);
}

TEST_F(NetworkTest, DuplicationDeliversSomeMessagesTwice) {
  LinkProfile p;
  p.duplicate_probability = 0.5;
  sim_.network().set_default_profile(p);
  AddRecorders(2);
  for (int i = 0; i < 200; ++i) Send(1, 2, std::to_string(i));
  sim_.RunFor(absl::Seconds(5));
  std::map<std::string, int> copies;
  for (auto& m : at(2).messages()) ++copies[m];
  EXPECT_EQ(copies.size(), 200u) << "nothing lost";
  int doubled = 0;
  for (auto& [m, n] : copies) {
    EXPECT_LE(n, 2);
    doubled += n == 2;
  }
  EXPECT_NEAR(doubled, 100, 30);
}

TEST_F(NetworkTest, ReorderingBreaksFifoOrderOnlyWhenOn) {
  LinkProfile p;
  p.shape = LinkProfile::Shape::kUniform;
  p.latency_min = absl::Milliseconds(1);
  p.latency_max = absl::Milliseconds(50);
  p.reorder_probability = 1.0;
  sim_.network().set_default_profile(p);
  AddRecorders(2);
  for (int i = 0; i < 100; ++i) Send(1, 2, std::to_string(i));
  sim_.RunFor(absl::Seconds(1));
  std::vector<std::string> got = at(2).messages();
  ASSERT_EQ(got.size(), 100u);
  EXPECT_FALSE(std::is_sorted(got.begin(), got.end(), [](auto& a, auto& b) {
    return std::stoi(a) < std::stoi(b);
  }));
}

TEST_F(NetworkTest, CrashBreaksConnectionsAndDropsMessagesInFlightToTheOldIncarnation) {
  LinkProfile p;
  p.shape = LinkProfile::Shape::kFixed;
  p.latency_min = absl::Milliseconds(10);
  sim_.network().set_default_profile(p);
  AddRecorders(2);
  Send(2, 1, "hello");
  sim_.RunFor(absl::Milliseconds(20));
  ASSERT_EQ(at(1).messages().size(), 1u);
  Send(1, 2, "to the old incarnation");
  sim_.RunFor(absl::Milliseconds(5));
  sim_.Crash(2);
  sim_.Start(2);  // restarted before the message would arrive
  sim_.RunFor(absl::Seconds(1));
  EXPECT_TRUE(at(2).messages().empty());
  // Node 1 had a connection from 2: it hears that it broke.
  EXPECT_EQ(at(1).count(TransportEvent::Kind::kDisconnected), 1u);
  // After the restart, a new message from 2 reconnects first.
  Send(2, 1, "again");
  sim_.RunFor(absl::Seconds(1));
  EXPECT_EQ(at(1).count(TransportEvent::Kind::kConnected), 2u);
  EXPECT_EQ(at(1).messages(), (std::vector<std::string>{"hello", "again"}));
}

TEST_F(NetworkTest, MessagesToAPausedNodeWaitForTheStallToEnd) {
  LinkProfile p;
  p.shape = LinkProfile::Shape::kFixed;
  p.latency_min = absl::Milliseconds(1);
  sim_.network().set_default_profile(p);
  AddRecorders(2);
  sim_.RunFor(absl::Milliseconds(1));
  sim_.Pause(2, absl::Seconds(3));
  Send(1, 2, "waits");
  sim_.RunFor(absl::Seconds(10));
  ASSERT_EQ(at(2).messages().size(), 1u);
  EXPECT_EQ(at(2).events.back().first, MonoTime() + absl::Seconds(3) + absl::Milliseconds(1));
}

TEST_F(NetworkTest, SendRejectsOversizedPayloadsAndBadAddresses) {
  AddRecorders(2);
  Transport& t = sim_.process(1).transport();
  EXPECT_EQ(t.Send(2, std::string(Transport::kMessageBytesMax + 1, 'x')).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Send(9, "x").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t.Send(1, "x").code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kv::sim
