#include "node/transfer.h"

#include "net/fault_points.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "net/status_macros.h"
#include "node/namespaces.h"
#include "storage/record/record_codec.h"

namespace kv::node {

namespace {
constexpr const char* kBatchMethod = "kv.replica_write_batch";
constexpr const char* kTasksMeta = "transfer.tasks";

bool Contains(const std::vector<NodeId>& v, NodeId n) {
  return std::find(v.begin(), v.end(), n) != v.end();
}
}  // namespace

OwnershipTransfer::OwnershipTransfer(Runtime& rt, RpcEndpoint& rpc, Membership& membership,
                                     ReplicaStore& store, uint32_t n_val, TransferOptions options)
    : rt_(rt), rpc_(rpc), membership_(membership), store_(store), n_val_(n_val), options_(options) {}

void OwnershipTransfer::Register() {
  rpc_.Register(kBatchMethod, [this](NodeId, absl::string_view body) -> absl::StatusOr<std::string> {
    ReplicaWriteBatch batch;
    if (!batch.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return absl::InvalidArgumentError("malformed replica write batch");
    }
    for (const ReplicaWrite& w : batch.writes()) {
      ASSIGN_OR_RETURN(storage::Record record, storage::DecodeRecord(w.record()));
      RETURN_IF_ERROR(store_.Merge(w.partition(), w.key(), record));
    }
    return std::string();
  });
}

absl::Status OwnershipTransfer::Load() {
  ASSIGN_OR_RETURN(std::optional<std::string> saved, store_.engine().GetMeta(kTasksMeta));
  if (saved.has_value() && !tasks_.ParseFromString(*saved)) {
    return absl::DataLossError("the saved transfer tasks do not parse");
  }
  return absl::OkStatus();
}

absl::Status OwnershipTransfer::Save() {
  return store_.engine().PutMeta(kTasksMeta, tasks_.SerializeAsString());
}

void OwnershipTransfer::Start() {
  rt_.Spawn("ownership-transfer", [this] { Loop(); });
}

void OwnershipTransfer::OnRingChange(const Ring& before, const Ring& after) {
  if (before.partition_count() != after.partition_count()) return;
  bool added = false;
  const std::vector<uint32_t> factors =
      ReplicationFactors(n_val_, membership_.namespaces(), store_.units_seen());
  for (PartitionId p = 0; p < after.partition_count(); ++p) {
    for (uint32_t n : factors) {
      const std::vector<NodeId> old_list = before.PreferenceList(p, n);
      if (!Contains(old_list, rt_.self())) continue;
      const std::vector<NodeId> new_list = after.PreferenceList(p, n);
      const PartitionId unit = StoreId({.partition = p, .n = n}, n_val_);
      // Every old replica streams its copy to each node new to the list: any of them may hold
      // writes the others missed. One that gives the unit away makes a second pass.
      const bool giving_away = !Contains(new_list, rt_.self());
      if (giving_away) {
        tasks_.add_given_away(unit);
        added = true;
      }
      for (NodeId target : new_list) {
        if (Contains(old_list, target)) continue;
        TransferTask* task = tasks_.add_tasks();
        task->set_partition(unit);
        task->set_target(target);
        task->set_passes_left(giving_away ? 2 : 1);
        ++stats_.tasks_created;
        added = true;
      }
    }
  }
  if (added) {
    absl::Status saved = Save();
    if (!saved.ok()) rt_.Log(LogLevel::kWarn, "could not save transfer tasks: %s", saved.ToString());
  }
}

std::vector<TransferTask> OwnershipTransfer::pending() const {
  std::vector<TransferTask> out;
  for (const TransferTask& t : tasks_.tasks()) {
    if (!t.done()) out.push_back(t);
  }
  return out;
}

void OwnershipTransfer::Loop() {
  while (true) {
    FiberSleep(options_.interval);
    bool progressed = true;
    while (progressed) {
      progressed = false;
      // By index: a ring change may add tasks while a batch is in flight. (Elements of a
      // repeated message field never move, so `task` stays valid across the suspension.)
      for (int i = 0; i < tasks_.tasks_size(); ++i) {
        TransferTask& task = *tasks_.mutable_tasks(i);
        if (task.done() || !membership_.IsAlive(task.target())) continue;
        progressed = SendBatch(task) || progressed;
      }
    }
    DropGivenAway();
  }
}

bool OwnershipTransfer::SendBatch(TransferTask& task) {
  // Buggify: one key per batch, so streams are cut (and resumed) between many small batches.
  const size_t batch_keys = KV_BUGGIFY(rt_) ? 1 : options_.batch_keys;
  KV_SOMETIMES(rt_, !task.cursor().empty());  // a stream resumed after a saved cursor
  ReplicaWriteBatch batch;
  std::string last_key;
  absl::Status scanned = store_.engine().ScanPartition(
      task.partition(),
      [&](absl::string_view key, const storage::Record& record) {
        ReplicaWrite* w = batch.add_writes();
        w->set_partition(task.partition());
        w->set_key(std::string(key));
        w->set_record(storage::EncodeRecord(record));
        last_key = std::string(key);
        return static_cast<size_t>(batch.writes_size()) < batch_keys;
      },
      task.cursor());
  if (!scanned.ok()) {
    ++stats_.failures;
    return false;
  }
  const bool last_batch = static_cast<size_t>(batch.writes_size()) < batch_keys;
  if (batch.writes_size() > 0) {
    absl::StatusOr<std::string> sent =
        rpc_.Call(task.target(), kBatchMethod, batch.SerializeAsString(), options_.timeout);
    if (!sent.ok()) {
      ++stats_.failures;
      return false;
    }
    ++stats_.batches;
    stats_.keys_sent += batch.writes_size();
    task.set_keys_sent(task.keys_sent() + batch.writes_size());
    task.set_cursor(last_key);
  }
  if (last_batch) {
    if (task.passes_left() > 1) {
      task.set_passes_left(task.passes_left() - 1);
      task.set_cursor("");
    } else {
      task.set_done(true);
      ++stats_.tasks_done;
    }
  }
  // The cursor is durable before the next batch: a crash resumes here.
  if (!Save().ok()) ++stats_.failures;
  return !task.done();
}

void OwnershipTransfer::DropGivenAway() {
  const std::optional<Ring>& ring = membership_.ring();
  if (!ring.has_value()) return;
  std::vector<PartitionId> keep;
  bool changed = false;
  for (PartitionId p : tasks_.given_away()) {
    bool owed = false;
    for (const TransferTask& t : tasks_.tasks()) owed = owed || (!t.done() && t.partition() == p);
    if (owed) {
      keep.push_back(p);
      continue;
    }
    changed = true;
    const IndexN unit = UnitOf(p, n_val_);
    if (Contains(ring->PreferenceList(unit.partition, unit.n), rt_.self())) continue;  // again one
    if (store_.DropPartition(p).ok()) {
      ++stats_.partitions_dropped;
    } else {
      keep.push_back(p);  // try again next round
    }
  }
  if (!changed) return;
  tasks_.clear_given_away();
  for (PartitionId p : keep) tasks_.add_given_away(p);
  // Finished tasks are history; keep the saved list short.
  TransferTasks live;
  for (const TransferTask& t : tasks_.tasks()) {
    if (!t.done()) *live.add_tasks() = t;
  }
  *live.mutable_given_away() = tasks_.given_away();
  tasks_ = std::move(live);
  if (!Save().ok()) ++stats_.failures;
}

}  // namespace kv::node
