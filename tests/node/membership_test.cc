// Gossip membership in the simulator: convergence, failure detection, restarts, partitions, join
// and leave with ring rebalancing, determinism.
#include "node/membership.h"

#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "sim/sim_network.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"

namespace kv::node {
namespace {

struct MemberApp final : sim::ProcessApp {
  MemberApp(Runtime& rt, MembershipOptions options, uint64_t generation)
      : rpc(rt), membership(rt, rpc, std::move(options), generation) {
    membership.Register();
    rpc.Start();
    membership.Start();
  }
  RpcEndpoint rpc;
  Membership membership;
};

class MembershipTest : public ::testing::Test {
 protected:
  explicit MembershipTest(uint64_t seed = 3) : sim_(seed) {}

  NodeId AddNode(std::vector<NodeId> seeds = {1}) {
    const NodeId id = static_cast<NodeId>(sim_.process_ids().size() + 1);
    sim::ProcessOptions p;
    p.boot = [this, seeds, id](Runtime& rt, storage::FileSystem&) -> std::unique_ptr<sim::ProcessApp> {
      MembershipOptions options;
      options.seeds = seeds;
      options.partitions = 64;
      return std::make_unique<MemberApp>(rt, options, ++generations_[id]);
    };
    NodeId added = sim_.AddProcess(p);
    KV_ASSERT(added == id);
    sim_.Start(id);
    return id;
  }
  Membership& M(NodeId id) {
    return static_cast<MemberApp*>(sim_.process(id).app())->membership;
  }
  // True if every running node sees the same ring version and owners.
  bool RingsAgree() {
    std::optional<std::vector<NodeId>> owners;
    std::optional<uint64_t> version;
    for (NodeId id : sim_.process_ids()) {
      if (!sim_.process(id).alive()) continue;
      const auto& ring = M(id).ring();
      if (!ring.has_value()) return false;
      if (owners.has_value() && (ring->owners() != *owners || M(id).ring_version() != *version)) {
        return false;
      }
      owners = ring->owners();
      version = M(id).ring_version();
    }
    return true;
  }

  sim::Simulator sim_;
  absl::btree_map<NodeId, uint64_t> generations_;
};

TEST_F(MembershipTest, FiveNodesConvergeOnMembersAndOneRing) {
  for (int i = 0; i < 5; ++i) AddNode();
  sim_.RunFor(absl::Seconds(30));
  for (NodeId id = 1; id <= 5; ++id) {
    absl::btree_map<NodeId, Member> members = M(id).members();
    ASSERT_EQ(members.size(), 5u) << "node " << id;
    for (auto& [node, m] : members) EXPECT_EQ(m.status(), Member::UP) << node << " seen by " << id;
    for (NodeId other = 1; other <= 5; ++other) EXPECT_TRUE(M(id).IsAlive(other));
  }
  EXPECT_TRUE(RingsAgree());
  for (auto& [node, count] : M(1).ring()->OwnedCounts()) EXPECT_TRUE(count == 12 || count == 13);
}

// A process that only asks for the state: what tools (kvsim run --real) use to learn the ring.
struct StateReaderApp final : sim::ProcessApp {
  explicit StateReaderApp(Runtime& rt) : rpc(rt) {
    rpc.Start();
    rt.Spawn("read", [this] {
      absl::StatusOr<std::string> body = rpc.Call(1, "membership.state", "", absl::Seconds(1));
      if (body.ok() && state.ParseFromString(*body)) answered = true;
    });
  }
  RpcEndpoint rpc;
  ClusterState state;
  bool answered = false;
};

TEST_F(MembershipTest, TheStateMethodShowsTheRingWithoutMakingTheCallerAMember) {
  for (int i = 0; i < 3; ++i) AddNode();
  sim_.RunFor(absl::Seconds(20));
  ASSERT_TRUE(RingsAgree());
  sim::ProcessOptions p;
  p.boot = [](Runtime& rt, storage::FileSystem&) -> std::unique_ptr<sim::ProcessApp> {
    return std::make_unique<StateReaderApp>(rt);
  };
  const NodeId reader = sim_.AddProcess(p);
  sim_.Start(reader);
  sim_.RunFor(absl::Seconds(2));
  const StateReaderApp& app = *static_cast<StateReaderApp*>(sim_.process(reader).app());
  ASSERT_TRUE(app.answered);
  EXPECT_EQ(app.state.members_size(), 3);
  const std::vector<NodeId> owners(app.state.ring().owners().begin(), app.state.ring().owners().end());
  EXPECT_EQ(owners, M(1).ring()->owners());
  EXPECT_EQ(app.state.ring().version(), M(1).ring_version());
  sim_.RunFor(absl::Seconds(10));
  for (NodeId id = 1; id <= 3; ++id) {
    EXPECT_EQ(M(id).members().count(reader), 0u) << "node " << id << " took the reader for a member";
  }
}

TEST_F(MembershipTest, ACrashedNodeIsSuspectedEverywhereAndWelcomedBackAfterRestart) {
  for (int i = 0; i < 5; ++i) AddNode();
  sim_.RunFor(absl::Seconds(30));
  const uint64_t version = M(1).ring_version();
  sim_.Crash(3);
  sim_.RunFor(absl::Seconds(40));
  for (NodeId id : {1, 2, 4, 5}) EXPECT_FALSE(M(id).IsAlive(3)) << "node " << id;
  EXPECT_EQ(M(1).ring_version(), version) << "a down node stays in the ring";
  sim_.Start(3);
  sim_.RunFor(absl::Seconds(20));
  for (NodeId id : {1, 2, 4, 5}) EXPECT_TRUE(M(id).IsAlive(3)) << "node " << id;
  EXPECT_EQ(M(1).members().at(3).generation(), 2u);
  EXPECT_TRUE(RingsAgree());
}

TEST_F(MembershipTest, PartitionedSidesSuspectEachOtherAndReconcileAfterHealing) {
  for (int i = 0; i < 5; ++i) AddNode({1, 4});
  sim_.RunFor(absl::Seconds(30));
  sim_.network().PartitionSymmetric({1, 2}, {3, 4, 5});
  sim_.RunFor(absl::Seconds(60));
  EXPECT_FALSE(M(1).IsAlive(4));
  EXPECT_FALSE(M(4).IsAlive(2));
  EXPECT_TRUE(M(4).IsAlive(5));
  sim_.network().Heal();
  sim_.RunFor(absl::Seconds(30));
  for (NodeId a = 1; a <= 5; ++a) {
    for (NodeId b = 1; b <= 5; ++b) EXPECT_TRUE(M(a).IsAlive(b)) << a << " sees " << b;
  }
  EXPECT_TRUE(RingsAgree());
}

TEST_F(MembershipTest, JoinAndLeaveRebalanceTheRingMovingAboutOneNth) {
  for (int i = 0; i < 5; ++i) AddNode();
  sim_.RunFor(absl::Seconds(30));
  const Ring five = *M(1).ring();
  AddNode();
  sim_.RunFor(absl::Seconds(30));
  ASSERT_TRUE(RingsAgree());
  const Ring six = *M(2).ring();
  EXPECT_EQ(six.weights().size(), 6u);
  EXPECT_EQ(M(6).status(), Member::UP);
  EXPECT_LE(five.MovedPartitions(six), 64u / 6 + 2);
  M(4).Leave();
  sim_.RunFor(absl::Seconds(30));
  ASSERT_TRUE(RingsAgree());
  EXPECT_FALSE(M(1).ring()->weights().contains(4));
  EXPECT_EQ(M(4).status(), Member::LEFT);
  EXPECT_EQ(M(1).members().at(4).status(), Member::LEFT);
}

uint64_t ClusterFingerprint(uint64_t seed) {
  sim::Simulator sim(seed);
  for (NodeId id = 1; id <= 4; ++id) {
    sim::ProcessOptions p;
    p.boot = [](Runtime& rt, storage::FileSystem&) -> std::unique_ptr<sim::ProcessApp> {
      MembershipOptions options;
      options.seeds = {1};
      options.partitions = 64;
      return std::make_unique<MemberApp>(rt, options, 1);
    };
    sim.AddProcess(p);
    sim.Start(id);
  }
  sim.RunFor(absl::Seconds(20));
  return sim.fingerprint();
}

TEST(MembershipDeterminismTest, SameSeedSameRun) {
  EXPECT_EQ(ClusterFingerprint(9), ClusterFingerprint(9));
  EXPECT_NE(ClusterFingerprint(9), ClusterFingerprint(10));
}

}  // namespace
}  // namespace kv::node
