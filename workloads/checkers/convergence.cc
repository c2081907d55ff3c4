#include "absl/strings/str_format.h"
#include "workloads/checkers/checkers.h"

namespace kv::workloads {

Verdict CheckConvergence(const CheckInput& in) {
  Verdict v{"convergence"};
  size_t disagreeing = 0;
  std::string first;
  for (const auto& [key, final] : *in.finals) {
    if (final.replicas_agree) continue;
    if (disagreeing++ == 0) first = key;
  }
  v.passed = in.converged && disagreeing == 0;
  v.detail = v.passed
                 ? absl::StrFormat("all %d keys identical on their replicas %s after the last "
                                   "fault healed",
                                   in.finals->size(), absl::FormatDuration(in.convergence_time))
                 : absl::StrFormat("%d keys still differ between replicas %s after healing "
                                   "(first: '%s'); seed %d",
                                   disagreeing, absl::FormatDuration(in.convergence_time), first,
                                   in.seed);
  return v;
}

Verdict CheckHintsDrained(const CheckInput& in) {
  Verdict v{"hints-drained"};
  v.passed = in.hints_left == 0;
  v.detail = v.passed ? std::string("no hint left on any node")
                      : absl::StrFormat("%d hints never delivered; seed %d", in.hints_left, in.seed);
  return v;
}

}  // namespace kv::workloads
