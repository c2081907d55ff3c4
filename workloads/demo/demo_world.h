// The demo world: N demo nodes under a random nemesis, then an audit (every node crashed and
// restarted with a quiet disk) after which every acknowledged append must be recovered. The main
// job (`kvsim demo`) runs it and prints its report; the determinism tests run it by seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "sim/sim_disk.h"
#include "sim/sim_network.h"
#include "sim/trace.h"
#include "workloads/demo/demo_history.h"
#include "workloads/demo/demo_node.h"

namespace kv::demo {

struct DemoOptions {
  int nodes = 5;
  Duration duration = absl::Seconds(60);  // simulated time of the workload
  bool faults = true;                     // network faults, the nemesis, disk faults
  DemoNodeOptions node;
};

struct CheckerVerdict {
  std::string name;
  bool passed = false;
  std::string detail;
};

struct DemoResult {
  uint64_t seed = 0;
  DemoHistory history;
  absl::btree_map<std::string, uint64_t> faults;
  sim::NetworkStats network;
  sim::CrashOutcome disk_crashes;  // summed over all crashes
  uint64_t disk_crash_count = 0;
  std::vector<CheckerVerdict> checkers;
  uint64_t events_run = 0;
  uint64_t trace_records = 0;
  uint64_t fault_point_sites = 0;
  uint64_t fault_point_fired = 0;
  Duration simulated = absl::ZeroDuration();
  uint64_t fingerprint = 0;

  bool passed() const;
};

// Validates options: a clear message for anything impossible.
absl::Status ValidateDemoOptions(const DemoOptions& options);

// Runs the demo world for `seed`. `sink`, if set, receives every trace line.
// REQUIRES: ValidateDemoOptions(options).ok().
DemoResult RunDemo(uint64_t seed, const DemoOptions& options, sim::Trace::Sink sink = {});

}  // namespace kv::demo
