#include "workloads/checkers/supersede.h"

#include "absl/strings/str_format.h"

namespace kv::workloads {

namespace {
bool Superseded(const KvHistory& h, const std::string& key, const storage::Dot& dot, size_t except,
                bool acknowledged_only) {
  auto writes = h.context_writes_of.find(key);
  if (writes == h.context_writes_of.end()) return false;
  for (size_t i : writes->second) {
    const KvOp& op = h.ops[i];
    if (i == except) continue;
    if (acknowledged_only && !op.ok()) continue;
    absl::StatusOr<storage::Context> context = storage::Context::Decode(op.context_used);
    if (context.ok() && context->Covers(dot)) return true;
  }
  return false;
}
}  // namespace

bool SupersededByAttempt(const KvHistory& h, const std::string& key, const storage::Dot& dot,
                         size_t except) {
  return Superseded(h, key, dot, except, false);
}

bool SupersededByAcknowledged(const KvHistory& h, const std::string& key, const storage::Dot& dot,
                              size_t except) {
  return Superseded(h, key, dot, except, true);
}

bool KnowinglySuperseded(const KvHistory& h, size_t index) {
  const KvOp& put = h.ops[index];
  auto writes = h.context_writes_of.find(put.key);
  if (writes == h.context_writes_of.end()) return false;
  for (size_t i : writes->second) {
    const KvOp& op = h.ops[i];
    if (i == index || op.context_from < 0) continue;
    const std::vector<std::string>& shown = h.ops[op.context_from].values_read;
    if (std::find(shown.begin(), shown.end(), put.value) == shown.end()) continue;
    absl::StatusOr<storage::Context> context = storage::Context::Decode(op.context_used);
    if (context.ok() && context->Covers(put.dot)) return true;
  }
  return false;
}

bool ExpiredBy(const KvOp& put, int64_t wall_micros) {
  return put.expiry_micros != 0 && wall_micros >= put.expiry_micros;
}

std::string Where(const KvOp& op, uint64_t seed) {
  return absl::StrFormat("(client %d, key '%s', invoked at %s, seed %d)", op.client, op.key,
                         op.invoked.ToString(), seed);
}

}  // namespace kv::workloads
