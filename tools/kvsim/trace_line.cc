#include "tools/kvsim/trace_line.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace kv::tools {
namespace {

constexpr int kNanosDigits = 9;

// The next space-separated field of `*rest`, removed from it; empty if there is none.
absl::string_view NextField(absl::string_view* rest) {
  const size_t space = rest->find(' ');
  absl::string_view field = rest->substr(0, space);
  rest->remove_prefix(space == absl::string_view::npos ? rest->size() : space + 1);
  return field;
}

std::optional<uint64_t> ParseUnsigned(absl::string_view text) {
  uint64_t value = 0;
  if (text.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(text[0])) ||
      !absl::SimpleAtoi(text, &value)) {
    return std::nullopt;
  }
  return value;
}

// "<seconds>.<9 digits>" as nanoseconds.
std::optional<int64_t> ParseTime(absl::string_view text) {
  const size_t dot = text.find('.');
  if (dot == absl::string_view::npos || text.size() - dot - 1 != kNanosDigits) return std::nullopt;
  const absl::string_view seconds_text = text.substr(0, dot);
  const absl::string_view nanos_text = text.substr(dot + 1);
  for (char ch : nanos_text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(ch))) return std::nullopt;
  }
  const std::optional<uint64_t> seconds = ParseUnsigned(seconds_text);
  int64_t nanos = 0;
  if (!seconds || !absl::SimpleAtoi(nanos_text, &nanos)) return std::nullopt;
  constexpr uint64_t kSecondsMax = INT64_MAX / 1'000'000'000 - 1;
  if (*seconds > kSecondsMax) return std::nullopt;
  return static_cast<int64_t>(*seconds) * 1'000'000'000 + nanos;
}

}  // namespace

std::optional<sim::TraceKind> TraceKindFromName(absl::string_view name) {
  constexpr sim::TraceKind kKinds[] = {
      sim::TraceKind::kTask,    sim::TraceKind::kMsgSend,   sim::TraceKind::kMsgDeliver,
      sim::TraceKind::kMsgDrop, sim::TraceKind::kConnEvent, sim::TraceKind::kFault,
      sim::TraceKind::kDiskOp,  sim::TraceKind::kBuggify,   sim::TraceKind::kNote,
  };
  for (sim::TraceKind kind : kKinds) {
    if (name == sim::TraceKindName(kind)) return kind;
  }
  return std::nullopt;
}

sim::DiskOp DiskOpOf(const TraceLine& line) { return static_cast<sim::DiskOp>(line.b >> 56); }

uint64_t DiskPathHashOf(const TraceLine& line) { return line.b & ((uint64_t{1} << 56) - 1); }

std::optional<TraceLine> ParseTraceLine(absl::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  absl::string_view rest = line;
  const std::optional<int64_t> time_ns = ParseTime(NextField(&rest));
  const std::optional<sim::TraceKind> kind = TraceKindFromName(NextField(&rest));
  const std::optional<uint64_t> a = ParseUnsigned(NextField(&rest));
  const std::optional<uint64_t> b = ParseUnsigned(NextField(&rest));
  const std::optional<uint64_t> c = ParseUnsigned(NextField(&rest));
  if (!time_ns || !kind || !a || !b || !c) return std::nullopt;
  TraceLine parsed;
  parsed.time_ns = *time_ns;
  parsed.kind = *kind;
  parsed.a = *a;
  parsed.b = *b;
  parsed.c = *c;
  parsed.detail = rest;
  return parsed;
}

}  // namespace kv::tools
