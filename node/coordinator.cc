#include "node/coordinator.h"

#include "net/fault_points.h"

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/channel.h"
#include "net/status_macros.h"
#include "node/namespaces.h"
#include "storage/record/record_codec.h"
#include "storage/record/record_digest.h"
#include "storage/record/scratch_arena.h"

namespace kv::node {

using storage::Record;

namespace {

// The values a client sees: the record's live siblings at `wall_micros` (storage::LiveValues,
// without collecting them first).
void AddLiveValues(const Record& record, int64_t wall_micros,
                   google::protobuf::RepeatedPtrField<ClientValue>* values) {
  for (const storage::Sibling& s : record.siblings()) {
    if (s.tombstone() || storage::IsExpired(s, wall_micros)) continue;
    ClientValue* v = values->Add();
    v->set_value(s.value());
    v->set_wall_micros(s.wall_micros());
    v->set_expiry_micros(s.expiry_micros());
    v->set_dot_node(s.dot_node());
    v->set_dot_counter(s.dot_counter());
  }
}

constexpr const char* kPut = "kv.put";
constexpr const char* kGet = "kv.get";
constexpr const char* kReplicaWrite = "kv.replica_write";
constexpr const char* kReplicaRead = "kv.replica_read";
// Names of the fibers that call them, followed by the target node.
constexpr const char* kReplicaWriteTo = "kv.replica_write->";
constexpr const char* kReplicaReadTo = "kv.replica_read->";

// Replies from several replicas, as they arrive: (target index, reply).
using Replies = Channel<std::pair<size_t, absl::StatusOr<std::string>>>;

template <typename Message>
absl::Status ParseInto(absl::string_view body, absl::string_view what, Message* m) {
  if (!m->ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError(absl::StrCat("malformed ", what));
  }
  return absl::OkStatus();
}

template <typename Message>
absl::StatusOr<Message> Parse(absl::string_view body, absl::string_view what) {
  Message m;
  RETURN_IF_ERROR(ParseInto(body, what, &m));
  return m;
}

// Sends `method` with `body` to every target but `skip`, each from its own fiber (named
// `fiber_name` and the target node); replies go to the returned channel, which outlives the
// caller's interest in it.
std::shared_ptr<Replies> FanOut(Runtime& rt, RpcEndpoint& rpc, const std::vector<ReplicaTarget>& targets,
                                size_t skip, const char* method, const char* fiber_name,
                                const std::function<std::string(const ReplicaTarget&)>& body,
                                Duration timeout) {
  auto replies = std::make_shared<Replies>(targets.size() + 1);
  for (size_t i = 0; i < targets.size(); ++i) {
    if (i == skip) continue;
    rt.Spawn(FiberName(fiber_name, static_cast<int64_t>(targets[i].node)),
             [&rpc, replies, i, node = targets[i].node, method, payload = body(targets[i]), timeout] {
               replies->TrySend({i, rpc.Call(node, method, payload, timeout)});
             });
  }
  return replies;
}

std::string QuorumError(absl::string_view op, absl::string_view key, uint32_t have,
                        uint32_t need, uint32_t failed, uint32_t asked, bool timed_out,
                        const absl::Status& first_failure) {
  return absl::StrCat(op, " of '", key, "': ", have, " of ", need, " required replicas ",
                      op == "put" ? "acknowledged" : "answered", " (", failed, " failed, ",
                      timed_out ? asked - have - failed : 0, " did not answer in time)",
                      first_failure.ok() ? "" : absl::StrCat("; first failure: ",
                                                             first_failure.ToString()));
}

}  // namespace

struct Coordinator::Dedup {
  bool done = false;
  absl::StatusOr<ClientPutReply> result = absl::UnknownError("pending");
  WaitList waiters;
};

Coordinator::Coordinator(Runtime& rt, RpcEndpoint& rpc, Membership& membership,
                         ReplicaStore& store, CoordinatorOptions options)
    : rt_(rt), rpc_(rpc), membership_(membership), store_(store), options_(options) {
  KV_ASSERT(options_.n >= 1);
  KV_ASSERT(options_.r >= 1 && options_.r <= options_.n);
  KV_ASSERT(options_.w >= 1 && options_.w <= options_.n);
  KV_ASSERT(options_.clock_offset_max >= absl::ZeroDuration());
}

void Coordinator::Register() {
  rpc_.Register(kPut, [this](NodeId, absl::string_view body) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(ClientPut request, Parse<ClientPut>(body, "put request"));
    ASSIGN_OR_RETURN(ClientPutReply reply, Put(std::move(request)));
    return reply.SerializeAsString();
  });
  rpc_.Register(kGet, [this](NodeId, absl::string_view body) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(ClientGet request, Parse<ClientGet>(body, "get request"));
    ASSIGN_OR_RETURN(ClientGetReply reply, Get(request));
    return reply.SerializeAsString();
  });
  rpc_.Register(kReplicaWrite, [this](NodeId, absl::string_view body) -> absl::StatusOr<std::string> {
    // The request and its record are only read here: both on a scratch arena.
    storage::ScratchArena<> scratch;
    ReplicaWrite& request = *scratch.Make<ReplicaWrite>();
    RETURN_IF_ERROR(ParseInto(body, "replica write", &request));
    Record* decoded = scratch.Make<Record>();
    RETURN_IF_ERROR(storage::DecodeRecordInto(request.record(), decoded));
    const Record& record = *decoded;
    // A hint kept for this node itself would be handed off to itself (an RPC to self); it is this
    // node's own copy.
    if (request.hint_for() == rt_.self()) request.clear_hint_for();
    ++stats_.replica_writes;
    KV_SOMETIMES(rt_, request.hint_for() != kNoNode);  // a replica write kept as a hint
    if (request.hint_for() != kNoNode) ++stats_.hinted_writes;
    // A write meant for replicas that reached a node no longer one (the sender's ring was
    // stale): keep it as hints for the key's replicas, so handoff takes it where it belongs.
    const std::optional<Ring>& ring = membership_.ring();
    const IndexN unit = UnitOf(request.partition(), options_.n);
    if (request.hint_for() == kNoNode && ring.has_value() &&
        ring->PartitionOf(request.key()) == unit.partition) {
      const std::vector<NodeId> replicas = ring->PreferenceList(unit.partition, unit.n);
      if (std::find(replicas.begin(), replicas.end(), rt_.self()) == replicas.end()) {
        KV_SOMETIMES(rt_, true);  // a write for a key this node no longer replicates
        ++stats_.misdirected_writes;
        for (NodeId replica : replicas) {
          RETURN_IF_ERROR(store_.Merge(request.partition(), request.key(), record, replica));
        }
        return std::string();
      }
    }
    RETURN_IF_ERROR(store_.Merge(request.partition(), request.key(), record, request.hint_for()));
    return std::string();
  });
  rpc_.Register(kReplicaRead, [this](NodeId, absl::string_view body) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(ReplicaRead request, Parse<ReplicaRead>(body, "replica read"));
    ++stats_.replica_reads;
    ReplicaReadReply reply;
    if (request.hint_for() == kNoNode) {
      // The stored bytes go out as they are (their checksum checked): the coordinator decodes
      // and checks them, so decoding and re-encoding here would only repeat its work.
      ASSIGN_OR_RETURN(const bool found,
                       store_.ReadEncoded(request.partition(), request.key(),
                                          reply.mutable_record()));
      reply.set_found(found);
      return reply.SerializeAsString();
    }
    ASSIGN_OR_RETURN(std::optional<Record> record,
                     store_.Read(request.partition(), request.key(), request.hint_for()));
    if (record.has_value()) {
      reply.set_found(true);
      // Read checked it (decoded and verified, or the checked merge of two such).
      storage::EncodeValidRecord(*record, reply.mutable_record());
    }
    return reply.SerializeAsString();
  });
}

absl::StatusOr<Coordinator::Policy> Coordinator::PolicyFor(absl::string_view ns) const {
  if (IsDefaultNamespace(ns)) {
    return Policy{.n = options_.n, .r = options_.r, .w = options_.w, .sloppy = options_.sloppy,
                  .siblings_max = options_.siblings_max};
  }
  const Namespace* def = membership_.FindNamespace(ns);
  if (def == nullptr) {
    RETURN_IF_ERROR(ValidateNamespaceName(ns));
    return absl::NotFoundError(absl::StrCat("no namespace '", ns, "' (kvctl ns create ", ns, ")"));
  }
  return Policy{.n = def->n(), .r = def->r(), .w = def->w(), .sloppy = !def->strict(),
                .default_ttl_micros = def->default_ttl_micros(),
                .siblings_max = def->siblings_max() != 0 ? def->siblings_max() : options_.siblings_max,
                .cache = def->cache_bytes() > 0};
}

absl::StatusOr<Coordinator::Placement> Coordinator::Place(absl::string_view ns,
                                                          absl::string_view key, uint32_t n) {
  const std::optional<Ring>& ring = membership_.ring();
  if (!ring.has_value()) return absl::UnavailableError("this node has not joined a ring yet");
  Placement where;
  ASSIGN_OR_RETURN(where.policy, PolicyFor(ns));
  if (n == 0) n = where.policy.n;
  if (n > where.policy.n) {
    return absl::InvalidArgumentError(absl::StrCat("n = ", n, " exceeds the replication factor ",
                                                   where.policy.n, " of namespace '",
                                                   IsDefaultNamespace(ns) ? kDefaultNamespace : ns,
                                                   "'"));
  }
  where.n = n;
  where.key = StoredKey(ns, key);
  const PartitionId p = ring->PartitionOf(where.key);
  where.partition =
      StoreId({.partition = p, .n = where.policy.n, .cache = where.policy.cache}, options_.n);
  where.targets = ReplicaTargets(*ring, p, n, where.policy.sloppy,
                                 [this](NodeId node) { return membership_.IsAlive(node); });
  for (const ReplicaTarget& t : where.targets) {
    if (t.node == rt_.self()) where.self = &t;
  }
  return where;
}

template <typename Request>
bool Coordinator::ShouldForward(const Request& request, const Placement& where) const {
  return where.self == nullptr && !request.forwarded() && !where.targets.empty();
}

template <typename Reply, typename Request>
absl::StatusOr<Reply> Coordinator::Forward(const Request& request, const Placement& where,
                                           const char* method) {
  ++stats_.forwarded;
  Request forward = request;
  forward.set_forwarded(true);
  ASSIGN_OR_RETURN(std::string reply, rpc_.Call(where.targets.front().node, method,
                                                forward.SerializeAsString(),
                                                options_.request_timeout * 2));
  return Parse<Reply>(reply, "forwarded reply");
}

absl::StatusOr<ClientPutReply> Coordinator::Put(ClientPut request) {
  // A retry of a request this node has answered (or is answering) gets that answer.
  if (request.request_id() != 0) {
    auto it = dedup_.find(request.request_id());
    if (it != dedup_.end()) {
      std::shared_ptr<Dedup> d = it->second;
      while (!d->done) {
        Waiter w;
        WaitRegistration registration(d->waiters, &w);
        w.Wait();
      }
      ++stats_.retries_answered;
      return d->result;
    }
  }
  std::shared_ptr<Dedup> mine;
  if (request.request_id() != 0) {
    mine = std::make_shared<Dedup>();
    dedup_[request.request_id()] = mine;
    dedup_order_.push_back(request.request_id());
  }
  absl::StatusOr<ClientPutReply> result = [&]() -> absl::StatusOr<ClientPutReply> {
    ASSIGN_OR_RETURN(Placement where, Place(request.ns(), request.key(), request.n()));
    if (ShouldForward(request, where)) return Forward<ClientPutReply>(request, where, kPut);
    return CoordinatePut(request, where);
  }();
  if (mine != nullptr) {
    // Only completed answers are remembered for retries; a failure may be retried for real.
    mine->done = true;
    mine->result = result;
    mine->waiters.WakeAll();
    if (!result.ok()) dedup_.erase(request.request_id());
    TrimDedup();
  }
  result.ok() ? ++stats_.puts : ++stats_.puts_failed;
  return result;
}

void Coordinator::TrimDedup() {
  while (dedup_order_.size() > options_.dedup_entries_max) {
    dedup_.erase(dedup_order_.front());
    dedup_order_.pop_front();
  }
}

absl::StatusOr<ClientPutReply> Coordinator::CoordinatePut(ClientPut& request,
                                                          const Placement& where) {
  const uint32_t w = request.w() == 0 ? std::min(where.policy.w, where.n) : request.w();
  if (w < 1 || w > where.n) {
    return absl::InvalidArgumentError(absl::StrCat("w must be between 1 and n = ", where.n));
  }
  ASSIGN_OR_RETURN(storage::Context context, storage::Context::Decode(request.context()));
  const int64_t now = absl::ToUnixMicros(rt_.WallNow());
  // The expiry (now + ttl) must fit in 64 bits.
  if (request.ttl_micros() > std::numeric_limits<int64_t>::max() - now) {
    return absl::InvalidArgumentError(
        absl::StrCat("ttl_micros ", request.ttl_micros(), " is too large"));
  }
  // A write that names no TTL takes its namespace's default.
  const int64_t ttl =
      request.ttl_micros() > 0 ? request.ttl_micros() : where.policy.default_ttl_micros;
  storage::Write write = request.tombstone()
                             ? storage::Write::Delete()
                             : storage::Write::Put(std::move(*request.mutable_value()),
                                                   ttl > 0 ? now + ttl : 0);
  ASSIGN_OR_RETURN(CoordinatedWrite written,
                   store_.CoordinateWrite(where.partition, where.key, context, std::move(write),
                                          now, where.policy.siblings_max, request.overwrite()));
  const Record& record = written.record;
  size_t self_index = where.targets.size();
  if (where.self != nullptr) {
    self_index = static_cast<size_t>(where.self - where.targets.data());
    if (where.self->hint_for != kNoNode) {
      RETURN_IF_ERROR(store_.Merge(where.partition, where.key, record, where.self->hint_for));
    }
  }
  // This node's copy counts only if it is one of the targets: a coordinator outside the
  // preference list (a put forwarded by a node with another view of the ring) writes the value
  // first to issue its dot, but that copy is on no replica.
  const uint32_t own_ack = where.self != nullptr ? 1 : 0;
  uint32_t acks = own_ack;
  // One message for every other target; only hint_for differs. None to build when this node is
  // the only one (N=1).
  ReplicaWrite m;
  if (where.targets.size() > (where.self != nullptr ? 1u : 0u)) {
    m.set_partition(where.partition);
    m.set_key(where.key);
    storage::EncodeValidRecord(record, m.mutable_record());  // CoordinateWrite's record is checked
  }
  std::shared_ptr<Replies> replies = FanOut(
      rt_, rpc_, where.targets, self_index, kReplicaWrite, kReplicaWriteTo,
      [&m](const ReplicaTarget& t) {
        m.set_hint_for(t.hint_for);
        return m.SerializeAsString();
      },
      options_.request_timeout);
  const uint32_t asked = static_cast<uint32_t>(where.targets.size() - (where.self ? 1 : 0));
  uint32_t failed = 0;
  absl::Status first_failure;
  bool timed_out = false;
  const MonoTime deadline = rt_.Now() + options_.request_timeout;
  while (acks < w && acks - own_ack + failed < asked) {
    auto reply = replies->ReceiveUntil(deadline);
    if (!reply.ok()) {
      timed_out = true;
      break;
    }
    if (reply->second.ok()) {
      ++acks;
    } else {
      ++failed;
      if (first_failure.ok()) first_failure = reply->second.status();
    }
  }
  if (acks < w) {
    const std::string message = QuorumError("put", request.key(), acks, w, failed,
                                            asked + own_ack, timed_out, first_failure);
    return timed_out ? absl::DeadlineExceededError(message) : absl::UnavailableError(message);
  }
  ClientPutReply out;
  const int64_t replied = absl::ToUnixMicros(rt_.WallNow());
  if (!request.omit_values()) AddLiveValues(record, replied, out.mutable_values());
  out.set_context(
      storage::ReplyContext(record, replied, absl::ToInt64Microseconds(options_.clock_offset_max))
          .Encode());
  out.set_acks(acks);
  // The dot the write got (the store's actor may have changed since).
  out.set_dot_node(written.dot.node);
  out.set_dot_counter(written.dot.counter);
  for (const storage::Sibling& s : record.siblings()) {
    if (storage::DotOf(s) == written.dot) out.set_expiry_micros(s.expiry_micros());
  }
  return out;
}

absl::StatusOr<ClientGetReply> Coordinator::Get(const ClientGet& request) {
  absl::StatusOr<ClientGetReply> result = [&]() -> absl::StatusOr<ClientGetReply> {
    ASSIGN_OR_RETURN(Placement where, Place(request.ns(), request.key(), request.n()));
    if (ShouldForward(request, where)) return Forward<ClientGetReply>(request, where, kGet);
    return CoordinateGet(request, where);
  }();
  result.ok() ? ++stats_.gets : ++stats_.gets_failed;
  return result;
}

absl::StatusOr<ClientGetReply> Coordinator::CoordinateGet(const ClientGet& request,
                                                          const Placement& where) {
  const uint32_t r = request.r() == 0 ? std::min(where.policy.r, where.n) : request.r();
  if (r < 1 || r > where.n) {
    return absl::InvalidArgumentError(absl::StrCat("r must be between 1 and n = ", where.n));
  }
  // Every replica's answer, kept for read repair.
  struct ReadState {
    struct Answer {
      ReplicaTarget target;
      bool answered = false;
      const Record* record = nullptr;  // null: it has none (or did not answer)
    };
    std::vector<Answer> answers;  // one per target
    std::optional<Record> local;  // this node's copy
    storage::SmallBlockArena scratch;  // the other replies, parsed and decoded
  };
  auto state = std::make_shared<ReadState>();
  state->answers.reserve(where.targets.size());
  for (const ReplicaTarget& t : where.targets) state->answers.push_back({.target = t});
  uint32_t replies_ok = 0, failed = 0;
  size_t self_index = where.targets.size();
  if (where.self != nullptr) {
    self_index = static_cast<size_t>(where.self - where.targets.data());
    absl::StatusOr<std::optional<Record>> local =
        store_.Read(where.partition, where.key, where.self->hint_for);
    if (local.ok()) {
      state->local = *std::move(local);
      state->answers[self_index].answered = true;
      if (state->local.has_value()) state->answers[self_index].record = &*state->local;
      ++replies_ok;
    } else {
      ++failed;
    }
  }
  std::shared_ptr<Replies> replies = FanOut(
      rt_, rpc_, where.targets, self_index, kReplicaRead, kReplicaReadTo,
      [&](const ReplicaTarget& t) {
        ReplicaRead m;
        m.set_partition(where.partition);
        m.set_key(where.key);
        m.set_hint_for(t.hint_for);
        return m.SerializeAsString();
      },
      options_.request_timeout);
  const uint32_t asked = static_cast<uint32_t>(where.targets.size());
  // Takes one reply into `state`; false if it was an error.
  auto take = [state](std::pair<size_t, absl::StatusOr<std::string>>& reply) {
    if (!reply.second.ok()) return false;
    ReplicaReadReply* parsed = state->scratch.Make<ReplicaReadReply>();
    if (!ParseInto(*reply.second, "read reply", parsed).ok()) return false;
    const Record* record = nullptr;
    if (parsed->found()) {
      Record* decoded = state->scratch.Make<Record>();
      if (!storage::DecodeRecordInto(parsed->record(), decoded).ok()) return false;
      record = decoded;
    }
    state->answers[reply.first].answered = true;
    state->answers[reply.first].record = record;
    return true;
  };
  bool timed_out = false;
  const MonoTime deadline = rt_.Now() + options_.request_timeout;
  while (replies_ok < r && replies_ok + failed < asked) {
    auto reply = replies->ReceiveUntil(deadline);
    if (!reply.ok()) {
      timed_out = true;
      break;
    }
    take(*reply) ? ++replies_ok : ++failed;
  }
  if (replies_ok < r) {
    const std::string message =
        QuorumError("get", request.key(), replies_ok, r, failed, asked, timed_out, absl::OkStatus());
    return timed_out ? absl::DeadlineExceededError(message) : absl::UnavailableError(message);
  }
  // The merge of every copy. A lone copy is its own merge (a stored record is valid, so canonical:
  // Merge(EmptyRecord(), r) == r), and is used where it lies, not copied.
  const Record* lone = nullptr;
  size_t copies = 0;
  for (const ReadState::Answer& answer : state->answers) {
    if (answer.record != nullptr) {
      lone = answer.record;
      ++copies;
    }
  }
  Record merged_copies;
  if (copies != 1) {
    merged_copies = storage::EmptyRecord();
    for (const ReadState::Answer& answer : state->answers) {
      if (answer.record != nullptr) {
        merged_copies = storage::Merge(merged_copies, *answer.record, store_.resolution());
      }
    }
  }
  const Record& merged = copies == 1 ? *lone : merged_copies;
  ClientGetReply out;
  const int64_t replied = absl::ToUnixMicros(rt_.WallNow());
  AddLiveValues(merged, replied, out.mutable_values());
  KV_SOMETIMES(rt_, out.values_size() > 1);  // a read returned siblings
  if (where.policy.cache) {
    CoordinatorStats::CacheReads& counts = stats_.cache_reads[request.ns()];
    out.values_size() > 0 ? ++counts.hits : ++counts.misses;
  }
  out.set_context(
      storage::ReplyContext(merged, replied, absl::ToInt64Microseconds(options_.clock_offset_max))
          .Encode());
  out.set_replies(replies_ok);

  // Read repair: every replica that answered with another copy gets the merge of all answers.
  // A single replica has nobody to disagree with. The comparison is one digest per answer; the
  // merged record is encoded only if some copy differs.
  if (options_.read_repair && !where.policy.cache && merged.siblings_size() > 0 && asked > 1) {
    // Indices of the answers whose copy differs from `all`.
    auto stale_of = [state](const Record& all) {
      std::vector<size_t> stale;
      const uint64_t digest = storage::RecordDigest(all);
      for (size_t i = 0; i < state->answers.size(); ++i) {
        const ReadState::Answer& answer = state->answers[i];
        if (!answer.answered) continue;
        if (answer.record != nullptr && storage::RecordDigest(*answer.record) == digest) continue;
        stale.push_back(i);
      }
      return stale;
    };
    // Writes `all` to the `stale` replicas. On a fiber of its own: it waits for the writes.
    auto repair = [this, state, partition = where.partition, key = where.key](
                      const Record& all, const std::vector<size_t>& stale) {
      if (stale.empty()) return;
      std::string encoded;
      storage::EncodeValidRecord(all, &encoded);  // a merge's result is checked (dvv.h)
      for (size_t i : stale) {
        KV_SOMETIMES(rt_, true);  // a read repaired a stale replica
        ++stats_.read_repairs;
        const ReplicaTarget& t = state->answers[i].target;
        if (t.node == rt_.self()) {
          (void)store_.Merge(partition, key, all, t.hint_for);
          continue;
        }
        ReplicaWrite m;
        m.set_partition(partition);
        m.set_key(key);
        m.set_record(encoded);
        m.set_hint_for(t.hint_for);
        (void)rpc_.Call(t.node, kReplicaWrite, m.SerializeAsString(), options_.request_timeout);
      }
    };
    const uint32_t outstanding = asked - replies_ok - failed;
    if (outstanding == 0) {
      // Every replica answered: compare now, and start a fiber only to repair.
      std::vector<size_t> stale = stale_of(merged);
      if (!stale.empty()) {
        rt_.Spawn("read-repair", [repair, all = Record(merged), stale = std::move(stale)] {
          repair(all, stale);
        });
      }
    } else {
      // The rest of the replies first. `all` starts as the merge of the replies so far and takes
      // in each late one: merging is associative and commutative with canonical results
      // (dvv.h), so this is the merge of every reply, without merging the early ones again.
      rt_.Spawn("read-repair", [this, state, replies, outstanding, take, deadline, stale_of,
                                repair, all = Record(merged)]() mutable {
        for (uint32_t i = 0; i < outstanding; ++i) {
          auto reply = replies->ReceiveUntil(deadline);
          if (!reply.ok()) break;
          const size_t index = reply->first;
          if (take(*reply) && state->answers[index].record != nullptr) {
            all = storage::Merge(all, *state->answers[index].record, store_.resolution());
          }
        }
        repair(all, stale_of(all));
      });
    }
  }
  return out;
}

}  // namespace kv::node
