#include "tools/kvsim/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sim/trace.h"

namespace kv::tools {
namespace {

std::string JoinCounts(const absl::btree_map<std::string, uint64_t>& counts) {
  if (counts.empty()) return "none";
  std::vector<std::string> parts;
  for (const auto& [k, v] : counts) parts.push_back(absl::StrCat(k, "=", v));
  return absl::StrJoin(parts, " ");
}

}  // namespace

std::string FormatDemoReport(const demo::DemoOptions& options, const demo::DemoResult& r,
                             double wall_seconds) {
  const demo::DemoHistory& h = r.history;
  std::string out;
  absl::StrAppendFormat(&out, "kvsim demo: seed=%d nodes=%d duration=%s faults=%s\n", r.seed,
                        options.nodes, absl::FormatDuration(options.duration),
                        options.faults ? "on" : "off");
  absl::StrAppend(&out, "\noperations\n");
  absl::StrAppendFormat(&out, "  append+fsync  ok=%d failed=%d (%s)\n", h.appends_ok,
                        h.appends_failed, JoinCounts(h.append_errors));
  absl::StrAppendFormat(&out, "  ping          ok=%d timed_out=%d late_or_duplicate_pongs=%d\n",
                        h.pings_ok, h.pings_timed_out, h.late_or_duplicate_pongs);
  absl::StrAppendFormat(&out,
                        "  recovery      runs=%d failed_attempts=%d records=%d invalid_records=%d "
                        "read_retries=%d\n",
                        h.recoveries, h.recovery_failures, h.records_recovered, h.invalid_records,
                        h.read_retries);
  absl::StrAppend(&out, "\nlatency (simulated time)\n");
  absl::StrAppendFormat(&out, "  append+fsync  %s\n", h.append_latency.Summary());
  absl::StrAppendFormat(&out, "  ping rtt      %s\n", h.ping_rtt.Summary());
  absl::StrAppend(&out, "\nfaults injected\n");
  absl::StrAppendFormat(&out, "  %s\n", JoinCounts(r.faults));
  absl::StrAppendFormat(&out, "  fault points: %d sites reached, %d firings\n",
                        r.fault_point_sites, r.fault_point_fired);
  const sim::NetworkStats& n = r.network;
  absl::StrAppendFormat(&out,
                        "  network: sent=%d delivered=%d dropped(loss=%d partition=%d dead=%d "
                        "inbox_full=%d) duplicated=%d reordered=%d\n",
                        n.sent, n.delivered, n.dropped_loss, n.dropped_partition, n.dropped_dead,
                        n.dropped_inbox_full, n.duplicated, n.reordered);
  const sim::CrashOutcome& c = r.disk_crashes;
  absl::StrAppendFormat(&out,
                        "  disk crashes: %d (files with unsynced writes=%d: kept none=%d all=%d "
                        "prefix=%d torn=%d; unsynced bytes lost=%d; dir ops kept %d of %d)\n",
                        r.disk_crash_count, c.files_with_unsynced_writes, c.files_kept_none,
                        c.files_kept_all, c.files_kept_prefix, c.files_torn, c.unsynced_bytes_lost,
                        c.dir_ops_kept, c.dir_ops_pending);
  absl::StrAppend(&out, "\ncheckers\n");
  for (const demo::CheckerVerdict& v : r.checkers) {
    absl::StrAppendFormat(&out, "  %-16s %s  %s\n", v.name, v.passed ? "PASS" : "FAIL", v.detail);
  }
  const double simulated_s = absl::ToDoubleSeconds(r.simulated);
  absl::StrAppend(&out, "\nrun\n");
  absl::StrAppendFormat(&out,
                        "  %d events, %d trace records; simulated %.1fs in %.3fs wall (%.0fx "
                        "real time, %.2fM events/s)\n",
                        r.events_run, r.trace_records, simulated_s, wall_seconds,
                        wall_seconds > 0 ? simulated_s / wall_seconds : 0,
                        wall_seconds > 0 ? r.events_run / wall_seconds / 1e6 : 0);
  absl::StrAppendFormat(&out, "  verdict: %s\n", r.passed() ? "PASS" : "FAIL");
  absl::StrAppendFormat(&out, "fingerprint %s\n", sim::FingerprintString(r.fingerprint));
  return out;
}

}  // namespace kv::tools
