// Parses the lines a sim::Trace sink receives back into their fields, for tools that read traces
// (the Perfetto exporter, trace diffs). The format is sim/trace.cc's:
//   "<seconds>.<9-digit nanoseconds> <kind> <a> <b> <c>[ <detail>]"
// where <kind> is a TraceKindName and a, b, c are unsigned decimal.
#pragma once

#include <cstdint>
#include <optional>

#include "absl/strings/string_view.h"
#include "sim/sim_disk.h"
#include "sim/trace.h"

namespace kv::tools {

struct TraceLine {
  int64_t time_ns = 0;
  sim::TraceKind kind = sim::TraceKind::kNote;
  uint64_t a = 0, b = 0, c = 0;
  absl::string_view detail;  // empty if none; points into the parsed line
};

// A kDiskOp record's operation and path hash, packed in b (sim/sim_process.cc).
sim::DiskOp DiskOpOf(const TraceLine& line);
uint64_t DiskPathHashOf(const TraceLine& line);

// The fields of `line`, or nullopt if it is not a trace line (wrong field count, a number that does
// not parse, an unknown kind). Never fails otherwise; trailing '\r' or '\n' are ignored.
// The result's `detail` points into `line`: it lives as long as the caller's buffer.
std::optional<TraceLine> ParseTraceLine(absl::string_view line);

// The kind whose TraceKindName is `name`, or nullopt.
std::optional<sim::TraceKind> TraceKindFromName(absl::string_view name);

}  // namespace kv::tools
