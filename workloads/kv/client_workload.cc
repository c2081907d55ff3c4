#include "workloads/kv/client_workload.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "storage/record/dvv.h"
#include "workloads/kv/key_place.h"

namespace kv::workloads {
namespace {

enum class OpKind { kRead, kUpdate, kInsert, kReadModifyWrite, kRemove };

OpKind PickKind(Random& random, const OperationMix& m) {
  const double total = m.read + m.update + m.insert + m.read_modify_write + m.remove;
  double x = random.NextDouble() * total;
  if ((x -= m.read) < 0) return OpKind::kRead;
  if ((x -= m.update) < 0) return OpKind::kUpdate;
  if ((x -= m.insert) < 0) return OpKind::kInsert;
  if ((x -= m.read_modify_write) < 0) return OpKind::kReadModifyWrite;
  return m.remove > 0 ? OpKind::kRemove : OpKind::kRead;
}

void RecordValues(const google::protobuf::RepeatedPtrField<node::ClientValue>& values, KvOp* op) {
  for (const node::ClientValue& v : values) {
    op->values_read.emplace_back(ValueId(v.value()));
    op->dots_read.push_back({v.dot_node(), v.dot_counter()});
    op->expiries_read.push_back(v.expiry_micros());
  }
}

// A causal context the client holds, and the operation whose reply gave it.
struct HeldContext {
  std::string bytes;  // empty: blind
  int64_t from = -1;
};

class Client {
 public:
  Client(Runtime& rt, node::KvClient& client, uint32_t index, SharedWorkload& shared)
      : rt_(rt), client_(client), index_(index), shared_(shared), w_(shared.scenario.workload) {}

  void Run() {
    const Duration interval = absl::Seconds(1) / w_.rate;
    while (!shared_.stop) {
      FiberSleep(rt_.random().Exponential(interval));
      if (shared_.stop) break;
      if (w_.loop == Loop::kOpen) {
        ++in_flight_;
        rt_.Spawn("op", [this] {
          OneOperation();
          --in_flight_;
        });
      } else {
        OneOperation();
      }
    }
    // Open loop: the operations still running use this client.
    while (in_flight_ > 0) FiberSleep(absl::Milliseconds(10));
  }

 private:
  uint32_t PickCoordinator() {
    const std::vector<NodeId>& nodes = *shared_.coordinators;
    return nodes[rt_.random().Uniform(nodes.size())];
  }

  void OneOperation() {
    const OpKind kind = PickKind(rt_.random(), w_.mix);
    switch (kind) {
      case OpKind::kRead:
        (void)Get(Key(shared_.keys.Next(rt_.random())));
        return;
      case OpKind::kUpdate: {
        const std::string key = Key(shared_.keys.Next(rt_.random()));
        const bool blind = !w_.use_contexts || rt_.random().Bernoulli(w_.blind_share);
        Put(key, blind ? HeldContext() : session_[key], /*tombstone=*/false);
        return;
      }
      case OpKind::kInsert:
        Put(Key(shared_.keys.Insert()), HeldContext(), /*tombstone=*/false);
        return;
      case OpKind::kReadModifyWrite: {
        const std::string key = Key(shared_.keys.Next(rt_.random()));
        absl::StatusOr<HeldContext> context = Get(key);
        if (context.ok()) Put(key, w_.use_contexts ? *context : HeldContext(), /*tombstone=*/false);
        return;
      }
      case OpKind::kRemove: {
        const std::string key = Key(shared_.keys.Next(rt_.random()));
        const HeldContext context = session_[key];
        if (w_.use_contexts && context.bytes.empty()) {
          (void)Get(key);  // nothing seen to delete yet
        } else {
          Put(key, w_.use_contexts ? context : HeldContext(), /*tombstone=*/true);
        }
        return;
      }
    }
  }

  // Starts an operation's history record; returns its index (records may move as the history
  // grows, so callers index again after any suspension).
  size_t Begin(KvOp op) {
    op.client = index_;
    op.coordinator = PickCoordinator();
    op.invoked = rt_.Now();
    return shared_.history->Add(std::move(op));
  }

  std::string Key(uint64_t index) const { return WorkloadKey(index, shared_.scenario.cluster); }

  // Returns the read's context.
  absl::StatusOr<HeldContext> Get(const std::string& key) {
    KvOp op;
    op.type = KvOp::Type::kGet;
    op.key = key;
    const size_t i = Begin(std::move(op));
    const KeyPlace place = PlaceOf(key, shared_.scenario.cluster);
    absl::StatusOr<node::ClientGetReply> reply =
        client_.Get(shared_.history->ops[i].coordinator, place.key, {.ns = place.ns});
    KvOp& done = shared_.history->ops[i];
    done.completed = rt_.Now();
    done.code = reply.status().code();
    if (!reply.ok()) return reply.status();
    RecordValues(reply->values(), &done);
    HeldContext& held = session_[key];
    held = HeldContext{reply->context(), static_cast<int64_t>(i)};
    return held;
  }

  void Put(const std::string& key, const HeldContext& context, bool tombstone) {
    KvOp op;
    op.type = tombstone ? KvOp::Type::kDelete : KvOp::Type::kPut;
    op.key = key;
    op.context_used = context.bytes;
    op.context_from = context.bytes.empty() ? -1 : context.from;
    std::string stored;
    if (!tombstone) {
      op.value = absl::StrCat("c", index_, "-", ++writes_);
      const uint64_t size = w_.value_bytes_min +
                            rt_.random().Uniform(w_.value_bytes_max - w_.value_bytes_min + 1);
      stored = op.value;
      if (size > stored.size() + 1) stored += "." + std::string(size - stored.size() - 1, 'x');
      if (rt_.random().Bernoulli(w_.ttl_share)) {
        op.ttl_micros = absl::ToInt64Microseconds(rt_.random().UniformDuration(w_.ttl_min, w_.ttl_max));
      }
    }
    node::PutOptions put;
    put.context = context.bytes;
    put.ttl = absl::Microseconds(op.ttl_micros);
    put.tombstone = tombstone;
    const KeyPlace place = PlaceOf(key, shared_.scenario.cluster);
    put.ns = place.ns;
    const size_t i = Begin(std::move(op));
    absl::StatusOr<node::ClientPutReply> reply =
        client_.Put(shared_.history->ops[i].coordinator, place.key, stored, put);
    KvOp& done = shared_.history->ops[i];
    done.completed = rt_.Now();
    done.code = reply.status().code();
    if (reply.ok()) {
      done.dot = {reply->dot_node(), reply->dot_counter()};
      done.expiry_micros = reply->expiry_micros();
      RecordValues(reply->values(), &done);
      session_[key] = HeldContext{reply->context(), static_cast<int64_t>(i)};
    }
  }

  Runtime& rt_;
  node::KvClient& client_;
  uint32_t index_;
  SharedWorkload& shared_;
  const WorkloadSpec& w_;
  // Looked up by key only, never iterated (its order decides nothing): hashed, since a btree of
  // a thousand string keys per client costs cache misses on every operation.
  absl::flat_hash_map<std::string, HeldContext> session_;
  uint64_t writes_ = 0;
  uint64_t in_flight_ = 0;
};

}  // namespace

SharedWorkload::SharedWorkload(const Scenario& s, KvHistory* h, const std::vector<NodeId>* nodes)
    : scenario(s),
      history(h),
      coordinators(nodes),
      keys(s.workload.distribution, static_cast<uint64_t>(s.workload.keys), s.workload.zipf_theta) {}

absl::string_view ValueId(absl::string_view stored) {
  return stored.substr(0, stored.find('.'));
}

void AddLiveValues(const storage::Record& merged, int64_t wall_micros, KeyFinal* final) {
  for (const storage::Sibling* s : storage::LiveValues(merged, wall_micros)) {
    final->live_values.emplace_back(ValueId(s->value()));
    final->live_dots.push_back(storage::DotOf(*s));
    final->live_expiry_micros.push_back(s->expiry_micros());
    final->live_written_micros.push_back(s->wall_micros());
  }
}

void RunClient(Runtime& rt, node::KvClient& client, uint32_t index, SharedWorkload& shared) {
  Client c(rt, client, index, shared);
  c.Run();
}

}  // namespace kv::workloads
