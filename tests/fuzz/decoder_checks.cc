#include "tests/fuzz/decoder_checks.h"

#include <optional>
#include <vector>

#include "absl/container/btree_map.h"
#include "google/protobuf/util/message_differencer.h"
#include "net/assert.h"
#include "node/aae.pb.h"
#include "node/kv.pb.h"
#include "node/membership.h"
#include "node/membership.pb.h"
#include "node/ring.h"
#include "node/rpc.pb.h"
#include "storage/record/context.h"
#include "storage/record/dvv.h"
#include "storage/record/record_codec.h"
#include "storage/record/record_digest.h"
#include "storage/record/resolution.h"
#include "storage/record/validate.h"
#include "tests/fuzz/message_builders.h"

namespace kv::fuzz {
namespace {

using google::protobuf::util::MessageDifferencer;
using storage::Context;
using storage::Record;

bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return MessageDifferencer::Equals(a, b);
}

template <typename Message>
void ParseAs(absl::string_view bytes) {
  Message m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
  Message again;
  KV_ASSERT(again.ParseFromString(m.SerializeAsString()));
  KV_ASSERT(Same(m, again));
}

// The merge laws on two valid records (DVV and LWW).
void CheckMerges(const Record& a, const Record& b) {
  using storage::Resolution;
  for (Resolution how : {Resolution::kDottedVersionVectors, Resolution::kLastWriterWins}) {
    const Record ab = storage::Merge(a, b, how);
    const Record ba = storage::Merge(b, a, how);
    KV_ASSERT(storage::ValidateRecord(ab).ok());
    KV_ASSERT_MSG(Same(ab, ba), "merge is not commutative");
    KV_ASSERT_MSG(Same(storage::Merge(ab, b, how), ab), "merge is not idempotent");
    KV_ASSERT(storage::RecordDigest(ab) == storage::RecordDigest(ba));
  }
  // Merge always sets the context field; an input may leave an empty one out (the same record).
  Record self = storage::Merge(a, a);
  Record original = a;
  for (Record* r : {&self, &original}) {
    if (r->context().entries_size() == 0) r->clear_context();
  }
  KV_ASSERT_MSG(Same(self, original), "a record merged with itself changed");
}

// A record from its raw protobuf bytes (no envelope), unknown fields dropped; nullopt unless valid.
std::optional<Record> ValidRecordFromProto(absl::string_view bytes) {
  Record r;
  if (!r.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return std::nullopt;
  r.DiscardUnknownFields();
  if (!storage::ValidateRecord(r).ok()) return std::nullopt;
  return r;
}

void CheckRecordCodec(const Record& r) {
  absl::StatusOr<Record> back = storage::DecodeRecord(storage::EncodeRecord(r));
  KV_ASSERT_MSG(back.ok(), back.status().ToString());
  KV_ASSERT(Same(*back, r));
  (void)storage::LiveValues(r, kWallBase);
  (void)storage::ReplyContext(r, kWallBase, 60 * 1000 * 1000).Encode();
}

void CheckContext(absl::string_view bytes) {
  absl::StatusOr<Context> c = Context::Decode(bytes);
  if (!c.ok()) return;
  absl::StatusOr<Context> back = Context::Decode(c->Encode());
  KV_ASSERT_MSG(back.ok(), back.status().ToString());
  KV_ASSERT(*back == *c);
  KV_ASSERT(c->Descends(*c));
  Context joined = *c;
  joined.Join(*c);
  KV_ASSERT(joined == *c);
}

void CheckRing(const node::ClusterState& state) {
  if (!state.has_ring()) return;
  const node::RingState& rs = state.ring();
  absl::btree_map<NodeId, uint32_t> weights;
  for (int i = 0; i < rs.member_nodes_size() && i < rs.member_weights_size(); ++i) {
    weights[rs.member_nodes(i)] = rs.member_weights(i);
  }
  absl::StatusOr<node::Ring> ring = node::Ring::FromParts({rs.owners().begin(), rs.owners().end()},
                                                          std::move(weights), rs.n_val());
  if (!ring.ok()) return;
  for (node::PartitionId p = 0; p < ring->partition_count(); ++p) {
    const std::vector<NodeId> list = ring->PreferenceList(p, 3);
    KV_ASSERT(!list.empty() && list.size() <= 3);
    for (NodeId n : list) KV_ASSERT(ring->weights().contains(n));
  }
}

}  // namespace

void CheckDecoders(absl::string_view bytes) {
  ParseAs<node::RpcFrame>(bytes);
  ParseAs<node::ClientPut>(bytes);
  ParseAs<node::ClientGet>(bytes);
  ParseAs<node::ReplicaWrite>(bytes);
  ParseAs<node::ReplicaRead>(bytes);
  ParseAs<node::ReplicaReadReply>(bytes);
  ParseAs<node::ReplicaWriteBatch>(bytes);
  ParseAs<node::AaeLevelRequest>(bytes);
  ParseAs<node::AaeLevelReply>(bytes);
  ParseAs<node::AaeKeysRequest>(bytes);
  ParseAs<node::AaeKeysReply>(bytes);
  ParseAs<node::TransferTasks>(bytes);

  absl::StatusOr<Record> decoded = storage::DecodeRecord(bytes);
  if (decoded.ok()) {
    KV_ASSERT(storage::ValidateRecord(*decoded).ok());
    CheckRecordCodec(*decoded);
  }
  CheckContext(bytes);

  node::ClusterState state;
  if (state.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) CheckRing(state);

  // Two halves: records as raw protobuf (no checksum to get past), and rings to compare.
  const absl::string_view first = bytes.substr(0, bytes.size() / 2);
  const absl::string_view second = bytes.substr(bytes.size() / 2);
  std::optional<Record> a = ValidRecordFromProto(first);
  std::optional<Record> b = ValidRecordFromProto(second);
  if (a.has_value()) CheckRecordCodec(*a);
  if (a.has_value() && b.has_value()) CheckMerges(*a, *b);
  node::RingState ra, rb;
  if (ra.ParseFromArray(first.data(), static_cast<int>(first.size())) &&
      rb.ParseFromArray(second.data(), static_cast<int>(second.size()))) {
    KV_ASSERT_MSG(!(node::RingSupersedes(ra, rb) && node::RingSupersedes(rb, ra)),
                  "two rings supersede each other");
  }
}

}  // namespace kv::fuzz
