// A node's local replica data on the storage engine: merges of records sent by other nodes (as
// replicas or as stand-ins keeping hints), reads, and the coordinator's own writes with fresh dots.
//
// Dots: this node writes as `actor` (its node id and generation: a new actor each start, so dots
// of a life whose unsynced writes a crash may have lost are never reissued), with counters from
// one node-wide sequence that only grows (so a key whose dead record was purged never gets a dot
// other replicas already cover). A write is stored here before any other replica is asked, so
// every dot this actor issued for a key was seen by it, which the version vectors rely on.
//
// Resolution (storage/record/resolution.h): every update and merge this store makes (coordinated
// writes, replica writes, read repair, hints, handoff, transfers, anti-entropy) resolves concurrent
// writes the one way it was built with: siblings under dotted version vectors, the newest
// timestamp alone under last-writer-wins. Every node of a cluster must use the same resolution.
#pragma once

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "net/runtime.h"
#include "node/ring.h"
#include "storage/engine/engine.h"
#include "storage/record/context.h"
#include "storage/record/dvv.h"
#include "storage/record/resolution.h"

namespace kv::node {

// The dot issuer id of `node` in its `generation`th life.
uint64_t ActorId(NodeId node, uint64_t generation);

class ReplicaStore {
 public:
  ReplicaStore(Runtime& rt, storage::Engine& engine, uint64_t actor,
               storage::Resolution resolution = storage::Resolution::kDottedVersionVectors);

  // Merges `record` into the local copy of the key (or into the hint for `hint_for`).
  absl::Status Merge(PartitionId p, absl::string_view key, const storage::Record& record,
                     NodeId hint_for = kNoNode);

  // The local copy merged with the hint kept for `hint_for` (if any); nullopt if neither exists.
  absl::StatusOr<std::optional<storage::Record>> Read(PartitionId p, absl::string_view key,
                                                      NodeId hint_for = kNoNode);

  // Applies a client's put or delete (made with `context`) to the local copy with a new dot, and
  // returns the stored record (under LWW it holds the newer of the current value and this write,
  // so this write may already be lost). FAILED_PRECONDITION if the key would have more than
  // `siblings_max` siblings (Riak's max_siblings lesson: refuse, don't grow without bound).
  absl::StatusOr<storage::Record> CoordinateWrite(PartitionId p, absl::string_view key,
                                                  const storage::Context& context,
                                                  storage::Write write, size_t siblings_max);

  uint64_t actor() const { return actor_; }
  // How this store resolves concurrent writes; whoever merges records for it (a coordinator's
  // read) uses the same.
  storage::Resolution resolution() const { return resolution_; }
  storage::Engine& engine() { return engine_; }

 private:
  Runtime& rt_;
  storage::Engine& engine_;
  uint64_t actor_;
  storage::Resolution resolution_;
  uint64_t counter_ = 0;  // node-wide dot counter of this actor
};

}  // namespace kv::node
