#include "workloads/kv/scenario.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "node/namespaces.h"

namespace kv::workloads {
namespace {

// Every error starts with the field it is about ("cluster.w: ..."), which the TOML loader turns
// into the line that set it.
absl::Status Bad(absl::string_view field, const std::string& message) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

absl::Status BadEvent(const FaultEvent& e, size_t index, absl::string_view key,
                      const std::string& message) {
  return Bad(absl::StrCat("faults.script[", index, "].", key),
             absl::StrCat("'", FaultEventKindName(e.kind), "' event: ", message));
}

bool IsProbability(double p) { return p >= 0 && p <= 1; }

bool NeedsNode(FaultEvent::Kind k) {
  using K = FaultEvent::Kind;
  return k == K::kCrash || k == K::kRestart || k == K::kPause || k == K::kClockJump ||
         k == K::kClockDrift || k == K::kDiskFaults || k == K::kLeave || k == K::kBackup ||
         k == K::kRestore;
}

absl::Status ValidateEvent(const FaultEvent& e, size_t i, const Scenario& s, int nodes_ever) {
  using K = FaultEvent::Kind;
  if (e.at < absl::ZeroDuration()) return BadEvent(e, i, "at", "must not be negative");
  if (e.at > s.workload.duration) {
    return BadEvent(e, i, "at", absl::StrCat(absl::FormatDuration(e.at),
                                    " is after the workload ends (duration ",
                                    absl::FormatDuration(s.workload.duration), ")"));
  }
  if (e.duration < absl::ZeroDuration()) return BadEvent(e, i, "duration", "must not be negative");
  auto valid_node = [&](NodeId id) { return id >= 1 && id <= static_cast<NodeId>(nodes_ever); };
  if (NeedsNode(e.kind) && !valid_node(e.node)) {
    return BadEvent(e, i, "node", absl::StrCat("must name a node 1..", nodes_ever, ", got ", e.node));
  }
  if (e.kind == K::kPartition) {
    static const std::vector<std::string> kShapes = {"isolate", "halves", "majority",
                                                     "bridge",  "one-way", "groups"};
    if (std::find(kShapes.begin(), kShapes.end(), e.shape) == kShapes.end()) {
      return BadEvent(e, i, "shape", absl::StrCat("unknown shape '", e.shape,
                                      "': expected isolate, halves, majority, bridge, one-way "
                                      "or groups"));
    }
    if ((e.shape == "isolate" || e.shape == "bridge") && !valid_node(e.node)) {
      return BadEvent(e, i, "node", absl::StrCat("shape '", e.shape, "' needs 'node' 1..", nodes_ever));
    }
    if (e.shape == "groups") {
      if (e.groups.size() < 2) return BadEvent(e, i, "groups", "shape 'groups' needs at least two groups");
      for (const auto& g : e.groups) {
        for (NodeId id : g) {
          if (!valid_node(id)) return BadEvent(e, i, "groups", absl::StrCat("names unknown node ", id));
        }
      }
    }
  }
  if ((e.kind == K::kPause || e.kind == K::kDiskFaults) && e.duration <= absl::ZeroDuration()) {
    return BadEvent(e, i, "duration", "must be positive");
  }
  if (e.kind == K::kDiskFaults &&
      (!IsProbability(e.error_probability) || !IsProbability(e.no_space_probability))) {
    return BadEvent(e, i, "error_probability", "probabilities must be within [0, 1]");
  }
  if (e.kind == K::kRestore) {
    const bool backed_up = std::any_of(s.script.begin(), s.script.end(), [&](const FaultEvent& b) {
      return b.kind == K::kBackup && b.node == e.node && b.at < e.at;
    });
    if (!backed_up) {
      return BadEvent(e, i, "at", absl::StrCat("no backup of node ", e.node, " before ",
                                               absl::FormatDuration(e.at), " to restore from"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

const char* FaultEventKindName(FaultEvent::Kind kind) {
  switch (kind) {
    case FaultEvent::Kind::kPartition: return "partition";
    case FaultEvent::Kind::kHeal: return "heal";
    case FaultEvent::Kind::kCrash: return "crash";
    case FaultEvent::Kind::kRestart: return "restart";
    case FaultEvent::Kind::kPause: return "pause";
    case FaultEvent::Kind::kClockJump: return "clock-jump";
    case FaultEvent::Kind::kClockDrift: return "clock-drift";
    case FaultEvent::Kind::kDiskFaults: return "disk-faults";
    case FaultEvent::Kind::kJoin: return "join";
    case FaultEvent::Kind::kLeave: return "leave";
    case FaultEvent::Kind::kBackup: return "backup";
    case FaultEvent::Kind::kRestore: return "restore";
  }
  return "?";
}

const std::vector<std::string>& CheckerNames() {
  static const std::vector<std::string> kNames = {
      "no-lost-writes", "convergence",      "siblings",
      "deletes-and-expiry", "read-your-writes", "hints-drained", "cache-reads"};
  return kNames;
}

absl::Status ApplyPreset(absl::string_view preset, WorkloadSpec* w) {
  // YCSB core workloads. An "update" writes a key that exists; D inserts new keys and reads the
  // latest; F reads and then writes back with the read's context.
  if (preset == "A") {
    w->mix = {.read = 0.5, .update = 0.5, .insert = 0, .read_modify_write = 0, .remove = 0};
    w->distribution = KeyDistribution::kZipfian;
  } else if (preset == "B") {
    w->mix = {.read = 0.95, .update = 0.05, .insert = 0, .read_modify_write = 0, .remove = 0};
    w->distribution = KeyDistribution::kZipfian;
  } else if (preset == "C") {
    w->mix = {.read = 1, .update = 0, .insert = 0, .read_modify_write = 0, .remove = 0};
    w->distribution = KeyDistribution::kZipfian;
  } else if (preset == "D") {
    w->mix = {.read = 0.95, .update = 0, .insert = 0.05, .read_modify_write = 0, .remove = 0};
    w->distribution = KeyDistribution::kLatest;
  } else if (preset == "F") {
    w->mix = {.read = 0.5, .update = 0, .insert = 0, .read_modify_write = 0.5, .remove = 0};
    w->distribution = KeyDistribution::kZipfian;
  } else {
    return Bad("workload.preset",
               absl::StrCat("unknown YCSB preset '", preset,
                            "': expected A, B, C, D or F (E needs range scans, which a Dynamo "
                            "store does not offer)"));
  }
  w->preset = std::string(preset);
  return absl::OkStatus();
}

node::NodeOptions NodeOptionsFor(const ClusterSpec& c) {
  node::NodeOptions n;
  n.namespaces = c.namespaces;
  n.membership.partitions = c.partitions;
  n.membership.n_val = c.n;
  n.membership.gossip_interval = c.gossip_interval;
  n.coordinator.n = c.n;
  n.coordinator.r = c.r;
  n.coordinator.w = c.w;
  n.coordinator.sloppy = c.sloppy;
  n.coordinator.request_timeout = c.request_timeout;
  n.anti_entropy.interval = c.anti_entropy_interval;
  n.handoff.interval = c.handoff_interval;
  n.engine.durability = c.durability;
  n.resolution = c.resolution;
  return n;
}

absl::Status ValidateScenario(const Scenario& s) {
  const ClusterSpec& c = s.cluster;
  if (c.nodes < 1 || c.nodes > 128) {
    return Bad("cluster.nodes", absl::StrCat("must be 1..128, got ", c.nodes));
  }
  if (!c.weights.empty() && c.weights.size() != static_cast<size_t>(c.nodes)) {
    return Bad("cluster.weights",
               absl::StrCat("has ", c.weights.size(), " entries for ", c.nodes, " nodes"));
  }
  for (uint32_t weight : c.weights) {
    if (weight < 1 || weight > 64) {
      return Bad("cluster.weights", absl::StrCat("a weight must be 1..64, got ", weight));
    }
  }
  if (c.n < 1) return Bad("cluster.n", "must be at least 1");
  if (c.r < 1 || c.r > c.n) {
    return Bad("cluster.r", absl::StrCat("R must be 1..N; got R=", c.r, " with N=", c.n));
  }
  if (c.w < 1 || c.w > c.n) {
    return Bad("cluster.w", absl::StrCat("W must be 1..N; got W=", c.w, " with N=", c.n));
  }
  if (c.n > static_cast<uint32_t>(c.nodes)) {
    return Bad("cluster.n", absl::StrCat("N=", c.n, " needs at least ", c.n, " nodes, got ", c.nodes));
  }
  for (size_t i = 0; i < c.namespaces.size(); ++i) {
    const node::Namespace& ns = c.namespaces[i];
    const std::string field = absl::StrCat("cluster.namespace[", i, "]");
    if (absl::Status valid = node::ValidateNamespace(ns); !valid.ok()) {
      return Bad(field, std::string(valid.message()));
    }
    if (ns.n() > static_cast<uint32_t>(c.nodes)) {
      return Bad(field, absl::StrCat("N=", ns.n(), " needs at least ", ns.n(), " nodes, got ",
                                     c.nodes));
    }
    for (size_t j = 0; j < i; ++j) {
      if (c.namespaces[j].name() == ns.name()) {
        return Bad(field, absl::StrCat("namespace '", ns.name(), "' is defined twice"));
      }
    }
  }
  if (c.partitions < static_cast<uint32_t>(c.nodes) || (c.partitions & (c.partitions - 1)) != 0 ||
      c.partitions > 4096) {
    return Bad("cluster.partitions",
               absl::StrCat("must be a power of two, at least the node count and at most 4096, "
                            "got ", c.partitions));
  }
  const std::pair<const char*, Duration> periods[] = {
      {"cluster.anti_entropy_interval", c.anti_entropy_interval},
      {"cluster.gossip_interval", c.gossip_interval},
      {"cluster.handoff_interval", c.handoff_interval},
      {"cluster.request_timeout", c.request_timeout}};
  for (const auto& [field, d] : periods) {
    if (d <= absl::ZeroDuration()) return Bad(field, "must be positive");
  }
  if (c.clock_skew < absl::ZeroDuration() || c.clock_skew > absl::Hours(1)) {
    return Bad("cluster.clock_skew", "must be within [0, 1h]");
  }
  if (c.clock_drift_ppm < 0 || c.clock_drift_ppm > 100'000) {
    return Bad("cluster.clock_drift_ppm", "must be within [0, 100000]");
  }

  if (absl::Status node = node::ValidateNodeOptions(NodeOptionsFor(c)); !node.ok()) {
    return Bad("cluster", std::string(node.message()));
  }

  const WorkloadSpec& w = s.workload;
  if (w.clients < 1 || w.clients > 1024) {
    return Bad("workload.clients", absl::StrCat("must be 1..1024, got ", w.clients));
  }
  if (!(w.rate > 0) || w.rate > 100'000) {
    return Bad("workload.rate", "must be in (0, 100000] operations per second per client");
  }
  if (w.duration <= absl::ZeroDuration() || w.duration > absl::Hours(24)) {
    return Bad("workload.duration", "must be positive and at most 24h");
  }
  if (w.keys < 1 || w.keys > 10'000'000) {
    return Bad("workload.keys", absl::StrCat("must be 1..10000000, got ", w.keys));
  }
  const OperationMix& m = w.mix;
  for (double share : {m.read, m.update, m.insert, m.read_modify_write, m.remove}) {
    if (share < 0) return Bad("workload.mix", "shares must not be negative");
  }
  if (m.read + m.update + m.insert + m.read_modify_write + m.remove <= 0) {
    return Bad("workload.mix", "needs at least one positive share");
  }
  if (!(w.zipf_theta > 0) || w.zipf_theta >= 1) return Bad("workload.zipf_theta", "must be in (0, 1)");
  if (w.value_bytes_min < 1 || w.value_bytes_min > w.value_bytes_max ||
      w.value_bytes_max > (1 << 20)) {
    return Bad("workload.value_bytes", "need 1 <= min <= max <= 1 MiB");
  }
  if (w.ttl_share < 0 || w.ttl_share > 1) return Bad("workload.ttl_share", "must be within [0, 1]");
  if (w.blind_share < 0 || w.blind_share > 1) return Bad("workload.blind_share", "must be within [0, 1]");
  if (w.ttl_share > 0 && (w.ttl_min <= absl::ZeroDuration() || w.ttl_min > w.ttl_max)) {
    return Bad("workload.ttl", "need 0 < min <= max");
  }

  int joins = 0;
  for (const FaultEvent& e : s.script) joins += e.kind == FaultEvent::Kind::kJoin;
  for (size_t i = 0; i < s.script.size(); ++i) {
    if (absl::Status st = ValidateEvent(s.script[i], i, s, c.nodes + joins); !st.ok()) return st;
  }

  const NemesisSpec& n = s.nemesis;
  if (n.enabled) {
    if (n.mean_interval <= absl::ZeroDuration()) return Bad("faults.nemesis.mean_interval", "must be positive");
    if (!(n.active_share > 0) || n.active_share > 1) {
      return Bad("faults.nemesis.active_share", "must be in (0, 1]");
    }
    for (double rate : {n.partition, n.crash, n.pause, n.clock_jump, n.disk}) {
      if (rate < 0) return Bad("faults.nemesis", "rates must not be negative");
    }
    if (n.partition + n.crash + n.pause + n.clock_jump + n.disk <= 0) {
      return Bad("faults.nemesis", "at least one fault kind needs a positive rate (or set enabled = false)");
    }
    if (n.max_down >= static_cast<size_t>(c.nodes)) {
      return Bad("faults.nemesis.max_down",
                 absl::StrCat(n.max_down, " would let all ", c.nodes, " nodes be down at once"));
    }
  }

  auto known = [](const std::string& name) {
    const auto& names = CheckerNames();
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  const std::pair<const char*, const std::vector<std::string>*> lists[] = {
      {"checks.run", &s.checks.run}, {"checks.expect_violation", &s.checks.expect_violation}};
  for (const auto& [field, list] : lists) {
    for (const std::string& name : *list) {
      if (!known(name)) {
        return Bad(field, absl::StrCat("unknown checker '", name, "'; checkers: no-lost-writes, "
                                       "convergence, siblings, deletes-and-expiry, "
                                       "read-your-writes, hints-drained"));
      }
    }
  }
  if (s.checks.convergence_limit <= absl::ZeroDuration()) {
    return Bad("checks.convergence_limit", "must be positive");
  }
  return absl::OkStatus();
}

}  // namespace kv::workloads
