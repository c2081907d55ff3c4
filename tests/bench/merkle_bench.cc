// Merkle tree costs (storage/merkle/): what a write adds (Update), what reading the root costs
// after a burst of writes (the lazy recomputation), a rebuild from scratch, and anti-entropy
// between two 1M-key trees with 100 differences: the level-by-level exchange and the key-level
// step.
//
// Shapes are given as (leaf_count_log2, branching_log2); the default is (10, 5): 1024 leaves,
// branching 32, depth 2. Items/s is updates/s where it applies.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/random.h"
#include "storage/merkle/key_diff.h"
#include "storage/merkle/merkle_exchange.h"
#include "storage/merkle/merkle_tree.h"

namespace kv {
namespace {

constexpr uint64_t kSeed = 42;
constexpr size_t kBigKeyCount = 1'000'000;
constexpr size_t kDifferences = 100;

MerkleShape ShapeOf(const benchmark::State& state) {
  return MerkleShape{.leaf_count_log2 = static_cast<uint32_t>(state.range(0)),
                     .branching_log2 = static_cast<uint32_t>(state.range(1))};
}

std::vector<std::string> MakeKeys(size_t count, uint64_t seed) {
  Random rng(seed);
  std::vector<std::string> keys;
  keys.reserve(count);
  for (size_t i = 0; i < count; ++i) keys.push_back(absl::StrCat("user/", rng.Next64()));
  return keys;
}

// A key set and a tree of it, shared by the update benchmarks (built once; 100k keys).
struct UpdateWorld {
  std::vector<std::string> keys = MakeKeys(100'000, kSeed);
};
UpdateWorld& SharedUpdateWorld() {
  static UpdateWorld* world = new UpdateWorld();
  return *world;
}

// One iteration = one Update changing a key's digest; the root is never read.
void BM_MerkleUpdate(benchmark::State& state) {
  UpdateWorld& world = SharedUpdateWorld();
  MerkleTree tree(ShapeOf(state));
  for (size_t i = 0; i < world.keys.size(); ++i) tree.Update(world.keys[i], std::nullopt, 1);
  std::vector<uint64_t> digests(world.keys.size(), 1);
  size_t i = 0;
  for (auto _ : state) {
    tree.Update(world.keys[i], digests[i], digests[i] + 1);
    ++digests[i];
    if (++i == world.keys.size()) i = 0;
  }
  benchmark::DoNotOptimize(tree.Root());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MerkleUpdate)->Args({10, 5})->Args({16, 4})->Args({20, 5});

// One iteration = a burst of range(2) updates (untimed), then Root() (timed by hand, because
// PauseTiming itself costs about a microsecond): the lazy recomputation of dirty nodes alone.
void BM_MerkleRootAfterBurst(benchmark::State& state) {
  UpdateWorld& world = SharedUpdateWorld();
  const auto burst = static_cast<size_t>(state.range(2));
  MerkleTree tree(ShapeOf(state));
  for (size_t i = 0; i < world.keys.size(); ++i) tree.Update(world.keys[i], std::nullopt, 1);
  tree.Root();
  std::vector<uint64_t> digests(world.keys.size(), 1);
  Random rng(kSeed);
  for (auto _ : state) {
    for (size_t w = 0; w < burst; ++w) {
      const size_t i = rng.Uniform(world.keys.size());
      tree.Update(world.keys[i], digests[i], digests[i] + 1);
      ++digests[i];
    }
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(tree.Root());
    const auto end = std::chrono::steady_clock::now();
    state.SetIterationTime(std::chrono::duration<double>(end - start).count());
  }
}
BENCHMARK(BM_MerkleRootAfterBurst)
    ->UseManualTime()
    ->ArgNames({"leaves_log2", "branch_log2", "burst"})
    ->ArgsProduct({{10}, {5}, {1, 100, 10'000}})
    ->ArgsProduct({{16}, {4}, {1, 100, 10'000}});

// One iteration = a burst of range(2) updates and then Root(), both timed: the whole cost of
// keeping the root current. Items/s is updates/s.
void BM_MerkleBurstThenRoot(benchmark::State& state) {
  UpdateWorld& world = SharedUpdateWorld();
  const auto burst = static_cast<size_t>(state.range(2));
  MerkleTree tree(ShapeOf(state));
  for (size_t i = 0; i < world.keys.size(); ++i) tree.Update(world.keys[i], std::nullopt, 1);
  std::vector<uint64_t> digests(world.keys.size(), 1);
  Random rng(kSeed);
  for (auto _ : state) {
    for (size_t w = 0; w < burst; ++w) {
      const size_t i = rng.Uniform(world.keys.size());
      tree.Update(world.keys[i], digests[i], digests[i] + 1);
      ++digests[i];
    }
    benchmark::DoNotOptimize(tree.Root());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(burst));
}
BENCHMARK(BM_MerkleBurstThenRoot)
    ->ArgNames({"leaves_log2", "branch_log2", "burst"})
    ->ArgsProduct({{10}, {5}, {1, 100, 10'000}})
    ->ArgsProduct({{16}, {4}, {1, 100, 10'000}});

// Two replicas of 1M keys that differ in kDifferences keys (inserted, deleted, changed), per shape.
struct DiffWorld {
  explicit DiffWorld(const MerkleShape& shape) : a(shape), b(shape) {
    Random rng(kSeed);
    const std::vector<std::string> keys = MakeKeys(kBigKeyCount, kSeed);
    for (const std::string& key : keys) store_a[key] = store_b[key] = rng.Next64();
    absl::btree_set<size_t> touched;  // distinct keys, so exactly kDifferences differences
    for (size_t d = 0; d < kDifferences; ++d) {
      size_t pick = rng.Uniform(keys.size());
      while (!touched.insert(pick).second) pick = rng.Uniform(keys.size());
      const std::string& key = keys[pick];
      switch (d % 3) {
        case 0: store_b[absl::StrCat("new/", d)] = d; break;
        case 1: store_b.erase(key); break;
        default: store_b[key] = ~store_a[key]; break;
      }
    }
    a.Rebuild(store_a);
    b.Rebuild(store_b);
    a.Root();
    b.Root();
    leaves = DifferingLeaves(a, b);
    ListLeaves(store_a, list_a);
    ListLeaves(store_b, list_b);
  }
  // The (key, digest) pairs of `store` in the differing leaves, as a node would list them.
  void ListLeaves(const absl::btree_map<std::string, uint64_t>& store,
                  std::vector<KeyDigest>& listing) const {
    for (const auto& [key, digest] : store) {
      if (std::binary_search(leaves.begin(), leaves.end(), a.LeafOf(key))) {
        listing.push_back({key, digest});
      }
    }
  }

  absl::btree_map<std::string, uint64_t> store_a, store_b;
  MerkleTree a, b;
  std::vector<uint32_t> leaves;
  std::vector<KeyDigest> list_a, list_b;
};

DiffWorld& SharedDiffWorld(const MerkleShape& shape) {
  static auto* worlds = new std::map<std::pair<uint32_t, uint32_t>, std::unique_ptr<DiffWorld>>();
  auto& world = (*worlds)[{shape.leaf_count_log2, shape.branching_log2}];
  if (world == nullptr) world = std::make_unique<DiffWorld>(shape);
  return *world;
}

// One iteration = a whole level-by-level exchange between the two 1M-key trees (messages handed
// across directly, as a network would carry them), ending with the differing leaves.
void BM_MerkleExchange1M(benchmark::State& state) {
  DiffWorld& world = SharedDiffWorld(ShapeOf(state));
  size_t round_trips = 0, hashes = 0, leaves = 0;
  for (auto _ : state) {
    MerkleDiffer differ(world.a);
    while (std::optional<MerkleLevelRequest> request = differ.NextRequest()) {
      absl::StatusOr<MerkleLevelReply> reply = AnswerLevelRequest(world.b, *request);
      KV_ASSERT(reply.ok());
      KV_ASSERT(differ.OnReply(*reply).ok());
    }
    round_trips = differ.round_trips();
    hashes = differ.hashes_sent() + differ.hashes_received();
    leaves = differ.differing_leaves().size();
  }
  KV_ASSERT(leaves == world.leaves.size());
  state.counters["round_trips"] = static_cast<double>(round_trips);
  state.counters["hashes"] = static_cast<double>(hashes);
  state.counters["leaves"] = static_cast<double>(leaves);
}
BENCHMARK(BM_MerkleExchange1M)->Args({10, 5})->Args({16, 4})->Args({20, 5})
    ->Unit(benchmark::kMicrosecond);

// One iteration = the key-level step on the differing leaves' listings (listings precomputed: how
// the node lists a leaf is the storage's business). The listings grow with keys per leaf.
void BM_MerkleKeyDiff1M(benchmark::State& state) {
  DiffWorld& world = SharedDiffWorld(ShapeOf(state));
  size_t found = 0;
  for (auto _ : state) {
    absl::StatusOr<std::vector<KeyDifference>> differences =
        DiffKeyListings(world.a.shape(), world.leaves, world.list_a, world.list_b);
    KV_ASSERT(differences.ok());
    found = differences->size();
  }
  KV_ASSERT(found == kDifferences);
  state.counters["listed_keys"] = static_cast<double>(world.list_a.size() + world.list_b.size());
  state.counters["differences"] = static_cast<double>(found);
}
BENCHMARK(BM_MerkleKeyDiff1M)->Args({10, 5})->Args({16, 4})->Args({20, 5})
    ->Unit(benchmark::kMicrosecond);

// One iteration = Rebuild of a 1M-key tree from scratch and the first Root().
void BM_MerkleRebuild1M(benchmark::State& state) {
  DiffWorld& world = SharedDiffWorld(ShapeOf(state));
  MerkleTree tree(ShapeOf(state));
  for (auto _ : state) {
    tree.Rebuild(world.store_a);
    benchmark::DoNotOptimize(tree.Root());
  }
  KV_ASSERT(tree.Root() == world.a.Root());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(world.store_a.size()));
}
BENCHMARK(BM_MerkleRebuild1M)->Args({10, 5})->Args({20, 5})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace kv
