#include "workloads/kv/kv_world.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/container/btree_set.h"
#include "net/assert.h"
#include "sim/nemesis.h"
#include "sim/sim_process.h"
#include "storage/record/dvv.h"
#include "storage/record/record_digest.h"
#include "node/namespaces.h"
#include "workloads/kv/key_place.h"
#include "workloads/kv/run_checkers.h"
#include "workloads/kv/client_workload.h"
#include "workloads/kv/fault_script.h"
#include "workloads/kv/sim_cluster.h"

namespace kv::workloads {
namespace {

constexpr Duration kWarmupMax = absl::Minutes(1);

// Reads every key's record from each live replica's store; true if all agree.
bool CollectFinals(SimCluster& c, const Scenario& s, const absl::btree_set<std::string>& keys,
                   int64_t wall_micros, absl::btree_map<std::string, KeyFinal>* finals) {
  finals->clear();
  // The newest ring any serving node has.
  const std::optional<node::Ring>* ring = nullptr;
  uint64_t version = 0;
  for (NodeId id : c.node_ids) {
    if (c.serving(id) && c.node(id).membership().ring().has_value() &&
        c.node(id).membership().ring_version() >= version) {
      ring = &c.node(id).membership().ring();
      version = c.node(id).membership().ring_version();
    }
  }
  if (ring == nullptr) return false;
  bool all_agree = true;
  for (const std::string& key : keys) {
    const KeyPlace place = PlaceOf(key, s.cluster);
    const node::PartitionId p = (*ring)->PartitionOf(place.stored);
    const node::PartitionId unit = node::StoreId({.partition = p, .n = place.n}, s.cluster.n);
    KeyFinal final;
    std::optional<uint64_t> digest;
    storage::Record merged = storage::EmptyRecord();
    for (NodeId replica : (*ring)->PreferenceList(p, place.n)) {
      if (!c.serving(replica)) continue;
      absl::StatusOr<std::optional<storage::Record>> r =
          c.node(replica).engine().Get(unit, place.stored);
      if (!r.ok()) {
        final.replicas_agree = false;
        continue;
      }
      const uint64_t d = r->has_value() ? storage::RecordDigest(**r) : 0;
      if (digest.has_value() && *digest != d) final.replicas_agree = false;
      digest = d;
      ++final.replicas_checked;
      if (r->has_value()) merged = storage::Merge(merged, **r);
    }
    AddLiveValues(merged, wall_micros, &final);
    all_agree = all_agree && final.replicas_agree;
    (*finals)[key] = std::move(final);
  }
  return all_agree;
}

uint64_t HintsLeft(SimCluster& c) {
  uint64_t hints = 0;
  for (NodeId id : c.node_ids) {
    if (c.serving(id)) hints += c.node(id).engine().stats().hints;
  }
  return hints;
}

size_t TransfersPending(SimCluster& c) {
  size_t pending = 0;
  for (NodeId id : c.node_ids) {
    if (c.serving(id)) pending += c.node(id).transfer().pending().size();
  }
  return pending;
}

// Membership is changing: some serving node has another ring version than the rest, or an
// ownership transfer is pending.
bool MembershipChanging(SimCluster& c) {
  std::optional<uint64_t> version;
  for (NodeId id : c.node_ids) {
    if (!c.serving(id)) continue;
    const uint64_t v = c.node(id).membership().ring_version();
    if (version.has_value() && *version != v) return true;
    version = v;
  }
  return TransfersPending(c) > 0;
}

// Runs the simulation to `until` in steps of `step`, adding to `windows` each step at whose end
// the membership was changing (merged with the previous window when adjacent).
void RunWatchingMembership(SimCluster& c, MonoTime until, Duration step,
                           std::vector<std::pair<MonoTime, MonoTime>>* windows) {
  while (c.sim.now() < until) {
    const MonoTime from = c.sim.now();
    c.sim.RunUntil(std::min(until, from + step));
    if (!MembershipChanging(c)) continue;
    if (!windows->empty() && windows->back().second == from) {
      windows->back().second = c.sim.now();
    } else {
      windows->emplace_back(from, c.sim.now());
    }
  }
}

int64_t WallMicros(sim::Simulator& sim) {
  return absl::ToUnixMicros(sim.options().epoch + (sim.now() - MonoTime()));
}

std::unique_ptr<sim::Nemesis> StartNemesis(SimCluster& c, const Scenario& s, MonoTime start) {
  const NemesisSpec& spec = s.nemesis;
  sim::NemesisOptions n;
  n.start = start + std::min(absl::Seconds(1), s.workload.duration / 10);
  n.stop = start + s.workload.duration * spec.active_share;
  n.mean_interval = spec.mean_interval;
  n.partition_weight = spec.partition;
  n.crash_weight = spec.crash;
  n.pause_weight = spec.pause;
  n.clock_jump_weight = spec.clock_jump;
  n.disk_weight = spec.disk;
  n.max_down = spec.max_down;
  n.partition_mean = spec.partition_mean;
  n.downtime_mean = spec.downtime_mean;
  n.pause_mean = spec.pause_mean;
  n.clock_jump_max = spec.clock_jump_max;
  n.disk_fault_window = spec.disk_fault_window;
  // A flipped bit makes a node refuse to start (its storage detects it); the property runs keep
  // nodes serviceable, the storage crash tests cover bit flips.
  n.disk_faults.write_bit_flip_probability = 0;
  n.disk_faults.read_bit_flip_probability = 0;
  auto nemesis = std::make_unique<sim::Nemesis>(&c.sim, n, c.node_ids);
  nemesis->Start();
  return nemesis;
}

// Heals the network and disks and brings every node up with working storage (a node whose
// storage failed is restarted, as a supervisor would).
void HealEverything(SimCluster& c) {
  c.sim.network().Heal();
  for (NodeId id : c.node_ids) {
    c.sim.process(id).fs().set_options({});
    if (c.sim.process(id).alive() && (!c.serving(id) || !c.node(id).engine().health().ok())) {
      c.sim.Crash(id);
    }
    if (!c.sim.process(id).alive()) c.sim.Start(id);
  }
}

void Summarise(SimCluster& c, KvWorldResult* r) {
  for (const KvOp& op : r->history.ops) {
    if (op.type == KvOp::Type::kGet) {
      op.ok() ? ++r->gets_ok : ++r->gets_failed;
      if (op.values_read.size() > 1) ++r->reads_with_siblings;
      r->most_siblings = std::max(r->most_siblings, op.values_read.size());
    } else {
      op.ok() ? ++r->puts_ok : ++r->puts_failed;
    }
  }
  for (NodeId id : c.node_ids) {
    if (!c.serving(id)) continue;
    node::Node& n = c.node(id);
    r->hints_delivered += n.handoff().stats().delivered;
    r->hints_expired += n.handoff().stats().expired;
    r->hinted_writes += n.coordinator().stats().hinted_writes;
    r->read_repairs += n.coordinator().stats().read_repairs;
    r->aae_exchanges += n.anti_entropy().stats().exchanges;
    r->keys_repaired_by_aae += n.anti_entropy().stats().keys_repaired;
    for (const auto& [ns, reads] : n.coordinator().stats().cache_reads) {
      r->cache_hits += reads.hits;
      r->cache_misses += reads.misses;
    }
    for (const auto& [ns, space] : n.cache().stats()) r->cache_evictions += space.evictions;
  }
  r->faults = c.sim.faults();
  r->network = c.sim.network().stats();
  r->sites = c.sim.fault_points().sites();
  r->events_run = c.sim.events_run();
  r->simulated = c.sim.now() - MonoTime();
  r->fingerprint = c.sim.fingerprint();
}

}  // namespace

bool KvWorldResult::passed() const { return first_failure() == nullptr && !verdicts.empty(); }

const Verdict* KvWorldResult::first_failure() const {
  for (const Verdict& v : verdicts) {
    if (!v.passed && !v.expected_violation) return &v;
  }
  return nullptr;
}

Scenario BuiltinScenario(int nodes, int clients, Duration duration, bool strict, bool faults) {
  Scenario s;
  s.name = strict ? "cluster-strict" : "cluster";
  s.description = "the built-in scenario of kvsim cluster";
  s.cluster.nodes = nodes;
  s.cluster.sloppy = !strict;
  s.workload.clients = clients;
  s.workload.duration = duration;
  s.nemesis.enabled = faults;
  s.buggify = faults;
  if (!strict && faults && nodes >= 3) {
    FaultEvent join;
    join.kind = FaultEvent::Kind::kJoin;
    join.at = duration * 0.3;
    FaultEvent leave;
    leave.kind = FaultEvent::Kind::kLeave;
    leave.at = duration * 0.5;
    leave.node = 2;
    s.script = {join, leave};
  }
  return s;
}

KvWorldResult RunKvWorld(uint64_t seed, const Scenario& s, RunHooks hooks) {
  KV_ASSERT(ValidateScenario(s).ok());
  KvWorldResult result;
  result.seed = seed;
  sim::SimulatorOptions sim_options;
  sim_options.buggify = s.buggify;
  sim_options.log_level = LogLevel::kError;
  const node::NodeOptions base = NodeOptionsFor(s.cluster);
  SimCluster c(
      seed, 0, [&base](node::NodeOptions& n) {
        const std::vector<NodeId> seeds = n.membership.seeds;
        storage::rocksdb_env::SeamEnv* env = n.engine.seam_env;
        n = base;
        n.membership.seeds = seeds;
        n.engine.seam_env = env;
      },
      [](sim::ProcessOptions& p) { p.disk.sector_bytes = 512; }, sim_options);
  // Node k of the scenario is the k-th node added; weights beyond the list (joins) are 1.
  c.per_node = [&s](NodeId id, node::NodeOptions& n) {
    const size_t k = static_cast<size_t>(id) - 1;
    if (k < s.cluster.weights.size()) n.membership.weight = s.cluster.weights[k];
  };
  Random skew = c.sim.ForkRandom("clock-skew");
  c.per_node_process = [&s, &skew](NodeId, sim::ProcessOptions& p) {
    if (s.cluster.clock_skew > absl::ZeroDuration()) {
      p.wall_clock_offset = skew.UniformDuration(-s.cluster.clock_skew, s.cluster.clock_skew);
    }
    if (s.cluster.clock_drift_ppm > 0) {
      p.wall_clock_drift_ppm = (skew.NextDouble() * 2 - 1) * s.cluster.clock_drift_ppm;
    }
  };
  for (int i = 0; i < s.cluster.nodes; ++i) c.AddNode();
  if (hooks.sink) c.sim.trace().set_sink(std::move(hooks.sink));

  // Warm-up: the ring forms.
  c.sim.RunUntilCondition(
      [&] {
        for (NodeId id : c.node_ids) {
          if (!c.serving(id) || !c.node(id).membership().ring().has_value() ||
              c.node(id).membership().ring()->weights().size() != c.node_ids.size()) {
            return false;
          }
        }
        return true;
      },
      c.sim.now() + kWarmupMax);
  const MonoTime start = c.sim.now();

  // Room for the operations the clients should issue (about rate x duration each), so the history
  // does not move every record each time it grows; only a hint, capped.
  const double expected_ops = s.workload.clients * s.workload.rate *
                              absl::ToDoubleSeconds(s.workload.duration) * 1.2;
  result.history.ops.reserve(static_cast<size_t>(std::clamp(expected_ops, 0.0, 1e6)));
  SharedWorkload shared(s, &result.history, &c.node_ids);
  for (int i = 0; i < s.workload.clients; ++i) {
    c.AddClient([&shared, i](Runtime& rt, node::KvClient& client) {
      RunClient(rt, client, static_cast<uint32_t>(i + 1), shared);
    });
  }
  ScheduleFaultScript(c, s.script, start);
  std::unique_ptr<sim::Nemesis> nemesis;
  if (s.nemesis.enabled) nemesis = StartNemesis(c, s, start);
  const MonoTime end = start + s.workload.duration;
  std::vector<std::pair<MonoTime, MonoTime>> membership_changing;
  while (c.sim.now() < end) {
    RunWatchingMembership(c, std::min(end, c.sim.now() + absl::Seconds(1)),
                          absl::Milliseconds(100), &membership_changing);
    if (hooks.progress) hooks.progress(c.sim.now() - start, s.workload.duration);
  }
  shared.stop = true;

  HealEverything(c);
  const MonoTime healed = c.sim.now();
  // Quiesce: hints drain, transfers finish and replicas converge (checked once a second).
  absl::btree_set<std::string> keys;
  for (const KvOp& op : result.history.ops) {
    if (op.is_write()) keys.insert(op.key);
  }
  const MonoTime limit = healed + s.checks.convergence_limit;
  while (c.sim.now() < limit) {
    RunWatchingMembership(c, c.sim.now() + absl::Seconds(1), absl::Milliseconds(100),
                          &membership_changing);
    if (hooks.progress) hooks.progress(c.sim.now() - start, s.workload.duration);
    if (HintsLeft(c) == 0 && TransfersPending(c) == 0 &&
        CollectFinals(c, s, keys, WallMicros(c.sim), &result.finals)) {
      result.converged = true;
      break;
    }
  }
  result.convergence_time = c.sim.now() - healed;
  const int64_t end_wall = WallMicros(c.sim);
  // Once converged, the loop's last CollectFinals read this same state at this same time.
  if (!result.converged) CollectFinals(c, s, keys, end_wall, &result.finals);
  result.keys_written = keys.size();
  Summarise(c, &result);

  CheckInput in;
  in.history = &result.history;
  in.finals = &result.finals;
  in.seed = seed;
  in.end_wall_micros = end_wall;
  in.clock_error_micros = absl::ToInt64Microseconds(c.sim.WallClockErrorMax());
  in.hints_left = HintsLeft(c);
  in.strict_quorum = !s.cluster.sloppy && s.cluster.r + s.cluster.w > s.cluster.n;
  in.convergence_time = result.convergence_time;
  in.converged = result.converged;
  in.membership_changing = std::move(membership_changing);
  result.verdicts = RunScenarioCheckers(s, in);
  return result;
}

}  // namespace kv::workloads
