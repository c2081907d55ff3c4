// The HTTP API of a node: routes a parsed request (net/http.h) to the node's coordinator,
// membership and metrics, and builds the response. Connection handling (reading, keep-alive,
// timeouts) is node/api/http_server.h's.
//
//   PUT    /kv/{key}   body = value; X-Kv-Context (base64, from a read; absent = blind write),
//                      X-Kv-Ttl (seconds, may be fractional); ?w= ?n= ?returnbody=true
//                      -> 204 with X-Kv-Context, X-Kv-Dot (the write's), X-Kv-Acks (replicas
//                         that acknowledged), X-Kv-Expires (if it expires); ?returnbody=true:
//                         the values the coordinator holds after the write, as a GET shows them
//   GET    /kv/{key}   ?r= ?n= ?format=json
//                      -> 200 value (X-Kv-Context, X-Kv-Timestamp, X-Kv-Dot, X-Kv-Expires)
//                         300 siblings: multipart/mixed, one part per value with its own
//                             X-Kv-Timestamp, X-Kv-Dot, X-Kv-Expires; X-Kv-Context covers them all
//                         404 absent (with X-Kv-Context if a deletion left one)
//                         ?format=json: {"values":[{"value_base64","timestamp","dot","expires"}],
//                                        "context"} with 200, or 404 when there are no values
//   DELETE /kv/{key}   X-Kv-Context optional (without: deletes every value the coordinating
//                      replica holds, as Redis DEL); ?w= ?n=  -> 204 with X-Kv-Context
//   GET /ns/{ns}/kv/{key}, PUT ..., DELETE ...   the same, for a key of namespace {ns}
//                      (node/namespaces.h; /kv/{key} is the namespace "default"); 404 for a
//                      namespace this node does not know
//   GET  /ns           {"namespaces":[...]}: every namespace, "default" first (namespace_json.h)
//   GET  /ns/{ns}      one namespace's definition -> 200, or 404
//   PUT  /ns/{ns}      JSON body: defines the namespace, or changes the fields named (N excepted)
//                      -> 201 (new) / 200 with the definition; 400 bad definition, 409 N changed
//   GET  /health       200 {"status":"ok","node":id} once the node started, else 503
//   GET  /cluster      JSON: this node, the ring, members (status, liveness, generation,
//                      partitions owned), hints pending, transfers in progress
//   GET  /metrics      Prometheus text format (node/api/metrics.h)
//   POST /admin/join?seed=ID@HOST:PORT  this node, running alone, joins that member's cluster
//                                       (Membership::JoinThrough) -> 202; 409 if in a cluster
//   POST /admin/leave                   this node leaves the cluster -> 202
//   POST /admin/decommission/{node}     removes a node gone for good -> 200
//
// Keys are the percent-decoded path after /kv/ (any bytes, "/" included); timestamps are RFC 3339
// UTC; a dot is "node.generation:counter". Errors: a one-line text body, with the status by
// absl::Status code: INVALID_ARGUMENT 400, NOT_FOUND 404, FAILED_PRECONDITION (e.g. too many
// siblings) 409, UNAVAILABLE / DEADLINE_EXCEEDED / RESOURCE_EXHAUSTED (no quorum) 503, others
// 500; a value over the limit 413; an unknown path 404; a known path with another method 405 with
// Allow; an unknown query parameter 400 (a typo is not silently ignored). Tokens (else 401):
// node/api/access.h's rule, with "Authorization: Bearer <token>": the client token opens
// everything but /health (which needs none), a namespace's token only that namespace's keys.
//
// Threading: the node process's fibers; Handle may suspend (quorum requests). One HttpApi serves
// any number of connections.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "net/http.h"
#include "net/runtime.h"
#include "node/api/metrics.h"
#include "node/node.h"

namespace kv::node {

struct HttpApiOptions {
  // Non-empty: the bearer token clients must present.
  std::string client_token;
  // Longer keys are refused (400), longer values too (413). 0: the node's storage limits.
  size_t key_bytes_max = 0;
  size_t value_bytes_max = 0;
  // Tells the transport where a node is (real mode: TcpTransport::SetPeerAddress), for
  // /admin/join's seed; unset in the simulator, where addresses mean nothing.
  std::function<void(NodeId, const std::string& address)> learn_address;
  // POST /admin/backup?to=DIR: writes a snapshot of this node under DIR (an absolute directory on
  // the node's host) and returns its description as JSON (tools/kvnode/backup.h). Unset: 501
  // (the simulator, which has no host directories).
  std::function<absl::StatusOr<std::string>(const std::string& dir)> backup;
};

class HttpApi {
 public:
  // `rt`, `node` and `metrics` outlive the api. The node may start later: until it has, every
  // request but /health and /metrics is answered 503.
  HttpApi(Runtime& rt, Node& node, ApiMetrics& metrics, HttpApiOptions options = {});

  struct Handled {
    http::Response response;
    // The operation for metrics: a fixed name ("get", "put", "delete", "health", "cluster",
    // "metrics", "join", "leave", "decommission", "backup", "unknown").
    absl::string_view op;
    bool ok = false;  // served as asked (a GET of a missing key included)
  };

  // Answers one request (the response's keep_alive and version are the request's). May suspend.
  // REQUIRES: on a fiber of `rt`.
  Handled Handle(const http::Request& request);

  ApiMetrics& metrics() { return metrics_; }
  Runtime& runtime() { return rt_; }
  // The value limit in force (for the server's body limit): the option, or the node's storage
  // limit once it started (1 MiB before).
  size_t value_bytes_max() const;
  size_t key_bytes_max() const;

 private:
  struct Route;
  // Where `target` goes (path and query decoded); never fails: a bad target routes to an error.
  static Route ParseTarget(absl::string_view target);
  // Checks the token, path, method and query, then Serve()s; fills in the op and outcome.
  Handled Dispatch(const http::Request& request, const Route& route);
  // Runs a request that passed those checks.
  http::Response Serve(const http::Request& request, const Route& route);
  http::Response Put(const http::Request& request, const Route& route, bool tombstone);
  http::Response Get(const http::Request& request, const Route& route);
  http::Response Health();
  http::Response Cluster();
  http::Response Metrics();
  http::Response Join(const Route& route);
  http::Response Leave();
  http::Response Backup(const Route& route);
  http::Response Decommission(absl::string_view node);
  http::Response Namespaces();
  http::Response ShowNamespace(const std::string& name);
  http::Response DefineNamespace(const http::Request& request, const std::string& name);
  // The bearer token presented (nullopt: no Authorization header; "" if it is not a bearer one).
  static std::optional<std::string> BearerToken(const http::Request& request);
  // node/api/access.h's rule for `route`.
  bool Authorized(const http::Request& request, const Route& route) const;

  Runtime& rt_;
  Node& node_;
  ApiMetrics& metrics_;
  HttpApiOptions options_;
};

}  // namespace kv::node
