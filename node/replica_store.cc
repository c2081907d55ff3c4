#include "node/replica_store.h"

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/status_macros.h"

namespace kv::node {

using storage::Record;

uint64_t ActorId(NodeId node, uint64_t generation) {
  KV_ASSERT(generation < (uint64_t{1} << 32));
  return static_cast<uint64_t>(node) << 32 | generation;
}

ReplicaStore::ReplicaStore(Runtime& rt, storage::Engine& engine, uint64_t actor,
                           storage::Resolution resolution)
    : rt_(rt), engine_(engine), actor_(actor), resolution_(resolution) {
  KV_ASSERT(resolution == storage::Resolution::kDottedVersionVectors ||
            resolution == storage::Resolution::kLastWriterWins);
}

absl::Status ReplicaStore::Merge(PartitionId p, absl::string_view key, const Record& record,
                                 NodeId hint_for) {
  // Merging into the empty record puts even the first copy in the resolution's shape.
  auto merge = [this, &record](const std::optional<Record>& current)
      -> absl::StatusOr<std::optional<Record>> {
    return std::optional<Record>(
        storage::Merge(current.value_or(storage::EmptyRecord()), record, resolution_));
  };
  if (hint_for != kNoNode) {
    return engine_.UpdateHint(hint_for, p, key, absl::ToUnixMicros(rt_.WallNow()), merge);
  }
  return engine_.Update(p, key, merge).status();
}

absl::StatusOr<std::optional<Record>> ReplicaStore::Read(PartitionId p, absl::string_view key,
                                                         NodeId hint_for) {
  ASSIGN_OR_RETURN(std::optional<Record> local, engine_.Get(p, key));
  if (hint_for == kNoNode) return local;
  ASSIGN_OR_RETURN(std::optional<storage::Hint> hint, engine_.GetHint(hint_for, p, key));
  if (!hint.has_value()) return local;
  if (!local.has_value()) return hint->record;
  return storage::Merge(*local, hint->record, resolution_);
}

absl::StatusOr<Record> ReplicaStore::CoordinateWrite(PartitionId p, absl::string_view key,
                                                     const storage::Context& context,
                                                     storage::Write write, size_t siblings_max) {
  const int64_t now = absl::ToUnixMicros(rt_.WallNow());
  const uint64_t counter = ++counter_;
  absl::StatusOr<std::optional<Record>> stored = engine_.Update(
      p, key, [&](const std::optional<Record>& current) -> absl::StatusOr<std::optional<Record>> {
        Record next = storage::Update(current.value_or(storage::EmptyRecord()), context, actor_,
                                      std::move(write), now, counter, resolution_);
        if (storage::SiblingCount(next) > siblings_max) {
          return absl::FailedPreconditionError(absl::StrCat(
              "key '", key, "' would have ", storage::SiblingCount(next),
              " siblings, more than the limit of ", siblings_max,
              "; read it and write back with its context to resolve them"));
        }
        return std::optional<Record>(std::move(next));
      });
  if (!stored.ok()) return stored.status();
  // The record's own counter may be higher (writes of an earlier life of this actor id are
  // impossible, but a client context can carry any counter): keep the sequence above it.
  for (const storage::Sibling& s : (*stored)->siblings()) {
    if (s.dot_node() == actor_) counter_ = std::max(counter_, s.dot_counter());
  }
  return **stored;
}

}  // namespace kv::node
