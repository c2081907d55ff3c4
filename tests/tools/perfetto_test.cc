// The Perfetto export as a user opening it in ui.perfetto.dev would see it: lanes, threads, events
// and their timestamps, parsed back from the JSON the writer produced.
#include "tools/kvsim/perfetto.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "net/random.h"
#include "nlohmann/json.hpp"
#include "sim/sim_network.h"
#include "sim/trace.h"
#include "support/time_test_util.h"
#include "workloads/demo/demo_world.h"

namespace kv::tools {
namespace {

using json = nlohmann::json;
using kv::testing::kMs;
using sim::TraceKind;

// Feeds records to a writer through a real sim::Trace, so the lines are exactly the simulator's.
class PerfettoTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }

  void Start(PerfettoOptions options) {
    out_.str("");
    writer_ = std::make_unique<PerfettoWriter>(&out_, std::move(options));
    trace_ = sim::Trace();
    trace_.set_sink(writer_->AsSink());
  }

  void Record(int64_t time_ns, TraceKind kind, uint64_t a, uint64_t b, uint64_t c,
              absl::string_view detail = {}) {
    trace_.RecordWithDetail(time_ns, kind, a, b, c, detail);
  }
  void Fault(int64_t time_ns, absl::string_view kind, uint64_t target, uint64_t param = 0) {
    Record(time_ns, TraceKind::kFault, StableHash(kind), target, param, kind);
  }
  void Drop(int64_t time_ns, uint64_t from, uint64_t to, sim::DropReason reason, uint64_t hash) {
    Record(time_ns, TraceKind::kMsgDrop, from, to,
           HashCombine(static_cast<uint64_t>(reason), hash));
  }

  // Finishes the file and parses it; fails the test if it is not the JSON object format.
  json Finish() {
    EXPECT_TRUE(writer_->Finish().ok());
    json file = json::parse(out_.str());
    EXPECT_EQ(file["displayTimeUnit"], "ms");
    EXPECT_TRUE(file["traceEvents"].is_array());
    return file;
  }

  static std::vector<json> Named(const json& file, absl::string_view name) {
    std::vector<json> found;
    for (const json& e : file["traceEvents"]) {
      if (e["ph"] != "M" && e["name"] == std::string(name)) found.push_back(e);
    }
    return found;
  }
  static std::string Metadata(const json& file, absl::string_view kind, uint64_t pid,
                              uint64_t tid = 0) {
    for (const json& e : file["traceEvents"]) {
      if (e["ph"] == "M" && e["name"] == std::string(kind) && e["pid"] == pid &&
          (tid == 0 || e["tid"] == tid)) {
        return e["args"]["name"];
      }
    }
    return "(none)";
  }
  static uint64_t Tid(uint64_t pid, LaneThread thread) {
    return ThreadId(pid, static_cast<uint32_t>(thread));
  }

  std::ostringstream out_;
  std::unique_ptr<PerfettoWriter> writer_;
  sim::Trace trace_;
};

TEST_F(PerfettoTest, EachProcessGetsANamedLaneAndNetworkWideFaultsGoToTheClusterLane) {
  Record(1 * kMs, TraceKind::kMsgSend, 1, 3, 77);
  Fault(2 * kMs, "partition_isolate", 0, 3);
  Fault(5 * kMs, "heal", 0);
  const json file = Finish();
  EXPECT_EQ(Metadata(file, "process_name", 1), "node 1");
  EXPECT_EQ(Metadata(file, "process_name", kClusterPid), "cluster");
  EXPECT_EQ(Metadata(file, "thread_name", 1, Tid(1, LaneThread::kNetwork)), "network");
  EXPECT_EQ(Metadata(file, "thread_name", kClusterPid, Tid(kClusterPid, LaneThread::kFaults)),
            "faults");
  const std::vector<json> isolate = Named(file, "partition_isolate");
  ASSERT_EQ(isolate.size(), 1u);
  EXPECT_EQ(isolate[0]["pid"], kClusterPid);
  EXPECT_EQ(isolate[0]["ph"], "i");
  EXPECT_EQ(isolate[0]["ts"], 2000);
  EXPECT_EQ(isolate[0]["args"]["node"], 3);
  ASSERT_EQ(Named(file, "heal").size(), 1u);
  EXPECT_EQ(Named(file, "heal")[0]["ts"], 5000);
}

TEST_F(PerfettoTest, ProcessNamesCanBeGiven) {
  PerfettoOptions options;
  options.process_names[6] = "client 1";
  Start(options);
  Record(1 * kMs, TraceKind::kMsgSend, 6, 2, 77);
  const json file = Finish();
  EXPECT_EQ(Metadata(file, "process_name", 6), "client 1");
}

TEST_F(PerfettoTest, ASendAndItsDeliveryAreJoinedByAFlowArrow) {
  Record(1'500'000, TraceKind::kMsgSend, 1, 2, 0xabc);
  Record(1'500'250, TraceKind::kMsgSend, 1, 2, 0xdef);
  Record(2'250'000, TraceKind::kMsgDeliver, 1, 2, 0xabc);
  const json file = Finish();
  const std::vector<json> sends = Named(file, "send -> 2");
  const std::vector<json> recvs = Named(file, "recv <- 1");
  ASSERT_EQ(sends.size(), 2u);
  ASSERT_EQ(recvs.size(), 1u);
  EXPECT_EQ(sends[0]["pid"], 1);
  EXPECT_EQ(sends[0]["tid"], Tid(1, LaneThread::kNetwork));
  EXPECT_EQ(sends[0]["ts"], 1500);
  EXPECT_EQ(sends[1]["ts"], 1500.25);  // sub-microsecond simulated time is kept
  EXPECT_EQ(sends[0]["flow_out"], true);
  EXPECT_EQ(recvs[0]["pid"], 2);
  EXPECT_EQ(recvs[0]["ts"], 2250);
  EXPECT_EQ(recvs[0]["flow_in"], true);
  EXPECT_EQ(recvs[0]["bind_id"], sends[0]["bind_id"]);
  EXPECT_NE(sends[0]["bind_id"], sends[1]["bind_id"]);
  EXPECT_EQ(recvs[0]["args"]["latency_us"], 750);
}

TEST_F(PerfettoTest, DropsShowTheirReasonOnTheSenderOrOnTheReceiver) {
  Record(1 * kMs, TraceKind::kMsgSend, 1, 3, 10);
  Drop(1 * kMs, 1, 3, sim::DropReason::kPartition, 10);  // at send: the sender's lane
  Record(2 * kMs, TraceKind::kMsgSend, 1, 3, 11);
  Drop(4 * kMs, 1, 3, sim::DropReason::kInboxFull, 11);  // on arrival: the receiver's lane
  Drop(5 * kMs, 2, 3, sim::DropReason::kLoss, 12);       // its send was never seen
  const json file = Finish();
  const std::vector<json> partition = Named(file, "drop 1->3 (partition)");
  ASSERT_EQ(partition.size(), 1u);
  EXPECT_EQ(partition[0]["ph"], "i");
  EXPECT_EQ(partition[0]["pid"], 1);
  EXPECT_EQ(partition[0]["args"]["reason"], "partition");
  const std::vector<json> inbox = Named(file, "drop 1->3 (inbox_full)");
  ASSERT_EQ(inbox.size(), 1u);
  EXPECT_EQ(inbox[0]["pid"], 3);
  EXPECT_EQ(inbox[0]["ts"], 4000);
  ASSERT_EQ(Named(file, "drop 2->3 (unknown)").size(), 1u);
}

TEST_F(PerfettoTest, FaultsAreInstantsAndACrashUntilRestartIsADownSlice) {
  Fault(0, "start", 2);
  Fault(1000 * kMs, "crash", 2, 1);
  Fault(3000 * kMs, "restart", 2, 2);
  Fault(3500 * kMs, "clock_jump", 2, static_cast<uint64_t>(int64_t{-250}));
  Fault(4000 * kMs, "disk_eio_write", 4, 0x1234);
  Fault(4500 * kMs, "crash", 4, 1);  // never restarted: down until the end of the trace
  Record(6000 * kMs, TraceKind::kMsgSend, 1, 2, 1);
  const json file = Finish();
  ASSERT_EQ(Named(file, "crash").size(), 2u);
  EXPECT_EQ(Named(file, "crash")[0]["tid"], Tid(2, LaneThread::kFaults));
  EXPECT_EQ(Named(file, "crash")[0]["args"]["incarnation"], 1);
  EXPECT_EQ(Named(file, "clock_jump")[0]["args"]["delta_ms"], -250);
  EXPECT_EQ(Named(file, "disk_eio_write")[0]["pid"], 4);
  const std::vector<json> down = Named(file, "down");
  ASSERT_EQ(down.size(), 2u);
  EXPECT_EQ(down[0]["ph"], "X");
  EXPECT_EQ(down[0]["pid"], 2);
  EXPECT_EQ(down[0]["tid"], Tid(2, LaneThread::kLifecycle));
  EXPECT_EQ(down[0]["ts"], 1'000'000);
  EXPECT_EQ(down[0]["dur"], 2'000'000);
  EXPECT_EQ(down[0]["args"]["cause"], "crash");
  EXPECT_EQ(down[1]["pid"], 4);
  EXPECT_EQ(down[1]["dur"], 1'500'000);
  EXPECT_EQ(down[1]["args"]["until_end"], true);
}

TEST_F(PerfettoTest, OverlappingPausesMergeIntoOnePausedSlice) {
  Fault(1000 * kMs, "pause", 3, 100);
  Fault(1050 * kMs, "pause", 3, 200);
  Fault(2000 * kMs, "pause", 3, 10);
  const json file = Finish();
  const std::vector<json> paused = Named(file, "paused");
  ASSERT_EQ(paused.size(), 2u);
  EXPECT_EQ(paused[0]["ts"], 1'000'000);
  EXPECT_EQ(paused[0]["dur"], 250'000);
  EXPECT_EQ(paused[1]["ts"], 2'000'000);
  EXPECT_EQ(paused[1]["dur"], 10'000);
  EXPECT_EQ(Named(file, "pause").size(), 3u);
}

TEST_F(PerfettoTest, BuggifyFiringsLandOnTheProcessWhoseEventRan) {
  Record(1 * kMs, TraceKind::kTask, 3, 17, 0);
  Record(1 * kMs, TraceKind::kBuggify, 0, StableHash("slow_sync"), 1, "slow_sync");
  Record(2 * kMs, TraceKind::kDiskOp, 3, 5, 6);
  const json file = Finish();
  const std::vector<json> fired = Named(file, "buggify slow_sync");
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0]["pid"], 3);
  EXPECT_EQ(fired[0]["tid"], Tid(3, LaneThread::kBuggify));
  EXPECT_EQ(fired[0]["args"]["site"], "slow_sync");
  EXPECT_TRUE(Named(file, "task").empty()) << "tasks are skipped by default";
  EXPECT_EQ(writer_->stats().malformed_lines, 0u);
}

TEST_F(PerfettoTest, TasksAndDiskOpsAppearWhenAskedFor) {
  PerfettoOptions options;
  options.include_tasks = true;
  options.include_disk_ops = true;
  Start(options);
  Record(1 * kMs, TraceKind::kTask, 3, 17, 0);
  Record(2 * kMs, TraceKind::kDiskOp, 3, uint64_t{5} << 56 | 99, 6);  // kSync
  const json file = Finish();
  ASSERT_EQ(Named(file, "task").size(), 1u);
  EXPECT_EQ(Named(file, "task")[0]["args"]["seq"], 17);
  ASSERT_EQ(Named(file, "disk sync").size(), 1u);
  EXPECT_EQ(Named(file, "disk sync")[0]["pid"], 3);
}

TEST_F(PerfettoTest, MalformedLinesAreSkippedAndCountedAndTheFileStaysValidJson) {
  const std::vector<std::string> bad = {
      "",
      "garbage",
      "1.5 send 1 2 3",
      "1.000000000 nosuchkind 1 2 3",
      "1.000000000 send 1 2",
      "1.000000000 send 1 2 x",
      "-1.000000000 send 1 2 3",
      "1.000000000 send 99999999999 2 3",
      "1.000000000 send 0 2 3",
      "1.000000000 deliver 1 2 99999999999999999999999",
  };
  for (const std::string& line : bad) writer_->OnTraceLine(line);
  Record(1 * kMs, TraceKind::kFault, 1, 2, 0, "\xff\xfe not utf-8");
  const json file = Finish();
  EXPECT_EQ(writer_->stats().malformed_lines, bad.size());
  EXPECT_EQ(writer_->stats().lines, bad.size() + 1);
  int instants = 0;
  for (const json& e : file["traceEvents"]) instants += e["ph"] == "i";
  EXPECT_EQ(instants, 1);
}

TEST_F(PerfettoTest, OperationsAreSlicesOnTheCoordinatorsLaneOneThreadPerClient) {
  workloads::KvHistory history;
  workloads::KvOp put;
  put.type = workloads::KvOp::Type::kPut;
  put.client = 1;
  put.key = "key3";
  put.value = "c1-1";
  put.coordinator = 2;
  put.invoked = MonoTime::FromNanos(10 * kMs);
  put.completed = MonoTime::FromNanos(14 * kMs);
  put.code = absl::StatusCode::kOk;
  put.dot = {2, 1};
  history.ops.push_back(put);
  workloads::KvOp get;
  get.type = workloads::KvOp::Type::kGet;
  get.client = 2;
  get.key = "key3";
  get.coordinator = 2;
  get.invoked = MonoTime::FromNanos(20 * kMs);
  get.completed = MonoTime::FromNanos(23 * kMs);
  get.code = absl::StatusCode::kOk;
  get.values_read = {"c1-1", "c2-4"};
  get.dots_read = {{2, 1}, {5, 3}};
  get.expiries_read = {0, 0};
  history.ops.push_back(get);
  workloads::KvOp failed = put;
  failed.value = "c1-2";
  failed.coordinator = 4;
  failed.code = absl::StatusCode::kDeadlineExceeded;
  history.ops.push_back(failed);
  workloads::KvOp hanging = get;  // the run ended before it completed
  hanging.invoked = MonoTime::FromNanos(30 * kMs);
  hanging.completed = MonoTime();
  hanging.code = absl::StatusCode::kUnknown;
  history.ops.push_back(hanging);
  Record(40 * kMs, TraceKind::kMsgSend, 1, 2, 1);

  writer_->AddOperations(history);
  const json file = Finish();
  const std::vector<json> puts = Named(file, "put key3");
  const std::vector<json> gets = Named(file, "get key3");
  ASSERT_EQ(puts.size(), 2u);
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(puts[0]["ph"], "X");
  EXPECT_EQ(puts[0]["pid"], 2);
  EXPECT_EQ(puts[0]["tid"], ThreadId(2, static_cast<uint32_t>(LaneThread::kClientBase) + 1));
  EXPECT_EQ(Metadata(file, "thread_name", 2, puts[0]["tid"]), "client 1");
  EXPECT_EQ(puts[0]["ts"], 10'000);
  EXPECT_EQ(puts[0]["dur"], 4'000);
  EXPECT_EQ(puts[0]["args"]["status"], "OK");
  EXPECT_EQ(puts[0]["args"]["value"], "c1-1");
  EXPECT_EQ(puts[0]["args"]["dot"], "2:1");
  EXPECT_EQ(puts[0]["args"]["context_used"], false);
  EXPECT_EQ(puts[1]["pid"], 4);
  EXPECT_EQ(puts[1]["args"]["status"], "DEADLINE_EXCEEDED");
  EXPECT_FALSE(puts[1]["args"].contains("dot"));
  EXPECT_EQ(gets[0]["args"]["values_read"], json({"c1-1", "c2-4"}));
  EXPECT_EQ(gets[0]["args"]["dots_read"], json({"2:1", "5:3"}));
  EXPECT_EQ(gets[1]["args"]["status"], "incomplete");
  EXPECT_EQ(gets[1]["dur"], 10'000);  // to the last trace time seen
}

TEST(PerfettoFileTest, OpenFileWritesAFileAndReportsAnUnwritablePath) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / absl::StrCat("perfetto_test_", ::getpid(), ".json");
  absl::StatusOr<std::unique_ptr<PerfettoWriter>> writer = PerfettoWriter::OpenFile(path.string());
  ASSERT_TRUE(writer.ok()) << writer.status();
  (*writer)->OnTraceLine("0.001000000 fault 1 2 1 crash");
  ASSERT_TRUE((*writer)->Finish().ok());
  std::ifstream in(path);
  const json file = json::parse(in);
  // Lane metadata (2), the faults and lifecycle threads (2 each), the crash, and the open down.
  EXPECT_EQ(file["traceEvents"].size(), 8u);
  std::filesystem::remove(path);

  absl::StatusOr<std::unique_ptr<PerfettoWriter>> bad =
      PerfettoWriter::OpenFile("/nonexistent-dir/trace.json");
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnavailable);
}

// A real run: every line the simulator writes parses, and the user sees node lanes with messages
// and faults on them.
TEST(PerfettoRunTest, ADemoRunExportsWithoutMalformedLines) {
  std::ostringstream out;
  PerfettoWriter writer(&out);
  demo::DemoOptions options;
  options.nodes = 3;
  options.duration = absl::Seconds(5);
  demo::RunDemo(7, options, writer.AsSink());
  ASSERT_TRUE(writer.Finish().ok());
  EXPECT_GT(writer.stats().lines, 1000u);
  EXPECT_EQ(writer.stats().malformed_lines, 0u);
  const json file = json::parse(out.str());
  int sends = 0, recvs = 0, flows_in = 0;
  for (const json& e : file["traceEvents"]) {
    const std::string name = e.value("name", "");
    sends += name.rfind("send -> ", 0) == 0;
    recvs += name.rfind("recv <- ", 0) == 0;
    flows_in += e.value("flow_in", false);
  }
  EXPECT_GT(sends, 100);
  EXPECT_GT(recvs, 100);
  EXPECT_GT(flows_in, recvs * 9 / 10) << "nearly every delivery is matched to its send";
}

}  // namespace
}  // namespace kv::tools
