#include "node/replica_store.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/status_macros.h"
#include "node/namespaces.h"

namespace kv::node {

using storage::Record;

namespace {

// `current`, or the empty record if there is none; a reference, so the stored record is not copied.
const Record& CurrentOrEmpty(const Record* current) {
  static const Record* const kEmpty = new Record(storage::EmptyRecord());
  return current != nullptr ? *current : *kEmpty;
}

}  // namespace

uint64_t ActorId(NodeId node, uint64_t generation) {
  KV_ASSERT(generation < (uint64_t{1} << 32));
  return static_cast<uint64_t>(node) << 32 | generation;
}

ReplicaStore::ReplicaStore(Runtime& rt, storage::Engine& engine, uint64_t actor,
                           ActorSource next_actor, storage::Resolution resolution)
    : rt_(rt),
      engine_(engine),
      actor_(actor),
      next_actor_(std::move(next_actor)),
      resolution_(resolution) {
  KV_ASSERT(next_actor_ != nullptr);
  KV_ASSERT(resolution == storage::Resolution::kDottedVersionVectors ||
            resolution == storage::Resolution::kLastWriterWins);
}

absl::Status ReplicaStore::Merge(PartitionId p, absl::string_view key, const Record& record,
                                 NodeId hint_for) {
  if (hint_for == kNoNode) units_seen_ |= UnitKindBit(p);
  // Merging into the empty record puts even the first copy in the resolution's shape.
  auto merge = [this, &record](const Record* current)
      -> absl::StatusOr<std::optional<Record>> {
    return std::optional<Record>(
        storage::Merge(CurrentOrEmpty(current), record, resolution_));
  };
  if (hint_for != kNoNode) {
    return engine_.UpdateHint(hint_for, p, key, absl::ToUnixMicros(rt_.WallNow()), merge);
  }
  absl::StatusOr<std::optional<Record>> stored = engine_.Update(p, key, merge);
  if (stored.ok() && listener_ != nullptr && IsCacheUnit(p)) listener_->OnStored(p, key, *stored);
  return stored.status();
}

absl::StatusOr<std::optional<Record>> ReplicaStore::Read(PartitionId p, absl::string_view key,
                                                         NodeId hint_for) {
  ASSIGN_OR_RETURN(std::optional<Record> local, engine_.Get(p, key));
  if (local.has_value() && listener_ != nullptr && IsCacheUnit(p)) listener_->OnRead(p, key);
  if (hint_for == kNoNode) return local;
  ASSIGN_OR_RETURN(std::optional<storage::Hint> hint, engine_.GetHint(hint_for, p, key));
  if (!hint.has_value()) return local;
  if (!local.has_value()) return hint->record;
  return storage::Merge(*local, hint->record, resolution_);
}

absl::StatusOr<bool> ReplicaStore::ReadEncoded(PartitionId p, absl::string_view key,
                                               std::string* out) {
  ASSIGN_OR_RETURN(const bool found, engine_.GetEncoded(p, key, out));
  if (found && listener_ != nullptr && IsCacheUnit(p)) listener_->OnRead(p, key);
  return found;
}

absl::StatusOr<CoordinatedWrite> ReplicaStore::CoordinateWrite(PartitionId p, absl::string_view key,
                                                               const storage::Context& context,
                                                               storage::Write write,
                                                               int64_t wall_now_micros,
                                                               size_t siblings_max,
                                                               bool overwrite) {
  units_seen_ |= UnitKindBit(p);
  const int64_t now = wall_now_micros;
  const uint64_t counter = ++counter_;
  storage::Dot dot;
  absl::StatusOr<std::optional<Record>> stored = engine_.Update(
      p, key, [&](const Record* current) -> absl::StatusOr<std::optional<Record>> {
        // The actor as of reading the local copy: DropPartition retires it before deleting.
        storage::Context seen = context;
        if (overwrite && current != nullptr) seen.Join(storage::ReadContext(*current));
        // A client's context, or a record a peer sent, may claim this actor's last counter: no dot
        // follows it (storage::Update asserts so). Under LWW the client's context is not used.
        uint64_t claimed =
            resolution_ == storage::Resolution::kDottedVersionVectors ? seen.counter(actor_) : 0;
        if (current != nullptr) {
          for (const storage::VersionVectorEntry& e : current->context().entries()) {
            if (e.node() == actor_) claimed = std::max(claimed, e.counter());
          }
        }
        if (claimed == std::numeric_limits<uint64_t>::max()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "key '", key, "': its causal context claims the last dot counter of actor ", actor_));
        }
        Record next = storage::Update(CurrentOrEmpty(current), seen, actor_,
                                      std::move(write), now, counter, resolution_);
        if (storage::SiblingCount(next) > siblings_max) {
          return absl::FailedPreconditionError(absl::StrCat(
              "key '", key, "' would have ", storage::SiblingCount(next),
              " siblings, more than the limit of ", siblings_max,
              "; read it and write back with its context to resolve them"));
        }
        dot = storage::Dot{actor_, 0};
        for (const storage::VersionVectorEntry& e : next.context().entries()) {
          if (e.node() == actor_) dot.counter = e.counter();  // the context's counter for actor_
        }
        return std::optional<Record>(std::move(next));
      });
  if (!stored.ok()) return stored.status();
  KV_ASSERT(stored->has_value());
  KV_ASSERT(dot.counter >= counter);
  // The dot may be higher than `counter` (a client context can carry any counter): keep the
  // sequence above it.
  counter_ = std::max(counter_, dot.counter);
  if (listener_ != nullptr && IsCacheUnit(p)) listener_->OnStored(p, key, *stored);
  return CoordinatedWrite{**std::move(stored), dot};
}

absl::Status ReplicaStore::DropPartition(PartitionId p) {
  std::vector<std::string> keys;
  // A corrupt record stops the scan; the keys before it are dropped, the rest stay (as before a
  // handoff, anti-entropy no longer visits them).
  (void)engine_.ScanPartition(p, [&](absl::string_view key, const Record&) {
    keys.emplace_back(key);
    return true;
  });
  if (keys.empty()) return absl::OkStatus();
  // Retired before the first deletion: a write that reads a copy after it is gone (or streamed
  // back incomplete) gets the new actor, whose dots the old copy never held.
  ASSIGN_OR_RETURN(const uint64_t fresh, next_actor_());
  KV_ASSERT(fresh != actor_);
  rt_.Log(LogLevel::kInfo, "dropping partition %d (%d keys): actor %d retired for %d", p,
          keys.size(), actor_, fresh);
  actor_ = fresh;
  storage::WriteBatch drop;
  for (const std::string& key : keys) drop.DeleteRecord(p, key);
  return engine_.Write(std::move(drop));
}

}  // namespace kv::node
