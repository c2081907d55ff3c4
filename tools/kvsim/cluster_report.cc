#include "tools/kvsim/cluster_report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/trace.h"
#include "workloads/histogram.h"

namespace kv::tools {

using workloads::KvOp;

std::string FormatClusterReport(const workloads::Scenario& s,
                                const workloads::KvWorldResult& r, double wall_seconds,
                                const RealRunNotes* real) {
  struct Kind {
    uint64_t ok = 0, failed = 0, timed_out = 0;
    LatencyHistogram latency;
  };
  Kind kinds[3];
  for (const KvOp& op : r.history.ops) {
    Kind& k = kinds[static_cast<int>(op.type)];
    if (op.ok()) {
      ++k.ok;
      k.latency.Add(op.completed - op.invoked);
    } else if (op.code == absl::StatusCode::kDeadlineExceeded) {
      ++k.timed_out;
    } else {
      ++k.failed;
    }
  }
  std::string out;
  if (real != nullptr) {
    absl::StrAppend(&out,
                    "REAL cluster of kvnode processes on loopback: not deterministic (the seed "
                    "picks the workload's and the nemesis's draws; timing is real)\n");
  }
  const workloads::ClusterSpec& c = s.cluster;
  const workloads::WorkloadSpec& w = s.workload;
  absl::StrAppendFormat(&out,
                        "scenario %s: seed=%d nodes=%d clients=%d (%s loop, %.0f ops/s each) "
                        "N/R/W=%d/%d/%d %s quorum %s duration=%s nemesis=%s script=%d events\n",
                        s.name, r.seed, c.nodes, w.clients,
                        w.loop == workloads::Loop::kOpen ? "open" : "closed", w.rate, c.n, c.r,
                        c.w, c.sloppy ? "sloppy" : "strict",
                        c.resolution == storage::Resolution::kLastWriterWins ? "LWW" : "DVV",
                        absl::FormatDuration(w.duration), s.nemesis.enabled ? "on" : "off",
                        s.script.size());
  if (!c.namespaces.empty()) {
    absl::StrAppend(&out, "  namespaces:");
    for (const node::Namespace& ns : c.namespaces) {
      absl::StrAppendFormat(&out, " %s N/R/W=%d/%d/%d %s%s", ns.name(), ns.n(), ns.r(), ns.w(),
                            ns.strict() ? "strict" : "sloppy",
                            ns.default_ttl_micros() > 0
                                ? absl::StrCat(" ttl=", absl::FormatDuration(absl::Microseconds(
                                                            ns.default_ttl_micros())))
                                : "");
      absl::StrAppend(&out, &ns == &c.namespaces.back() ? "\n" : ";");
    }
  }
  if (!s.description.empty()) absl::StrAppend(&out, "  ", s.description, "\n");
  absl::StrAppend(&out, real != nullptr ? "\noperations (latency in real time)\n"
                                         : "\noperations (latency in simulated time)\n");
  const char* names[3] = {"put", "delete", "get"};
  for (int i = 0; i < 3; ++i) {
    absl::StrAppendFormat(&out, "  %-7s ok=%d failed=%d timed_out=%d  %s\n", names[i],
                          kinds[i].ok, kinds[i].failed, kinds[i].timed_out,
                          kinds[i].latency.Summary());
  }
  absl::StrAppendFormat(&out, "  keys written: %d; reads returning siblings: %d (most: %d)\n",
                        r.keys_written, r.reads_with_siblings, r.most_siblings);
  absl::StrAppend(&out, "\nfaults injected\n  ");
  std::vector<std::string> faults;
  for (const auto& [kind, n] : r.faults) faults.push_back(absl::StrCat(kind, "=", n));
  absl::StrAppend(&out, faults.empty() ? "none" : absl::StrJoin(faults, " "), "\n");
  if (real == nullptr) {
    absl::StrAppendFormat(&out,
                          "  network: sent=%d delivered=%d dropped(loss=%d partition=%d dead=%d) "
                          "duplicated=%d\n",
                          r.network.sent, r.network.delivered, r.network.dropped_loss,
                          r.network.dropped_partition, r.network.dropped_dead,
                          r.network.duplicated);
  } else {
    absl::StrAppend(&out, "  not injected (simulator only): ",
                    real->not_injected.empty() ? "nothing" : absl::StrJoin(real->not_injected, "; "),
                    "\n");
    for (const std::string& exit : real->unexpected_exits) {
      absl::StrAppend(&out, "  UNEXPECTED: ", exit, "\n");
    }
  }
  absl::StrAppend(&out, "\nrepairs\n");
  absl::StrAppendFormat(&out, "  hinted writes=%d hints delivered=%d expired=%d\n", r.hinted_writes,
                        r.hints_delivered, r.hints_expired);
  absl::StrAppendFormat(&out,
                        "  read repairs=%d anti-entropy exchanges=%d keys repaired by "
                        "anti-entropy=%d\n",
                        r.read_repairs, r.aae_exchanges, r.keys_repaired_by_aae);
  if (std::any_of(c.namespaces.begin(), c.namespaces.end(),
                  [](const node::Namespace& ns) { return ns.cache_bytes() > 0; })) {
    absl::StrAppendFormat(&out, "  cache namespaces: hits=%d misses=%d evictions=%d\n",
                          r.cache_hits, r.cache_misses, r.cache_evictions);
  }
  absl::StrAppendFormat(&out, "  %s %s after healing\n",
                        r.converged ? "converged" : "did NOT converge",
                        absl::FormatDuration(r.convergence_time));
  absl::StrAppend(&out, "\ncheckers\n");
  for (const workloads::Verdict& v : r.verdicts) {
    const char* verdict = v.passed ? (v.expected_violation ? "PASS (a violation was expected)" : "PASS")
                                   : (v.expected_violation ? "FAIL (expected)" : "FAIL");
    absl::StrAppendFormat(&out, "  %-18s %s  %s\n", v.checker, verdict, v.detail);
  }
  if (real != nullptr) {
    const bool passed = r.passed() && real->unexpected_exits.empty();
    absl::StrAppendFormat(&out, "\nrun\n  %.1fs of real time; data and logs in %s\n  verdict: %s\n",
                          wall_seconds, real->dir, passed ? "PASS" : "FAIL");
    return out;
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
