// Checks the demo world's durability property at every recovery of a node:
//   every acknowledged append is recovered, unless recovery reported an invalid record at or
//   before its position in the same segment (detected corruption: the node refused the data
//   rather than returning garbage).
// An acknowledged record lost without such a report is a violation ("silent loss").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "net/transport.h"
#include "workloads/demo/segment_log.h"

namespace kv::demo {

class DurabilityChecker {
 public:
  void OnAck(NodeId node, uint64_t token, LogLocation location);

  // Compares what `node` recovered with what it acknowledged. Returns violations (empty if none).
  // `seed` goes into each message, so it names how to reproduce.
  std::vector<std::string> OnRecovered(NodeId node, const std::vector<uint64_t>& recovered_tokens,
                                       const std::vector<InvalidRecord>& invalid, uint64_t seed);

  uint64_t acked() const { return acked_; }
  // (acknowledged append, recovery) pairs checked present.
  uint64_t verified() const { return verified_; }
  uint64_t lost_to_detected_corruption() const { return explained_; }

 private:
  // Acks still required to be present, per node, keyed by token.
  absl::btree_map<NodeId, absl::btree_map<uint64_t, LogLocation>> required_;
  uint64_t acked_ = 0;
  uint64_t verified_ = 0;
  uint64_t explained_ = 0;
};

}  // namespace kv::demo
