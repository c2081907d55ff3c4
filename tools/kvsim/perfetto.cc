#include "tools/kvsim/perfetto.h"

#include <algorithm>
#include <fstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/assert.h"
#include "net/random.h"
#include "net/transport.h"
#include "nlohmann/json.hpp"
#include "sim/sim_disk.h"
#include "sim/sim_network.h"
#include "tools/kvsim/history_json.h"

namespace kv::tools {
namespace {

using json = nlohmann::json;
using sim::TraceKind;

constexpr uint32_t kThreadsPerLane = 1024;
constexpr uint32_t kClientsMax = kThreadsPerLane - static_cast<uint32_t>(LaneThread::kClientBase);
constexpr int kDropReasonFirst = static_cast<int>(sim::DropReason::kLoss);
constexpr int kDropReasonLast = static_cast<int>(sim::DropReason::kInboxFull);

// Microseconds of simulated time: an integer when whole, else a fraction (no precision lost).
json Micros(int64_t ns) {
  if (ns % 1000 == 0) return json(ns / 1000);
  return json(static_cast<double>(ns) / 1000.0);
}

std::string Hex(uint64_t value) { return absl::StrFormat("%016x", value); }

const char* ThreadName(LaneThread thread) {
  switch (thread) {
    case LaneThread::kNetwork: return "network";
    case LaneThread::kFaults: return "faults";
    case LaneThread::kLifecycle: return "lifecycle";
    case LaneThread::kBuggify: return "buggify";
    case LaneThread::kTasks: return "tasks";
    case LaneThread::kDisk: return "disk";
    case LaneThread::kNotes: return "notes";
    case LaneThread::kClientBase: break;
  }
  return "?";
}

// A fault's parameter, decoded by kind (sim/simulator.cc, sim_network.cc, nemesis.cc).
json FaultArgs(absl::string_view kind, uint64_t param) {
  const int64_t signed_param = static_cast<int64_t>(param);
  if (kind == "crash" || kind == "restart") return {{"incarnation", param}};
  if (kind == "pause") return {{"duration_ms", param}};
  if (kind == "clock_jump") return {{"delta_ms", signed_param}};
  if (kind == "clock_drift") return {{"drift_ppm", signed_param}};
  if (kind == "partition_symmetric" || kind == "partition_one_way") {
    return {{"side_a_size", param >> 16}, {"side_b_size", param & 0xffff}};
  }
  if (kind == "partition_isolate") return {{"node", param}};
  if (kind == "partition_majority_minority") return {{"minority_size", param}};
  if (kind == "partition_bridge") return {{"bridge", param}};
  if (kind == "heal" || kind == "start" || kind == "stop") return json::object();
  if (absl::StartsWith(kind, "disk_")) return {{"path_hash", Hex(param)}};
  return {{"param", param}};
}

// True if the fields that name processes can be lanes (messages name two real processes).
bool ProcessIdsInRange(const TraceLine& line) {
  switch (line.kind) {
    case TraceKind::kMsgSend:
    case TraceKind::kMsgDeliver:
    case TraceKind::kMsgDrop:
    case TraceKind::kConnEvent:
      return line.a >= 1 && line.a <= kProcessIdMax && line.b >= 1 && line.b <= kProcessIdMax;
    case TraceKind::kFault: return line.b <= kProcessIdMax;
    case TraceKind::kTask:
    case TraceKind::kDiskOp: return line.a <= kProcessIdMax;
    case TraceKind::kBuggify:
    case TraceKind::kNote: return true;
  }
  return false;
}

std::string DotString(const storage::Dot& dot) { return absl::StrCat(dot.node, ":", dot.counter); }

}  // namespace

uint64_t ThreadId(uint64_t pid, uint32_t slot) {
  KV_ASSERT(pid <= kClusterPid);
  KV_ASSERT(slot < kThreadsPerLane);
  return pid * kThreadsPerLane + slot;
}

PerfettoWriter::PerfettoWriter(std::ostream* out, PerfettoOptions options)
    : out_(out), options_(std::move(options)) {
  KV_ASSERT(out_ != nullptr);
  *out_ << "{\"traceEvents\":[";
}

absl::StatusOr<std::unique_ptr<PerfettoWriter>> PerfettoWriter::OpenFile(const std::string& path,
                                                                         PerfettoOptions options) {
  auto file = std::make_unique<std::ofstream>(path, std::ios::out | std::ios::trunc);
  if (!*file) return absl::UnavailableError(absl::StrCat("cannot write trace file '", path, "'"));
  auto writer = std::make_unique<PerfettoWriter>(file.get(), std::move(options));
  writer->owned_out_ = std::move(file);
  return writer;
}

PerfettoWriter::~PerfettoWriter() = default;

sim::Trace::Sink PerfettoWriter::AsSink() {
  return [this](absl::string_view line) { OnTraceLine(line); };
}

void PerfettoWriter::OnTraceLine(absl::string_view text) {
  KV_ASSERT_MSG(!finished_, "trace line after PerfettoWriter::Finish");
  ++stats_.lines;
  const std::optional<TraceLine> line = ParseTraceLine(text);
  if (!line.has_value() || !ProcessIdsInRange(*line)) {
    ++stats_.malformed_lines;
    return;
  }
  last_time_ns_ = std::max(last_time_ns_, line->time_ns);
  switch (line->kind) {
    case TraceKind::kMsgSend:
    case TraceKind::kMsgDeliver:
    case TraceKind::kMsgDrop:
    case TraceKind::kConnEvent: OnMessage(*line); return;
    case TraceKind::kFault: OnFault(*line); return;
    case TraceKind::kTask:
    case TraceKind::kDiskOp:
    case TraceKind::kBuggify:
    case TraceKind::kNote: OnOther(*line); return;
  }
}

void PerfettoWriter::OnMessage(const TraceLine& line) {
  if (!options_.include_messages) return;
  switch (line.kind) {
    case TraceKind::kMsgSend: OnSend(line); return;
    case TraceKind::kMsgDeliver: OnDeliver(line); return;
    case TraceKind::kMsgDrop: OnDrop(line); return;
    default: break;
  }
  // kConnEvent: a = process told, b = peer, c = TransportEvent::Kind.
  const char* kind = line.c <= static_cast<uint64_t>(TransportEvent::Kind::kDisconnected)
                         ? TransportEventKindName(static_cast<TransportEvent::Kind>(line.c))
                         : "?";
  EmitInstant(line.a, LaneThread::kNetwork, absl::StrCat("peer ", line.b, " ", kind), "network",
              line.time_ns, {{"peer", line.b}});
}

void PerfettoWriter::OnSend(const TraceLine& line) {
  std::deque<InFlight>& link = in_flight_[Link{line.a, line.b}];
  const size_t in_flight_max = std::max<size_t>(options_.in_flight_per_link_max, 1);
  if (link.size() >= in_flight_max) link.pop_front();
  const uint64_t flow_id = next_flow_id_++;
  link.push_back({line.c, line.time_ns, flow_id});
  KV_ASSERT(link.size() <= in_flight_max);
  json event = {{"ph", "X"},        {"name", absl::StrCat("send -> ", line.b)},
                {"cat", "message"}, {"ts", Micros(line.time_ns)},
                {"dur", 0},         {"bind_id", flow_id},
                {"flow_out", true}, {"args", {{"to", line.b}, {"payload_hash", Hex(line.c)}}}};
  Emit(line.a, static_cast<uint32_t>(LaneThread::kNetwork), std::move(event));
}

void PerfettoWriter::OnDeliver(const TraceLine& line) {
  json event = {{"ph", "X"},        {"name", absl::StrCat("recv <- ", line.a)},
                {"cat", "message"}, {"ts", Micros(line.time_ns)},
                {"dur", 0},         {"args", {{"from", line.a}, {"payload_hash", Hex(line.c)}}}};
  // Oldest first: a link without reordering delivers in order.
  const std::optional<InFlight> sent =
      TakeInFlight(Link{line.a, line.b}, /*newest_first=*/false,
                   [&](const InFlight& m) { return m.payload_hash == line.c; });
  if (sent.has_value()) {
    KV_ASSERT(line.time_ns >= sent->send_ns);
    event["bind_id"] = sent->flow_id;
    event["flow_in"] = true;
    event["args"]["latency_us"] = Micros(line.time_ns - sent->send_ns);
  } else {
    ++stats_.deliveries_unmatched;
  }
  Emit(line.b, static_cast<uint32_t>(LaneThread::kNetwork), std::move(event));
}

// A drop's c is HashCombine(DropReason, payload hash): the reason is found by trying each against
// the link's messages in flight, newest first (a drop at send time follows its send at once).
void PerfettoWriter::OnDrop(const TraceLine& line) {
  int reason = 0;
  const std::optional<InFlight> dropped =
      TakeInFlight(Link{line.a, line.b}, /*newest_first=*/true, [&](const InFlight& m) {
        for (int r = kDropReasonFirst; r <= kDropReasonLast; ++r) {
          if (HashCombine(static_cast<uint64_t>(r), m.payload_hash) != line.c) continue;
          reason = r;
          return true;
        }
        return false;
      });
  const std::string reason_name =
      dropped.has_value() ? sim::DropReasonName(static_cast<sim::DropReason>(reason)) : "unknown";
  // Dropped on sending: shown on the sender; dropped on arrival: on the receiver.
  const bool at_send = !dropped.has_value() || dropped->send_ns == line.time_ns;
  EmitInstant(at_send ? line.a : line.b, LaneThread::kNetwork,
              absl::StrCat("drop ", line.a, "->", line.b, " (", reason_name, ")"), "message",
              line.time_ns, {{"from", line.a}, {"to", line.b}, {"reason", reason_name}});
}

std::optional<PerfettoWriter::InFlight> PerfettoWriter::TakeInFlight(
    const Link& link, bool newest_first, const std::function<bool(const InFlight&)>& matches) {
  auto found = in_flight_.find(link);
  if (found == in_flight_.end()) return std::nullopt;
  std::deque<InFlight>& messages = found->second;
  for (size_t n = 0; n < messages.size(); ++n) {
    const size_t i = newest_first ? messages.size() - 1 - n : n;
    if (!matches(messages[i])) continue;
    const InFlight taken = messages[i];
    messages.erase(messages.begin() + static_cast<ptrdiff_t>(i));
    return taken;
  }
  return std::nullopt;
}

void PerfettoWriter::OnFault(const TraceLine& line) {
  const absl::string_view kind = line.detail.empty() ? absl::string_view("fault") : line.detail;
  const uint64_t pid = line.b == 0 ? kClusterPid : line.b;
  EmitInstant(pid, LaneThread::kFaults, kind, "fault", line.time_ns, FaultArgs(kind, line.c));
  if (line.b != 0) OnLifecycle(kind, pid, line);
}

// Down: from crash/stop to the next start/restart. Paused: overlapping pauses merge; a crash ends
// a pause (slices on one thread must nest).
void PerfettoWriter::OnLifecycle(absl::string_view kind, uint64_t pid, const TraceLine& line) {
  if (kind == "crash" || kind == "stop") {
    if (auto pause = paused_.find(pid); pause != paused_.end()) {
      pause->second.end_ns = std::min(pause->second.end_ns, line.time_ns);
      FlushPause(pid);
    }
    if (!down_.contains(pid)) down_[pid] = {line.time_ns, line.time_ns, std::string(kind)};
    for (auto& [link, messages] : in_flight_) {
      // Deliveries to a dead incarnation are discarded without a trace record.
      if (link.second == pid) messages.clear();
    }
  } else if (kind == "start" || kind == "restart") {
    if (auto down = down_.find(pid); down != down_.end()) {
      EmitSlice(pid, LaneThread::kLifecycle, "down", "fault", down->second.start_ns, line.time_ns,
                {{"cause", down->second.cause}});
      down_.erase(down);
    }
  } else if (kind == "pause") {
    const int64_t end_ns =
        line.time_ns +
        static_cast<int64_t>(std::min<uint64_t>(line.c, uint64_t{1} << 40)) * 1'000'000;
    auto pause = paused_.find(pid);
    if (pause != paused_.end() && line.time_ns <= pause->second.end_ns) {
      pause->second.end_ns = std::max(pause->second.end_ns, end_ns);
      return;
    }
    if (pause != paused_.end()) FlushPause(pid);
    paused_[pid] = {line.time_ns, end_ns, "pause"};
  }
}

void PerfettoWriter::FlushPause(uint64_t pid) {
  auto pause = paused_.find(pid);
  if (pause == paused_.end()) return;
  EmitSlice(pid, LaneThread::kLifecycle, "paused", "fault", pause->second.start_ns,
            pause->second.end_ns, json::object());
  paused_.erase(pause);
}

void PerfettoWriter::OnOther(const TraceLine& line) {
  switch (line.kind) {
    case TraceKind::kTask:
      running_owner_ = line.a;
      if (!options_.include_tasks) return;
      EmitInstant(line.a == 0 ? kClusterPid : line.a, LaneThread::kTasks, "task", "task",
                  line.time_ns, {{"seq", line.b}});
      return;
    case TraceKind::kDiskOp: {
      if (!options_.include_disk_ops) return;
      EmitInstant(line.a == 0 ? kClusterPid : line.a, LaneThread::kDisk,
                  absl::StrCat("disk ", sim::DiskOpName(DiskOpOf(line))), "disk", line.time_ns,
                  {{"path_hash", Hex(DiskPathHashOf(line))}, {"hash", Hex(line.c)}});
      return;
    }
    case TraceKind::kBuggify:
      EmitInstant(running_owner_ == 0 ? kClusterPid : running_owner_, LaneThread::kBuggify,
                  absl::StrCat("buggify ", line.detail), "buggify", line.time_ns,
                  {{"site", std::string(line.detail)}});
      return;
    default:  // kNote
      EmitInstant(kClusterPid, LaneThread::kNotes,
                  line.detail.empty() ? absl::string_view("note") : line.detail, "note",
                  line.time_ns, {{"a", line.a}, {"b", line.b}, {"c", line.c}});
      return;
  }
}

void PerfettoWriter::AddOperations(const workloads::KvHistory& history) {
  KV_ASSERT_MSG(!finished_, "operations after PerfettoWriter::Finish");
  for (size_t i = 0; i < history.ops.size(); ++i) AddOperation(i, history.ops[i]);
}

void PerfettoWriter::AddOperation(size_t index, const workloads::KvOp& op) {
  const int64_t start_ns = op.invoked.nanos();
  const bool incomplete = op.completed.nanos() < start_ns;
  const int64_t end_ns = incomplete ? std::max(start_ns, last_time_ns_) : op.completed.nanos();
  json args = {
      {"index", index},
      {"client", op.client},
      {"status", incomplete ? std::string("incomplete") : absl::StatusCodeToString(op.code)}};
  if (op.type == workloads::KvOp::Type::kPut) args["value"] = op.value;
  if (op.is_write()) args["context_used"] = !op.context_used.empty();
  if (op.ttl_micros != 0) args["ttl_micros"] = op.ttl_micros;
  if (op.is_write() && op.ok()) args["dot"] = DotString(op.dot);
  if (op.type == workloads::KvOp::Type::kGet && op.ok()) {
    args["values_read"] = op.values_read;
    json dots = json::array();
    for (const storage::Dot& dot : op.dots_read) dots.push_back(DotString(dot));
    args["dots_read"] = std::move(dots);
  }
  const uint64_t pid =
      op.coordinator == 0 || op.coordinator > kProcessIdMax ? kClusterPid : op.coordinator;
  const uint32_t slot = static_cast<uint32_t>(LaneThread::kClientBase) + op.client % kClientsMax;
  json event = {{"ph", "X"},
                {"name", absl::StrCat(OpTypeName(op.type), " ", op.key)},
                {"cat", "op"},
                {"ts", Micros(start_ns)},
                {"dur", Micros(end_ns - start_ns)},
                {"args", std::move(args)}};
  Emit(pid, slot, std::move(event));
}

absl::Status PerfettoWriter::Finish() {
  KV_ASSERT_MSG(!finished_, "PerfettoWriter::Finish called twice");
  while (!paused_.empty()) FlushPause(paused_.begin()->first);
  for (const auto& [pid, down] : down_) {
    EmitSlice(pid, LaneThread::kLifecycle, "down", "fault", down.start_ns,
              std::max(down.start_ns, last_time_ns_), {{"cause", down.cause}, {"until_end", true}});
  }
  down_.clear();
  finished_ = true;
  *out_ << "\n],\n\"displayTimeUnit\":\"ms\"}\n";
  out_->flush();
  if (!*out_)
    return absl::DataLossError("writing the Perfetto trace failed; the file is incomplete");
  return absl::OkStatus();
}

void PerfettoWriter::EmitSlice(uint64_t pid, LaneThread thread, absl::string_view name,
                               absl::string_view cat, int64_t start_ns, int64_t end_ns, json args) {
  KV_ASSERT(end_ns >= start_ns);
  json event = {{"ph", "X"},
                {"name", name},
                {"cat", cat},
                {"ts", Micros(start_ns)},
                {"dur", Micros(end_ns - start_ns)},
                {"args", std::move(args)}};
  Emit(pid, static_cast<uint32_t>(thread), std::move(event));
}

void PerfettoWriter::EmitInstant(uint64_t pid, LaneThread thread, absl::string_view name,
                                 absl::string_view cat, int64_t time_ns, json args) {
  json event = {{"ph", "i"},
                {"s", "t"},
                {"name", name},
                {"cat", cat},
                {"ts", Micros(time_ns)},
                {"args", std::move(args)}};
  Emit(pid, static_cast<uint32_t>(thread), std::move(event));
}

void PerfettoWriter::Emit(uint64_t pid, uint32_t slot, json event) {
  EnsureLane(pid, slot);
  event["pid"] = pid;
  event["tid"] = ThreadId(pid, slot);
  Write(event);
}

void PerfettoWriter::EnsureLane(uint64_t pid, uint32_t slot) {
  const uint64_t tid = ThreadId(pid, slot);
  if (lanes_.insert(pid).second) {
    Write(
        {{"ph", "M"}, {"name", "process_name"}, {"pid", pid}, {"args", {{"name", LaneName(pid)}}}});
    Write({{"ph", "M"},
           {"name", "process_sort_index"},
           {"pid", pid},
           {"args", {{"sort_index", pid == kClusterPid ? 0 : pid}}}});
  }
  if (threads_.insert(tid).second) {
    const std::string name =
        slot >= static_cast<uint32_t>(LaneThread::kClientBase)
            ? absl::StrCat("client ", slot - static_cast<uint32_t>(LaneThread::kClientBase))
            : ThreadName(static_cast<LaneThread>(slot));
    Write({{"ph", "M"},
           {"name", "thread_name"},
           {"pid", pid},
           {"tid", tid},
           {"args", {{"name", name}}}});
    Write({{"ph", "M"},
           {"name", "thread_sort_index"},
           {"pid", pid},
           {"tid", tid},
           {"args", {{"sort_index", slot}}}});
  }
}

void PerfettoWriter::Write(const json& event) {
  *out_ << (first_event_ ? "\n" : ",\n")
        << event.dump(-1, ' ', false, json::error_handler_t::replace);
  first_event_ = false;
  ++stats_.events;
}

std::string PerfettoWriter::LaneName(uint64_t pid) const {
  if (pid == kClusterPid) return "cluster";
  auto named = options_.process_names.find(pid);
  if (named != options_.process_names.end()) return named->second;
  return absl::StrCat("node ", pid);
}

}  // namespace kv::tools
