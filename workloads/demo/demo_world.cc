#include "workloads/demo/demo_world.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/assert.h"
#include "sim/nemesis.h"
#include "sim/sim_process.h"
#include "sim/simulator.h"

namespace kv::demo {
namespace {

constexpr Duration kAuditTimeout = absl::Seconds(60);

sim::LinkProfile NetworkProfile(bool faults) {
  sim::LinkProfile p;
  p.latency_min = absl::Microseconds(100);
  p.tail_mean = absl::Microseconds(400);
  p.latency_max = absl::Milliseconds(20);
  if (faults) {
    p.loss_probability = 0.01;
    p.duplicate_probability = 0.005;
    p.reorder_probability = 0.005;
  }
  return p;
}

}  // namespace

bool DemoResult::passed() const {
  for (const CheckerVerdict& v : checkers) {
    if (!v.passed) return false;
  }
  return !checkers.empty();
}

absl::Status ValidateDemoOptions(const DemoOptions& options) {
  if (options.nodes < 1 || options.nodes > 1000) {
    return absl::InvalidArgumentError(
        absl::StrCat("nodes must be between 1 and 1000, got ", options.nodes));
  }
  if (options.duration <= absl::ZeroDuration() || options.duration > absl::Hours(24 * 30)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "duration must be positive and at most 30 days, got ", absl::FormatDuration(options.duration)));
  }
  return absl::OkStatus();
}

DemoResult RunDemo(uint64_t seed, const DemoOptions& options, sim::Trace::Sink sink) {
  KV_ASSERT(ValidateDemoOptions(options).ok());
  DemoResult result;
  result.seed = seed;
  DemoHistory& history = result.history;
  history.seed = seed;

  sim::SimulatorOptions sim_options;
  sim_options.buggify = options.faults;
  sim::Simulator sim(seed, sim_options);
  if (sink) sim.trace().set_sink(std::move(sink));
  sim.network().set_default_profile(NetworkProfile(options.faults));

  std::vector<NodeId> ids;
  for (int i = 1; i <= options.nodes; ++i) ids.push_back(static_cast<NodeId>(i));
  for (NodeId id : ids) {
    std::vector<NodeId> peers;
    for (NodeId p : ids) {
      if (p != id) peers.push_back(p);
    }
    sim::ProcessOptions p;
    p.name = absl::StrCat("n", id);
    p.disk.sector_bytes = 512;
    p.disk_faults.latency_mean = absl::Microseconds(200);
    p.boot = [&history, &options, peers](Runtime& rt, storage::FileSystem& fs) {
      return std::make_unique<DemoNode>(rt, fs, &history, &options.node, peers);
    };
    sim.AddProcess(std::move(p));
  }
  for (NodeId id : ids) sim.Start(id);

  std::unique_ptr<sim::Nemesis> nemesis;
  if (options.faults) {
    sim::NemesisOptions n;
    n.start = MonoTime() + std::min(absl::Seconds(1), options.duration / 10);
    n.stop = MonoTime() + options.duration * 0.8;
    n.max_down = std::max<size_t>(1, ids.size() / 2);
    nemesis = std::make_unique<sim::Nemesis>(&sim, n, ids);
    nemesis->Start();
  }
  sim.RunUntil(MonoTime() + options.duration);

  // Audit: stop the workload, quiet the disks, crash and restart every node; each must recover
  // every acknowledged append.
  history.workload_stopped = true;
  history.recovered_since_audit.clear();
  sim.network().Heal();
  for (NodeId id : ids) {
    sim.process(id).fs().set_options(sim::DiskFaultOptions{.latency_mean = absl::Microseconds(200)});
    sim.Crash(id);
    sim.Start(id);
  }
  const bool audited = sim.RunUntilCondition(
      [&] { return history.recovered_since_audit.size() == ids.size(); },
      sim.now() + kAuditTimeout);
  for (NodeId id : ids) sim.Stop(id);

  for (NodeId id : ids) result.disk_crash_count += sim.process(id).crashes();
  result.disk_crashes = sim.crash_totals();
  result.faults = sim.faults();
  result.network = sim.network().stats();
  result.events_run = sim.events_run();
  result.trace_records = sim.trace().records();
  for (const auto& [site, stats] : sim.fault_points().sites()) {
    ++result.fault_point_sites;
    result.fault_point_fired += stats.fired;
  }
  result.simulated = sim.now() - MonoTime();
  result.fingerprint = sim.fingerprint();

  CheckerVerdict durability{"durability", history.violations.empty(), ""};
  durability.detail =
      history.violations.empty()
          ? absl::StrFormat("%d acknowledged appends, found present %d times over %d "
                            "recoveries; %d lost to detected corruption (reported, never returned)",
                            history.durability.acked(), history.durability.verified(),
                            history.recoveries, history.durability.lost_to_detected_corruption())
          : absl::StrCat(history.violations.size(), " violation(s); first: ",
                         history.violations.front());
  result.checkers.push_back(durability);
  result.checkers.push_back(CheckerVerdict{
      "audit-recovery", audited,
      audited ? absl::StrFormat("all %d nodes recovered their logs after the final restart",
                                ids.size())
              : absl::StrFormat("only %d of %d nodes recovered within %s; seed %d",
                                history.recovered_since_audit.size(), ids.size(),
                                absl::FormatDuration(kAuditTimeout), seed)});
  return result;
}

}  // namespace kv::demo
