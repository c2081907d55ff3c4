// Where two traces of the same seed diverge. Runs of one seed must produce identical traces line
// for line (sim/trace.h); the first line where they differ names the event at which the runs took
// different paths, which is where a nondeterminism bug shows itself.
//
//   kvsim diff runs a seed twice in-process, each run into a TraceRecorder, and reports
//   DescribeTraceDifference(FirstDifference(first, second)).
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "sim/trace.h"

namespace kv::tools {

// Stands for a missing line in TraceDifference::left/right.
inline constexpr absl::string_view kEndOfTrace = "(end of trace)";
inline constexpr absl::string_view kNotRecorded = "(not recorded: past the recorder's line limit)";

struct TraceDifference {
  bool identical = true;
  // identical: the number of lines compared. Otherwise the 1-based number of the first line that
  // differs, which is one past the last line of a trace that ended early.
  uint64_t line_number = 0;
  // The differing lines; kEndOfTrace for a trace that ended, kNotRecorded for a line a
  // TraceRecorder counted but did not keep. Empty when identical.
  std::string left, right;
};

// Compares two traces line by line, reading each stream once and holding two lines at a time.
// A trace that ends before the other differs at its end.
TraceDifference FirstDifference(std::istream& left, std::istream& right);

// A trace sink that keeps the first `lines_max` lines in memory and counts the rest.
class TraceRecorder {
 public:
  static constexpr uint64_t kLinesMaxDefault = 20'000'000;

  explicit TraceRecorder(uint64_t lines_max = kLinesMaxDefault) : lines_max_(lines_max) {}

  void OnTraceLine(absl::string_view line);
  // A sink that calls OnTraceLine. REQUIRES: this recorder outlives every use of the sink.
  sim::Trace::Sink AsSink();

  const std::vector<std::string>& lines() const { return lines_; }
  uint64_t lines_seen() const { return lines_seen_; }
  bool truncated() const { return lines_seen_ > lines_.size(); }

 private:
  uint64_t lines_max_;
  uint64_t lines_seen_ = 0;
  std::vector<std::string> lines_;
};

// As FirstDifference on streams. If every kept line agrees but a recorder dropped lines past its
// limit, the traces differ at the first line not kept by both only when their lengths differ;
// equal lengths with equal kept lines count as identical (the fingerprints settle the rest).
TraceDifference FirstDifference(const TraceRecorder& left, const TraceRecorder& right);

// One paragraph for a person: the line number, the simulated time, what the event was and which
// processes it involved (from the first side that has a line there), then both lines, named by
// `left_name` and `right_name`. For identical traces: a sentence saying so.
std::string DescribeTraceDifference(const TraceDifference& difference,
                                    absl::string_view left_name = "run A",
                                    absl::string_view right_name = "run B");

}  // namespace kv::tools
