#include "sim/nemesis.h"

#include <algorithm>

#include "net/assert.h"
#include "sim/sim_network.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"

namespace kv::sim {

Nemesis::Nemesis(Simulator* sim, NemesisOptions options, std::vector<NodeId> targets)
    : sim_(sim),
      options_(options),
      targets_(std::move(targets)),
      random_(sim->ForkRandom("nemesis")) {
  KV_ASSERT(!targets_.empty());
  KV_ASSERT(options_.start <= options_.stop);
}

void Nemesis::Start() {
  sim_->At(options_.start, [this] { ScheduleNext(); });
  sim_->At(options_.stop, [this] { HealAll(); });
}

bool Nemesis::active() const { return !healed_ && sim_->now() < options_.stop; }

void Nemesis::ScheduleNext() {
  if (!active()) return;
  sim_->After(random_.Exponential(options_.mean_interval), [this] {
    if (!active()) return;
    InjectOne();
    ScheduleNext();
  });
}

NodeId Nemesis::RandomTarget() { return targets_[random_.Uniform(targets_.size())]; }

void Nemesis::InjectOne() {
  const double weights[] = {options_.partition_weight, options_.crash_weight,
                            options_.pause_weight, options_.clock_jump_weight,
                            options_.disk_weight};
  double total = 0;
  for (double w : weights) total += std::max(0.0, w);
  if (total <= 0) return;
  double pick = random_.NextDouble() * total;
  int kind = 0;
  for (; kind < 4; ++kind) {
    pick -= std::max(0.0, weights[kind]);
    if (pick < 0) break;
  }
  ++faults_injected_;
  switch (kind) {
    case 0: InjectPartition(); break;
    case 1: InjectCrash(); break;
    case 2: InjectPause(); break;
    case 3: InjectClockJump(); break;
    default: InjectDiskFaults(); break;
  }
}

void Nemesis::InjectPartition() {
  SimNetwork& net = sim_->network();
  if (targets_.size() < 2) return;
  switch (random_.Uniform(5)) {
    case 0: {
      std::vector<NodeId> a, b;
      for (NodeId id : targets_) (random_.Bernoulli(0.5) ? a : b).push_back(id);
      if (a.empty() || b.empty()) return;
      net.PartitionSymmetric(a, b);
      break;
    }
    case 1:
      net.Isolate(RandomTarget());
      break;
    case 2: {
      const NodeId from = RandomTarget();
      std::vector<NodeId> rest;
      for (NodeId id : targets_) {
        if (id != from) rest.push_back(id);
      }
      net.PartitionOneWay({from}, rest);
      break;
    }
    case 3:
      net.SplitMajorityMinority();
      break;
    default:
      net.Bridge(RandomTarget());
      break;
  }
  sim_->After(random_.Exponential(options_.partition_mean), [this] { sim_->network().Heal(); });
}

void Nemesis::InjectCrash() {
  if (down_ >= options_.max_down) return;
  const NodeId id = RandomTarget();
  if (!sim_->process(id).alive()) return;
  sim_->Crash(id);
  ++down_;
  sim_->After(random_.Exponential(options_.downtime_mean), [this, id] {
    if (!sim_->process(id).alive()) sim_->Start(id);
    --down_;
  });
}

void Nemesis::InjectPause() {
  sim_->Pause(RandomTarget(), random_.Exponential(options_.pause_mean));
}

void Nemesis::InjectClockJump() {
  const int64_t max_ms = absl::ToInt64Milliseconds(options_.clock_jump_max);
  sim_->JumpWallClock(RandomTarget(), absl::Milliseconds(random_.Range(-max_ms, max_ms)));
}

void Nemesis::InjectDiskFaults() {
  const NodeId id = RandomTarget();
  FaultyFileSystem& fs = sim_->process(id).fs();
  // The first window on a process remembers its normal options; overlapping windows extend it.
  if (!normal_disk_options_.contains(id)) normal_disk_options_[id] = fs.options();
  const uint64_t window = ++disk_windows_[id];
  fs.set_options(options_.disk_faults);
  sim_->RecordFault("disk_fault_window", id, 0);
  sim_->After(options_.disk_fault_window, [this, id, window] { EndDiskFaults(id, window); });
}

void Nemesis::EndDiskFaults(NodeId id, uint64_t window) {
  if (disk_windows_[id] != window) return;  // a later window is still open
  auto it = normal_disk_options_.find(id);
  if (it == normal_disk_options_.end()) return;
  sim_->process(id).fs().set_options(it->second);
  normal_disk_options_.erase(it);
}

void Nemesis::HealAll() {
  healed_ = true;
  sim_->network().Heal();
  for (auto& [id, window] : disk_windows_) EndDiskFaults(id, window);
  for (NodeId id : targets_) {
    if (!sim_->process(id).alive()) sim_->Start(id);
  }
}

}  // namespace kv::sim
