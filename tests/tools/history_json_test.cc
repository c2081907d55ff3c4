// The JSON Lines history, read back the way an offline checker would read it.
#include "tools/kvsim/history_json.h"

#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "support/time_test_util.h"

namespace kv::tools {
namespace {

using json = nlohmann::json;
using kv::testing::kMs;
using workloads::KvOp;

std::vector<json> WriteAndParse(const workloads::KvHistory& history) {
  std::ostringstream out;
  EXPECT_TRUE(WriteHistoryJsonLines(history, out).ok());
  std::istringstream in(out.str());
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

KvOp Op(KvOp::Type type, uint32_t client, absl::string_view key, int64_t invoked_ms,
        int64_t completed_ms, absl::StatusCode code) {
  KvOp op;
  op.type = type;
  op.client = client;
  op.key = std::string(key);
  op.coordinator = 3;
  op.invoked = MonoTime::FromNanos(invoked_ms * kMs);
  op.completed = MonoTime::FromNanos(completed_ms * kMs);
  op.code = code;
  return op;
}

TEST(HistoryJsonTest, AnAcknowledgedPutHasItsDotExpiryAndTimes) {
  workloads::KvHistory history;
  KvOp put = Op(KvOp::Type::kPut, 1, "key3", 10, 14, absl::StatusCode::kOk);
  put.value = "c1-1";
  put.context_used = "opaque";
  put.ttl_micros = 2'000'000;
  put.expiry_micros = 9'000'000;
  put.dot = {3, 7};
  history.ops.push_back(put);
  const std::vector<json> lines = WriteAndParse(history);
  ASSERT_EQ(lines.size(), 1u);
  const json& p = lines[0];
  EXPECT_EQ(p["index"], 0);
  EXPECT_EQ(p["client"], 1);
  EXPECT_EQ(p["type"], "put");
  EXPECT_EQ(p["key"], "key3");
  EXPECT_EQ(p["value"], "c1-1");
  EXPECT_EQ(p["context_used"], true);
  EXPECT_EQ(p["ttl_micros"], 2'000'000);
  EXPECT_EQ(p["coordinator"], 3);
  EXPECT_EQ(p["invoked_micros"], 10'000);
  EXPECT_EQ(p["completed_micros"], 14'000);
  EXPECT_EQ(p["status"], "ok");
  EXPECT_EQ(p["dot"], json({{"node", 3}, {"counter", 7}}));
  EXPECT_EQ(p["expiry_micros"], 9'000'000);
  EXPECT_TRUE(p["values_read"].is_null());
}

TEST(HistoryJsonTest, AGetListsTheValuesItReadWithDotsAndExpiries) {
  workloads::KvHistory history;
  KvOp get = Op(KvOp::Type::kGet, 2, "key1", 20, 21, absl::StatusCode::kOk);
  get.values_read = {"c1-1", "c2-5"};
  get.dots_read = {{3, 7}, {4, 1}};
  get.expiries_read = {0, 12'000'000};
  history.ops.push_back(get);
  const std::vector<json> lines = WriteAndParse(history);
  ASSERT_EQ(lines.size(), 1u);
  const json& values = lines[0]["values_read"];
  ASSERT_EQ(values.size(), 2u);
  EXPECT_EQ(values[0]["value"], "c1-1");
  EXPECT_EQ(values[0]["dot"]["node"], 3);
  EXPECT_EQ(values[0]["dot"]["counter"], 7);
  EXPECT_EQ(values[1]["value"], "c2-5");
  EXPECT_EQ(values[1]["expiry_micros"], 12'000'000);
  EXPECT_EQ(lines[0]["context_used"], false);
  EXPECT_TRUE(lines[0]["dot"].is_null());
}

TEST(HistoryJsonTest, FailedAndUnfinishedOperationsAreMarkedAndKeepTheirOrder) {
  workloads::KvHistory history;
  KvOp del = Op(KvOp::Type::kDelete, 1, "key2", 30, 530, absl::StatusCode::kDeadlineExceeded);
  del.context_used = "ctx";
  history.ops.push_back(del);
  history.ops.push_back(Op(KvOp::Type::kGet, 2, "key2", 31, 40, absl::StatusCode::kUnavailable));
  KvOp hanging = Op(KvOp::Type::kPut, 3, "key2", 50, 0, absl::StatusCode::kUnknown);
  hanging.value = "c3-1";
  history.ops.push_back(hanging);
  const std::vector<json> lines = WriteAndParse(history);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["type"], "delete");
  EXPECT_EQ(lines[0]["status"], "DEADLINE_EXCEEDED");
  EXPECT_TRUE(lines[0]["dot"].is_null()) << "an unacknowledged write has no dot";
  EXPECT_EQ(lines[1]["index"], 1);
  EXPECT_EQ(lines[1]["status"], "UNAVAILABLE");
  EXPECT_TRUE(lines[1]["values_read"].is_null());
  EXPECT_EQ(lines[2]["status"], "incomplete");
  EXPECT_TRUE(lines[2]["completed_micros"].is_null());
  EXPECT_EQ(lines[2]["invoked_micros"], 50'000);
}

TEST(HistoryJsonTest, BytesThatAreNotUtf8StillGiveValidJson) {
  workloads::KvHistory history;
  KvOp put = Op(KvOp::Type::kPut, 1, "k\xff", 1, 2, absl::StatusCode::kOk);
  put.value = "\xfe\x01";
  history.ops.push_back(put);
  const std::vector<json> lines = WriteAndParse(history);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["key"], "k\xef\xbf\xbd");  // U+FFFD
}

TEST(HistoryJsonTest, AnEmptyHistoryWritesNothing) {
  std::ostringstream out;
  EXPECT_TRUE(WriteHistoryJsonLines(workloads::KvHistory(), out).ok());
  EXPECT_EQ(out.str(), "");
}

TEST(HistoryJsonTest, AFailedStreamIsReported) {
  workloads::KvHistory history;
  history.ops.push_back(Op(KvOp::Type::kGet, 1, "key1", 1, 2, absl::StatusCode::kOk));
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  EXPECT_EQ(WriteHistoryJsonLines(history, out).code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace kv::tools
