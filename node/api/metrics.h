// The metrics a node's client front ends record (requests by API, operation and outcome, latency
// histograms, open connections), rendered together with the node's own component statistics in
// the Prometheus text exposition format (version 0.0.4) for GET /metrics.
//
// One ApiMetrics per node process, shared by its front ends (HTTP and the Redis protocol): each
// calls RecordRequest once per request it answered and ConnectionOpened/Closed around each
// connection. Latencies are measured on the runtime's monotonic clock (simulated time in the
// simulator).
//
// Bounded: at most `series_max` (api, op) pairs are kept; requests of further pairs are counted
// only in kv_api_series_dropped_total. Callers pass fixed operation names, never client input.
//
// Threading: the node process's fibers (no call suspends).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/container/btree_map.h"
#include "absl/strings/string_view.h"
#include "net/time.h"

namespace kv::node {

class Node;

struct ApiMetricsOptions {
  size_t series_max = 256;
};

class ApiMetrics {
 public:
  // Upper bounds of the latency histogram buckets, in seconds (+Inf is implied).
  static constexpr std::array<double, 14> kLatencyBucketsSeconds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  explicit ApiMetrics(ApiMetricsOptions options = {});

  // Counts one answered request of `op` ("get", "put", ...) on front end `api` ("http" or
  // "redis"): `ok` if it was served as asked (a read of a missing key included), not if it was
  // refused or failed. REQUIRES: latency >= 0.
  void RecordRequest(absl::string_view api, absl::string_view op, bool ok, Duration latency);

  // A connection of front end `api` opened / closed. REQUIRES: Closed pairs with an earlier Opened.
  void ConnectionOpened(absl::string_view api);
  void ConnectionClosed(absl::string_view api);

  // Requests recorded for (api, op) with that outcome; connections of `api` open now.
  uint64_t requests(absl::string_view api, absl::string_view op, bool ok) const;
  int64_t connections_open(absl::string_view api) const;

  // Everything, in the Prometheus text format: these metrics, then the node's (coordinator, hinted
  // handoff, read repair, anti-entropy, transfers, storage engine, membership and ring). A node
  // that has not started yet contributes only kv_node_started 0. Deterministic (sorted series).
  std::string RenderPrometheus(Node& node) const;

 private:
  struct Series {
    uint64_t ok = 0;
    uint64_t failed = 0;
    std::array<uint64_t, kLatencyBucketsSeconds.size()> buckets{};  // not cumulative
    double seconds_sum = 0;
  };
  struct Connections {
    int64_t open = 0;
    uint64_t total = 0;
  };

  void RenderApi(std::string& out) const;

  ApiMetricsOptions options_;
  absl::btree_map<std::pair<std::string, std::string>, Series> series_;
  absl::btree_map<std::string, Connections> connections_;
  uint64_t series_dropped_ = 0;
};

}  // namespace kv::node
