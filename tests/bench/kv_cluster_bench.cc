// Simulator speed on the full key-value world: a 5-node, N=3 cluster with RocksDB on each
// process's simulated disk, no faults. Goals (issue 5): at least 50,000 simulated client
// operations per wall-clock second on one core, and one simulated hour of an idle cluster
// (gossip, anti-entropy, hinted-handoff rounds) in at most 5 wall seconds (>= 700x real time).
//
//   build/release/tests/bench/kv_cluster_bench
//
// Counters: ops_per_wall_second (client operations completed per wall second, whole run
// including warm-up and quiescence), speedup (simulated seconds per wall second), events/s, and
// ops (the run's client operations: divide a profiler's instruction count by it for a cost per
// operation; the same for every build, since a seed fixes the run).
#include <chrono>

#include "benchmark/benchmark.h"
#include "net/assert.h"
#include "workloads/kv/kv_world.h"

namespace kv::workloads {
namespace {

Scenario QuietCluster() {
  Scenario s;
  s.cluster.nodes = 5;
  s.cluster.anti_entropy_interval = absl::Seconds(1);  // the node's default
  s.nemesis.enabled = false;
  s.buggify = false;
  s.workload.ttl_share = 0;
  return s;
}

// Runs `s` once per iteration (a new seed each) and reports the last run's speed.
void RunAndReport(benchmark::State& state, const Scenario& s) {
  uint64_t seed = 1;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const KvWorldResult r = RunKvWorld(seed++, s);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    state.counters["ops_per_wall_second"] = static_cast<double>(r.history.ops.size()) / wall;
    state.counters["speedup"] = absl::ToDoubleSeconds(r.simulated) / wall;
    state.counters["events_per_second"] = static_cast<double>(r.events_run) / wall;
    state.counters["ops"] = static_cast<double>(r.history.ops.size());
  }
}

// Many clients in open loop keep the cluster busy: throughput of the simulation itself.
void BM_ClientOperations(benchmark::State& state) {
  Scenario s = QuietCluster();
  s.workload.clients = static_cast<int>(state.range(0));
  s.workload.loop = Loop::kOpen;
  s.workload.rate = 200;
  s.workload.keys = 1000;
  s.workload.duration = absl::Seconds(10);
  RunAndReport(state, s);
}
BENCHMARK(BM_ClientOperations)->Arg(8)->Arg(32)->Unit(benchmark::kSecond)->Iterations(1);

// The same load (8 open-loop clients) with YCSB's mixes: A (50 % updates), B (5 %), C (reads
// only), zipfian keys. Each write is a read-modify-write on three replicas' RocksDB; a read is
// three RocksDB reads, so the speed depends on the mix more than on anything else.
void BM_ClientOperationsYcsb(benchmark::State& state, const char* preset) {
  Scenario s = QuietCluster();
  KV_ASSERT(ApplyPreset(preset, &s.workload).ok());
  s.workload.clients = 8;
  s.workload.loop = Loop::kOpen;
  s.workload.rate = 200;
  s.workload.keys = 1000;
  s.workload.duration = absl::Seconds(10);
  RunAndReport(state, s);
}
BENCHMARK_CAPTURE(BM_ClientOperationsYcsb, A, "A")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_ClientOperationsYcsb, B, "B")->Unit(benchmark::kSecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_ClientOperationsYcsb, C, "C")->Unit(benchmark::kSecond)->Iterations(1);

// One simulated hour of an idle cluster: one client issuing a read every ten minutes.
void BM_IdleHour(benchmark::State& state) {
  Scenario s = QuietCluster();
  s.workload.clients = 1;
  s.workload.rate = 1.0 / 600;
  s.workload.duration = absl::Hours(1);
  RunAndReport(state, s);
}
BENCHMARK(BM_IdleHour)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace kv::workloads
