#include "sim/sim_process.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/assert.h"
#include "sim/sim_network.h"
#include "sim/sim_transport.h"

namespace kv::sim {

struct SimProcess::Incarnation {
  Incarnation(SimProcess* p, Random r)
      : random(std::move(r)),
        fibers(p),
        transport(&p->sim_->network(), p->id_),
        runtime(Runtime::Parts{p->id_, p, p, &fibers, &transport, &random,
                               &p->sim_->fault_points(), p}) {}
  Random random;
  FiberScheduler fibers;
  SimTransport transport;
  Runtime runtime;
  std::unique_ptr<ProcessApp> app;
  bool ending = false;
};

SimProcess::SimProcess(Simulator* sim, NodeId id, ProcessOptions options)
    : sim_(sim),
      id_(id),
      options_(std::move(options)),
      wall_offset_(options_.wall_clock_offset),
      drift_ppm_(options_.wall_clock_drift_ppm),
      disk_(options_.disk, sim->ForkRandom(absl::StrCat("disk/", id)), this),
      faulty_fs_(&disk_, options_.disk_faults, sim->ForkRandom(absl::StrCat("disk-faults/", id)),
                 [sim, id](absl::string_view kind, absl::string_view path) {
                   sim->RecordFault(kind, id, StableHash(path));
                 }) {}

SimProcess::~SimProcess() { KV_ASSERT_MSG(live_ == nullptr, "process destroyed while running"); }

bool SimProcess::alive() const { return live_ != nullptr && !live_->ending; }

bool SimProcess::paused() const { return alive() && paused_until_ns_ > sim_->now().nanos(); }

Runtime& SimProcess::runtime() {
  KV_ASSERT_MSG(live_ != nullptr, absl::StrCat("process ", name(), " is not running"));
  return live_->runtime;
}

SimTransport& SimProcess::transport() {
  KV_ASSERT_MSG(live_ != nullptr, absl::StrCat("process ", name(), " is not running"));
  return live_->transport;
}

FiberScheduler& SimProcess::fibers() {
  KV_ASSERT_MSG(live_ != nullptr, absl::StrCat("process ", name(), " is not running"));
  return live_->fibers;
}

ProcessApp* SimProcess::app() { return live_ == nullptr ? nullptr : live_->app.get(); }

void SimProcess::StartIncarnation() {
  KV_ASSERT(live_ == nullptr);
  ++incarnation_;
  ++starts_;
  paused_until_ns_ = 0;
  faulty_fs_.set_offline(false);
  live_ = std::make_unique<Incarnation>(
      this, sim_->ForkRandom(absl::StrCat("process/", id_, "/", incarnation_)));
  if (options_.boot) live_->app = options_.boot(live_->runtime, faulty_fs_);
}

void SimProcess::EndIncarnation() {
  KV_ASSERT(live_ != nullptr);
  // From here on, events of this incarnation (and any posted while unwinding) are dropped.
  ++incarnation_;
  live_->ending = true;
  // As under kill -9: nothing the dying incarnation's destructors do reaches the disk.
  faulty_fs_.set_offline(true);
  live_->fibers.CancelAll();
  live_->app.reset();
  live_->fibers.CancelAll();  // in case the app's destructor spawned fibers
  live_.reset();
  paused_until_ns_ = 0;
}

MonoTime SimProcess::Now() const { return sim_->now(); }

void SimProcess::Post(Task task) {
  sim_->ScheduleOwned(id_, incarnation_, sim_->now(), std::move(task));
}

TimerId SimProcess::RunAt(MonoTime when, Task task) {
  return sim_->ScheduleOwned(id_, incarnation_, when, std::move(task));
}

void SimProcess::Cancel(TimerId id) { sim_->CancelOwned(id); }

WallTime SimProcess::WallNow() const {
  const int64_t ns = sim_->now().nanos();
  const auto drift_ns = static_cast<int64_t>(static_cast<double>(ns) * drift_ppm_ / 1e6);
  return sim_->options().epoch + absl::Nanoseconds(ns + drift_ns) + wall_offset_;
}

bool SimProcess::Enabled(LogLevel level) const {
  return static_cast<int>(level) >= static_cast<int>(sim_->options().log_level);
}

void SimProcess::Log(LogLevel level, absl::string_view message) {
  if (!Enabled(level)) return;
  sim_->options().log_sink(absl::StrFormat("[%s] %s %s %s", sim_->now().ToString(), name(),
                                           LogLevelName(level), message));
}

void SimProcess::OnDiskOp(DiskOp op, absl::string_view path, uint64_t offset, uint64_t length,
                          absl::string_view data) {
  const uint64_t path_hash = StableHash(path) & ((uint64_t{1} << 56) - 1);
  const uint64_t b = static_cast<uint64_t>(op) << 56 | path_hash;
  uint64_t c = HashCombine(offset, length);
  if (!data.empty() && (!options_.hash_disk_bytes || options_.hash_disk_bytes(path))) {
    c = HashCombine(c, StableHash(data));
  }
  sim_->trace().Record(sim_->now().nanos(), TraceKind::kDiskOp, id_, b, c);
}

}  // namespace kv::sim
