#include "sim/simulator.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "sim/sim_network.h"
#include "sim/sim_process.h"

namespace kv::sim {

Simulator::Simulator(uint64_t seed, SimulatorOptions options)
    : seed_(seed),
      options_(std::move(options)),
      root_random_(seed),
      fault_points_(seed, options_.buggify, root_random_.Fork("buggify")),
      network_(std::make_unique<SimNetwork>(this, root_random_.Fork("network"))) {
  if (!options_.log_sink) {
    options_.log_sink = [](absl::string_view line) {
      std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    };
  }
  fault_points_.set_observer([this](absl::string_view site, bool fired) {
    if (fired) trace_.RecordWithDetail(now_ns_, TraceKind::kBuggify, 0, StableHash(site), 1, site);
  });
}

Simulator::~Simulator() {
  for (size_t i = processes_.size(); i > 0; --i) {
    if (processes_[i - 1]->alive()) processes_[i - 1]->EndIncarnation();
  }
}

NodeId Simulator::AddProcess(ProcessOptions options) {
  const NodeId id = static_cast<NodeId>(processes_.size() + 1);
  if (options.name.empty()) options.name = absl::StrCat("p", id);
  processes_.push_back(std::make_unique<SimProcess>(this, id, std::move(options)));
  return id;
}

SimProcess& Simulator::process(NodeId id) {
  KV_ASSERT_MSG(has_process(id), absl::StrCat("no process ", id));
  return *processes_[id - 1];
}

const SimProcess& Simulator::process(NodeId id) const {
  KV_ASSERT_MSG(has_process(id), absl::StrCat("no process ", id));
  return *processes_[id - 1];
}

std::vector<NodeId> Simulator::process_ids() const {
  std::vector<NodeId> ids;
  for (NodeId id = 1; id <= processes_.size(); ++id) ids.push_back(id);
  return ids;
}

TimerId Simulator::At(MonoTime when, Task task) {
  return queue_.Push(std::max(when.nanos(), now_ns_), 0, 0, std::move(task));
}

TimerId Simulator::ScheduleOwned(NodeId owner, uint32_t incarnation, MonoTime when, Task task) {
  return queue_.Push(std::max(when.nanos(), now_ns_), owner, incarnation, std::move(task));
}

void Simulator::RecordFault(absl::string_view kind, NodeId target, uint64_t param) {
  ++faults_[std::string(kind)];
  trace_.RecordWithDetail(now_ns_, TraceKind::kFault, StableHash(kind), target, param, kind);
}

void Simulator::Start(NodeId id) {
  SimProcess& p = process(id);
  if (p.alive()) return;
  if (p.starts() > 0) {
    RecordFault("restart", id, p.incarnation());
  } else {
    trace_.RecordWithDetail(now_ns_, TraceKind::kFault, StableHash("start"), id, 0, "start");
  }
  p.StartIncarnation();
}

CrashOutcome Simulator::Crash(NodeId id) {
  if (FiberScheduler::OnFiber()) {
    // A fiber (a test's client, say) cannot unwind fibers: crash from the event loop instead.
    At(now(), [this, id] { Crash(id); });
    return {};
  }
  SimProcess& p = process(id);
  if (!p.alive()) return {};
  RecordFault("crash", id, p.incarnation());
  p.EndIncarnation();
  ++p.crashes_;
  // The disk lost power with the machine: nothing after this instant was written.
  CrashOutcome outcome = p.disk().Crash();
  crash_totals_ += outcome;
  network_->OnCrash(id);
  return outcome;
}

void Simulator::Stop(NodeId id) {
  if (FiberScheduler::OnFiber()) {
    At(now(), [this, id] { Stop(id); });
    return;
  }
  SimProcess& p = process(id);
  if (!p.alive()) return;
  trace_.RecordWithDetail(now_ns_, TraceKind::kFault, StableHash("stop"), id, 0, "stop");
  p.EndIncarnation();
  network_->OnCrash(id);
}

void Simulator::Reboot(NodeId id, Duration downtime) {
  Crash(id);
  After(downtime, [this, id] { Start(id); });
}

void Simulator::Pause(NodeId id, Duration duration) {
  SimProcess& p = process(id);
  if (!p.alive()) return;
  RecordFault("pause", id, static_cast<uint64_t>(absl::ToInt64Milliseconds(duration)));
  p.paused_until_ns_ = std::max(p.paused_until_ns_, (now() + duration).nanos());
}

void Simulator::JumpWallClock(NodeId id, Duration delta) {
  RecordFault("clock_jump", id, static_cast<uint64_t>(absl::ToInt64Milliseconds(delta)));
  wall_clock_error_max_ = WallClockErrorMax();  // the error grew linearly up to now (drift)
  process(id).wall_offset_ += delta;
  wall_clock_error_max_ = WallClockErrorMax();
}

void Simulator::SetWallClockDrift(NodeId id, double drift_ppm) {
  RecordFault("clock_drift", id, static_cast<uint64_t>(static_cast<int64_t>(drift_ppm)));
  wall_clock_error_max_ = WallClockErrorMax();
  // The clock keeps what the old rate gained or lost (WallNow applies the rate to all of time).
  SimProcess& p = process(id);
  const auto gained_ns = [&](double ppm) {
    return static_cast<int64_t>(static_cast<double>(now_ns_) * ppm / 1e6);
  };
  p.wall_offset_ += absl::Nanoseconds(gained_ns(p.drift_ppm_) - gained_ns(drift_ppm));
  p.drift_ppm_ = drift_ppm;
}

Duration Simulator::WallClockErrorMax() const {
  // Between clock changes each error is linear in time, so its largest value is at a change
  // (recorded then) or now.
  Duration most = wall_clock_error_max_;
  const WallTime true_now = options_.epoch + absl::Nanoseconds(now_ns_);
  for (const auto& p : processes_) most = std::max(most, absl::AbsDuration(p->WallNow() - true_now));
  return most;
}

bool Simulator::Step() { return RunNext(INT64_MAX); }

bool Simulator::RunNext(int64_t deadline_ns) {
  EventQueue::Head head;
  while (queue_.PeekLive(&head) && head.time_ns <= deadline_ns) {
    KV_ASSERT(head.time_ns >= now_ns_);
    if (head.owner != 0) {
      SimProcess& p = *processes_[head.owner - 1];
      if (p.alive() && p.incarnation() == head.incarnation &&
          p.paused_until_ns_ > head.time_ns) {
        queue_.DeferHead(p.paused_until_ns_);
        continue;
      }
    }
    EventQueue::Popped event;
    queue_.Pop(&event);
    RunEvent(event);
    return true;
  }
  return false;
}

void Simulator::RunEvent(EventQueue::Popped& event) {
  now_ns_ = event.time_ns;
  if (event.owner != 0) {
    const SimProcess& p = *processes_[event.owner - 1];
    if (!p.alive() || p.incarnation() != event.incarnation) {
      ++events_dropped_;
      return;
    }
  }
  ++events_run_;
  trace_.Record(now_ns_, TraceKind::kTask, event.owner, event.seq, 0);
  event.task();
}

void Simulator::RunUntil(MonoTime deadline) {
  while (RunNext(deadline.nanos())) {
  }
  now_ns_ = std::max(now_ns_, deadline.nanos());
}

bool Simulator::RunUntilCondition(const std::function<bool()>& done, MonoTime deadline) {
  while (!done()) {
    if (!RunNext(deadline.nanos())) {
      now_ns_ = std::max(now_ns_, deadline.nanos());
      return done();
    }
  }
  return true;
}

}  // namespace kv::sim
