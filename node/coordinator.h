// The coordinator of client requests (Dynamo section 4.5), and the replica side of them.
//
// Put: the key's replicas are the first N nodes of its preference list (strict) or the first N
// live nodes of the extended list, stand-ins keeping hints for the primaries that are down
// (sloppy). A node that is not one of them forwards the request to the first that is. The
// coordinator applies the write to its own copy with a new dot first (durably), then sends the
// resulting record to the other replicas and answers once W replicas (itself included) hold it;
// fewer by the deadline is an error naming how many acknowledged. The others keep going in the
// background. A retry carrying the same request id gets the first answer, not a second write.
//
// Get: asks the replicas, answers once R replied with the merge of their records (live siblings
// and the causal context of what it showed: storage::ReplyContext); then, in the background, waits
// for the rest and writes the merged record back to every replica whose copy differed (read
// repair). Records are merged under the store's resolution (ReplicaStore::resolution): under
// last-writer-wins a read returns at most one value.
//
// N, R, W, the quorum kind, the default TTL and the sibling limit are the key's namespace's
// (node/namespaces.h): the options for the default namespace, the gossiped definition for the
// others (NOT_FOUND for a namespace this node does not know). A request may change them: N
// lowered (the first n of the preference list), R and W anywhere in 1..n. Replica messages carry
// the stored key (namespace included) and its replication unit. Reads of a cache namespace's
// keys skip read repair (an evicted copy stays evicted) and count as hits or misses.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "net/runtime.h"
#include "node/kv.pb.h"
#include "node/membership.h"
#include "node/placement.h"
#include "node/replica_store.h"
#include "node/rpc.h"

namespace kv::node {

struct CoordinatorOptions {
  uint32_t n = 3;
  uint32_t r = 2;
  uint32_t w = 2;
  bool sloppy = true;
  Duration request_timeout = absl::Seconds(1);
  size_t siblings_max = 64;
  bool read_repair = true;
  // The most two nodes' wall clocks may disagree. A value that expired on this node's clock less
  // than this long ago is hidden from a reply but left out of its context, so a write made with
  // that context does not supersede a value that may still be live elsewhere (storage::
  // ReplyContext); it stays a sibling until it has been expired this long.
  Duration clock_offset_max = absl::Minutes(1);
  // Completed requests remembered for retries (oldest forgotten first).
  size_t dedup_entries_max = 65536;
};

struct CoordinatorStats {
  uint64_t puts = 0, puts_failed = 0, gets = 0, gets_failed = 0, forwarded = 0;
  uint64_t retries_answered = 0, read_repairs = 0, replica_writes = 0, replica_reads = 0;
  uint64_t hinted_writes = 0;
  uint64_t misdirected_writes = 0;  // replica writes for a key this node no longer replicates
  // Reads this node coordinated of cache namespaces' keys, by namespace: a hit found a live value.
  struct CacheReads {
    uint64_t hits = 0, misses = 0;
  };
  absl::btree_map<std::string, CacheReads> cache_reads;
};

class Coordinator {
 public:
  Coordinator(Runtime& rt, RpcEndpoint& rpc, Membership& membership, ReplicaStore& store,
              CoordinatorOptions options);

  // Registers kv.put, kv.get, kv.replica_write and kv.replica_read. REQUIRES: before rpc.Start().
  void Register();

  // The request is taken by value: its value moves into the stored record (pass an rvalue).
  absl::StatusOr<ClientPutReply> Put(ClientPut request);
  absl::StatusOr<ClientGetReply> Get(const ClientGet& request);

  const CoordinatorStats& stats() const { return stats_; }

 private:
  // What a request's namespace asks for.
  struct Policy {
    uint32_t n = 0, r = 0, w = 0;
    bool sloppy = true;
    int64_t default_ttl_micros = 0;
    size_t siblings_max = 0;
    bool cache = false;  // a cache namespace: no read repair; hits and misses counted
  };
  absl::StatusOr<Policy> PolicyFor(absl::string_view ns) const;
  struct Placement {
    uint32_t n = 0;  // replicas asked for
    Policy policy;
    std::string key;  // the stored key (namespace included)
    PartitionId partition;  // the engine partition: the key's replication unit
    std::vector<ReplicaTarget> targets;
    const ReplicaTarget* self = nullptr;  // this node's entry, if it is a target
  };
  // The replicas of `key` in namespace `ns` for a request asking for `n` of them (0 = the
  // namespace's N).
  absl::StatusOr<Placement> Place(absl::string_view ns, absl::string_view key, uint32_t n);
  // A node that is not one of the key's replicas forwards to the first that is (once).
  template <typename Request>
  bool ShouldForward(const Request& request, const Placement& where) const;
  template <typename Reply, typename Request>
  absl::StatusOr<Reply> Forward(const Request& request, const Placement& where,
                                const char* method);
  // Moves the request's value out.
  absl::StatusOr<ClientPutReply> CoordinatePut(ClientPut& request, const Placement& where);
  absl::StatusOr<ClientGetReply> CoordinateGet(const ClientGet& request, const Placement& where);
  // Forgets the oldest completed request ids beyond the limit.
  void TrimDedup();

  Runtime& rt_;
  RpcEndpoint& rpc_;
  Membership& membership_;
  ReplicaStore& store_;
  CoordinatorOptions options_;
  CoordinatorStats stats_;
  // Request id -> the answer (or the promise of it, while the first attempt runs).
  struct Dedup;
  // Hashed: looked up by id only, never iterated (dedup_order_ keeps the order), and its entries'
  // destructors do nothing observable, so its order decides nothing.
  absl::flat_hash_map<uint64_t, std::shared_ptr<Dedup>> dedup_;
  std::deque<uint64_t> dedup_order_;
};

}  // namespace kv::node
