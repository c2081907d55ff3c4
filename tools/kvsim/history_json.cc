#include "tools/kvsim/history_json.h"

#include <cstddef>

#include "nlohmann/json.hpp"

namespace kv::tools {
namespace {

using ordered_json = nlohmann::ordered_json;  // fields in the documented order
using workloads::KvOp;

ordered_json DotJson(const storage::Dot& dot) {
  return {{"node", dot.node}, {"counter", dot.counter}};
}

// The values an acknowledged get returned; the three vectors are parallel (history.h).
ordered_json ValuesRead(const KvOp& op) {
  ordered_json values = ordered_json::array();
  for (size_t i = 0; i < op.values_read.size(); ++i) {
    ordered_json v = {{"value", op.values_read[i]}, {"dot", nullptr}, {"expiry_micros", nullptr}};
    if (i < op.dots_read.size()) v["dot"] = DotJson(op.dots_read[i]);
    if (i < op.expiries_read.size()) v["expiry_micros"] = op.expiries_read[i];
    values.push_back(std::move(v));
  }
  return values;
}

ordered_json OperationJson(size_t index, const KvOp& op) {
  const bool completed = op.completed.nanos() >= op.invoked.nanos();
  ordered_json line = {
      {"index", index},
      {"client", op.client},
      {"type", OpTypeName(op.type)},
      {"key", op.key},
      {"value", op.value},
      {"context_used", !op.context_used.empty()},
      {"ttl_micros", op.ttl_micros},
      {"coordinator", op.coordinator},
      {"invoked_micros", op.invoked.nanos() / 1000},
      {"completed_micros", nullptr},
      {"status", "incomplete"},
      {"dot", nullptr},
      {"expiry_micros", nullptr},
      {"values_read", nullptr},
  };
  if (!completed) return line;
  line["completed_micros"] = op.completed.nanos() / 1000;
  line["status"] = op.ok() ? std::string("ok") : absl::StatusCodeToString(op.code);
  if (!op.ok()) return line;
  if (op.is_write()) line["dot"] = DotJson(op.dot);
  if (op.type == KvOp::Type::kPut) line["expiry_micros"] = op.expiry_micros;
  if (op.type == KvOp::Type::kGet) line["values_read"] = ValuesRead(op);
  return line;
}

}  // namespace

const char* OpTypeName(KvOp::Type type) {
  switch (type) {
    case KvOp::Type::kPut: return "put";
    case KvOp::Type::kDelete: return "delete";
    case KvOp::Type::kGet: return "get";
  }
  return "?";
}

absl::Status WriteHistoryJsonLines(const workloads::KvHistory& history, std::ostream& out) {
  for (size_t i = 0; i < history.ops.size(); ++i) {
    out << OperationJson(i, history.ops[i])
               .dump(-1, ' ', false, ordered_json::error_handler_t::replace)
        << '\n';
    if (!out) return absl::DataLossError("writing the history failed; the file is incomplete");
  }
  return absl::OkStatus();
}

}  // namespace kv::tools
