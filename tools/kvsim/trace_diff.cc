#include "tools/kvsim/trace_diff.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/assert.h"
#include "sim/sim_disk.h"
#include "tools/kvsim/trace_line.h"

namespace kv::tools {
namespace {

std::string Process(uint64_t id) { return absl::StrCat("process ", id); }

// What the event was and which processes it involved, e.g. "a send from process 2 to process 5".
std::string DescribeEvent(const TraceLine& e) {
  using sim::TraceKind;
  switch (e.kind) {
    case TraceKind::kTask:
      return e.a == 0 ? "an event owned by no process" : absl::StrCat("an event of ", Process(e.a));
    case TraceKind::kMsgSend:
      return absl::StrCat("a send from ", Process(e.a), " to ", Process(e.b));
    case TraceKind::kMsgDeliver:
      return absl::StrCat("a delivery from ", Process(e.a), " to ", Process(e.b));
    case TraceKind::kMsgDrop:
      return absl::StrCat("a dropped message from ", Process(e.a), " to ", Process(e.b));
    case TraceKind::kConnEvent:
      return absl::StrCat("a connection event at ", Process(e.a), " about ", Process(e.b));
    case TraceKind::kFault:
      return absl::StrCat("fault '", e.detail, "' ",
                          e.b == 0 ? std::string("across the cluster") : "on " + Process(e.b));
    case TraceKind::kDiskOp:
      return absl::StrCat("a disk ", sim::DiskOpName(DiskOpOf(e)), " on ", Process(e.a));
    case TraceKind::kBuggify: return absl::StrCat("buggify site '", e.detail, "' firing");
    case TraceKind::kNote:
      return absl::StrCat("a note (", e.a, " ", e.b, " ", e.c, e.detail.empty() ? "" : " ",
                          e.detail, ")");
  }
  return "an unknown event";
}

std::string DescribeSide(absl::string_view name, const std::string& line) {
  if (line == kEndOfTrace) return absl::StrCat(name, "'s trace had ended");
  if (line == kNotRecorded) return absl::StrCat(name, "'s line was not recorded");
  const std::optional<TraceLine> e = ParseTraceLine(line);
  if (!e.has_value()) return absl::StrCat(name, " has a line that is not a trace record");
  return absl::StrFormat("%s has %s at %d.%09d s", name, DescribeEvent(*e),
                         e->time_ns / 1'000'000'000, e->time_ns % 1'000'000'000);
}

// Line i (0-based) of a recorded trace, or the sentinel for a line it did not keep or never had.
std::string RecordedLine(const TraceRecorder& r, uint64_t i) {
  if (i < r.lines().size()) return r.lines()[i];
  return std::string(i < r.lines_seen() ? kNotRecorded : kEndOfTrace);
}

}  // namespace

TraceDifference FirstDifference(std::istream& left, std::istream& right) {
  std::string l, r;
  uint64_t line_number = 0;
  while (true) {
    const bool has_left = static_cast<bool>(std::getline(left, l));
    const bool has_right = static_cast<bool>(std::getline(right, r));
    if (!has_left && !has_right) return {true, line_number, "", ""};
    ++line_number;
    if (has_left && has_right && l == r) continue;
    return {false, line_number, has_left ? l : std::string(kEndOfTrace),
            has_right ? r : std::string(kEndOfTrace)};
  }
}

void TraceRecorder::OnTraceLine(absl::string_view line) {
  ++lines_seen_;
  if (lines_.size() < lines_max_) lines_.emplace_back(line);
  KV_ASSERT(lines_.size() <= lines_seen_);
}

sim::Trace::Sink TraceRecorder::AsSink() {
  return [this](absl::string_view line) { OnTraceLine(line); };
}

TraceDifference FirstDifference(const TraceRecorder& left, const TraceRecorder& right) {
  const uint64_t compared = std::min(left.lines().size(), right.lines().size());
  for (uint64_t i = 0; i < compared; ++i) {
    if (left.lines()[i] != right.lines()[i]) {
      return {false, i + 1, left.lines()[i], right.lines()[i]};
    }
  }
  if (left.lines_seen() == right.lines_seen()) return {true, compared, "", ""};
  return {false, compared + 1, RecordedLine(left, compared), RecordedLine(right, compared)};
}

std::string DescribeTraceDifference(const TraceDifference& d, absl::string_view left_name,
                                    absl::string_view right_name) {
  if (d.identical) {
    return absl::StrCat("the traces are identical (", d.line_number, " lines compared)");
  }
  return absl::StrCat("the traces first differ at line ", d.line_number, ": ",
                      DescribeSide(left_name, d.left), ", but ", DescribeSide(right_name, d.right),
                      ".\n  ", left_name, ": ", d.left, "\n  ", right_name, ": ", d.right);
}

}  // namespace kv::tools
