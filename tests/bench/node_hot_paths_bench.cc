// Per-request hot paths of a node, outside any runtime: where a key goes (ring lookup, replica
// targets), what a write does to a record (DVV Update), what a read repair or an anti-entropy
// exchange does (Merge), the record's bytes on disk and on the wire (encode/decode, digest), and a
// causal context's client bytes. The Merkle update a write adds is merkle_bench's BM_MerkleUpdate.
//
//   build/release/tests/bench/node_hot_paths_bench [--benchmark_filter=Ring]
//
// Items/s is operations/s. Records are made by the same Update a coordinator runs, so they are
// valid and canonical; "siblings" is how many concurrent values a record holds.
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/random.h"
#include "node/placement.h"
#include "node/ring.h"
#include "storage/record/context.h"
#include "storage/record/dvv.h"
#include "storage/record/record_codec.h"
#include "storage/record/record_digest.h"

namespace kv {
namespace {

constexpr uint64_t kHotPathSeed = 7;
constexpr size_t kHotPathKeyCount = 4096;  // a power of two: the key index is masked
constexpr int64_t kWallMicros = int64_t{1'700'000'000} * 1'000'000;

std::vector<std::string> HotPathKeys() {
  Random rng(kHotPathSeed);
  std::vector<std::string> keys;
  keys.reserve(kHotPathKeyCount);
  for (size_t i = 0; i < kHotPathKeyCount; ++i) keys.push_back(absl::StrCat("key:", rng.Next64()));
  return keys;
}

node::Ring MakeRing(uint32_t partitions, uint32_t nodes) {
  absl::btree_map<NodeId, uint32_t> weights;
  for (NodeId id = 1; id <= nodes; ++id) weights[id] = 1;
  absl::StatusOr<node::Ring> ring = node::Ring::Create(partitions, weights, 3);
  KV_ASSERT(ring.ok());
  return *std::move(ring);
}

// A record of one key after `siblings` concurrent blind writes by different coordinators, each
// value `value_bytes` long.
storage::Record RecordWithSiblings(int siblings, size_t value_bytes) {
  storage::Record record = storage::EmptyRecord();
  for (int s = 0; s < siblings; ++s) {
    record = storage::Update(record, storage::Context(), /*coordinator=*/100 + s,
                             storage::Write::Put(std::string(value_bytes, 'v')),
                             kWallMicros + s);
  }
  return record;
}

// args: partitions (Q), nodes. One iteration = hash a key and find its partition.
void BM_RingPartitionOf(benchmark::State& state) {
  const node::Ring ring =
      MakeRing(static_cast<uint32_t>(state.range(0)), static_cast<uint32_t>(state.range(1)));
  const std::vector<std::string> keys = HotPathKeys();
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ring.PartitionOf(keys[i++ & (kHotPathKeyCount - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RingPartitionOf)->Args({64, 3})->Args({1024, 16})->Args({65536, 100});

// One iteration = what a coordinator does per request: partition, then the N=3 preference list.
void BM_RingPreferenceList(benchmark::State& state) {
  const node::Ring ring =
      MakeRing(static_cast<uint32_t>(state.range(0)), static_cast<uint32_t>(state.range(1)));
  const std::vector<std::string> keys = HotPathKeys();
  size_t i = 0;
  for (auto _ : state) {
    const node::PartitionId p = ring.PartitionOf(keys[i++ & (kHotPathKeyCount - 1)]);
    benchmark::DoNotOptimize(ring.PreferenceList(p, 3));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RingPreferenceList)->Args({64, 3})->Args({1024, 16})->Args({65536, 100});

// The sloppy-quorum targets with every node up (the common case).
void BM_RingReplicaTargetsSloppy(benchmark::State& state) {
  const node::Ring ring =
      MakeRing(static_cast<uint32_t>(state.range(0)), static_cast<uint32_t>(state.range(1)));
  const std::vector<std::string> keys = HotPathKeys();
  const std::function<bool(NodeId)> all_up = [](NodeId) { return true; };
  size_t i = 0;
  for (auto _ : state) {
    const node::PartitionId p = ring.PartitionOf(keys[i++ & (kHotPathKeyCount - 1)]);
    benchmark::DoNotOptimize(node::ReplicaTargets(ring, p, 3, /*sloppy=*/true, all_up));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RingReplicaTargetsSloppy)->Args({64, 3})->Args({1024, 16});

// arg: value bytes. One iteration = a write with the context of a read over a one-value record
// (the common overwrite): the new dot, the superseded sibling dropped, the context advanced.
void BM_DvvUpdate(benchmark::State& state) {
  const storage::Record record = RecordWithSiblings(1, static_cast<size_t>(state.range(0)));
  const storage::Context read_context = storage::ReadContext(record);
  const std::string value(static_cast<size_t>(state.range(0)), 'w');
  int64_t now = kWallMicros + 1000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        storage::Update(record, read_context, 1, storage::Write::Put(value), ++now));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DvvUpdate)->Arg(3)->Arg(1024);

// arg: siblings. One iteration = merging two replicas' records of one key that each saw one more
// write than the other (read repair, anti-entropy, a replica applying a coordinator's record).
void BM_DvvMerge(benchmark::State& state) {
  const storage::Record base = RecordWithSiblings(static_cast<int>(state.range(0)), 1024);
  const storage::Record a = storage::Update(base, storage::ReadContext(base), 1,
                                            storage::Write::Put(std::string(1024, 'a')),
                                            kWallMicros + 500);
  const storage::Record b = storage::Update(base, storage::Context(), 2,
                                            storage::Write::Put(std::string(1024, 'b')),
                                            kWallMicros + 600);
  for (auto _ : state) benchmark::DoNotOptimize(storage::Merge(a, b));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DvvMerge)->Arg(1)->Arg(3)->Arg(10);

// args: siblings, value bytes. One iteration = the record's bytes (envelope, CRC, protobuf).
void BM_RecordEncode(benchmark::State& state) {
  const storage::Record record =
      RecordWithSiblings(static_cast<int>(state.range(0)), static_cast<size_t>(state.range(1)));
  size_t bytes = 0;
  for (auto _ : state) {
    const std::string encoded = storage::EncodeRecord(record);
    bytes += encoded.size();
    benchmark::DoNotOptimize(encoded.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_RecordEncode)->Args({1, 3})->Args({1, 1024})->Args({3, 1024});

// One iteration = checking and parsing the bytes back (CRC, protobuf, record invariants).
void BM_RecordDecode(benchmark::State& state) {
  const std::string encoded = storage::EncodeRecord(
      RecordWithSiblings(static_cast<int>(state.range(0)), static_cast<size_t>(state.range(1))));
  for (auto _ : state) {
    absl::StatusOr<storage::Record> decoded = storage::DecodeRecord(encoded);
    KV_ASSERT(decoded.ok());
    benchmark::DoNotOptimize(decoded);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(encoded.size()));
}
BENCHMARK(BM_RecordDecode)->Args({1, 3})->Args({1, 1024})->Args({3, 1024});

// One iteration = the digest a write feeds the Merkle tree.
void BM_RecordDigest(benchmark::State& state) {
  const storage::Record record = RecordWithSiblings(static_cast<int>(state.range(0)), 1024);
  for (auto _ : state) benchmark::DoNotOptimize(storage::RecordDigest(record));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordDigest)->Arg(1)->Arg(3);

// One iteration = the causal context a read hands its client, encoded, and decoded back as the
// next write brings it (HTTP X-Kv-Context; the node RPC carries the same bytes).
void BM_ContextRoundTrip(benchmark::State& state) {
  const storage::Record record = RecordWithSiblings(static_cast<int>(state.range(0)), 16);
  const storage::Context context = storage::ReadContext(record);
  for (auto _ : state) {
    const std::string bytes = context.Encode();
    absl::StatusOr<storage::Context> back = storage::Context::Decode(bytes);
    KV_ASSERT(back.ok());
    benchmark::DoNotOptimize(back);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ContextRoundTrip)->Arg(1)->Arg(3)->Arg(10);

}  // namespace
}  // namespace kv
