#include "node/client.h"

#include "net/status_macros.h"

namespace kv::node {

KvClient::KvClient(Runtime& rt, RpcEndpoint& rpc, Duration timeout, int attempts,
                   Duration backoff)
    : rt_(rt),
      rpc_(rpc),
      timeout_(timeout),
      attempts_(attempts < 1 ? 1 : attempts),
      backoff_(backoff),
      next_request_id_(rt.random().Next64() | 1) {}

absl::StatusOr<std::string> KvClient::CallWithRetries(NodeId coordinator, const char* method,
                                                      const std::string& body) {
  Duration backoff = backoff_;
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<std::string> reply = rpc_.Call(coordinator, method, body, timeout_);
    const absl::StatusCode code = reply.status().code();
    const bool transient =
        code == absl::StatusCode::kUnavailable || code == absl::StatusCode::kDeadlineExceeded;
    if (reply.ok() || !transient || attempt >= attempts_) return reply;
    // Full jitter: a random wait up to the current backoff, which doubles each try.
    FiberSleep(rt_.random().UniformDuration(absl::ZeroDuration(), backoff));
    backoff *= 2;
  }
}

absl::StatusOr<ClientPutReply> KvClient::Put(NodeId coordinator, absl::string_view key,
                                             absl::string_view value, const PutOptions& options) {
  ClientPut request;
  request.set_key(std::string(key));
  request.set_value(std::string(value));
  request.set_tombstone(options.tombstone);
  request.set_overwrite(options.overwrite);
  request.set_context(options.context);
  request.set_ttl_micros(absl::ToInt64Microseconds(options.ttl));
  request.set_w(options.w);
  request.set_n(options.n);
  request.set_ns(options.ns);
  request.set_request_id(next_request_id_++);
  ASSIGN_OR_RETURN(std::string reply,
                   CallWithRetries(coordinator, "kv.put", request.SerializeAsString()));
  ClientPutReply out;
  if (!out.ParseFromString(reply)) return absl::InternalError("malformed put reply");
  return out;
}

absl::StatusOr<ClientPutReply> KvClient::Delete(NodeId coordinator, absl::string_view key,
                                                absl::string_view context, absl::string_view ns) {
  PutOptions options;
  options.context = std::string(context);
  options.ns = std::string(ns);
  options.tombstone = true;
  return Put(coordinator, key, "", options);
}

absl::StatusOr<ClientGetReply> KvClient::Get(NodeId coordinator, absl::string_view key,
                                             const GetOptions& options) {
  ClientGet request;
  request.set_key(std::string(key));
  request.set_r(options.r);
  request.set_n(options.n);
  request.set_ns(options.ns);
  ASSIGN_OR_RETURN(std::string reply,
                   CallWithRetries(coordinator, "kv.get", request.SerializeAsString()));
  ClientGetReply out;
  if (!out.ParseFromString(reply)) return absl::InternalError("malformed get reply");
  return out;
}

}  // namespace kv::node
