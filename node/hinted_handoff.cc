#include "node/hinted_handoff.h"

#include "net/fault_points.h"

#include "node/kv.pb.h"
#include "storage/record/record_codec.h"
#include "storage/record/record_digest.h"

namespace kv::node {

HintedHandoff::HintedHandoff(Runtime& rt, RpcEndpoint& rpc, Membership& membership,
                             storage::Engine& engine, HandoffOptions options)
    : rt_(rt), rpc_(rpc), membership_(membership), engine_(engine), options_(options) {}

void HintedHandoff::Start() {
  rt_.Spawn("hinted-handoff", [this] {
    while (true) {
      FiberSleep(options_.interval);
      DeliverOnce();
    }
  });
}

void HintedHandoff::DeliverOnce() {
  ++stats_.rounds;
  absl::StatusOr<absl::btree_map<NodeId, uint64_t>> counts = engine_.HintCounts();
  if (!counts.ok()) return;
  const int64_t oldest_kept = absl::ToUnixMicros(rt_.WallNow() - options_.window);
  for (const auto& [target, count] : *counts) {
    if (!membership_.IsAlive(target)) continue;
    // Buggify: deliver one hint per round, so delivery interleaves with new hints and writes.
    const size_t batch = KV_BUGGIFY(rt_) ? 1 : options_.batch;
    absl::StatusOr<std::vector<storage::Hint>> hints = engine_.HintsFor(target, batch);
    if (!hints.ok()) continue;
    for (const storage::Hint& hint : *hints) {
      if (hint.created_wall_micros < oldest_kept) {
        storage::WriteBatch drop;
        drop.DeleteHint(hint.target, hint.partition, hint.key);
        KV_SOMETIMES(rt_, true);  // a hint outlived its window
        if (engine_.Write(std::move(drop)).ok()) ++stats_.expired;
        continue;
      }
      Deliver(hint);
    }
  }
}

void HintedHandoff::Deliver(const storage::Hint& hint) {
  ReplicaWrite m;
  m.set_partition(hint.partition);
  m.set_key(hint.key);
  m.set_record(storage::EncodeRecord(hint.record));
  if (!rpc_.Call(hint.target, "kv.replica_write", m.SerializeAsString(), options_.timeout).ok()) {
    ++stats_.failed;
    return;
  }
  // Delete only what was delivered: a write merged into the hint since stays for the next pass.
  const uint64_t sent = storage::RecordDigest(hint.record);
  absl::Status removed = engine_.UpdateHint(
      hint.target, hint.partition, hint.key, hint.created_wall_micros,
      [sent](const storage::Record* current) -> absl::StatusOr<std::optional<storage::Record>> {
        if (current != nullptr && storage::RecordDigest(*current) != sent) {
          return std::optional<storage::Record>(*current);
        }
        return std::optional<storage::Record>();
      });
  KV_SOMETIMES(rt_, removed.ok());  // a hint delivered and removed
  if (removed.ok()) ++stats_.delivered;
}

}  // namespace kv::node
