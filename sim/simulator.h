// The deterministic simulator: one thread, one 64-bit root seed, one event queue ordered by
// (simulated time, sequence). It hosts simulated processes (each with its own fibers, transport,
// clock, disk and random stream), a simulated network between them, and the fault API that
// scenarios and nemeses drive. Every random choice is derived from the root seed through named
// streams, and every event, message, fault and disk operation goes into the trace, whose
// fingerprint identifies the run: the same seed gives the same fingerprint, bit for bit.
//
// Usage:
//   Simulator sim(seed);
//   NodeId a = sim.AddProcess({.name = "n1", .boot = MakeMyNode});
//   sim.Start(a);
//   sim.After(absl::Seconds(5), [&] { sim.Crash(a); });
//   sim.RunFor(absl::Minutes(1));
//   printf("%s\n", FingerprintString(sim.fingerprint()).c_str());
//
// Threading: none. Everything, including process fibers, runs on the caller's thread inside Run*.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/container/btree_map.h"
#include "net/executor.h"
#include "net/log.h"
#include "net/random.h"
#include "net/runtime.h"
#include "net/time.h"
#include "sim/event_queue.h"
#include "sim/faulty_file_system.h"
#include "sim/sim_disk.h"
#include "sim/sim_fault_points.h"
#include "sim/trace.h"
#include "storage/file_system.h"

namespace kv::sim {

class SimNetwork;
class SimProcess;

// What a simulated process runs. Boot is called (outside any fiber) at every start and restart; it
// builds the process's state, spawns its fibers and returns the state, which the simulator keeps
// until the process crashes or stops. At a crash every fiber is cancelled first (newest first),
// then the state is destroyed: fibers may reference it freely.
class ProcessApp {
 public:
  virtual ~ProcessApp() = default;
};
using BootFn =
    std::function<std::unique_ptr<ProcessApp>(Runtime& runtime, storage::FileSystem& fs)>;

struct ProcessOptions {
  std::string name;
  BootFn boot;
  DiskOptions disk;
  DiskFaultOptions disk_faults;
  // Wall clock = simulation epoch + simulated time * (1 + drift_ppm / 1e6) + offset.
  Duration wall_clock_offset = absl::ZeroDuration();
  double wall_clock_drift_ppm = 0;
  // Which files' written bytes are hashed into the trace (default: all). Files whose bytes differ
  // between runs by design (RocksDB's SST and MANIFEST files carry a random session id) contribute
  // only the shape of their I/O: operation, offset, length.
  std::function<bool(absl::string_view path)> hash_disk_bytes;
};

struct SimulatorOptions {
  // Fault points (buggify) may fire in this run.
  bool buggify = true;
  // Process log lines at or above this level go to the log sink.
  LogLevel log_level = LogLevel::kWarn;
  // Receives process log lines; default: stderr.
  std::function<void(absl::string_view line)> log_sink;
  // Wall time of simulated time zero (fixed, so wall clocks are reproducible).
  WallTime epoch = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z
};

class Simulator {
 public:
  explicit Simulator(uint64_t seed, SimulatorOptions options = {});
  // Stops every process (fibers cancelled, no disk crash) and drops pending events.
  ~Simulator();
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  uint64_t seed() const { return seed_; }
  MonoTime now() const { return MonoTime::FromNanos(now_ns_); }
  Trace& trace() { return trace_; }
  uint64_t fingerprint() const { return trace_.fingerprint(); }
  SimNetwork& network() { return *network_; }
  SimFaultPoints& fault_points() { return fault_points_; }
  const SimulatorOptions& options() const { return options_; }

  // A random stream for `purpose`, derived from the root seed only: the same purpose gives the
  // same stream in every run of the seed, however other streams were used.
  Random ForkRandom(absl::string_view purpose) const { return root_random_.Fork(purpose); }

  // ---- processes ----
  // Adds a process (not started). Ids are 1, 2, 3, ... in order of addition.
  NodeId AddProcess(ProcessOptions options);
  SimProcess& process(NodeId id);
  const SimProcess& process(NodeId id) const;
  bool has_process(NodeId id) const { return id >= 1 && id <= processes_.size(); }
  // All process ids, ascending.
  std::vector<NodeId> process_ids() const;

  // ---- simulator-level events (fault scripts, workload drivers); never dropped by crashes ----
  TimerId At(MonoTime when, Task task);
  TimerId After(Duration delay, Task task) { return At(now() + delay, std::move(task)); }
  void Cancel(TimerId id) { queue_.Cancel(id); }

  // ---- process faults; each is recorded in the trace and counted by kind ----
  // Boots a stopped or crashed process (a restart from its durable disk state).
  void Start(NodeId id);
  // Kills a process: fibers dropped, connections broken, unsynced disk state lost per the crash
  // model. No-op if it is not running. Called on a fiber, it happens as the next event (at the
  // same simulated time) and returns an empty outcome.
  CrashOutcome Crash(NodeId id);
  // Stops a process (fibers cancelled, disk untouched, nothing written while stopping). Called on
  // a fiber, it happens as the next event.
  void Stop(NodeId id);
  // Crashes now and starts again after `downtime`.
  void Reboot(NodeId id, Duration downtime);
  // Freezes a running process for `duration` (a stop-the-world stall): none of its events run and
  // messages to it queue up; its clocks keep going.
  void Pause(NodeId id, Duration duration);
  // Moves a process's wall clock by `delta` (forward or back). Monotonic time is unaffected.
  void JumpWallClock(NodeId id, Duration delta);
  void SetWallClockDrift(NodeId id, double drift_ppm);
  // The largest difference so far, either way, between a process's wall clock and the true wall
  // time (epoch + now): configured offsets, jumps and drift. Checkers that judge expiries (wall
  // times set by some node's clock) allow this much.
  Duration WallClockErrorMax() const;

  // Counts a fault of `kind` against `target` and traces it (used by the network, disks, nemeses).
  void RecordFault(absl::string_view kind, NodeId target, uint64_t param);
  // Faults injected so far, by kind.
  const absl::btree_map<std::string, uint64_t>& faults() const { return faults_; }
  // What every crash so far did to the disks, summed.
  const CrashOutcome& crash_totals() const { return crash_totals_; }

  // ---- running ----
  // Runs the earliest event. Returns false if there is none.
  bool Step();
  // Runs every event due at or before `deadline`, then advances time to `deadline`.
  void RunUntil(MonoTime deadline);
  void RunFor(Duration d) { RunUntil(now() + d); }
  // Runs until `done()` holds (checked after each event) or `deadline`; returns done().
  bool RunUntilCondition(const std::function<bool()>& done, MonoTime deadline);

  // ---- statistics ----
  uint64_t events_run() const { return events_run_; }
  uint64_t events_dropped() const { return events_dropped_; }
  size_t events_pending() const { return queue_.size(); }

  // For SimProcess: schedule an event owned by a process incarnation.
  TimerId ScheduleOwned(NodeId owner, uint32_t incarnation, MonoTime when, Task task);
  void CancelOwned(TimerId id) { queue_.Cancel(id); }

 private:
  // Runs the earliest event due at or before `deadline_ns`; false if there is none.
  bool RunNext(int64_t deadline_ns);
  void RunEvent(EventQueue::Popped& event);

  uint64_t seed_;
  SimulatorOptions options_;
  Random root_random_;
  int64_t now_ns_ = 0;
  EventQueue queue_;
  Trace trace_;
  SimFaultPoints fault_points_;
  std::unique_ptr<SimNetwork> network_;
  std::vector<std::unique_ptr<SimProcess>> processes_;  // index = id - 1
  absl::btree_map<std::string, uint64_t> faults_;
  CrashOutcome crash_totals_;
  Duration wall_clock_error_max_ = absl::ZeroDuration();  // as of the last clock change
  uint64_t events_run_ = 0;
  uint64_t events_dropped_ = 0;
};

}  // namespace kv::sim
