#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "workloads/checkers/checkers.h"
#include "workloads/checkers/supersede.h"

namespace kv::workloads {

Verdict CheckReadYourWrites(const CheckInput& in) {
  Verdict v{"read-your-writes"};
  auto applies = [&in](const std::string& key) {
    return in.strict_quorum_for ? in.strict_quorum_for(key) : in.strict_quorum;
  };
  const KvHistory& h = *in.history;
  bool any = false;
  for (const KvOp& op : h.ops) any = any || applies(op.key);
  if (!any) {
    v.detail = "not applicable (sloppy quorum or R + W <= N)";
    return v;
  }
  auto during_change = [&in](const KvOp& get) {
    for (const auto& [from, to] : in.membership_changing) {
      if (get.invoked <= to && get.completed >= from) return true;
    }
    return false;
  };
  size_t checked = 0, bad = 0, not_judged = 0;
  for (const KvOp& get : h.ops) {
    if (get.type != KvOp::Type::kGet || !get.ok() || !applies(get.key)) continue;
    if (during_change(get)) {
      ++not_judged;
      continue;
    }
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
  if (not_judged > 0) {
    absl::StrAppendFormat(&v.detail, " (%d reads during membership changes not judged)",
                          not_judged);
  }
  return v;
}

std::vector<Verdict> RunAllCheckers(const CheckInput& in) {
  return {CheckNoLostWrites(in),       CheckConvergence(in),    CheckSiblings(in),
          CheckDeletesAndExpiries(in), CheckReadYourWrites(in), CheckHintsDrained(in)};
}

Verdict CheckCacheReads(const CheckInput& in) {
  Verdict v{"cache-reads"};
  const KvHistory& h = *in.history;
  size_t reads = 0, values = 0, bad = 0;
  for (const KvOp& get : h.ops) {
    if (get.type != KvOp::Type::kGet || !get.ok()) continue;
    ++reads;
    for (const std::string& value : get.values_read) {
      ++values;
      auto w = h.writer_of.find(value);
      if (w != h.writer_of.end() && h.ops[w->second].key == get.key) continue;
      if (bad++ == 0) {
        v.detail = absl::StrFormat("a read of cache key '%s' returned '%s', which no put of that "
                                   "key wrote %s",
                                   get.key, value, Where(get, in.seed));
      }
    }
  }
  v.passed = bad == 0;
  if (reads == 0) {
    v.detail = "not applicable (no cache namespace read)";
  } else if (v.passed) {
    v.detail = absl::StrFormat("%d reads of cache keys returned %d values, each written to its key",
                               reads, values);
  } else if (bad > 1) {
    absl::StrAppendFormat(&v.detail, " (and %d more)", bad - 1);
  }
  return v;
}

}  // namespace kv::workloads
