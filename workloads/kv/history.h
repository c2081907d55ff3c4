// What the key-value workload's clients did and saw: one record per operation, from invocation to
// completion. Failed and timed-out writes are indeterminate (they may have been applied), as in
// Jepsen histories. Values are unique per write, so a value read names the write that made it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "net/time.h"
#include "storage/record/context.h"

namespace kv::workloads {

struct KvOp {
  enum class Type : uint8_t { kPut, kDelete, kGet };
  Type type = Type::kGet;
  uint32_t client = 0;
  std::string key;
  std::string value;         // kPut
  std::string context_used;  // kPut/kDelete: the causal context sent ("" = blind)
  // kPut/kDelete with a context: the index of the operation whose reply gave that context (the
  // values it returned are what the client knew it was replacing); -1 for blind writes.
  int64_t context_from = -1;
  int64_t ttl_micros = 0;    // kPut
  int64_t expiry_micros = 0; // kPut when acknowledged: when the value expires (0 = never)
  uint32_t coordinator = 0;
  MonoTime invoked;
  MonoTime completed;
  absl::StatusCode code = absl::StatusCode::kUnknown;  // kOk: acknowledged
  storage::Dot dot;                                    // kPut/kDelete when acknowledged
  // When acknowledged, the values returned with their dots and expiries: a get's result, or the
  // live siblings a put's reply returned (what the put's new context covers).
  std::vector<std::string> values_read;
  std::vector<storage::Dot> dots_read;
  std::vector<int64_t> expiries_read;

  bool ok() const { return code == absl::StatusCode::kOk; }
  bool is_write() const { return type != Type::kGet; }
};

struct KvHistory {
  // Appends `op` (at its invocation) and indexes it; returns its index.
  size_t Add(KvOp op) {
    ops.push_back(std::move(op));
    const size_t i = ops.size() - 1;
    const KvOp& added = ops[i];
    if (added.type == KvOp::Type::kPut) writer_of[added.value] = i;
    if (added.is_write() && !added.context_used.empty()) context_writes_of[added.key].push_back(i);
    return i;
  }

  std::vector<KvOp> ops;  // append with Add
  // A value's write: the index of the put that wrote it.
  absl::btree_map<std::string, size_t> writer_of;
  // Each key's writes and deletes sent with a context, by index in invocation order (what the
  // supersession checks scan).
  absl::btree_map<std::string, std::vector<size_t>> context_writes_of;
};

// The end state of one key after the cluster quiesced.
struct KeyFinal {
  // Parallel: each live sibling's value, dot, expiry (0 = none) and write time (the wall clock of
  // the coordinator that wrote it, the frame its expiry is in).
  std::vector<std::string> live_values;
  std::vector<storage::Dot> live_dots;
  std::vector<int64_t> live_expiry_micros;
  std::vector<int64_t> live_written_micros;
  size_t replicas_checked = 0;
  bool replicas_agree = true;  // every live replica held the same version set
};

}  // namespace kv::workloads
