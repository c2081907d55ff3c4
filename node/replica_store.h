// A node's local replica data on the storage engine: merges of records sent by other nodes (as
// replicas or as stand-ins keeping hints), reads, and the coordinator's own writes with fresh dots.
//
// Dots: this node writes as `actor` (its node id and a number from its persisted generation
// sequence), with counters from one node-wide sequence that only grows (so a key whose dead record
// was purged never gets a dot other replicas already cover). A version vector entry (actor, n)
// stands for every dot of that actor up to n, so a write this store coordinates covers all of its
// actor's earlier dots for the key (storage/record/dvv.h, Update). That is sound only while the
// local copy of the key holds every dot the actor issued for it; the store keeps it so:
//   - a write is stored in the local copy before any other replica is asked (even when this node
//     only stands in for a replica, or was not one at all), and a failed local write fails the put;
//   - a crash may lose unsynced writes: every start takes a new actor (a new generation);
//   - deleting a copy (DropPartition, after a handoff) first retires the actor and takes a new one,
//     so a later write with no local copy, or with one streamed back from replicas that missed some
//     of the old actor's writes, cannot claim to have seen them;
//   - purging a record (storage/engine/expiry_filter.h) removes only versions that are all dead,
//     whose dots any later write may supersede.
//
// Resolution (storage/record/resolution.h): every update and merge this store makes (coordinated
// writes, replica writes, read repair, hints, handoff, transfers, anti-entropy) resolves concurrent
// writes the one way it was built with: siblings under dotted version vectors, the newest
// timestamp alone under last-writer-wins. Every node of a cluster must use the same resolution.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "absl/status/statusor.h"
#include "net/runtime.h"
#include "node/ring.h"
#include "storage/engine/engine.h"
#include "storage/record/context.h"
#include "storage/record/dvv.h"
#include "storage/record/resolution.h"

namespace kv::node {

// The dot issuer id of `node` numbered `generation` (a start or a retired actor takes the next).
uint64_t ActorId(NodeId node, uint64_t generation);

// Returns a dot issuer id the node has never used, durably reserved (a crash never hands it out
// again) before it returns.
using ActorSource = std::function<absl::StatusOr<uint64_t>()>;

// Told of the local copies of cache units (node/namespaces.h) the store writes or reads (not
// hints): node/cache.h's evictor.
class StoreListener {
 public:
  virtual ~StoreListener() = default;
  // The local copy of `key` is now `record` (nullopt: none).
  virtual void OnStored(PartitionId p, absl::string_view key,
                        const std::optional<storage::Record>& record) = 0;
  virtual void OnRead(PartitionId p, absl::string_view key) = 0;
};

// A write this store coordinated: the stored record and the dot the write got.
struct CoordinatedWrite {
  storage::Record record;
  storage::Dot dot;
};

class ReplicaStore {
 public:
  // Writes as `actor` until DropPartition retires it for the next one from `next_actor`.
  ReplicaStore(Runtime& rt, storage::Engine& engine, uint64_t actor, ActorSource next_actor,
               storage::Resolution resolution = storage::Resolution::kDottedVersionVectors);

  // Merges `record` into the local copy of the key (or into the hint for `hint_for`).
  absl::Status Merge(PartitionId p, absl::string_view key, const storage::Record& record,
                     NodeId hint_for = kNoNode);

  // The local copy merged with the hint kept for `hint_for` (if any); nullopt if neither exists.
  absl::StatusOr<std::optional<storage::Record>> Read(PartitionId p, absl::string_view key,
                                                      NodeId hint_for = kNoNode);
  // The local copy's stored bytes (Engine::GetEncoded: only the envelope is checked; the reader
  // decodes them) into *out; false if there is none. For a replica read without a hint.
  absl::StatusOr<bool> ReadEncoded(PartitionId p, absl::string_view key, std::string* out);

  // Applies a client's put or delete (made with `context`) to the local copy with a new dot, and
  // returns the stored record and the dot (under LWW the record holds the newer of the current
  // value and this write, so this write may already be lost). FAILED_PRECONDITION if the key would
  // have more than `siblings_max` siblings (Riak's max_siblings lesson: refuse, don't grow without
  // bound). `overwrite`: the write also supersedes everything the local copy holds (its context
  // joins the local copy's). `wall_now_micros`: the write's time, the coordinator's clock read
  // once (a put's expiry counts from it).
  absl::StatusOr<CoordinatedWrite> CoordinateWrite(PartitionId p, absl::string_view key,
                                                   const storage::Context& context,
                                                   storage::Write write, int64_t wall_now_micros,
                                                   size_t siblings_max, bool overwrite = false);

  // Deletes the local copy of every key of `p` (the partition was handed off). Retires the actor
  // first if there is anything to delete (see the top of this file). Errors: drawing the new actor
  // failed (nothing deleted), or the deletion did (the actor is already new; call again).
  // REQUIRES: on a fiber.
  absl::Status DropPartition(PartitionId p);

  // The current dot issuer id; DropPartition changes it.
  uint64_t actor() const { return actor_; }
  // How this store resolves concurrent writes; whoever merges records for it (a coordinator's
  // read) uses the same.
  storage::Resolution resolution() const { return resolution_; }
  storage::Engine& engine() { return engine_; }
  // The kinds of replication unit written to in this life (node/namespaces.h UnitKindBit).
  uint32_t units_seen() const { return units_seen_; }
  // Tells `listener` (nullptr: nobody) of cache units' writes and reads from now on.
  void set_listener(StoreListener* listener) { listener_ = listener; }

 private:
  Runtime& rt_;
  storage::Engine& engine_;
  uint64_t actor_;
  ActorSource next_actor_;
  storage::Resolution resolution_;
  uint64_t counter_ = 0;  // node-wide dot counter (kept across actors of this life)
  uint32_t units_seen_ = 1;
  StoreListener* listener_ = nullptr;
};

}  // namespace kv::node
