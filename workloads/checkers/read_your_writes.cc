#include "absl/strings/str_format.h"
#include "workloads/checkers/checkers.h"
#include "workloads/checkers/supersede.h"

namespace kv::workloads {

Verdict CheckReadYourWrites(const CheckInput& in) {
  Verdict v{"read-your-writes"};
  if (!in.strict_quorum) {
    v.detail = "not applicable (sloppy quorum or R + W <= N)";
    return v;
  }
  const KvHistory& h = *in.history;
  size_t checked = 0, bad = 0;
  for (const KvOp& get : h.ops) {
    if (get.type != KvOp::Type::kGet || !get.ok()) continue;
    for (size_t i = 0; i < h.ops.size(); ++i) {
      const KvOp& put = h.ops[i];
      if (put.type != KvOp::Type::kPut || !put.ok() || put.key != get.key ||
          put.completed >= get.invoked) {
        continue;
      }
      ++checked;
      // Returned itself, or something that superseded it, or it was deleted or expired.
      bool seen = false;
      for (size_t r = 0; r < get.values_read.size() && !seen; ++r) {
        if (get.values_read[r] == put.value) seen = true;
        auto w = h.writer_of.find(get.values_read[r]);
        if (w != h.writer_of.end() && !h.ops[w->second].context_used.empty()) {
          absl::StatusOr<storage::Context> c =
              storage::Context::Decode(h.ops[w->second].context_used);
          seen = seen || (c.ok() && c->Covers(put.dot));
        }
      }
      if (seen || SupersededByAttempt(h, put.key, put.dot, i) || put.expiry_micros != 0) continue;
      if (bad++ == 0) {
        v.detail = absl::StrFormat("a read of '%s' invoked at %s did not see '%s', acknowledged "
                                   "at %s %s",
                                   get.key, get.invoked.ToString(), put.value,
                                   put.completed.ToString(), Where(get, in.seed));
      }
    }
  }
  v.passed = bad == 0;
  if (v.passed) v.detail = absl::StrFormat("%d (read, earlier acknowledged write) pairs held", checked);
  return v;
}

std::vector<Verdict> RunAllCheckers(const CheckInput& in) {
  return {CheckNoLostWrites(in),       CheckConvergence(in),    CheckSiblings(in),
          CheckDeletesAndExpiries(in), CheckReadYourWrites(in), CheckHintsDrained(in)};
}

}  // namespace kv::workloads
