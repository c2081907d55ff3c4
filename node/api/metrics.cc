#include "node/api/metrics.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/assert.h"
#include "node/node.h"

namespace kv::node {

namespace {

// A label value as the text format wants it: backslash, double quote and newline escaped.
std::string EscapeLabel(absl::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatSeconds(double v) { return absl::StrFormat("%.9g", v); }

void Family(std::string& out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

// One family with a single unlabelled sample.
void Single(std::string& out, absl::string_view name, absl::string_view type,
            absl::string_view help, double value) {
  Family(out, name, type, help);
  absl::StrAppend(&out, name, " ", absl::StrFormat("%.17g", value), "\n");
}
void Counter(std::string& out, absl::string_view name, absl::string_view help, uint64_t value) {
  Family(out, name, "counter", help);
  absl::StrAppend(&out, name, " ", value, "\n");
}
void Gauge(std::string& out, absl::string_view name, absl::string_view help, int64_t value) {
  Family(out, name, "gauge", help);
  absl::StrAppend(&out, name, " ", value, "\n");
}

void RenderCoordinator(std::string& out, const CoordinatorStats& s) {
  Counter(out, "kv_coordinator_puts_total", "Puts and deletes this node coordinated or forwarded.",
          s.puts);
  Counter(out, "kv_coordinator_puts_failed_total", "Puts and deletes that failed.", s.puts_failed);
  Counter(out, "kv_coordinator_gets_total", "Gets this node coordinated or forwarded.", s.gets);
  Counter(out, "kv_coordinator_gets_failed_total", "Gets that failed.", s.gets_failed);
  Counter(out, "kv_coordinator_forwarded_total", "Requests forwarded to a replica of the key.",
          s.forwarded);
  Counter(out, "kv_coordinator_retries_answered_total",
          "Retried puts answered with the first attempt's result.", s.retries_answered);
  Counter(out, "kv_coordinator_replica_writes_total", "Replica writes this node applied.",
          s.replica_writes);
  Counter(out, "kv_coordinator_replica_reads_total", "Replica reads this node answered.",
          s.replica_reads);
  Counter(out, "kv_coordinator_hinted_writes_total",
          "Replica writes kept as hints for a node that was down.", s.hinted_writes);
  Counter(out, "kv_coordinator_misdirected_writes_total",
          "Replica writes for keys this node no longer replicates.", s.misdirected_writes);
  Counter(out, "kv_read_repairs_total", "Stale replicas repaired after a read.", s.read_repairs);
}

void RenderHandoff(std::string& out, const HandoffStats& s, uint64_t hints_stored) {
  Gauge(out, "kv_hints_stored", "Hints this node keeps for other nodes.",
        static_cast<int64_t>(hints_stored));
  Counter(out, "kv_hints_delivered_total", "Hints delivered to their node.", s.delivered);
  Counter(out, "kv_hints_failed_total", "Hint deliveries that failed (retried later).", s.failed);
  Counter(out, "kv_hints_expired_total", "Hints dropped after the hint window.", s.expired);
  Counter(out, "kv_handoff_rounds_total", "Hint delivery passes.", s.rounds);
}

void RenderAntiEntropy(std::string& out, const AntiEntropyStats& s) {
  Counter(out, "kv_anti_entropy_exchanges_total", "Merkle tree exchanges with a co-replica.",
          s.exchanges);
  Counter(out, "kv_anti_entropy_exchanges_failed_total", "Exchanges that failed.",
          s.exchanges_failed);
  Counter(out, "kv_anti_entropy_trees_equal_total", "Exchanges that found the trees equal.",
          s.trees_equal);
  Counter(out, "kv_anti_entropy_keys_compared_total", "Keys compared in differing leaves.",
          s.keys_compared);
  Counter(out, "kv_anti_entropy_keys_repaired_total", "Keys repaired on either side.",
          s.keys_repaired);
  Counter(out, "kv_anti_entropy_bytes_total", "Bytes moved by anti-entropy.", s.bytes);
  Counter(out, "kv_anti_entropy_throttled_total", "Times anti-entropy waited for its byte budget.",
          s.throttled);
}

void RenderTransfer(std::string& out, const TransferStats& s, size_t pending) {
  Gauge(out, "kv_transfers_pending", "Ownership transfers not finished yet.",
        static_cast<int64_t>(pending));
  Counter(out, "kv_transfer_tasks_created_total", "Ownership transfers started.", s.tasks_created);
  Counter(out, "kv_transfer_tasks_done_total", "Ownership transfers finished.", s.tasks_done);
  Counter(out, "kv_transfer_keys_sent_total", "Keys streamed by ownership transfers.", s.keys_sent);
  Counter(out, "kv_transfer_batches_total", "Batches streamed by ownership transfers.", s.batches);
  Counter(out, "kv_transfer_failures_total", "Transfer batches that failed (retried).", s.failures);
  Counter(out, "kv_transfer_partitions_dropped_total",
          "Partitions whose local copy was deleted after being given away.", s.partitions_dropped);
}

void RenderEngine(std::string& out, const storage::EngineStats& s,
                  const storage::EngineSizes& sizes, bool healthy) {
  Gauge(out, "kv_storage_healthy", "1 while the storage engine accepts writes.", healthy ? 1 : 0);
  Counter(out, "kv_storage_writes_total", "Storage writes acknowledged.", s.writes);
  Counter(out, "kv_storage_writes_failed_total", "Storage writes answered with an error.",
          s.writes_failed);
  Counter(out, "kv_storage_commit_groups_total", "WAL writes (one per commit group).",
          s.commit_groups);
  Counter(out, "kv_storage_ops_committed_total", "Operations committed.", s.ops_committed);
  Counter(out, "kv_storage_wal_syncs_total", "WAL syncs.", s.wal_syncs);
  Counter(out, "kv_storage_flushes_requested_total", "Memtable flushes requested.",
          s.flushes_requested);
  Counter(out, "kv_storage_records_purged_total", "Dead records purged by compaction.",
          s.records_purged);
  const storage::EngineSizes z = sizes;
  Gauge(out, "kv_storage_estimated_keys", "Records and hints stored (RocksDB's estimate).",
        static_cast<int64_t>(z.estimated_keys));
  Gauge(out, "kv_storage_sst_bytes", "Bytes of SST files on disk.",
        static_cast<int64_t>(z.sst_bytes));
  Gauge(out, "kv_storage_live_data_bytes", "Live data (RocksDB's estimate).",
        static_cast<int64_t>(z.live_data_bytes));
  Gauge(out, "kv_storage_memtable_bytes", "Bytes in memtables.",
        static_cast<int64_t>(z.memtable_bytes));
  Gauge(out, "kv_storage_pending_compaction_bytes", "Bytes compaction still has to rewrite.",
        static_cast<int64_t>(z.pending_compaction_bytes));
  Gauge(out, "kv_storage_block_cache_bytes", "Block cache in use.",
        static_cast<int64_t>(z.block_cache_bytes));
  Counter(out, "kv_storage_corrupt_reads_total", "Reads refused because a record was corrupt.",
          s.corrupt_reads);
  Counter(out, "kv_storage_reads_skipped_total",
          "Record lookups answered 'absent' by the key filter, without a read.", s.reads_skipped);
  Gauge(out, "kv_storage_key_filter_bytes", "Memory of the in-memory key filter.",
        static_cast<int64_t>(z.key_filter_bytes));
}

void RenderRpc(std::string& out, const RpcStats& s) {
  Counter(out, "kv_rpc_calls_total", "RPC calls made to other nodes.", s.calls);
  Counter(out, "kv_rpc_calls_timed_out_total", "RPC calls that timed out.", s.calls_timed_out);
  Counter(out, "kv_rpc_requests_handled_total", "RPC requests handled.", s.requests_handled);
  Counter(out, "kv_rpc_requests_shed_total", "RPC requests refused for load.", s.requests_shed);
  Counter(out, "kv_rpc_frames_malformed_total", "Malformed RPC frames received.",
          s.frames_malformed);
}

void RenderMembership(std::string& out, Node& node) {
  Membership& m = node.membership();
  Gauge(out, "kv_node_generation", "This life's generation.",
        static_cast<int64_t>(node.generation()));
  Counter(out, "kv_gossip_rounds_total", "Gossip rounds.", m.rounds());
  Gauge(out, "kv_ring_version", "Version of the ring this node holds.",
        static_cast<int64_t>(m.ring_version()));
  const std::optional<Ring>& ring = m.ring();
  Gauge(out, "kv_ring_partitions", "Partitions of the ring (0: no ring yet).",
        ring.has_value() ? ring->partition_count() : 0);
  int64_t owned = 0;
  if (ring.has_value()) {
    const auto counts = ring->OwnedCounts();
    auto it = counts.find(node.self());
    if (it != counts.end()) owned = it->second;
  }
  Gauge(out, "kv_partitions_owned", "Partitions this node owns.", owned);
  absl::btree_map<std::string, int64_t> by_status;
  for (int s = Member::Status_MIN; s <= Member::Status_MAX; ++s) {
    if (Member::Status_IsValid(s)) by_status[Member::Status_Name(static_cast<Member::Status>(s))];
  }
  int64_t alive = 0;
  for (const auto& [id, member] : m.members()) {
    ++by_status[Member::Status_Name(member.status())];
    if (member.status() != Member::LEFT && m.IsAlive(id)) ++alive;
  }
  Family(out, "kv_members", "gauge", "Cluster members known to this node, by status.");
  for (const auto& [status, count] : by_status) {
    absl::StrAppend(&out, "kv_members{status=\"", EscapeLabel(status), "\"} ", count, "\n");
  }
  Gauge(out, "kv_members_alive",
        "Members not LEFT that the failure detector considers alive (this node included).", alive);
}

}  // namespace

ApiMetrics::ApiMetrics(ApiMetricsOptions options) : options_(options) {
  KV_ASSERT(options_.series_max > 0);
}

void ApiMetrics::RecordRequest(absl::string_view api, absl::string_view op, bool ok,
                               Duration latency) {
  KV_ASSERT(latency >= absl::ZeroDuration());
  auto key = std::make_pair(std::string(api), std::string(op));
  auto it = series_.find(key);
  if (it == series_.end()) {
    if (series_.size() >= options_.series_max) {
      ++series_dropped_;
      return;
    }
    it = series_.emplace(std::move(key), Series()).first;
  }
  Series& s = it->second;
  ok ? ++s.ok : ++s.failed;
  const double seconds = absl::ToDoubleSeconds(latency);
  s.seconds_sum += seconds;
  const auto bucket =
      std::lower_bound(kLatencyBucketsSeconds.begin(), kLatencyBucketsSeconds.end(), seconds);
  if (bucket != kLatencyBucketsSeconds.end()) ++s.buckets[bucket - kLatencyBucketsSeconds.begin()];
}

void ApiMetrics::ConnectionOpened(absl::string_view api) {
  Connections& c = connections_[std::string(api)];
  ++c.open;
  ++c.total;
}

void ApiMetrics::ConnectionClosed(absl::string_view api) {
  auto it = connections_.find(std::string(api));
  KV_ASSERT(it != connections_.end());
  KV_ASSERT(it->second.open > 0);
  --it->second.open;
}

uint64_t ApiMetrics::requests(absl::string_view api, absl::string_view op, bool ok) const {
  auto it = series_.find(std::make_pair(std::string(api), std::string(op)));
  if (it == series_.end()) return 0;
  return ok ? it->second.ok : it->second.failed;
}

int64_t ApiMetrics::connections_open(absl::string_view api) const {
  auto it = connections_.find(std::string(api));
  return it == connections_.end() ? 0 : it->second.open;
}

void ApiMetrics::RenderApi(std::string& out) const {
  Family(out, "kv_requests_total", "counter",
         "Client requests answered, by front end, operation and outcome.");
  for (const auto& [key, s] : series_) {
    const std::string labels =
        absl::StrCat("api=\"", EscapeLabel(key.first), "\",op=\"", EscapeLabel(key.second), "\"");
    absl::StrAppend(&out, "kv_requests_total{", labels, ",outcome=\"ok\"} ", s.ok, "\n");
    absl::StrAppend(&out, "kv_requests_total{", labels, ",outcome=\"error\"} ", s.failed, "\n");
  }
  Family(out, "kv_request_duration_seconds", "histogram",
         "Time to answer a client request, by front end and operation.");
  for (const auto& [key, s] : series_) {
    const std::string labels =
        absl::StrCat("api=\"", EscapeLabel(key.first), "\",op=\"", EscapeLabel(key.second), "\"");
    uint64_t cumulative = 0;
    for (size_t i = 0; i < kLatencyBucketsSeconds.size(); ++i) {
      cumulative += s.buckets[i];
      absl::StrAppend(&out, "kv_request_duration_seconds_bucket{", labels, ",le=\"",
                      absl::StrFormat("%g", kLatencyBucketsSeconds[i]), "\"} ", cumulative, "\n");
    }
    absl::StrAppend(&out, "kv_request_duration_seconds_bucket{", labels, ",le=\"+Inf\"} ",
                    s.ok + s.failed, "\n");
    absl::StrAppend(&out, "kv_request_duration_seconds_sum{", labels, "} ",
                    FormatSeconds(s.seconds_sum), "\n");
    absl::StrAppend(&out, "kv_request_duration_seconds_count{", labels, "} ", s.ok + s.failed,
                    "\n");
  }
  Family(out, "kv_connections_open", "gauge", "Client connections open, by front end.");
  for (const auto& [api, c] : connections_) {
    absl::StrAppend(&out, "kv_connections_open{api=\"", EscapeLabel(api), "\"} ", c.open, "\n");
  }
  Family(out, "kv_connections_total", "counter", "Client connections accepted, by front end.");
  for (const auto& [api, c] : connections_) {
    absl::StrAppend(&out, "kv_connections_total{api=\"", EscapeLabel(api), "\"} ", c.total, "\n");
  }
  Counter(out, "kv_api_series_dropped_total",
          "Requests not recorded because the series limit was reached.", series_dropped_);
}

// Cache namespaces (node/cache.h): per namespace, this node's reads (as coordinator), its
// evictions, and what it holds against its budget.
void RenderCache(std::string& out, const CoordinatorStats& coordinator,
                 const absl::btree_map<std::string, CacheSpaceStats>& spaces) {
  if (coordinator.cache_reads.empty() && spaces.empty()) return;
  auto family = [&](absl::string_view name, absl::string_view type, absl::string_view help,
                    auto value_of, const auto& by_namespace) {
    Family(out, name, type, help);
    for (const auto& [ns, v] : by_namespace) {
      absl::StrAppend(&out, name, "{namespace=\"", ns, "\"} ", value_of(v), "\n");
    }
  };
  using Reads = CoordinatorStats::CacheReads;
  family("kv_cache_hits_total", "counter", "Reads of a cache namespace's keys that found a value.",
         [](const Reads& r) { return r.hits; }, coordinator.cache_reads);
  family("kv_cache_misses_total", "counter", "Reads of a cache namespace's keys that found none.",
         [](const Reads& r) { return r.misses; }, coordinator.cache_reads);
  family("kv_cache_evictions_total", "counter", "Keys this node evicted (least recently used).",
         [](const CacheSpaceStats& c) { return c.evictions; }, spaces);
  family("kv_cache_keys", "gauge", "Keys with live values this node holds.",
         [](const CacheSpaceStats& c) { return c.keys; }, spaces);
  family("kv_cache_bytes", "gauge", "Bytes of live values (and keys) this node holds.",
         [](const CacheSpaceStats& c) { return c.bytes; }, spaces);
  family("kv_cache_budget_bytes", "gauge", "The namespace's cache_bytes.",
         [](const CacheSpaceStats& c) { return c.budget; }, spaces);
}

std::string ApiMetrics::RenderPrometheus(Node& node) const {
  std::string out;
  RenderApi(out);
  Single(out, "kv_node_started", "gauge", "1 once the node serves requests.",
         node.started() ? 1 : 0);
  if (!node.started()) return out;
  RenderCoordinator(out, node.coordinator().stats());
  storage::Engine& engine = node.engine();
  const storage::EngineStats engine_stats = engine.stats();
  RenderHandoff(out, node.handoff().stats(), engine_stats.hints);
  RenderAntiEntropy(out, node.anti_entropy().stats());
  RenderTransfer(out, node.transfer().stats(), node.transfer().pending().size());
  RenderEngine(out, engine_stats, engine.sizes(), engine.health().ok());
  RenderRpc(out, node.rpc().stats());
  RenderMembership(out, node);
  RenderCache(out, node.coordinator().stats(), node.cache().stats());
  return out;
}

}  // namespace kv::node
