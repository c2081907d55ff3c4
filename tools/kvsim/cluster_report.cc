#include "tools/kvsim/cluster_report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/trace.h"
#include "workloads/histogram.h"

namespace kv::tools {

using workloads::KvOp;

std::string FormatClusterReport(const workloads::KvWorldOptions& o,
                                const workloads::KvWorldResult& r, double wall_seconds) {
  struct Kind {
    uint64_t ok = 0, failed = 0, timed_out = 0;
    LatencyHistogram latency;
  };
  Kind kinds[3];
  size_t most_siblings = 0;
  for (const KvOp& op : r.history.ops) {
    Kind& k = kinds[static_cast<int>(op.type)];
    if (op.ok()) {
      ++k.ok;
      k.latency.Add(op.completed - op.invoked);
      most_siblings = std::max(most_siblings, op.values_read.size());
    } else if (op.code == absl::StatusCode::kDeadlineExceeded) {
      ++k.timed_out;
    } else {
      ++k.failed;
    }
  }
  std::string out;
  absl::StrAppendFormat(&out,
                        "kvsim cluster: seed=%d nodes=%d clients=%d N/R/W=%d/%d/%d %s quorum "
                        "duration=%s faults=%s\n",
                        r.seed, o.nodes, o.clients, o.n, o.r, o.w, o.sloppy ? "sloppy" : "strict",
                        absl::FormatDuration(o.duration), o.faults ? "on" : "off");
  absl::StrAppend(&out, "\noperations (latency in simulated time)\n");
  const char* names[3] = {"put", "delete", "get"};
  for (int i = 0; i < 3; ++i) {
    absl::StrAppendFormat(&out, "  %-7s ok=%d failed=%d timed_out=%d  %s\n", names[i],
                          kinds[i].ok, kinds[i].failed, kinds[i].timed_out,
                          kinds[i].latency.Summary());
  }
  absl::StrAppendFormat(&out, "  most siblings returned by a read: %d\n", most_siblings);
  absl::StrAppend(&out, "\nfaults injected\n  ");
  std::vector<std::string> faults;
  for (const auto& [kind, n] : r.faults) faults.push_back(absl::StrCat(kind, "=", n));
  absl::StrAppend(&out, faults.empty() ? "none" : absl::StrJoin(faults, " "), "\n");
  absl::StrAppendFormat(&out,
                        "  network: sent=%d delivered=%d dropped(loss=%d partition=%d dead=%d) "
                        "duplicated=%d\n",
                        r.network.sent, r.network.delivered, r.network.dropped_loss,
                        r.network.dropped_partition, r.network.dropped_dead, r.network.duplicated);
  absl::StrAppend(&out, "\nrepairs\n");
  absl::StrAppendFormat(&out,
                        "  hints delivered=%d read repairs=%d keys repaired by anti-entropy=%d; "
                        "converged %s after healing\n",
                        r.hints_delivered, r.read_repairs, r.keys_repaired_by_aae,
                        absl::FormatDuration(r.convergence_time));
  absl::StrAppend(&out, "\ncheckers\n");
  for (const workloads::Verdict& v : r.verdicts) {
    absl::StrAppendFormat(&out, "  %-18s %s  %s\n", v.checker, v.passed ? "PASS" : "FAIL",
                          v.detail);
  }
  const double simulated = absl::ToDoubleSeconds(r.simulated);
  absl::StrAppend(&out, "\nrun\n");
  absl::StrAppendFormat(&out,
                        "  %d events; simulated %.1fs in %.2fs wall (%.0fx real time)\n"
                        "  verdict: %s\n",
                        r.events_run, simulated, wall_seconds,
                        wall_seconds > 0 ? simulated / wall_seconds : 0,
                        r.passed() ? "PASS" : "FAIL");
  absl::StrAppendFormat(&out, "fingerprint %s\n", sim::FingerprintString(r.fingerprint));
  return out;
}

}  // namespace kv::tools
