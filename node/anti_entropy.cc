#include "node/anti_entropy.h"

#include "net/fault_points.h"

#include <algorithm>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "net/status_macros.h"
#include "node/aae.pb.h"
#include "node/kv.pb.h"
#include "node/namespaces.h"
#include "storage/merkle/key_diff.h"
#include "storage/merkle/merkle_exchange.h"
#include "storage/record/record_codec.h"
#include "storage/record/record_digest.h"

namespace kv::node {

using storage::Record;

namespace {

constexpr const char* kLevel = "aae.level";
constexpr const char* kKeys = "aae.keys";

template <typename Message>
absl::StatusOr<Message> ParseAs(absl::string_view body) {
  Message m;
  if (!m.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
    return absl::InvalidArgumentError("malformed anti-entropy message");
  }
  return m;
}

}  // namespace

AntiEntropy::AntiEntropy(Runtime& rt, RpcEndpoint& rpc, Membership& membership,
                         ReplicaStore& store, uint32_t n_val, AntiEntropyOptions options)
    : rt_(rt),
      rpc_(rpc),
      membership_(membership),
      store_(store),
      n_val_(n_val),
      options_(options),
      refilled_(rt.Now()) {}

void AntiEntropy::Register() {
  rpc_.Register(kLevel, [this](NodeId, absl::string_view body) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(AaeLevelRequest m, ParseAs<AaeLevelRequest>(body));
    RETURN_IF_ERROR(CheckPartition(m.partition()));
    MerkleLevelRequest request;
    request.shape.leaf_count_log2 = m.leaf_count_log2();
    request.shape.branching_log2 = m.branching_log2();
    request.level = m.level();
    request.nodes.assign(m.nodes().begin(), m.nodes().end());
    request.hashes.assign(m.hashes().begin(), m.hashes().end());
    ASSIGN_OR_RETURN(MerkleLevelReply reply,
                     AnswerLevelRequest(store_.engine().merkle(m.partition()), request));
    AaeLevelReply out;
    out.set_level(reply.level);
    for (uint32_t n : reply.nodes) out.add_nodes(n);
    for (uint64_t h : reply.child_hashes) out.add_child_hashes(h);
    return out.SerializeAsString();
  });
  rpc_.Register(kKeys, [this](NodeId, absl::string_view body) -> absl::StatusOr<std::string> {
    ASSIGN_OR_RETURN(AaeKeysRequest m, ParseAs<AaeKeysRequest>(body));
    RETURN_IF_ERROR(CheckPartition(m.partition()));
    bool truncated = false;
    ASSIGN_OR_RETURN(std::vector<KeyDigest> keys,
                     ListKeys(m.partition(), {m.leaves().begin(), m.leaves().end()}, &truncated));
    AaeKeysReply out;
    for (const KeyDigest& k : keys) {
      out.add_keys(k.key);
      out.add_digests(k.digest);
    }
    out.set_truncated(truncated);
    return out.SerializeAsString();
  });
}

absl::Status AntiEntropy::CheckPartition(uint32_t store_id) const {
  const std::optional<Ring>& ring = membership_.ring();
  if (!ring.has_value()) return absl::UnavailableError("no ring yet");
  const IndexN unit = UnitOf(store_id, n_val_);
  if (unit.partition >= ring->partition_count() || unit.cache ||
      (unit.n > kNamespaceNMax && unit.n != n_val_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "partition ", store_id, " is not in the ring (it has ", ring->partition_count(),
        " partitions, and replicated units of N up to ", kNamespaceNMax, ")"));
  }
  return absl::OkStatus();
}

void AntiEntropy::Start() {
  if (!options_.enabled) return;
  rt_.Spawn("anti-entropy", [this] {
    while (true) {
      FiberSleep(options_.interval);
      Step();
    }
  });
}

void AntiEntropy::Step() {
  const std::optional<Ring>& ring = membership_.ring();
  if (!ring.has_value()) return;
  const std::vector<uint32_t> factors =
      ReplicationFactors(n_val_, membership_.namespaces(), store_.units_seen());
  // The next partition this node replicates in any unit; each of its units there is exchanged
  // with a live co-replica (so a full cycle stays `interval` x partitions, whatever the units).
  for (uint32_t tried = 0; tried < ring->partition_count(); ++tried) {
    const PartitionId p = next_partition_++ % ring->partition_count();
    bool held = false;
    for (uint32_t n : factors) {
      std::vector<NodeId> replicas = ring->PreferenceList(p, n);
      if (std::find(replicas.begin(), replicas.end(), rt_.self()) == replicas.end()) continue;
      held = true;
      std::vector<NodeId> peers;
      for (NodeId r : replicas) {
        if (r != rt_.self() && membership_.IsAlive(r)) peers.push_back(r);
      }
      if (peers.empty()) continue;
      const NodeId peer = peers[rt_.random().Uniform(peers.size())];
      if (!Exchange(StoreId({.partition = p, .n = n}, n_val_), peer).ok()) ++stats_.exchanges_failed;
    }
    if (held) return;
  }
}

void AntiEntropy::Spend(uint64_t bytes) {
  stats_.bytes += bytes;
  const double rate = static_cast<double>(options_.bytes_per_second);
  const MonoTime now = rt_.Now();
  tokens_ = std::min(rate, tokens_ + absl::ToDoubleSeconds(now - refilled_) * rate);
  refilled_ = now;
  tokens_ -= static_cast<double>(bytes);
  if (tokens_ < 0) {
    ++stats_.throttled;
    FiberSleep(absl::Seconds(-tokens_ / rate));
  }
}

absl::StatusOr<std::vector<KeyDigest>> AntiEntropy::ListKeys(PartitionId p,
                                                             const std::vector<uint32_t>& leaves,
                                                             bool* truncated) {
  const MerkleTree& tree = store_.engine().merkle(p);
  const absl::btree_set<uint32_t> wanted(leaves.begin(), leaves.end());
  std::vector<KeyDigest> out;
  *truncated = false;
  RETURN_IF_ERROR(store_.engine().ScanPartition(p, [&](absl::string_view key, const Record& r) {
    if (r.siblings_size() == 0 || !wanted.contains(tree.LeafOf(key))) return true;
    if (out.size() >= options_.keys_per_reply_max) {
      *truncated = true;
      return false;
    }
    out.push_back(KeyDigest{std::string(key), storage::RecordDigest(r)});
    return true;
  }));
  return out;
}

absl::Status AntiEntropy::Exchange(PartitionId p, NodeId peer) {
  ++stats_.exchanges;
  // A frozen copy: writes during the exchange go to the live tree, the next exchange sees them.
  const MerkleTree local = store_.engine().merkle(p);
  MerkleDiffer differ(local);
  while (std::optional<MerkleLevelRequest> request = differ.NextRequest()) {
    AaeLevelRequest m;
    m.set_partition(p);
    m.set_leaf_count_log2(request->shape.leaf_count_log2);
    m.set_branching_log2(request->shape.branching_log2);
    m.set_level(request->level);
    for (uint32_t n : request->nodes) m.add_nodes(n);
    for (uint64_t h : request->hashes) m.add_hashes(h);
    Spend(m.ByteSizeLong());
    ASSIGN_OR_RETURN(std::string body, rpc_.Call(peer, kLevel, m.SerializeAsString(), options_.timeout));
    ASSIGN_OR_RETURN(AaeLevelReply r, ParseAs<AaeLevelReply>(body));
    Spend(body.size());
    MerkleLevelReply reply;
    reply.level = r.level();
    reply.nodes.assign(r.nodes().begin(), r.nodes().end());
    reply.child_hashes.assign(r.child_hashes().begin(), r.child_hashes().end());
    RETURN_IF_ERROR(differ.OnReply(reply));
  }
  const std::vector<uint32_t>& leaves = differ.differing_leaves();
  if (leaves.empty()) {
    ++stats_.trees_equal;
    return absl::OkStatus();
  }
  bool truncated = false;
  ASSIGN_OR_RETURN(std::vector<KeyDigest> mine, ListKeys(p, leaves, &truncated));
  AaeKeysRequest keys_request;
  keys_request.set_partition(p);
  for (uint32_t leaf : leaves) keys_request.add_leaves(leaf);
  ASSIGN_OR_RETURN(std::string body,
                   rpc_.Call(peer, kKeys, keys_request.SerializeAsString(), options_.timeout));
  Spend(body.size());
  ASSIGN_OR_RETURN(AaeKeysReply theirs_reply, ParseAs<AaeKeysReply>(body));
  std::vector<KeyDigest> theirs;
  for (int i = 0; i < theirs_reply.keys_size() && i < theirs_reply.digests_size(); ++i) {
    theirs.push_back(KeyDigest{theirs_reply.keys(i), theirs_reply.digests(i)});
  }
  ASSIGN_OR_RETURN(std::vector<KeyDifference> differences,
                   DiffKeyListings(local.shape(), leaves, mine, theirs));
  stats_.keys_compared += mine.size() + theirs.size();
  for (const KeyDifference& d : differences) {
    // A truncated listing omits keys; their absence is not a difference to act on.
    if ((truncated && !d.local_digest) || (theirs_reply.truncated() && !d.remote_digest)) continue;
    RETURN_IF_ERROR(RepairKey(p, d.key, peer));
  }
  return absl::OkStatus();
}

absl::Status AntiEntropy::RepairKey(PartitionId p, const std::string& key, NodeId peer) {
  ReplicaRead read;
  read.set_partition(p);
  read.set_key(key);
  ASSIGN_OR_RETURN(std::string body, rpc_.Call(peer, "kv.replica_read", read.SerializeAsString(),
                                                options_.timeout));
  Spend(body.size());
  ReplicaReadReply reply;
  if (!reply.ParseFromString(body)) return absl::InternalError("malformed replica read reply");
  std::optional<Record> remote;
  if (reply.found()) {
    ASSIGN_OR_RETURN(remote, storage::DecodeRecord(reply.record()));
  }
  ASSIGN_OR_RETURN(std::optional<Record> local, store_.Read(p, key));
  Record merged = storage::EmptyRecord();
  if (local.has_value()) merged = storage::Merge(merged, *local);
  if (remote.has_value()) merged = storage::Merge(merged, *remote);
  const uint64_t digest = storage::RecordDigest(merged);
  bool changed = false;
  if (!local.has_value() || storage::RecordDigest(*local) != digest) {
    RETURN_IF_ERROR(store_.Merge(p, key, merged));
    changed = true;
  }
  if (!remote.has_value() || storage::RecordDigest(*remote) != digest) {
    ReplicaWrite write;
    write.set_partition(p);
    write.set_key(key);
    write.set_record(storage::EncodeRecord(merged));
    Spend(write.ByteSizeLong());
    RETURN_IF_ERROR(rpc_.Call(peer, "kv.replica_write", write.SerializeAsString(), options_.timeout)
                        .status());
    changed = true;
  }
  KV_SOMETIMES(rt_, changed);  // anti-entropy repaired a key
  if (changed) ++stats_.keys_repaired;
  return absl::OkStatus();
}

}  // namespace kv::node
