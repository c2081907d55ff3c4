// The read-your-writes checker on hand-made histories: with strict quorums a read after an
// acknowledged write must see it, except while the membership changes (a read quorum can then
// include a node whose transfer has not finished: README, known limits). Found by
// `kvsim swarm workloads/scenarios/namespaces.toml` seeds 30148, 30255, 30351: reads of a strict
// N=2 key after the scenario's join, from new owners the transfer had not reached yet.
#include <string>

#include "gtest/gtest.h"
#include "workloads/checkers/checkers.h"

namespace kv::workloads {
namespace {

MonoTime Second(int seconds) { return MonoTime() + absl::Seconds(seconds); }

// An acknowledged put of "v" completed at 1 s, then a get over [5 s, 6 s] that saw nothing.
KvHistory PutThenEmptyRead() {
  KvHistory h;
  KvOp put;
  put.type = KvOp::Type::kPut;
  put.key = "k";
  put.value = "v";
  put.code = absl::StatusCode::kOk;
  put.dot = storage::Dot{1, 1};
  put.invoked = Second(0);
  put.completed = Second(1);
  h.Add(put);
  KvOp get;
  get.type = KvOp::Type::kGet;
  get.key = "k";
  get.code = absl::StatusCode::kOk;
  get.invoked = Second(5);
  get.completed = Second(6);
  h.Add(get);
  return h;
}

Verdict CheckRyw(const KvHistory& h, std::vector<std::pair<MonoTime, MonoTime>> changing) {
  absl::btree_map<std::string, KeyFinal> finals;
  CheckInput in;
  in.history = &h;
  in.finals = &finals;
  in.seed = 1;
  in.strict_quorum = true;
  in.membership_changing = std::move(changing);
  return CheckReadYourWrites(in);
}

TEST(ReadYourWritesCheckerTest, AReadThatMissesAnAcknowledgedWriteFails) {
  const Verdict v = CheckRyw(PutThenEmptyRead(), {});
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.detail.find("did not see 'v'"), std::string::npos) << v.detail;
}

TEST(ReadYourWritesCheckerTest, AReadOverlappingAMembershipChangeIsNotJudged) {
  const Verdict v = CheckRyw(PutThenEmptyRead(), {{Second(5) + absl::Milliseconds(500), Second(9)}});
  EXPECT_TRUE(v.passed) << v.detail;
  EXPECT_NE(v.detail.find("1 reads during membership changes not judged"), std::string::npos)
      << v.detail;
}

TEST(ReadYourWritesCheckerTest, AChangeThatEndedBeforeTheReadExemptsNothing) {
  EXPECT_FALSE(CheckRyw(PutThenEmptyRead(), {{Second(2), Second(4)}}).passed);
}

}  // namespace
}  // namespace kv::workloads
