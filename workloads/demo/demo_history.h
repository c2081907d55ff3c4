// What the demo world's clients observed, kept outside the simulated processes so it survives
// their crashes: counters, latencies (simulated time), and the durability checker's verdicts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "workloads/demo/durability_checker.h"
#include "workloads/histogram.h"

namespace kv::demo {

struct DemoHistory {
  uint64_t seed = 0;
  bool workload_stopped = false;

  uint64_t appends_ok = 0;
  uint64_t appends_failed = 0;
  absl::btree_map<std::string, uint64_t> append_errors;  // by status code name
  uint64_t pings_ok = 0;
  uint64_t pings_timed_out = 0;
  uint64_t late_or_duplicate_pongs = 0;
  uint64_t connection_events = 0;
  uint64_t recoveries = 0;
  uint64_t recovery_failures = 0;
  uint64_t records_recovered = 0;
  uint64_t invalid_records = 0;
  uint64_t read_retries = 0;
  // Recoveries completed per node since the last audit began (the audit needs one per node).
  absl::btree_map<NodeId, uint64_t> recovered_since_audit;

  LatencyHistogram append_latency;
  LatencyHistogram ping_rtt;

  DurabilityChecker durability;
  std::vector<std::string> violations;
};

}  // namespace kv::demo
