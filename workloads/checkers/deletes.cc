#include "absl/strings/str_format.h"
#include "workloads/checkers/checkers.h"
#include "workloads/checkers/supersede.h"

namespace kv::workloads {

Verdict CheckDeletesAndExpiries(const CheckInput& in) {
  Verdict v{"deletes-and-expiry"};
  const KvHistory& h = *in.history;
  size_t bad = 0, deletes = 0;
  auto flag = [&](const std::string& message) {
    if (bad++ == 0) v.detail = message;
  };
  // Values an acknowledged delete covered must not be live at the end.
  for (const KvOp& op : h.ops) {
    if (op.type != KvOp::Type::kDelete || !op.ok() || op.context_used.empty()) continue;
    ++deletes;
    absl::StatusOr<storage::Context> covered = storage::Context::Decode(op.context_used);
    auto final = in.finals->find(op.key);
    if (!covered.ok() || final == in.finals->end()) continue;
    for (size_t i = 0; i < final->second.live_dots.size(); ++i) {
      if (covered->Covers(final->second.live_dots[i])) {
        flag(absl::StrFormat("value '%s' was deleted but is live at the end %s",
                             final->second.live_values[i], Where(op, in.seed)));
      }
    }
  }
  // Expired values are not live at the end.
  for (const auto& [key, final] : *in.finals) {
    for (const std::string& value : final.live_values) {
      auto w = h.writer_of.find(value);
      if (w != h.writer_of.end() && ExpiredBy(h.ops[w->second], in.end_wall_micros)) {
        flag(absl::StrFormat("value '%s' of key '%s' expired but is live at the end; seed %d",
                             value, key, in.seed));
      }
    }
  }
  v.passed = bad == 0;
  if (v.passed) {
    v.detail = absl::StrFormat("%d acknowledged deletes and every expiry held", deletes);
  }
  return v;
}

}  // namespace kv::workloads
