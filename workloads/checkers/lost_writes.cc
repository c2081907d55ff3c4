#include "absl/strings/str_format.h"
#include "workloads/checkers/checkers.h"
#include "workloads/checkers/supersede.h"

namespace kv::workloads {

Verdict CheckNoLostWrites(const CheckInput& in) {
  Verdict v{"no-lost-writes"};
  const KvHistory& h = *in.history;
  size_t acked = 0, lost = 0;
  for (size_t i = 0; i < h.ops.size(); ++i) {
    const KvOp& op = h.ops[i];
    if (op.type != KvOp::Type::kPut || !op.ok()) continue;
    ++acked;
    auto final = in.finals->find(op.key);
    const bool present =
        final != in.finals->end() &&
        std::find(final->second.live_values.begin(), final->second.live_values.end(), op.value) !=
            final->second.live_values.end();
    if (present || KnowinglySuperseded(h, i) ||
        ExpiredBy(op, in.end_wall_micros + in.clock_error_micros)) {
      continue;
    }
    if (lost++ == 0) {
      v.detail = absl::StrFormat("acknowledged write of '%s' is gone, and no write or delete made "
                                 "with a context that showed it replaced it %s",
                                 op.value, Where(op, in.seed));
    }
  }
  v.passed = lost == 0;
  if (v.passed) {
    v.detail = absl::StrFormat("%d acknowledged writes present or superseded", acked);
  } else {
    v.detail = absl::StrFormat("%d of %d acknowledged writes lost; first: %s", lost, acked, v.detail);
  }
  return v;
}

}  // namespace kv::workloads
