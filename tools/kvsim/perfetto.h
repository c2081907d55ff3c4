// Writes a simulated run as a Chrome/Perfetto trace-event JSON file that opens in ui.perfetto.dev:
//   {"traceEvents":[ ... ],
//    "displayTimeUnit":"ms"}
// Timestamps ("ts", "dur") are microseconds of simulated time (fractional when the simulator's
// nanoseconds are not whole microseconds).
//
// The writer streams: it consumes trace sink lines as the simulator produces them (OnTraceLine)
// and writes each event at once, keeping only what it must pair up later (messages in flight, down
// and paused intervals), so huge runs never hold their trace in memory.
//
// What a user sees:
//   - One process lane per simulated process, pid = the process id, named "node <id>" (or as
//     PerfettoOptions::process_names says); and a "cluster" lane (pid kClusterPid) for
//     network-wide faults (partitions, heals), notes, and buggify firings outside any process's
//     event.
//   - Threads within a lane (tid = ThreadId(pid, slot), unique across lanes, because Perfetto
//     resolves thread_name metadata by tid alone):
//       "network"  send / recv (zero-length slices joined by a flow arrow, send -> deliver),
//                  drops (instants, args.reason: loss, partition, dead_sender, dead_receiver,
//                  inbox_full, or unknown), connection events;
//       "faults"   every kFault record as an instant named by its kind (crash, restart, start,
//                  stop, pause, clock_jump, clock_drift, disk_eio_write, partition_isolate,
//                  heal...), its parameter decoded in args;
//       "lifecycle" "down" slices from crash/stop to the next start/restart, "paused" slices;
//       "buggify"  instants "buggify <site>", on the lane of the process whose event was running;
//       "tasks", "disk" kTask and kDiskOp instants, only if the options ask (there are millions);
//       "client <c>" client operations (AddOperations) on the coordinator's lane.
//
// Malformed lines are skipped and counted (stats().malformed_lines); nothing a line contains can
// make the writer crash or write invalid JSON (bytes that are not UTF-8 are replaced).
//
// Threading: not thread-safe; the simulator calls its sink from its one thread.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json_fwd.hpp"
#include "sim/trace.h"
#include "tools/kvsim/trace_line.h"
#include "workloads/kv/history.h"

namespace kv::tools {

struct PerfettoOptions {
  bool include_messages = true;
  bool include_tasks = false;     // one instant per executed event
  bool include_disk_ops = false;  // one instant per disk operation
  // Lane names by process id; processes not listed are "node <id>".
  absl::btree_map<uint64_t, std::string> process_names;
  // Messages in flight remembered per directed link, to draw send -> deliver arrows and name drop
  // reasons; past this, the oldest is forgotten (its delivery then shows without an arrow).
  size_t in_flight_per_link_max = 4096;
};

struct PerfettoStats {
  uint64_t lines = 0;                 // trace lines seen
  uint64_t malformed_lines = 0;       // skipped: not a trace line, or a process id out of range
  uint64_t events = 0;                // trace events written, metadata included
  uint64_t deliveries_unmatched = 0;  // a deliver with no remembered send (duplicate, forgotten)
};

// Process ids at most this are lanes of their own; records naming larger ones are malformed.
inline constexpr uint64_t kProcessIdMax = uint64_t{1} << 20;
// The lane for records that belong to no process.
inline constexpr uint64_t kClusterPid = kProcessIdMax + 1;

// Threads within a lane.
enum class LaneThread : uint32_t {
  kNetwork = 1,
  kFaults,
  kLifecycle,
  kBuggify,
  kTasks,
  kDisk,
  kNotes,
  kClientBase = 256,  // client c is kClientBase + c (c < 768)
};
// The tid of `slot` in lane `pid`: pid * 1024 + slot.
uint64_t ThreadId(uint64_t pid, uint32_t slot);

class PerfettoWriter {
 public:
  // Writes to `*out`, which the caller owns and must keep open until Finish() returns.
  // Writes the file's opening at once.
  explicit PerfettoWriter(std::ostream* out, PerfettoOptions options = {});
  // A writer that owns the file at `path` (created or truncated).
  // Errors: UNAVAILABLE if the file cannot be opened for writing.
  static absl::StatusOr<std::unique_ptr<PerfettoWriter>> OpenFile(const std::string& path,
                                                                  PerfettoOptions options = {});
  ~PerfettoWriter();

  PerfettoWriter(const PerfettoWriter&) = delete;
  PerfettoWriter& operator=(const PerfettoWriter&) = delete;

  // Consumes one sim::Trace sink line. REQUIRES: Finish() not called yet.
  void OnTraceLine(absl::string_view line);
  // A sink that calls OnTraceLine. REQUIRES: this writer outlives every use of the sink.
  sim::Trace::Sink AsSink();

  // Adds each operation as a complete event ("ph":"X") from invocation to completion, named
  // "put key3" / "get key3" / "delete key3", on its coordinator's lane, thread "client <c>";
  // args: index, status (OK, a status code name, or "incomplete" for an operation the run ended
  // during: it lasts to the last trace time seen), value, context_used, ttl_micros, dot,
  // values_read and dots_read ("node:counter"). May be called before or after the trace lines.
  // REQUIRES: Finish() not called yet.
  void AddOperations(const workloads::KvHistory& history);

  // Closes open intervals (a node still down, a pause) at the last trace time seen, then the
  // JSON. Errors: DATA_LOSS if any write to the stream failed (the file is then incomplete).
  // REQUIRES: called once.
  absl::Status Finish();

  const PerfettoStats& stats() const { return stats_; }

 private:
  struct InFlight {
    uint64_t payload_hash = 0;
    int64_t send_ns = 0;
    uint64_t flow_id = 0;
  };
  struct Interval {
    int64_t start_ns = 0;
    int64_t end_ns = 0;
    std::string cause;
  };
  using Link = std::pair<uint64_t, uint64_t>;  // from, to

  void OnMessage(const TraceLine& line);
  void OnSend(const TraceLine& line);
  void OnDeliver(const TraceLine& line);
  void OnDrop(const TraceLine& line);
  // Removes and returns the first message in flight on `link` that `matches`.
  std::optional<InFlight> TakeInFlight(const Link& link, bool newest_first,
                                       const std::function<bool(const InFlight&)>& matches);
  void OnFault(const TraceLine& line);
  void OnLifecycle(absl::string_view kind, uint64_t pid, const TraceLine& line);
  void OnOther(const TraceLine& line);
  void AddOperation(size_t index, const workloads::KvOp& op);

  void FlushPause(uint64_t pid);
  void EmitSlice(uint64_t pid, LaneThread thread, absl::string_view name, absl::string_view cat,
                 int64_t start_ns, int64_t end_ns, nlohmann::json args);
  void EmitInstant(uint64_t pid, LaneThread thread, absl::string_view name, absl::string_view cat,
                   int64_t time_ns, nlohmann::json args);
  // `event` with pid and tid set; declares the lane and thread first if they are new.
  void Emit(uint64_t pid, uint32_t slot, nlohmann::json event);
  void EnsureLane(uint64_t pid, uint32_t slot);
  void Write(const nlohmann::json& event);
  std::string LaneName(uint64_t pid) const;

  std::unique_ptr<std::ostream> owned_out_;
  std::ostream* out_;
  PerfettoOptions options_;
  PerfettoStats stats_;
  bool finished_ = false;
  bool first_event_ = true;
  int64_t last_time_ns_ = 0;
  uint64_t running_owner_ = 0;  // the process whose event ran last (kTask), for buggify
  uint64_t next_flow_id_ = 1;
  absl::btree_set<uint64_t> lanes_;    // pids declared
  absl::btree_set<uint64_t> threads_;  // tids declared
  absl::flat_hash_map<Link, std::deque<InFlight>> in_flight_;
  absl::btree_map<uint64_t, Interval> down_;    // by pid: since crash/stop
  absl::btree_map<uint64_t, Interval> paused_;  // by pid: the pause not yet written
};

}  // namespace kv::tools
