#include "absl/strings/str_format.h"
#include "workloads/checkers/checkers.h"
#include "workloads/checkers/supersede.h"

namespace kv::workloads {

// Siblings come only from truly concurrent writes: no live sibling is one that an acknowledged
// write had seen (it would have replaced it), and no sibling's writer had seen another sibling.
// So the siblings of a key never outnumber its writes that nobody superseded: the concurrent
// writers.
Verdict CheckSiblings(const CheckInput& in) {
  Verdict v{"siblings"};
  const KvHistory& h = *in.history;
  size_t bad = 0, most = 0;
  auto flag = [&](const std::string& problem) {
    if (bad++ == 0) v.detail = absl::StrCat(problem, "; seed ", in.seed);
  };
  for (const auto& [key, final] : *in.finals) {
    most = std::max(most, final.live_values.size());
    for (size_t i = 0; i < final.live_values.size(); ++i) {
      auto w = h.writer_of.find(final.live_values[i]);
      if (w == h.writer_of.end()) {
        flag(absl::StrFormat("key '%s' holds '%s', which no client wrote", key,
                             final.live_values[i]));
        continue;
      }
      if (SupersededByAcknowledged(h, key, final.live_dots[i], w->second)) {
        flag(absl::StrFormat("key '%s': '%s' is still a sibling although an acknowledged write "
                             "had seen it",
                             key, final.live_values[i]));
      }
      absl::StatusOr<storage::Context> seen =
          storage::Context::Decode(h.ops[w->second].context_used);
      for (size_t j = 0; j < final.live_dots.size(); ++j) {
        if (i != j && seen.ok() && seen->Covers(final.live_dots[j])) {
          flag(absl::StrFormat("key '%s': sibling '%s' coexists with '%s', whose writer had seen "
                               "it",
                               key, final.live_values[j], final.live_values[i]));
        }
      }
    }
  }
  v.passed = bad == 0;
  if (v.passed) v.detail = absl::StrFormat("at most %d siblings per key, all concurrent", most);
  return v;
}

}  // namespace kv::workloads
