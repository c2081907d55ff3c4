// A client of the key-value API over node RPC (what the simulator's workloads and kvctl use).
// A request that fails with UNAVAILABLE or DEADLINE_EXCEEDED is retried (with jittered exponential
// backoff, up to `attempts` tries in all) under the same request id, so a put the coordinator had
// already applied is answered, not applied twice.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "net/runtime.h"
#include "node/kv.pb.h"
#include "node/rpc.h"

namespace kv::node {

struct PutOptions {
  std::string context;  // from the last read of the key ("" = blind write)
  Duration ttl = absl::ZeroDuration();
  uint32_t w = 0;       // 0 = the namespace's W
  uint32_t n = 0;       // 0 = the namespace's N; at most that
  bool tombstone = false;
  bool overwrite = false;  // ClientPut.overwrite: supersede what the coordinator holds
  std::string ns;          // the key's namespace ("" = default)
};

struct GetOptions {
  uint32_t r = 0;  // 0 = the namespace's R
  uint32_t n = 0;  // 0 = the namespace's N; at most that
  std::string ns;  // the key's namespace ("" = default)
};

class KvClient {
 public:
  // `rpc` must be started. Each try times out after `timeout`.
  KvClient(Runtime& rt, RpcEndpoint& rpc, Duration timeout = absl::Seconds(3), int attempts = 1,
           Duration backoff = absl::Milliseconds(50));

  absl::StatusOr<ClientPutReply> Put(NodeId coordinator, absl::string_view key,
                                     absl::string_view value, const PutOptions& options = {});
  absl::StatusOr<ClientPutReply> Delete(NodeId coordinator, absl::string_view key,
                                        absl::string_view context, absl::string_view ns = "");
  absl::StatusOr<ClientGetReply> Get(NodeId coordinator, absl::string_view key,
                                     const GetOptions& options = {});

 private:
  // Calls `method` until it succeeds, fails for good, or the tries run out.
  absl::StatusOr<std::string> CallWithRetries(NodeId coordinator, const char* method,
                                              const std::string& body);

  Runtime& rt_;
  RpcEndpoint& rpc_;
  Duration timeout_;
  int attempts_;
  Duration backoff_;
  uint64_t next_request_id_;
};

}  // namespace kv::node
