// The key-value world: a simulated Dynamo cluster of full nodes, clients running a random
// read/write/delete workload with causal contexts, and a nemesis (partitions, crashes and
// restarts, pauses, clock jumps, disk-fault windows). Then every fault heals, the cluster
// quiesces (hints drain, anti-entropy converges) and the checkers judge the history and the final
// state. Deterministic by seed.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/btree_map.h"
#include "sim/sim_network.h"
#include "sim/trace.h"
#include "workloads/checkers/checkers.h"
#include "workloads/kv/history.h"

namespace kv::workloads {

struct KvWorldOptions {
  int nodes = 5;
  int clients = 3;
  int keys = 12;
  uint32_t n = 3, r = 2, w = 2;
  bool sloppy = true;
  uint32_t partitions = 32;
  Duration duration = absl::Seconds(20);  // the workload, with faults during its first 80 %
  bool faults = true;
  bool disk_faults = true;
  Duration op_interval_mean = absl::Milliseconds(40);
  double put_share = 0.45, delete_share = 0.1;  // the rest are reads
  double blind_share = 0.2;  // writes sent without the client's context
  double ttl_share = 0.05;
  // A node joins at 30 % of the run and node 2 leaves at 50 %, under load.
  bool membership_changes = true;
  Duration convergence_limit = absl::Minutes(3);
};

struct KvWorldResult {
  uint64_t seed = 0;
  KvHistory history;
  absl::btree_map<std::string, KeyFinal> finals;
  std::vector<Verdict> verdicts;
  absl::btree_map<std::string, uint64_t> faults;
  sim::NetworkStats network;
  uint64_t puts_ok = 0, puts_failed = 0, gets_ok = 0, gets_failed = 0;
  uint64_t hints_delivered = 0, read_repairs = 0, keys_repaired_by_aae = 0;
  Duration convergence_time = absl::ZeroDuration();
  uint64_t events_run = 0;
  Duration simulated = absl::ZeroDuration();
  uint64_t fingerprint = 0;

  bool passed() const;
  // The first failing verdict, or nullptr.
  const Verdict* first_failure() const;
};

// OK, or INVALID_ARGUMENT naming the first impossible setting.
absl::Status ValidateKvWorldOptions(const KvWorldOptions& options);

// Runs the world for `seed`. `sink`, if set, receives every trace line.
// REQUIRES: ValidateKvWorldOptions(options).ok().
KvWorldResult RunKvWorld(uint64_t seed, const KvWorldOptions& options, sim::Trace::Sink sink = {});

}  // namespace kv::workloads
