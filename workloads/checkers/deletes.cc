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
  // Expired values are not live at the end. The copy an acknowledged put made (its dot) is judged
  // by the expiry the put's reply named. Another copy of the same value comes from another
  // execution of the put: a try that failed after its coordinator had written it, then the
  // client's retry, or a forward whose reply was lost. Its coordinator computed its expiry from
  // its own wall clock, which may be skewed (a coordinator 30 s fast keeps a TTL'd value 30 s
  // longer, as in any store with wall-clock TTLs), so that copy must carry the put's TTL counted
  // from its own write time.
  for (const auto& [key, final] : *in.finals) {
    for (size_t i = 0; i < final.live_values.size(); ++i) {
      const std::string& value = final.live_values[i];
      auto w = h.writer_of.find(value);
      if (w == h.writer_of.end()) continue;
      const KvOp& put = h.ops[w->second];
      if (put.ok() && final.live_dots[i] == put.dot) {
        if (ExpiredBy(put, in.end_wall_micros)) {
          flag(absl::StrFormat("value '%s' of key '%s' expired but is live at the end; seed %d",
                               value, key, in.seed));
        }
      } else if (put.ttl_micros > 0 &&
                 final.live_expiry_micros[i] != final.live_written_micros[i] + put.ttl_micros) {
        flag(absl::StrFormat(
            "value '%s' of key '%s' (a copy from another execution of its put) is live at the "
            "end with expiry %d, not its write time %d plus its TTL %d; seed %d",
            value, key, final.live_expiry_micros[i], final.live_written_micros[i],
            put.ttl_micros, in.seed));
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
