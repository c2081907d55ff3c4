// The key-value world: runs one scenario (workloads/kv/scenario.h) for one seed. A simulated
// Dynamo cluster of full nodes (RocksDB on each process's simulated disk), clients running the
// scenario's workload with causal contexts, the fault script and the random nemesis. Then every
// fault heals, the cluster quiesces (hints drain, transfers finish, anti-entropy converges) and
// the checkers judge the history and the final state. Deterministic by seed: the same seed and
// scenario give the same fingerprint.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/container/btree_map.h"
#include "sim/sim_fault_points.h"
#include "sim/sim_network.h"
#include "sim/trace.h"
#include "workloads/checkers/checkers.h"
#include "workloads/kv/history.h"
#include "workloads/kv/scenario.h"

namespace kv::workloads {

struct KvWorldResult {
  uint64_t seed = 0;
  KvHistory history;
  absl::btree_map<std::string, KeyFinal> finals;
  std::vector<Verdict> verdicts;
  absl::btree_map<std::string, uint64_t> faults;
  sim::NetworkStats network;
  uint64_t puts_ok = 0, puts_failed = 0, gets_ok = 0, gets_failed = 0;
  // Summed over the nodes serving at the end (a restart resets a node's counters).
  uint64_t hints_delivered = 0, hints_expired = 0, hinted_writes = 0;
  uint64_t read_repairs = 0, aae_exchanges = 0, keys_repaired_by_aae = 0;
  uint64_t cache_hits = 0, cache_misses = 0, cache_evictions = 0;  // cache namespaces
  uint64_t reads_with_siblings = 0;
  size_t most_siblings = 0;
  uint64_t keys_written = 0;
  Duration convergence_time = absl::ZeroDuration();
  bool converged = false;
  // Fault points and "sometimes" conditions reached in this run.
  absl::btree_map<std::string, sim::SimFaultPoints::SiteStats> sites;
  uint64_t events_run = 0;
  Duration simulated = absl::ZeroDuration();
  uint64_t fingerprint = 0;

  // Every checker passed, except those the scenario expects to see violated.
  bool passed() const;
  // The first failing verdict that decides the run (not an expected violation), or nullptr.
  const Verdict* first_failure() const;
};

struct RunHooks {
  sim::Trace::Sink sink;  // receives every trace line
  // Called about once per simulated second with the time run so far and the workload's end
  // (the quiescence phase runs past it).
  std::function<void(Duration done, Duration workload)> progress;
};

// The built-in scenario `kvsim cluster` and the property tests run: `nodes` nodes, `clients`
// clients, a random nemesis over the first 80 % of `duration` and, with sloppy quorums, a node
// joining at 30 % and node 2 leaving at 50 % under load. `strict`: strict quorums and stable
// membership (read-your-writes applies).
Scenario BuiltinScenario(int nodes, int clients, Duration duration, bool strict, bool faults);

// Runs `scenario` for `seed`. REQUIRES: ValidateScenario(scenario).ok().
KvWorldResult RunKvWorld(uint64_t seed, const Scenario& scenario, RunHooks hooks = {});

}  // namespace kv::workloads
