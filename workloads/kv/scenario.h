// A scenario: everything one simulated run of the key-value world needs besides its seed. The
// cluster (size, weights, N/R/W, quorum kind, durability, periods, clock skew), the client
// workload (loop kind, rate, duration, operation mix or a YCSB preset, key distribution, value
// sizes, TTL share, causal contexts), the faults (a timed script and/or a random nemesis with a
// rate per fault kind) and the checkers. Scenario files (TOML, workloads/scenarios/) are parsed
// into this by scenario_toml.h; `kvsim cluster` flags build one directly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "net/time.h"
#include "net/transport.h"
#include "node/node.h"
#include "storage/engine/options.h"

namespace kv::workloads {

struct ClusterSpec {
  int nodes = 5;
  std::vector<uint32_t> weights;  // per node, in order; empty: every node weighs 1
  uint32_t n = 3, r = 2, w = 2;
  bool sloppy = true;
  uint32_t partitions = 32;
  storage::Durability durability = storage::Durability::kSync;
  Duration anti_entropy_interval = absl::Milliseconds(200);
  Duration gossip_interval = absl::Seconds(1);
  Duration handoff_interval = absl::Milliseconds(500);
  Duration request_timeout = absl::Milliseconds(500);
  // Each node's wall clock starts offset by a uniform amount in [-clock_skew, +clock_skew] and
  // drifts by up to clock_drift_ppm.
  Duration clock_skew = absl::ZeroDuration();
  double clock_drift_ppm = 0;
  storage::Resolution resolution = storage::Resolution::kDottedVersionVectors;
  // Namespaces every node defines at start ([[cluster.namespace]]; node/namespaces.h), besides
  // the default one; the workload's keys are spread over all of them (key_place.h).
  std::vector<node::Namespace> namespaces;
};

enum class Loop : uint8_t { kClosed, kOpen };
enum class KeyDistribution : uint8_t { kUniform, kZipfian, kLatest };

// Relative weights of the operation kinds (normalised when used).
struct OperationMix {
  double read = 0.45;
  double update = 0.35;  // a put to an existing key, with the session's context unless blind
  double insert = 0;     // a put to a new key (the key space grows)
  double read_modify_write = 0;  // a get, then a put with the context it returned
  double remove = 0.1;   // a delete with the session's context
};

struct WorkloadSpec {
  int clients = 3;
  Loop loop = Loop::kClosed;
  // Operations per second per client: closed loop, the mean think time is 1/rate; open loop,
  // arrivals are Poisson at this rate whether or not earlier operations completed.
  double rate = 25;
  Duration duration = absl::Seconds(20);
  std::string preset;  // "", or YCSB "A", "B", "C", "D", "F" (sets mix and distribution)
  OperationMix mix;
  int keys = 12;  // initial key space
  KeyDistribution distribution = KeyDistribution::kUniform;
  double zipf_theta = 0.99;
  uint32_t value_bytes_min = 8, value_bytes_max = 64;
  double ttl_share = 0.05;  // writes with a TTL, uniform in [ttl_min, ttl_max]
  Duration ttl_min = absl::Seconds(2), ttl_max = absl::Seconds(10);
  bool use_contexts = true;  // false: every write is blind (no causal context)
  double blind_share = 0.2;  // with contexts: share of writes still sent blind
};

// One event of the fault script, at a time after the workload starts.
struct FaultEvent {
  enum class Kind : uint8_t {
    kPartition,   // shape: isolate (node), halves, majority, bridge (node), one-way, groups
    kHeal,        // every partition
    kCrash,       // machine crash of `node`: unsynced disk state lost
    kRestart,     // start `node` again
    kPause,       // stop-the-world stall of `node` for `duration`
    kClockJump,   // `node`'s wall clock jumps by `by` (may be negative)
    kClockDrift,  // `node`'s wall clock drifts by `drift_ppm`
    kDiskFaults,  // `node`'s disk misbehaves for `duration` with the given probabilities
    kJoin,        // a new node joins (through the seeds)
    kLeave,       // `node` leaves (hands its data over)
    kBackup,      // an online snapshot of `node`'s storage (Engine::Checkpoint), as kvctl backup
    kRestore,     // `node` loses its database and comes back from its latest backup after
                  // `duration`, as kvnode --restore (a new range of generations)
  };
  Kind kind = Kind::kHeal;
  Duration at = absl::ZeroDuration();
  NodeId node = kNoNode;
  std::string shape;                         // kPartition
  std::vector<std::vector<NodeId>> groups;   // kPartition, shape "groups"
  Duration duration = absl::ZeroDuration();  // kPause, kDiskFaults; kPartition/kCrash: heal or
                                             // restart after it (0: never by itself); kRestore:
                                             // down this long before it starts again
  Duration by = absl::ZeroDuration();        // kClockJump
  double drift_ppm = 0;                      // kClockDrift
  double error_probability = 0.05;           // kDiskFaults: EIO on read, write and sync
  double no_space_probability = 0.02;        // kDiskFaults: ENOSPC on write
  int line = 0;                              // where the scenario file defined it (0: none)
};

const char* FaultEventKindName(FaultEvent::Kind kind);

// The random nemesis (sim/nemesis.h) over the workload's first `active_share` of time.
struct NemesisSpec {
  bool enabled = true;
  Duration mean_interval = absl::Seconds(1);
  double active_share = 0.8;
  double partition = 1, crash = 1, pause = 1, clock_jump = 1, disk = 1;  // rates (weights)
  size_t max_down = 1;
  Duration partition_mean = absl::Seconds(3);
  Duration downtime_mean = absl::Seconds(2);
  Duration pause_mean = absl::Seconds(1);
  Duration clock_jump_max = absl::Seconds(5);
  Duration disk_fault_window = absl::Seconds(2);
};

struct CheckSpec {
  // Checkers to run (names as in workloads/checkers/checkers.h); empty: all.
  std::vector<std::string> run;
  // Checkers this scenario exists to show failing (the LWW scenario's lost writes, say): their
  // verdicts are reported but do not decide the run's exit status.
  std::vector<std::string> expect_violation;
  Duration convergence_limit = absl::Minutes(3);
};

struct Scenario {
  std::string name = "cluster";
  std::string description;
  std::string source;  // the file it came from, if any
  ClusterSpec cluster;
  WorkloadSpec workload;
  std::vector<FaultEvent> script;
  NemesisSpec nemesis;
  bool buggify = true;  // fault points (KV_BUGGIFY) fire, by seed
  CheckSpec checks;
};

// The names of every checker, in the order they run.
const std::vector<std::string>& CheckerNames();

// Applies YCSB preset `preset` ("A".."F" without E) to `workload`'s mix and distribution.
// INVALID_ARGUMENT for an unknown preset.
absl::Status ApplyPreset(absl::string_view preset, WorkloadSpec* workload);

// The options every node of the cluster starts with (weights and clock skew are per node, set
// by the world).
node::NodeOptions NodeOptionsFor(const ClusterSpec& cluster);

// OK, or INVALID_ARGUMENT naming the first impossible setting (W > N, more nodes down at once
// than the nodes, an event naming a node that does not exist, ...). An event's error carries its
// line when it has one.
absl::Status ValidateScenario(const Scenario& scenario);

}  // namespace kv::workloads
