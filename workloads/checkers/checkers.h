// The key-value checkers: each property is its own checker over the client history and the
// final state of every key. A verdict's detail names the key, the operation and the seed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "workloads/kv/history.h"

namespace kv::workloads {

struct Verdict {
  std::string checker;
  bool passed = true;
  std::string detail;  // the first violation (and how many), or what was checked
  // The scenario exists to show this checker failing (LWW's lost writes, say): reported, but it
  // does not decide the run.
  bool expected_violation = false;
};

struct CheckInput {
  const KvHistory* history = nullptr;
  const absl::btree_map<std::string, KeyFinal>* finals = nullptr;
  uint64_t seed = 0;
  int64_t end_wall_micros = 0;  // wall time of the final reads (for expiry)
  // The largest error of any node's wall clock during the run (Simulator::WallClockErrorMax): a
  // node whose clock ran this far ahead judged a value expired that much early, and dropped it.
  int64_t clock_error_micros = 0;
  uint64_t hints_left = 0;
  bool strict_quorum = false;   // R + W > N with strict quorums: read-your-writes applies
  // If set, decides per key instead (namespaces have their own quorums).
  std::function<bool(const std::string& key)> strict_quorum_for;
  Duration convergence_time = absl::ZeroDuration();
  bool converged = false;
  // When the membership was changing: from a ring change until every node had the new ring and
  // its ownership transfers were done (sampled every 100 ms). Read-your-writes is promised only
  // outside these (README: a read quorum can include a node whose transfer has not finished).
  std::vector<std::pair<MonoTime, MonoTime>> membership_changing;
};

// Every acknowledged write is present at the end, expired (allowing for the clock error),
// or knowingly superseded: replaced by
// an attempted write or delete whose context covered it and came from a reply that showed it
// (supersede.h). Last-writer-wins fails this: it discards concurrent writes nobody saw.
Verdict CheckNoLostWrites(const CheckInput& in);
// Every key's live replicas hold the same versions once faults healed (within the bound).
Verdict CheckConvergence(const CheckInput& in);
// Siblings come only from concurrent writes: none covers another, and no key has more siblings
// than clients that wrote it.
Verdict CheckSiblings(const CheckInput& in);
// A value a delete's context covered, or one whose expiry passed, is not live at the end. A copy
// of a value that another execution of its put made (a failed try, then the retry) carries the
// TTL from its own coordinator's clock, which may be skewed: it must expire its TTL after its own
// write time.
Verdict CheckDeletesAndExpiries(const CheckInput& in);
// With strict quorums and R + W > N: a read invoked after a write was acknowledged returns it or
// a newer version, unless the read overlapped a membership change (CheckInput).
Verdict CheckReadYourWrites(const CheckInput& in);
// Every hint was delivered or expired.
Verdict CheckHintsDrained(const CheckInput& in);
// The contract of a cache namespace's keys (node/cache.h), which the checkers above do not hold
// them to (evictions lose values by design): every value a read returned was written to that key
// by some put. `in.history` holds only cache keys' operations.
Verdict CheckCacheReads(const CheckInput& in);

std::vector<Verdict> RunAllCheckers(const CheckInput& in);

}  // namespace kv::workloads
