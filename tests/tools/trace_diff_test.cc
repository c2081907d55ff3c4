// First differences between traces, as `kvsim diff` reports them.
#include "tools/kvsim/trace_diff.h"

#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "sim/trace.h"

namespace kv::tools {
namespace {

using sim::TraceKind;

constexpr char kA[] = "0.000001000 task 1 1 0\n0.000001500 send 2 5 77\n0.000002000 task 5 2 0\n";

TraceDifference Diff(const std::string& left, const std::string& right) {
  std::istringstream l(left), r(right);
  return FirstDifference(l, r);
}

TEST(TraceDiffTest, IdenticalStreamsAreIdentical) {
  const TraceDifference d = Diff(kA, kA);
  EXPECT_TRUE(d.identical);
  EXPECT_EQ(d.line_number, 3u);
  EXPECT_EQ(DescribeTraceDifference(d), "the traces are identical (3 lines compared)");
  EXPECT_TRUE(Diff("", "").identical);
}

TEST(TraceDiffTest, ADifferenceInTheMiddleNamesTheLineTheEventAndBothLines) {
  const std::string b =
      "0.000001000 task 1 1 0\n0.000001500 deliver 3 1 78\n0.000002000 task 5 2 0\n";
  const TraceDifference d = Diff(kA, b);
  EXPECT_FALSE(d.identical);
  EXPECT_EQ(d.line_number, 2u);
  EXPECT_EQ(d.left, "0.000001500 send 2 5 77");
  EXPECT_EQ(d.right, "0.000001500 deliver 3 1 78");
  const std::string message = DescribeTraceDifference(d, "first run", "second run");
  EXPECT_NE(message.find("first differ at line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("first run has a send from process 2 to process 5 at 0.000001500 s"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("second run has a delivery from process 3 to process 1"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("first run: 0.000001500 send 2 5 77"), std::string::npos) << message;
  EXPECT_NE(message.find("second run: 0.000001500 deliver 3 1 78"), std::string::npos) << message;
}

TEST(TraceDiffTest, AStreamThatEndsEarlyDiffersAtItsEnd) {
  const std::string shorter = "0.000001000 task 1 1 0\n";
  const TraceDifference d = Diff(kA, shorter);
  EXPECT_FALSE(d.identical);
  EXPECT_EQ(d.line_number, 2u);
  EXPECT_EQ(d.left, "0.000001500 send 2 5 77");
  EXPECT_EQ(d.right, kEndOfTrace);
  const std::string message = DescribeTraceDifference(d);
  EXPECT_NE(message.find("run B's trace had ended"), std::string::npos) << message;

  const TraceDifference reversed = Diff("", kA);
  EXPECT_EQ(reversed.line_number, 1u);
  EXPECT_EQ(reversed.left, kEndOfTrace);
}

TEST(TraceDiffTest, DescriptionsNameFaultsAndTheirTargets) {
  const TraceDifference d =
      Diff("2.000000000 fault 123 4 1 crash\n", "2.000000000 fault 456 0 0 heal\n");
  const std::string message = DescribeTraceDifference(d);
  EXPECT_NE(message.find("run A has fault 'crash' on process 4 at 2.000000000 s"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("run B has fault 'heal' across the cluster"), std::string::npos)
      << message;
}

// Two in-process runs recorded through the simulator's own trace sink.
TEST(TraceDiffTest, RecordersCompareTwoRunsOfATrace) {
  auto run = [](TraceRecorder* recorder, uint64_t payload) {
    sim::Trace trace;
    trace.set_sink(recorder->AsSink());
    trace.Record(1000, TraceKind::kTask, 1, 1, 0);
    trace.Record(1500, TraceKind::kMsgSend, 2, 5, payload);
    trace.Record(2000, TraceKind::kTask, 5, 2, 0);
  };
  TraceRecorder a, b, c;
  run(&a, 77);
  run(&b, 77);
  run(&c, 78);
  EXPECT_EQ(a.lines().size(), 3u);
  EXPECT_TRUE(FirstDifference(a, b).identical);
  const TraceDifference d = FirstDifference(a, c);
  EXPECT_FALSE(d.identical);
  EXPECT_EQ(d.line_number, 2u);
  EXPECT_EQ(d.left, "0.000001500 send 2 5 77");
  EXPECT_EQ(d.right, "0.000001500 send 2 5 78");
}

TEST(TraceDiffTest, ARecorderKeepsOnlyItsLimitAndSaysWhatItDidNotKeep) {
  TraceRecorder kept_two(2), all;
  for (const char* line :
       {"0.000000001 task 1 1 0", "0.000000002 task 1 2 0", "0.000000003 task 1 3 0"}) {
    kept_two.OnTraceLine(line);
    all.OnTraceLine(line);
  }
  EXPECT_EQ(kept_two.lines().size(), 2u);
  EXPECT_EQ(kept_two.lines_seen(), 3u);
  EXPECT_TRUE(kept_two.truncated());
  EXPECT_TRUE(FirstDifference(kept_two, all).identical) << "same length, kept lines agree";

  all.OnTraceLine("0.000000004 task 1 4 0");
  const TraceDifference d = FirstDifference(kept_two, all);
  EXPECT_FALSE(d.identical);
  EXPECT_EQ(d.line_number, 3u);
  EXPECT_EQ(d.left, kNotRecorded);
  EXPECT_EQ(d.right, "0.000000003 task 1 3 0");
}

}  // namespace
}  // namespace kv::tools
