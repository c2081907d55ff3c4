#include "tests/fuzz/message_builders.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "node/aae.pb.h"
#include "node/kv.pb.h"
#include "node/membership.pb.h"
#include "storage/record/context.h"
#include "storage/record/dvv.h"
#include "storage/record/record_codec.h"
#include "storage/record/validate.h"

namespace kv::fuzz {
namespace {

using storage::Context;
using storage::Record;

// The node's methods, and one it does not have.
constexpr const char* kMethods[] = {"kv.put",
                                    "kv.get",
                                    "kv.replica_write",
                                    "kv.replica_read",
                                    "kv.replica_write_batch",
                                    "membership.gossip",
                                    "aae.level",
                                    "aae.keys",
                                    "no.such.method"};

// Dot issuers: the node's own first actor (node/replica_store.h, ActorId(1, 1)), the peers', and
// small raw ids.
constexpr uint64_t kActors[] = {uint64_t{kNode} << 32 | 1, uint64_t{kPeer} << 32 | 1,
                                uint64_t{kOtherPeer} << 32 | 1, 1, 2};

NodeId PickNode(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? in.PickValueInArray<NodeId>({kNoNode, kNode, kPeer, kOtherPeer, 4})
                          : in.ConsumeIntegral<NodeId>();
}

uint64_t PickCounter(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? in.ConsumeIntegralInRange<uint64_t>(1, 4)
                          : in.PickValueInArray<uint64_t>(
                                {0, 1, UINT64_MAX, UINT64_MAX - 1, in.ConsumeIntegral<uint64_t>()});
}

// Keys mostly from a small set, so steps (and inputs) touch the same records.
std::string Key(FuzzedDataProvider& in) {
  if (in.ConsumeBool()) return absl::StrCat("k", in.ConsumeIntegralInRange(0, 7));
  return in.ConsumeRandomLengthString(64);
}

int64_t Wall(FuzzedDataProvider& in) {
  return in.ConsumeBool() ? kWallBase + in.ConsumeIntegralInRange<int64_t>(-1000000000, 1000000000)
                          : in.ConsumeIntegral<int64_t>();
}

// A valid record: a few DVV updates and merges, from the empty record.
Record BuildValidRecord(FuzzedDataProvider& in) {
  std::vector<Record> pool = {storage::EmptyRecord()};
  const int ops = in.ConsumeIntegralInRange(0, 5);
  for (int i = 0; i < ops; ++i) {
    const Record& base = pool[in.ConsumeIntegralInRange<size_t>(0, pool.size() - 1)];
    const Record& other = pool[in.ConsumeIntegralInRange<size_t>(0, pool.size() - 1)];
    if (in.ConsumeBool()) {
      pool.push_back(storage::Merge(base, other));
      continue;
    }
    const Context client = in.ConsumeBool() ? storage::ReadContext(other) : Context();
    const storage::Write write =
        in.ConsumeBool() ? storage::Write::Delete()
                         : storage::Write::Put(
                               in.ConsumeRandomLengthString(16),
                               in.ConsumeBool() ? 0 : kWallBase + in.ConsumeIntegral<uint32_t>());
    const int64_t now = kWallBase + in.ConsumeIntegralInRange<int64_t>(-1000000, 1000000);
    pool.push_back(storage::Update(base, client, in.PickValueInArray(kActors), write, now));
  }
  return pool.back();
}

// A record straight from the input's numbers: often invalid, sometimes with huge counters.
Record BuildRawRecord(FuzzedDataProvider& in) {
  Record r;
  r.set_format_version(in.ConsumeIntegralInRange<uint32_t>(0, 3));
  const int siblings = in.ConsumeIntegralInRange(0, 3);
  for (int i = 0; i < siblings; ++i) {
    storage::Sibling* s = r.add_siblings();
    s->set_dot_node(in.ConsumeBool() ? in.PickValueInArray(kActors)
                                     : in.ConsumeIntegral<uint64_t>());
    s->set_dot_counter(PickCounter(in));
    s->set_wall_micros(Wall(in));
    s->set_tombstone(in.ConsumeBool());
    if (!s->tombstone()) s->set_value(in.ConsumeRandomLengthString(16));
    s->set_expiry_micros(in.ConsumeBool() ? 0 : Wall(in));
  }
  const int entries = in.ConsumeIntegralInRange(0, 3);
  for (int i = 0; i < entries; ++i) {
    storage::VersionVectorEntry* e = r.mutable_context()->add_entries();
    e->set_node(in.ConsumeBool() ? in.PickValueInArray(kActors) : in.ConsumeIntegral<uint64_t>());
    e->set_counter(PickCounter(in));
    e->set_updated_wall_micros(Wall(in));
    if (in.ConsumeBool()) e->add_unseen(PickCounter(in));
  }
  return r;
}

// The bytes of a record as a peer sends it: a valid record encoded, a hand-made one (encoded if
// valid, else its bare protobuf bytes, which lack the envelope), or raw input bytes.
std::string RecordBytes(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 2)) {
    case 0:
      return storage::EncodeRecord(BuildValidRecord(in));
    case 1: {
      const Record r = BuildRawRecord(in);
      if (storage::ValidateRecord(r).ok()) return storage::EncodeRecord(r);
      return r.SerializeAsString();
    }
    default:
      return in.ConsumeRandomLengthString(256);
  }
}

// A client's causal context: empty, read from a valid record, hand-made, or raw bytes.
std::string ContextBytes(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0:
      return "";
    case 1:
      return storage::ReadContext(BuildValidRecord(in)).Encode();
    case 2: {
      const Record r = BuildRawRecord(in);
      if (!storage::ValidateVersionVector(r.context()).ok()) return r.SerializeAsString();
      return Context::FromProto(r.context()).Encode();
    }
    default:
      return in.ConsumeRandomLengthString(128);
  }
}

node::ReplicaWrite BuildReplicaWrite(FuzzedDataProvider& in) {
  node::ReplicaWrite m;
  m.set_key(Key(in));
  m.set_partition(in.ConsumeBool() ? in.ConsumeIntegralInRange<uint32_t>(0, kPartitions - 1)
                                   : in.ConsumeIntegral<uint32_t>());
  m.set_record(RecordBytes(in));
  if (in.ConsumeBool()) m.set_hint_for(PickNode(in));
  return m;
}

node::ClusterState BuildClusterState(FuzzedDataProvider& in) {
  node::ClusterState s;
  const int members = in.ConsumeIntegralInRange(0, 4);
  for (int i = 0; i < members; ++i) {
    node::Member* m = s.add_members();
    m->set_node(PickNode(in));
    m->set_status(static_cast<node::Member::Status>(in.ConsumeIntegralInRange(0, 3)));
    m->set_weight(in.ConsumeBool() ? in.ConsumeIntegralInRange<uint32_t>(0, 3)
                                   : in.ConsumeIntegral<uint32_t>());
    m->set_generation(in.ConsumeIntegralInRange<uint64_t>(0, 3));
    m->set_version(in.ConsumeIntegralInRange<uint64_t>(0, 3));
    m->set_heartbeat(in.ConsumeIntegral<uint64_t>());
  }
  if (in.ConsumeBool()) {
    node::RingState* r = s.mutable_ring();
    r->set_version(in.ConsumeBool() ? in.ConsumeIntegralInRange<uint64_t>(0, 8)
                                    : in.ConsumeIntegral<uint64_t>());
    r->set_claimant(PickNode(in));
    r->set_n_val(in.ConsumeBool() ? in.ConsumeIntegralInRange<uint32_t>(0, 4)
                                  : in.ConsumeIntegral<uint32_t>());
    const uint32_t q = in.PickValueInArray<uint32_t>({0, 1, 2, 3, kPartitions, 64});
    std::vector<NodeId> nodes;
    const int ring_members = in.ConsumeIntegralInRange(1, 3);
    for (int i = 0; i < ring_members; ++i) {
      nodes.push_back(PickNode(in));
      r->add_member_nodes(nodes.back());
      if (in.ConsumeIntegralInRange(0, 7) != 0) {
        r->add_member_weights(in.ConsumeIntegralInRange<uint32_t>(0, 2));
      }
    }
    for (uint32_t p = 0; p < q; ++p) {
      r->add_owners(nodes[in.ConsumeIntegralInRange<size_t>(0, nodes.size() - 1)]);
    }
  }
  return s;
}

node::AaeLevelRequest BuildLevelRequest(FuzzedDataProvider& in) {
  node::AaeLevelRequest m;
  m.set_partition(in.ConsumeBool() ? in.ConsumeIntegralInRange<uint32_t>(0, kPartitions - 1)
                                   : in.ConsumeIntegral<uint32_t>());
  // The node's shape (1024 leaves, 32 children) or any.
  m.set_leaf_count_log2(in.ConsumeBool() ? 10 : in.ConsumeIntegralInRange<uint32_t>(0, 32));
  m.set_branching_log2(in.ConsumeBool() ? 5 : in.ConsumeIntegralInRange<uint32_t>(0, 32));
  m.set_level(in.ConsumeIntegralInRange<uint32_t>(0, 3));
  const int nodes = in.ConsumeIntegralInRange(0, 8);
  uint32_t node = 0;
  for (int i = 0; i < nodes; ++i) {
    node = in.ConsumeBool() ? node + in.ConsumeIntegralInRange<uint32_t>(0, 40)
                            : in.ConsumeIntegral<uint32_t>();
    m.add_nodes(node);
  }
  const int hashes = in.ConsumeBool() ? nodes : in.ConsumeIntegralInRange(0, 8);
  for (int i = 0; i < hashes; ++i) m.add_hashes(in.ConsumeIntegral<uint64_t>());
  return m;
}

}  // namespace

std::string PickMethod(FuzzedDataProvider& in) { return in.PickValueInArray(kMethods); }

std::string BuildRequest(absl::string_view method, FuzzedDataProvider& in) {
  if (method == "kv.put") {
    node::ClientPut m;
    m.set_key(Key(in));
    m.set_value(in.ConsumeRandomLengthString(64));
    m.set_tombstone(in.ConsumeBool());
    m.set_context(ContextBytes(in));
    m.set_ttl_micros(in.ConsumeBool() ? in.ConsumeIntegralInRange<int64_t>(-1, 10000000)
                                      : in.ConsumeIntegral<int64_t>());
    m.set_w(in.ConsumeIntegralInRange<uint32_t>(0, 4));
    m.set_n(in.ConsumeIntegralInRange<uint32_t>(0, 4));
    m.set_request_id(in.ConsumeIntegralInRange<uint64_t>(0, 4));
    m.set_forwarded(in.ConsumeBool());
    m.set_overwrite(in.ConsumeBool());
    return m.SerializeAsString();
  }
  if (method == "kv.get") {
    node::ClientGet m;
    m.set_key(Key(in));
    m.set_r(in.ConsumeIntegralInRange<uint32_t>(0, 4));
    m.set_n(in.ConsumeIntegralInRange<uint32_t>(0, 4));
    m.set_forwarded(in.ConsumeBool());
    return m.SerializeAsString();
  }
  if (method == "kv.replica_write") return BuildReplicaWrite(in).SerializeAsString();
  if (method == "kv.replica_read") {
    node::ReplicaRead m;
    m.set_key(Key(in));
    m.set_partition(in.ConsumeBool() ? in.ConsumeIntegralInRange<uint32_t>(0, kPartitions - 1)
                                     : in.ConsumeIntegral<uint32_t>());
    if (in.ConsumeBool()) m.set_hint_for(PickNode(in));
    return m.SerializeAsString();
  }
  if (method == "kv.replica_write_batch") {
    node::ReplicaWriteBatch m;
    const int writes = in.ConsumeIntegralInRange(0, 4);
    for (int i = 0; i < writes; ++i) *m.add_writes() = BuildReplicaWrite(in);
    return m.SerializeAsString();
  }
  if (method == "membership.gossip") return BuildClusterState(in).SerializeAsString();
  if (method == "aae.level") return BuildLevelRequest(in).SerializeAsString();
  if (method == "aae.keys") {
    node::AaeKeysRequest m;
    m.set_partition(in.ConsumeBool() ? in.ConsumeIntegralInRange<uint32_t>(0, kPartitions - 1)
                                     : in.ConsumeIntegral<uint32_t>());
    const int leaves = in.ConsumeIntegralInRange(0, 8);
    for (int i = 0; i < leaves; ++i) m.add_leaves(in.ConsumeIntegralInRange<uint32_t>(0, 1100));
    return m.SerializeAsString();
  }
  return in.ConsumeRandomLengthString(64);
}

std::string BuildReply(absl::string_view method, FuzzedDataProvider& in) {
  if (method == "membership.gossip") return BuildClusterState(in).SerializeAsString();
  if (method == "kv.replica_read") {
    node::ReplicaReadReply m;
    m.set_found(in.ConsumeBool());
    if (m.found()) m.set_record(RecordBytes(in));
    return m.SerializeAsString();
  }
  if (method == "aae.level") {
    node::AaeLevelReply m;
    m.set_level(in.ConsumeIntegralInRange<uint32_t>(0, 3));
    const int nodes = in.ConsumeIntegralInRange(0, 4);
    for (int i = 0; i < nodes; ++i) m.add_nodes(in.ConsumeIntegralInRange<uint32_t>(0, 40));
    const int hashes = in.ConsumeBool() ? nodes * 32 : in.ConsumeIntegralInRange(0, 70);
    for (int i = 0; i < hashes; ++i) m.add_child_hashes(in.ConsumeIntegral<uint64_t>());
    return m.SerializeAsString();
  }
  if (method == "aae.keys") {
    node::AaeKeysReply m;
    const int keys = in.ConsumeIntegralInRange(0, 4);
    for (int i = 0; i < keys; ++i) {
      m.add_keys(Key(in));
      if (in.ConsumeIntegralInRange(0, 7) != 0) m.add_digests(in.ConsumeIntegral<uint64_t>());
    }
    m.set_truncated(in.ConsumeBool());
    return m.SerializeAsString();
  }
  if (method == "kv.put") {
    node::ClientPutReply m;
    m.set_context(ContextBytes(in));
    m.set_acks(in.ConsumeIntegral<uint32_t>());
    return m.SerializeAsString();
  }
  return in.ConsumeRandomLengthString(64);
}

}  // namespace kv::fuzz
