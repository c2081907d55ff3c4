// One simulated process (a node's OS process on its own machine). It is the Executor and Clock of
// its fibers, owns its machine's disk (which survives crashes), and holds the state of its current
// incarnation (fibers, transport inbox, random stream, app) between a start and a crash.
//
// Incarnations: every start and every crash bumps the incarnation number. Events carry the
// incarnation they were scheduled in and are dropped if it is no longer current, so nothing
// scheduled before a crash (timers, fiber wake-ups, messages in flight to it) runs afterwards.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/clock.h"
#include "net/executor.h"
#include "net/fiber.h"
#include "net/log.h"
#include "net/random.h"
#include "net/runtime.h"
#include "sim/faulty_file_system.h"
#include "sim/sim_disk.h"
#include "sim/simulator.h"

namespace kv::sim {

class SimTransport;

class SimProcess final : public Executor, public Clock, public Logger, public DiskObserver {
 public:
  SimProcess(Simulator* sim, NodeId id, ProcessOptions options);
  ~SimProcess() override;

  NodeId id() const { return id_; }
  const std::string& name() const { return options_.name; }
  // Running (started, not crashed or stopped, not in the middle of crashing).
  bool alive() const;
  uint32_t incarnation() const { return incarnation_; }
  bool paused() const;
  MonoTime paused_until() const { return MonoTime::FromNanos(paused_until_ns_); }

  // The running incarnation's parts. REQUIRES: alive().
  Runtime& runtime();
  SimTransport& transport();
  FiberScheduler& fibers();
  ProcessApp* app();

  // The machine's disk: the durability model, and the faulty view the process uses.
  SimDisk& disk() { return disk_; }
  FaultyFileSystem& fs() { return faulty_fs_; }
  uint64_t starts() const { return starts_; }
  uint64_t crashes() const { return crashes_; }

  // Executor (events owned by the current incarnation).
  MonoTime Now() const override;
  void Post(Task task) override;
  TimerId RunAt(MonoTime when, Task task) override;
  void Cancel(TimerId id) override;

  // Clock.
  MonoTime MonoNow() const override { return Now(); }
  WallTime WallNow() const override;

  // Logger.
  void Log(LogLevel level, absl::string_view message) override;
  bool Enabled(LogLevel level) const override;

  // DiskObserver: traces the shape of every disk operation (and the bytes, for hashed files).
  void OnDiskOp(DiskOp op, absl::string_view path, uint64_t offset, uint64_t length,
                absl::string_view data) override;

 private:
  friend class Simulator;
  struct Incarnation;

  void StartIncarnation();
  // Cancels every fiber and destroys the incarnation. `crash` also applies the disk crash model.
  void EndIncarnation();

  Simulator* sim_;
  NodeId id_;
  ProcessOptions options_;
  uint32_t incarnation_ = 0;
  uint64_t starts_ = 0;
  uint64_t crashes_ = 0;
  int64_t paused_until_ns_ = 0;
  Duration wall_offset_;
  double drift_ppm_;
  SimDisk disk_;
  FaultyFileSystem faulty_fs_;
  std::unique_ptr<Incarnation> live_;
};

}  // namespace kv::sim
