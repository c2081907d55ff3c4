// The checkers' judgement of expiries, on hand-made histories and final states. Expiries are wall
// times from some node's clock, which the simulator skews:
//  - deletes-and-expiry flags an expired value only where the store kept it past its expiry, not
//    where a second execution of the same put (a failed try applied on one coordinator, then the
//    retry on another, whose clock differs) left a copy with its own expiry. Found by
//    `kvsim swarm workloads/scenarios/disk-faults.toml` seed 30561, a false alarm.
//  - no-lost-writes takes a TTL'd write as possibly expired once the end is within the run's
//    clock error of its expiry: a node whose clock ran ahead dropped it early. Found by
//    `kvsim swarm workloads/scenarios/rolling-restart.toml` seed 30319 (a node 79 s fast).
#include <string>

#include "gtest/gtest.h"
#include "workloads/checkers/checkers.h"

namespace kv::workloads {
namespace {

constexpr int64_t kTtl = 3'000'000;
constexpr int64_t kEnd = 100'000'000;  // wall time of the final reads

// One acknowledged put of "v" at coordinator time `written` with a TTL.
KvHistory OnePut(int64_t written) {
  KvHistory h;
  KvOp put;
  put.type = KvOp::Type::kPut;
  put.key = "k";
  put.value = "v";
  put.ttl_micros = kTtl;
  put.expiry_micros = written + kTtl;
  put.code = absl::StatusCode::kOk;
  put.dot = storage::Dot{1, 7};
  h.Add(put);
  return h;
}

Verdict Check(const KvHistory& h, const KeyFinal& final,
              Verdict (*checker)(const CheckInput&) = CheckDeletesAndExpiries,
              int64_t clock_error_micros = 0) {
  absl::btree_map<std::string, KeyFinal> finals{{"k", final}};
  CheckInput in;
  in.history = &h;
  in.finals = &finals;
  in.seed = 1;
  in.end_wall_micros = kEnd;
  in.clock_error_micros = clock_error_micros;
  return checker(in);
}

KeyFinal Live(storage::Dot dot, int64_t expiry, int64_t written) {
  KeyFinal f;
  f.live_values = {"v"};
  f.live_dots = {dot};
  f.live_expiry_micros = {expiry};
  f.live_written_micros = {written};
  return f;
}

TEST(DeletesCheckerTest, TheAcknowledgedCopyLivePastTheExpiryItsReplyNamedFails) {
  const KvHistory h = OnePut(10'000'000);  // expired at 13 s, long before the end
  // The store lost the expiry of the acknowledged copy (same dot).
  const Verdict v = Check(h, Live({1, 7}, 0, 10'000'000));
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.detail.find("expired but is live"), std::string::npos) << v.detail;
}

TEST(DeletesCheckerTest, ACopyFromAnotherExecutionOnAFastClockPasses) {
  const KvHistory h = OnePut(10'000'000);
  // The failed first try's coordinator, 95 s fast, wrote it at its 105 s: live until its 108 s.
  const Verdict v = Check(h, Live({2, 40}, 105'000'000 + kTtl, 105'000'000));
  EXPECT_TRUE(v.passed) << v.detail;
}

TEST(DeletesCheckerTest, ACopyFromAnotherExecutionWithoutItsTtlFails) {
  const KvHistory h = OnePut(10'000'000);
  const Verdict v = Check(h, Live({2, 40}, 0, 105'000'000));
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.detail.find("another execution of its put"), std::string::npos) << v.detail;
}

TEST(LostWritesExpiryTest, AGoneWriteThatExpiresAfterTheEndIsLostWithExactClocks) {
  const KvHistory h = OnePut(kEnd);  // expires 3 s after the end
  const Verdict v = Check(h, KeyFinal(), CheckNoLostWrites);
  EXPECT_FALSE(v.passed);
  EXPECT_NE(v.detail.find("is gone"), std::string::npos) << v.detail;
}

TEST(LostWritesExpiryTest, AGoneWriteWithinTheClockErrorOfItsExpiryMayHaveExpired) {
  const KvHistory h = OnePut(kEnd);
  // A node 5 s fast saw it expire 2 s before the end and dropped it.
  EXPECT_TRUE(Check(h, KeyFinal(), CheckNoLostWrites, 5'000'000).passed);
  // 2 s of error do not reach its expiry: still lost.
  EXPECT_FALSE(Check(h, KeyFinal(), CheckNoLostWrites, 2'000'000).passed);
}

}  // namespace
}  // namespace kv::workloads
