// A random nemesis: injects faults into a simulated cluster at random times, at rates set per
// fault kind, and heals everything when its active window ends so checkers can look at a quiet
// cluster. Every choice comes from the simulator's "nemesis" random stream.
//
// Fault kinds and what each does:
//  - partition: one of symmetric random split, isolate one node, one-way split, majority/minority,
//    bridge; healed after an exponential duration (partition_mean).
//  - crash: a machine crash (unsynced disk state lost) and a restart after downtime_mean; at most
//    max_down processes are down at once.
//  - pause: a stop-the-world stall of pause_mean.
//  - clock_jump: a process's wall clock jumps by up to clock_jump_max, forward or back.
//  - disk: a process's disk misbehaves for disk_fault_window: the disk_faults probabilities apply
//    (EIO, ENOSPC, bit flips), then its normal options come back.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/container/btree_map.h"
#include "net/random.h"
#include "net/time.h"
#include "net/transport.h"
#include "sim/faulty_file_system.h"

namespace kv::sim {

class Simulator;

struct NemesisOptions {
  MonoTime start = MonoTime() + absl::Seconds(1);
  // The nemesis stops injecting at `stop`, then heals partitions and restarts crashed processes.
  MonoTime stop = MonoTime() + absl::Seconds(60);
  Duration mean_interval = absl::Seconds(2);

  double partition_weight = 1;
  double crash_weight = 1;
  double pause_weight = 1;
  double clock_jump_weight = 1;
  double disk_weight = 1;

  Duration partition_mean = absl::Seconds(3);
  Duration downtime_mean = absl::Seconds(2);
  Duration pause_mean = absl::Seconds(1);
  Duration clock_jump_max = absl::Seconds(30);
  Duration disk_fault_window = absl::Seconds(2);
  DiskFaultOptions disk_faults = {.read_error_probability = 0.05,
                                  .write_error_probability = 0.05,
                                  .sync_error_probability = 0.05,
                                  .no_space_probability = 0.02,
                                  .write_bit_flip_probability = 0.01,
                                  .read_bit_flip_probability = 0.01};
  // Most processes down at once (crashed, not yet restarted).
  size_t max_down = 1;
};

class Nemesis {
 public:
  // `targets`: the processes it may hurt. The nemesis must outlive the run.
  Nemesis(Simulator* sim, NemesisOptions options, std::vector<NodeId> targets);

  // Schedules the first fault and the final heal.
  void Start();

  uint64_t faults_injected() const { return faults_injected_; }

 private:
  void ScheduleNext();
  void InjectOne();
  void InjectPartition();
  void InjectCrash();
  void InjectPause();
  void InjectClockJump();
  void InjectDiskFaults();
  void EndDiskFaults(NodeId id, uint64_t window);
  void HealAll();
  NodeId RandomTarget();
  bool active() const;

  Simulator* sim_;
  NemesisOptions options_;
  std::vector<NodeId> targets_;
  Random random_;
  size_t down_ = 0;
  uint64_t faults_injected_ = 0;
  bool healed_ = false;
  absl::btree_map<NodeId, DiskFaultOptions> normal_disk_options_;
  absl::btree_map<NodeId, uint64_t> disk_windows_;
};

}  // namespace kv::sim
