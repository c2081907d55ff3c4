#include "tools/realcluster/real_world.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "net/asio_executor.h"
#include "net/fault_points.h"
#include "net/fiber.h"
#include "net/runtime.h"
#include "net/status_macros.h"
#include "net/stderr_logger.h"
#include "net/tcp_transport.h"
#include "nlohmann/json.hpp"
#include "node/api/namespace_json.h"
#include "node/client.h"
#include "node/kv.pb.h"
#include "node/membership.h"
#include "node/rpc.h"
#include "storage/record/dvv.h"
#include "storage/record/record_codec.h"
#include "storage/record/record_digest.h"
#include "tools/realcluster/local_cluster.h"
#include "workloads/checkers/checkers.h"
#include "workloads/kv/client_workload.h"
#include "workloads/kv/key_place.h"
#include "workloads/kv/run_checkers.h"

namespace kv::realcluster {
namespace {

using workloads::FaultEvent;
using workloads::KvOp;
using workloads::Scenario;
using json = nlohmann::json;

// The driver's node id on the wire: far above any node's.
constexpr NodeId kDriverId = 1'000'000;

std::string At(const FaultEvent& e) {
  std::string where = absl::StrCat(workloads::FaultEventKindName(e.kind), " at ",
                                   absl::FormatDuration(e.at));
  if (e.line > 0) absl::StrAppend(&where, " (line ", e.line, ")");
  return where;
}

bool Injectable(FaultEvent::Kind kind) {
  switch (kind) {
    case FaultEvent::Kind::kCrash:
    case FaultEvent::Kind::kRestart:
    case FaultEvent::Kind::kPause:
    case FaultEvent::Kind::kJoin:
    case FaultEvent::Kind::kLeave:
    case FaultEvent::Kind::kBackup:
    case FaultEvent::Kind::kRestore:
      return true;
    default:
      return false;
  }
}

// What the scenario asks for that real processes cannot do.
std::vector<std::string> NotInjected(const Scenario& s) {
  std::vector<std::string> out;
  for (const FaultEvent& e : s.script) {
    if (!Injectable(e.kind)) out.push_back(At(e));
  }
  const workloads::NemesisSpec& n = s.nemesis;
  if (n.enabled) {
    if (n.partition > 0) out.push_back(absl::StrCat("nemesis partitions (rate ", n.partition, ")"));
    if (n.clock_jump > 0) out.push_back(absl::StrCat("nemesis clock jumps (rate ", n.clock_jump, ")"));
    if (n.disk > 0) out.push_back(absl::StrCat("nemesis disk faults (rate ", n.disk, ")"));
  }
  if (s.cluster.clock_skew > absl::ZeroDuration()) {
    out.push_back(absl::StrCat("clock_skew ", absl::FormatDuration(s.cluster.clock_skew)));
  }
  if (s.cluster.clock_drift_ppm > 0) {
    out.push_back(absl::StrCat("clock_drift_ppm ", s.cluster.clock_drift_ppm));
  }
  if (s.buggify) out.push_back("buggify fault points");
  return out;
}

// The value of a Prometheus sample without labels ("name 12"), or 0.
uint64_t Sample(absl::string_view metrics, absl::string_view name) {
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (!absl::ConsumePrefix(&line, name) || !absl::ConsumePrefix(&line, " ")) continue;
    double v = 0;
    if (absl::SimpleAtod(line, &v) && v >= 0) return static_cast<uint64_t>(v);
  }
  return 0;
}

// The sum of every series of `name` (any labels) in a Prometheus text.
uint64_t SampleAll(absl::string_view metrics, absl::string_view name) {
  uint64_t sum = 0;
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (!absl::ConsumePrefix(&line, name) || line.empty() || (line[0] != ' ' && line[0] != '{')) {
      continue;
    }
    double v = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v) && v >= 0) sum += static_cast<uint64_t>(v);
  }
  return sum;
}

// Drives one real run: the cluster, the driver's runtime and the fault schedule.
class RealWorld {
 public:
  RealWorld(uint64_t seed, const Scenario& s, LocalCluster& cluster, const RealWorldOptions& o,
            const std::string& secret)
      : s_(s),
        cluster_(cluster),
        options_(o),
        random_(seed),
        transport_(executor_, fibers_, logger_, random_.Fork("transport"),
                   TcpTransportOptions{.self = kDriverId, .cluster_secret = secret}),
        driver_random_(random_.Fork("driver")),
        rt_(Runtime::Parts{.self = kDriverId,
                           .clock = &executor_,
                           .executor = &executor_,
                           .fibers = &fibers_,
                           .transport = &transport_,
                           .random = &driver_random_,
                           .fault_points = &fault_points_,
                           .logger = &logger_}),
        rpc_(rt_) {
    result_.world.seed = seed;
  }

  absl::StatusOr<RealWorldResult> Run() {
    RETURN_IF_ERROR(transport_.Start());
    for (int i = 1; i <= cluster_.size(); ++i) {
      transport_.SetPeerAddress(cluster_.id(i), cluster_.peer_address(i));
      number_of_[cluster_.id(i)] = i;
      coordinators_.push_back(cluster_.id(i));
    }
    rpc_.Start();
    bool finished = false;
    fibers_.Spawn("driver", [&] {
      Drive();
      finished = true;
      executor_.Stop();
    });
    executor_.Run();
    fibers_.CancelAll();
    transport_.Stop();
    if (!finished) return absl::InternalError("the driver stopped before the run ended");
    return std::move(result_);
  }

 private:
  void Drive() {
    const MonoTime start = rt_.Now();
    workloads::SharedWorkload shared(s_, &result_.world.history, &coordinators_);
    for (int i = 0; i < s_.workload.clients; ++i) {
      clients_.push_back(std::make_unique<node::KvClient>(rt_, rpc_, absl::Seconds(2), 3));
    }
    int clients_running = s_.workload.clients;
    for (int i = 0; i < s_.workload.clients; ++i) {
      rt_.Spawn(absl::StrCat("client", i + 1), [this, &shared, &clients_running, i] {
        workloads::RunClient(rt_, *clients_[i], static_cast<uint32_t>(i + 1), shared);
        --clients_running;
      });
    }
    for (const FaultEvent& e : s_.script) {
      if (!Injectable(e.kind)) continue;
      rt_.Spawn("fault", [this, e, start] {
        FiberSleepUntil(start + e.at);
        if (!healing_) Apply(e);
      });
    }
    if (s_.nemesis.enabled) rt_.Spawn("nemesis", [this, start] { Nemesis(start); });

    const MonoTime end = start + s_.workload.duration;
    while (rt_.Now() < end) {
      FiberSleepUntil(std::min(end, rt_.Now() + absl::Seconds(1)));
      NoticeExits();
      if (options_.progress) options_.progress(rt_.Now() - start, s_.workload.duration);
    }
    shared.stop = true;
    // Clients finish their last operation (each try times out within seconds).
    while (clients_running > 0) FiberSleep(absl::Milliseconds(20));

    Heal();
    const MonoTime healed = rt_.Now();
    absl::btree_set<std::string> keys;
    for (const KvOp& op : result_.world.history.ops) {
      if (op.is_write()) keys.insert(op.key);
    }
    workloads::KvWorldResult& r = result_.world;
    const MonoTime limit = healed + s_.checks.convergence_limit;
    uint64_t hints_left = 0;
    while (rt_.Now() < limit) {
      FiberSleep(absl::Seconds(1));
      NoticeExits();
      if (options_.progress) options_.progress(rt_.Now() - start, s_.workload.duration);
      size_t transfers = 0;
      if (!HintsAndTransfers(&hints_left, &transfers)) continue;
      if (hints_left == 0 && transfers == 0 && CollectFinals(keys, WallMicros(), &r.finals)) {
        r.converged = true;
        break;
      }
    }
    r.convergence_time = rt_.Now() - healed;
    const int64_t end_wall = WallMicros();
    CollectFinals(keys, end_wall, &r.finals);
    r.keys_written = keys.size();
    Summarise();

    workloads::CheckInput in;
    in.history = &r.history;
    in.finals = &r.finals;
    in.seed = r.seed;
    in.end_wall_micros = end_wall;
    in.hints_left = hints_left;
    in.strict_quorum = !s_.cluster.sloppy && s_.cluster.r + s_.cluster.w > s_.cluster.n;
    in.convergence_time = r.convergence_time;
    in.converged = r.converged;
    r.verdicts = workloads::RunScenarioCheckers(s_, in);
    r.simulated = rt_.Now() - start;  // here: real time
  }

  int64_t WallMicros() const { return absl::ToUnixMicros(rt_.WallNow()); }

  void Count(const std::string& kind) { ++result_.world.faults[kind]; }

  // The number (1-based, in the local cluster) of node `id`, or 0.
  int Number(NodeId id) const {
    auto it = number_of_.find(id);
    return it == number_of_.end() ? 0 : it->second;
  }

  void Crash(int node, Duration restart_after) {
    if (!cluster_.Kill(node).ok()) return;
    Count("crash");
    down_.insert(node);
    if (restart_after <= absl::ZeroDuration()) return;
    rt_.Spawn("restart", [this, node, restart_after] {
      FiberSleep(restart_after);
      if (!healing_) Restart(node);
    });
  }

  // kvctl backup of one node, into the cluster's directory.
  void Backup(int node) {
    absl::StatusOr<std::string> made =
        cluster_.Backup(node, absl::StrCat(cluster_.dir(), "/backups/", ++backups_taken_));
    Count(made.ok() ? "backup" : "backup_failed");
    if (made.ok()) latest_backup_[node] = *made;
  }

  // The node loses its database (kill -9, db moved aside) and comes back from its latest backup
  // (kvnode --restore) after `down`.
  void Restore(int node, Duration down) {
    auto backup = latest_backup_.find(node);
    if (backup == latest_backup_.end()) return;
    if (cluster_.running(node) && !cluster_.Kill(node).ok()) return;
    Count("restore");
    down_.insert(node);
    rt_.Spawn("restore", [this, node, down, snapshot = backup->second] {
      if (down > absl::ZeroDuration()) FiberSleep(down);
      if (cluster_.SpawnRestored(node, snapshot).ok()) down_.erase(node);
    });
  }

  void Restart(int node) {
    if (cluster_.running(node) || !cluster_.Spawn(node).ok()) return;
    Count("restart");
    down_.erase(node);
  }

  void Pause(int node, Duration duration) {
    if (paused_.contains(node) || !cluster_.Pause(node).ok()) return;
    Count("pause");
    paused_.insert(node);
    rt_.Spawn("resume", [this, node, duration] {
      FiberSleep(duration);
      if (paused_.erase(node) > 0) cluster_.Resume(node).IgnoreError();
    });
  }

  void Apply(const FaultEvent& e) {
    const int node = Number(e.node);
    switch (e.kind) {
      case FaultEvent::Kind::kCrash:
        if (node > 0) Crash(node, e.duration);
        return;
      case FaultEvent::Kind::kRestart:
        if (node > 0) Restart(node);
        return;
      case FaultEvent::Kind::kPause:
        if (node > 0) Pause(node, e.duration);
        return;
      case FaultEvent::Kind::kJoin: {
        absl::StatusOr<int> added = cluster_.AddNode();
        if (!added.ok()) {
          result_.unexpected_exits.push_back(absl::StrCat("join failed: ", added.status().message()));
          return;
        }
        const NodeId id = cluster_.id(*added);
        transport_.SetPeerAddress(id, cluster_.peer_address(*added));
        number_of_[id] = *added;
        coordinators_.push_back(id);
        Count("join");
        return;
      }
      case FaultEvent::Kind::kLeave:
        if (node > 0 && cluster_.Leave(node).ok()) {
          Count("leave");
          left_.insert(node);
        }
        return;
      case FaultEvent::Kind::kBackup:
        if (node > 0) Backup(node);
        return;
      case FaultEvent::Kind::kRestore:
        if (node > 0) Restore(node, e.duration);
        return;
      default:
        return;
    }
  }

  // The random nemesis, limited to what real processes allow: crashes and pauses, at most
  // max_down nodes down or paused at once.
  void Nemesis(MonoTime start) {
    const workloads::NemesisSpec& n = s_.nemesis;
    const double total = n.crash + n.pause;
    if (total <= 0) return;
    FiberSleepUntil(start + std::min(absl::Seconds(1), s_.workload.duration / 10));
    const MonoTime stop = start + s_.workload.duration * n.active_share;
    Random& random = rt_.random();
    while (!healing_) {
      FiberSleep(random.Exponential(n.mean_interval));
      if (healing_ || rt_.Now() >= stop) return;
      if (down_.size() + paused_.size() >= n.max_down) continue;
      std::vector<int> candidates;
      for (int i = 1; i <= cluster_.size(); ++i) {
        if (cluster_.running(i) && !paused_.contains(i) && !left_.contains(i)) candidates.push_back(i);
      }
      if (candidates.empty()) continue;
      const int victim = candidates[random.Uniform(candidates.size())];
      if (random.NextDouble() * total < n.crash) {
        Crash(victim, random.Exponential(n.downtime_mean));
      } else {
        Pause(victim, random.Exponential(n.pause_mean));
      }
    }
  }

  // Every node up again: paused ones resumed, crashed ones restarted; waits for their health.
  void Heal() {
    healing_ = true;
    for (int node : paused_) cluster_.Resume(node).IgnoreError();
    paused_.clear();
    for (int i = 1; i <= cluster_.size(); ++i) {
      if (!cluster_.running(i)) Restart(i);
    }
    for (int i = 1; i <= cluster_.size(); ++i) {
      absl::Status healthy = cluster_.WaitHealthy(i, absl::Seconds(30));
      if (!healthy.ok()) {
        result_.unexpected_exits.push_back(absl::StrCat("node ", cluster_.id(i),
                                                        " did not come back: ", healthy.message()));
      }
    }
  }

  // Records nodes that exited although nothing killed them.
  void NoticeExits() {
    for (int node : cluster_.Reap()) {
      result_.unexpected_exits.push_back(absl::StrCat("node ", cluster_.id(node),
                                                      " exited by itself; its log ends:\n",
                                                      cluster_.LogTail(node, 10)));
    }
  }

  // Hints held and transfers pending over the running nodes; false if one did not answer.
  bool HintsAndTransfers(uint64_t* hints, size_t* transfers) {
    *hints = 0;
    *transfers = 0;
    for (int i = 1; i <= cluster_.size(); ++i) {
      if (!cluster_.running(i)) continue;
      absl::StatusOr<std::string> body = cluster_.HttpGet(i, "/cluster");
      if (!body.ok()) return false;
      json c = json::parse(*body, nullptr, false);
      if (c.is_discarded()) return false;
      *hints += c["hints"].value("total", uint64_t{0});
      *transfers += c["transfers"].size();
    }
    return true;
  }

  // The newest ring any running node has, asked over RPC.
  std::optional<node::Ring> NewestRing() {
    std::optional<node::Ring> ring;
    uint64_t version = 0;
    for (int i = 1; i <= cluster_.size(); ++i) {
      if (!cluster_.running(i)) continue;
      absl::StatusOr<std::string> body =
          rpc_.Call(cluster_.id(i), "membership.state", "", absl::Seconds(2));
      node::ClusterState state;
      if (!body.ok() || !state.ParseFromString(*body) || state.ring().owners_size() == 0) continue;
      if (ring.has_value() && state.ring().version() < version) continue;
      absl::StatusOr<node::Ring> r = node::RingFromState(state.ring());
      if (!r.ok()) continue;
      ring = *std::move(r);
      version = state.ring().version();
    }
    return ring;
  }

  // Reads every key's record from each of its replicas (node RPC, as a coordinator would); true
  // if all agree. As the simulator's: the merged live values are the key's final state.
  bool CollectFinals(const absl::btree_set<std::string>& keys, int64_t wall_micros,
                     absl::btree_map<std::string, workloads::KeyFinal>* finals) {
    finals->clear();
    std::optional<node::Ring> ring = NewestRing();
    if (!ring.has_value()) return false;
    bool all_agree = true;
    for (const std::string& key : keys) {
      const workloads::KeyPlace place = workloads::PlaceOf(key, s_.cluster);
      const node::PartitionId p = ring->PartitionOf(place.stored);
      workloads::KeyFinal final;
      std::optional<uint64_t> digest;
      storage::Record merged = storage::EmptyRecord();
      for (NodeId replica : ring->PreferenceList(p, place.n)) {
        const int number = Number(replica);
        if (number == 0 || !cluster_.running(number)) continue;
        node::ReplicaRead read;
        read.set_partition(node::StoreId({.partition = p, .n = place.n}, s_.cluster.n));
        read.set_key(place.stored);
        absl::StatusOr<std::string> body =
            rpc_.Call(replica, "kv.replica_read", read.SerializeAsString(), absl::Seconds(2));
        node::ReplicaReadReply reply;
        std::optional<storage::Record> record;
        if (body.ok() && reply.ParseFromString(*body) && reply.found()) {
          absl::StatusOr<storage::Record> decoded = storage::DecodeRecord(reply.record());
          if (decoded.ok()) record = *std::move(decoded);
          else body = decoded.status();
        }
        if (!body.ok()) {
          final.replicas_agree = false;
          continue;
        }
        const uint64_t d = record.has_value() ? storage::RecordDigest(*record) : 0;
        if (digest.has_value() && *digest != d) final.replicas_agree = false;
        digest = d;
        ++final.replicas_checked;
        if (record.has_value()) merged = storage::Merge(merged, *record);
      }
      workloads::AddLiveValues(merged, wall_micros, &final);
      all_agree = all_agree && final.replicas_agree;
      (*finals)[key] = std::move(final);
    }
    return all_agree;
  }

  // Operation counts, and the repair counters summed over the nodes (a restart resets a node's).
  void Summarise() {
    workloads::KvWorldResult& r = result_.world;
    for (const KvOp& op : r.history.ops) {
      if (op.type == KvOp::Type::kGet) {
        op.ok() ? ++r.gets_ok : ++r.gets_failed;
        if (op.values_read.size() > 1) ++r.reads_with_siblings;
        r.most_siblings = std::max(r.most_siblings, op.values_read.size());
      } else {
        op.ok() ? ++r.puts_ok : ++r.puts_failed;
      }
    }
    for (int i = 1; i <= cluster_.size(); ++i) {
      if (!cluster_.running(i)) continue;
      absl::StatusOr<std::string> metrics = cluster_.HttpGet(i, "/metrics");
      if (!metrics.ok()) continue;
      const std::string& text = *metrics;
      r.hints_delivered += Sample(text, "kv_hints_delivered_total");
      r.hints_expired += Sample(text, "kv_hints_expired_total");
      r.hinted_writes += Sample(text, "kv_coordinator_hinted_writes_total");
      r.read_repairs += Sample(text, "kv_read_repairs_total");
      r.aae_exchanges += Sample(text, "kv_anti_entropy_exchanges_total");
      r.keys_repaired_by_aae += Sample(text, "kv_anti_entropy_keys_repaired_total");
      r.cache_hits += SampleAll(text, "kv_cache_hits_total");
      r.cache_misses += SampleAll(text, "kv_cache_misses_total");
      r.cache_evictions += SampleAll(text, "kv_cache_evictions_total");
    }
  }

  const Scenario& s_;
  LocalCluster& cluster_;
  const RealWorldOptions& options_;
  RealWorldResult result_;

  AsioExecutor executor_;
  FiberScheduler fibers_{&executor_};
  StderrLogger logger_{"kvsim", LogLevel::kError};
  NoFaultPoints fault_points_;
  Random random_;
  TcpTransport transport_;
  Random driver_random_;
  Runtime rt_;
  node::RpcEndpoint rpc_;
  std::vector<std::unique_ptr<node::KvClient>> clients_;

  std::vector<NodeId> coordinators_;  // what clients send to (grows with joins)
  absl::btree_map<NodeId, int> number_of_;
  absl::btree_set<int> down_, paused_, left_;
  absl::btree_map<int, std::string> latest_backup_;  // node number -> its latest snapshot
  int backups_taken_ = 0;
  bool healing_ = false;
};

}  // namespace

std::vector<std::string> KvnodeFlags(const workloads::ClusterSpec& c) {
  return {"--partitions", absl::StrCat(c.partitions),
          "--n", absl::StrCat(c.n),
          "--r", absl::StrCat(c.r),
          "--w", absl::StrCat(c.w),
          "--sloppy", c.sloppy ? "true" : "false",
          "--durability", c.durability == storage::Durability::kSync ? "sync" : "interval",
          "--gossip-interval", absl::FormatDuration(c.gossip_interval),
          "--anti-entropy-interval", absl::FormatDuration(c.anti_entropy_interval),
          "--handoff-interval", absl::FormatDuration(c.handoff_interval),
          "--request-timeout", absl::FormatDuration(c.request_timeout),
          "--resolution", c.resolution == storage::Resolution::kLastWriterWins ? "lww" : "dvv",
          "--log-level", "warn"};
}

absl::StatusOr<RealWorldResult> RunRealWorld(uint64_t seed, const Scenario& s,
                                             const RealWorldOptions& options) {
  RETURN_IF_ERROR(workloads::ValidateScenario(s));
  LocalClusterOptions o;
  o.nodes = s.cluster.nodes;
  o.kvnode_binary = options.kvnode_binary;
  o.dir = options.dir;
  o.flags = KvnodeFlags(s.cluster);
  const std::string secret = absl::StrCat("kvsim-real-", seed);
  o.flags.insert(o.flags.end(), {"--secret", secret});
  for (uint32_t weight : s.cluster.weights) o.node_flags.push_back({"--weight", absl::StrCat(weight)});
  ASSIGN_OR_RETURN(std::unique_ptr<LocalCluster> cluster, LocalCluster::Start(o));
  RETURN_IF_ERROR(cluster->WaitForRing());
  // The scenario's namespaces, as an operator defines them (the simulator's nodes start with them).
  for (const node::Namespace& ns : s.cluster.namespaces) {
    RETURN_IF_ERROR(cluster->DefineNamespace(ns.name(), api::NamespaceJson(ns).dump()));
  }
  RealWorld world(seed, s, *cluster, options, secret);
  ASSIGN_OR_RETURN(RealWorldResult result, world.Run());
  result.not_injected = NotInjected(s);
  return result;
}

}  // namespace kv::realcluster
