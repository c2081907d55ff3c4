#include "workloads/kv/kv_world.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/assert.h"
#include "sim/nemesis.h"
#include "sim/sim_process.h"
#include "storage/record/dvv.h"
#include "storage/record/record_digest.h"
#include "workloads/kv/sim_cluster.h"

namespace kv::workloads {
namespace {

constexpr Duration kWarmupMax = absl::Minutes(1);

// One client's loop: random operations on a small key set, keeping the context of its last
// read or write of each key (a session), sometimes writing blind.
void RunClient(Runtime& rt, node::KvClient& client, uint32_t index, const KvWorldOptions& o,
               KvHistory& h, const bool& stop) {
  absl::btree_map<std::string, std::string> session;
  uint64_t writes = 0;
  while (!stop) {
    FiberSleep(rt.random().Exponential(o.op_interval_mean));
    if (stop) break;
    KvOp op;
    op.client = index;
    op.key = absl::StrCat("key", rt.random().Uniform(static_cast<uint64_t>(o.keys)));
    op.coordinator = static_cast<uint32_t>(1 + rt.random().Uniform(static_cast<uint64_t>(o.nodes)));
    const double pick = rt.random().NextDouble();
    const bool blind = rt.random().Bernoulli(o.blind_share);
    if (pick < o.put_share) {
      op.type = KvOp::Type::kPut;
      op.value = absl::StrCat("c", index, "-", ++writes);
      if (!blind) op.context_used = session[op.key];
      if (rt.random().Bernoulli(o.ttl_share)) op.ttl_micros = 2'000'000 + rt.random().Range(0, 8'000'000);
    } else if (pick < o.put_share + o.delete_share && !session[op.key].empty()) {
      op.type = KvOp::Type::kDelete;
      op.context_used = session[op.key];
    } else {
      op.type = KvOp::Type::kGet;
    }
    op.invoked = rt.Now();
    const size_t index_in_history = h.ops.size();
    h.ops.push_back(op);
    if (op.type == KvOp::Type::kPut) h.writer_of[op.value] = index_in_history;
    if (op.type == KvOp::Type::kGet) {
      absl::StatusOr<node::ClientGetReply> reply = client.Get(op.coordinator, op.key);
      KvOp& done = h.ops[index_in_history];
      done.completed = rt.Now();
      done.code = reply.status().code();
      if (reply.ok()) {
        for (const node::ClientValue& v : reply->values()) {
          done.values_read.push_back(v.value());
          done.dots_read.push_back({v.dot_node(), v.dot_counter()});
          done.expiries_read.push_back(v.expiry_micros());
        }
        session[op.key] = reply->context();
      }
      continue;
    }
    node::PutOptions put;
    put.context = op.context_used;
    put.ttl = absl::Microseconds(op.ttl_micros);
    put.tombstone = op.type == KvOp::Type::kDelete;
    absl::StatusOr<node::ClientPutReply> reply = client.Put(op.coordinator, op.key, op.value, put);
    KvOp& done = h.ops[index_in_history];
    done.completed = rt.Now();
    done.code = reply.status().code();
    if (reply.ok()) {
      done.dot = {reply->dot_node(), reply->dot_counter()};
      done.expiry_micros = reply->expiry_micros();
      session[op.key] = reply->context();
    }
  }
}

// Reads every key's record from each live replica's store; true if all agree.
bool CollectFinals(SimCluster& c, const KvWorldOptions& o, int64_t wall_micros,
                   absl::btree_map<std::string, KeyFinal>* finals) {
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
  for (int k = 0; k < o.keys; ++k) {
    const std::string key = absl::StrCat("key", k);
    const node::PartitionId p = (*ring)->PartitionOf(key);
    KeyFinal final;
    std::optional<uint64_t> digest;
    storage::Record merged = storage::EmptyRecord();
    for (NodeId replica : (*ring)->PreferenceList(p, o.n)) {
      if (!c.serving(replica)) continue;
      absl::StatusOr<std::optional<storage::Record>> r = c.node(replica).engine().Get(p, key);
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
    for (const storage::Sibling* s : storage::LiveValues(merged, wall_micros)) {
      final.live_values.push_back(s->value());
      final.live_dots.push_back(storage::DotOf(*s));
    }
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

}  // namespace

bool KvWorldResult::passed() const { return first_failure() == nullptr && !verdicts.empty(); }

const Verdict* KvWorldResult::first_failure() const {
  for (const Verdict& v : verdicts) {
    if (!v.passed) return &v;
  }
  return nullptr;
}

absl::Status ValidateKvWorldOptions(const KvWorldOptions& o) {
  auto bad = [](const std::string& m) { return absl::InvalidArgumentError(m); };
  if (o.nodes < 1 || o.nodes > 64) return bad(absl::StrCat("nodes must be 1..64, got ", o.nodes));
  if (o.clients < 1 || o.clients > 256) {
    return bad(absl::StrCat("clients must be 1..256, got ", o.clients));
  }
  if (o.keys < 1 || o.keys > 1'000'000) return bad(absl::StrCat("keys must be 1..1000000, got ", o.keys));
  if (o.n < 1 || o.r < 1 || o.w < 1 || o.r > o.n || o.w > o.n) {
    return bad(absl::StrCat("need 1 <= R, W <= N; got N=", o.n, " R=", o.r, " W=", o.w));
  }
  if (o.n > static_cast<uint32_t>(o.nodes)) {
    return bad(absl::StrCat("N=", o.n, " needs at least ", o.n, " nodes, got ", o.nodes));
  }
  if (o.partitions == 0 || (o.partitions & (o.partitions - 1)) != 0 || o.partitions > 4096) {
    return bad(absl::StrCat("partitions must be a power of two up to 4096, got ", o.partitions));
  }
  if (o.duration <= absl::ZeroDuration() || o.duration > absl::Hours(24)) {
    return bad("duration must be positive and at most 24h");
  }
  return absl::OkStatus();
}

KvWorldResult RunKvWorld(uint64_t seed, const KvWorldOptions& o, sim::Trace::Sink sink) {
  KV_ASSERT(ValidateKvWorldOptions(o).ok());
  KvWorldResult result;
  result.seed = seed;
  sim::SimulatorOptions sim_options;
  sim_options.buggify = o.faults;
  sim_options.log_level = LogLevel::kError;
  SimCluster c(
      seed, o.nodes,
      [&o](node::NodeOptions& n) {
        n.membership.partitions = o.partitions;
        n.membership.n_val = o.n;
        n.coordinator.n = o.n;
        n.coordinator.r = o.r;
        n.coordinator.w = o.w;
        n.coordinator.sloppy = o.sloppy;
        n.coordinator.request_timeout = absl::Milliseconds(500);
        n.anti_entropy.interval = absl::Milliseconds(200);
        n.handoff.interval = absl::Milliseconds(500);
      },
      [](sim::ProcessOptions& p) { p.disk.sector_bytes = 512; }, sim_options);
  if (sink) c.sim.trace().set_sink(std::move(sink));

  // Warm-up: the ring forms.
  c.sim.RunUntilCondition(
      [&] {
        for (NodeId id = 1; id <= static_cast<NodeId>(o.nodes); ++id) {
          if (!c.serving(id) || !c.node(id).membership().ring().has_value() ||
              c.node(id).membership().ring()->weights().size() != static_cast<size_t>(o.nodes)) {
            return false;
          }
        }
        return true;
      },
      c.sim.now() + kWarmupMax);
  const MonoTime start = c.sim.now();

  bool stop = false;
  for (int i = 0; i < o.clients; ++i) {
    c.AddClient([&o, &result, &stop, i](Runtime& rt, node::KvClient& client) {
      RunClient(rt, client, static_cast<uint32_t>(i + 1), o, result.history, stop);
    });
  }
  std::vector<NodeId> node_ids;
  for (NodeId id = 1; id <= static_cast<NodeId>(o.nodes); ++id) node_ids.push_back(id);
  std::unique_ptr<sim::Nemesis> nemesis;
  if (o.faults) {
    sim::NemesisOptions n;
    n.start = start + absl::Seconds(1);
    n.stop = start + o.duration * 0.8;
    n.mean_interval = absl::Seconds(1);
    n.max_down = 1;
    n.clock_jump_max = absl::Seconds(5);
    n.disk_weight = o.disk_faults ? 1 : 0;
    n.disk_faults.write_bit_flip_probability = 0;  // a flipped bit makes a node refuse to start
    n.disk_faults.read_bit_flip_probability = 0;
    nemesis = std::make_unique<sim::Nemesis>(&c.sim, n, node_ids);
    nemesis->Start();
  }
  if (o.membership_changes) {
    c.sim.At(start + o.duration * 0.3, [&c] { c.AddNode(); });
    c.sim.At(start + o.duration * 0.5, [&c] {
      if (c.serving(2)) c.node(2).membership().Leave();
    });
  }
  c.sim.RunUntil(start + o.duration);
  stop = true;

  // Heal: network, disks, every node up with working storage (a node whose storage failed is
  // restarted, as a supervisor would).
  c.sim.network().Heal();
  node_ids = c.node_ids;  // with any node that joined
  for (NodeId id : node_ids) {
    c.sim.process(id).fs().set_options({});
    if (c.sim.process(id).alive() && (!c.serving(id) || !c.node(id).engine().health().ok())) {
      c.sim.Crash(id);
    }
    if (!c.sim.process(id).alive()) c.sim.Start(id);
  }
  const MonoTime healed = c.sim.now();
  // Quiesce: hints drain and replicas converge (checked once a second).
  bool converged = false;
  const MonoTime limit = healed + o.convergence_limit;
  while (c.sim.now() < limit) {
    c.sim.RunFor(absl::Seconds(1));
    const int64_t wall = absl::ToUnixMicros(c.sim.options().epoch + (c.sim.now() - MonoTime()));
    if (HintsLeft(c) == 0 && TransfersPending(c) == 0 && CollectFinals(c, o, wall, &result.finals)) {
      converged = true;
      break;
    }
  }
  result.convergence_time = c.sim.now() - healed;
  const int64_t end_wall = absl::ToUnixMicros(c.sim.options().epoch + (c.sim.now() - MonoTime()));
  CollectFinals(c, o, end_wall, &result.finals);

  for (const KvOp& op : result.history.ops) {
    if (op.type == KvOp::Type::kGet) {
      op.ok() ? ++result.gets_ok : ++result.gets_failed;
    } else {
      op.ok() ? ++result.puts_ok : ++result.puts_failed;
    }
  }
  for (NodeId id : node_ids) {
    if (!c.serving(id)) continue;
    result.hints_delivered += c.node(id).handoff().stats().delivered;
    result.read_repairs += c.node(id).coordinator().stats().read_repairs;
    result.keys_repaired_by_aae += c.node(id).anti_entropy().stats().keys_repaired;
  }
  CheckInput in;
  in.history = &result.history;
  in.finals = &result.finals;
  in.seed = seed;
  in.end_wall_micros = end_wall;
  in.hints_left = HintsLeft(c);
  in.strict_quorum = !o.sloppy && o.r + o.w > o.n;
  in.convergence_time = result.convergence_time;
  in.converged = converged;
  result.verdicts = RunAllCheckers(in);
  result.faults = c.sim.faults();
  result.network = c.sim.network().stats();
  result.events_run = c.sim.events_run();
  result.simulated = c.sim.now() - MonoTime();
  result.fingerprint = c.sim.fingerprint();
  return result;
}

}  // namespace kv::workloads
