// MerkleTree: order independence, incremental updates against rebuilds, laziness, crowded leaves.
// Randomised with fixed seeds; every randomised check runs under a SCOPED_TRACE naming its seed.
#include "storage/merkle/merkle_tree.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "net/random.h"
#include "storage/merkle/merkle_exchange.h"

namespace kv {
namespace {

using Store = absl::btree_map<std::string, uint64_t>;

std::string RandomKey(Random& rng) {
  // Lengths 4..40 so that StableHash's word loop and tail both get exercised.
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string key(static_cast<size_t>(rng.Range(4, 40)), ' ');
  for (char& c : key) c = kAlphabet[rng.Uniform(sizeof(kAlphabet) - 1)];
  return key;
}

Store RandomStore(Random& rng, size_t keys) {
  Store store;
  while (store.size() < keys) store[RandomKey(rng)] = rng.Next64();
  return store;
}

template <typename T>
void Shuffle(Random& rng, std::vector<T>& items) {
  for (size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[rng.Uniform(i)]);
}

// Every node hash of `a` equals the same node's hash in `b`.
void ExpectSameHashes(const MerkleTree& a, const MerkleTree& b) {
  ASSERT_EQ(a.shape(), b.shape());
  for (uint32_t level = 0; level <= a.depth(); ++level) {
    for (uint32_t i = 0; i < a.shape().NodeCount(level); ++i) {
      ASSERT_EQ(a.NodeHash(level, i), b.NodeHash(level, i)) << "level " << level << " node " << i;
    }
  }
}

TEST(MerkleShapeTest, LevelsFollowLeafCountAndBranching) {
  const MerkleShape by_default;
  EXPECT_EQ(by_default.leaf_count(), 1024u);
  EXPECT_EQ(by_default.depth(), 2u);
  EXPECT_EQ(by_default.NodeCount(1), 32u);
  EXPECT_EQ(by_default.ChildCount(0), 32u);

  const MerkleShape uneven{.leaf_count_log2 = 10, .branching_log2 = 4};
  EXPECT_EQ(uneven.depth(), 3u);
  EXPECT_EQ(uneven.NodeCount(0), 1u);
  EXPECT_EQ(uneven.NodeCount(1), 4u);
  EXPECT_EQ(uneven.NodeCount(2), 64u);
  EXPECT_EQ(uneven.NodeCount(3), 1024u);
  EXPECT_EQ(uneven.ChildCount(0), 4u);
  EXPECT_EQ(uneven.ChildCount(2), 16u);

  const MerkleShape binary{.leaf_count_log2 = 3, .branching_log2 = 1};
  EXPECT_EQ(binary.depth(), 3u);

  EXPECT_FALSE((MerkleShape{.leaf_count_log2 = 0, .branching_log2 = 4}).valid());
  EXPECT_FALSE((MerkleShape{.leaf_count_log2 = 21, .branching_log2 = 4}).valid());
  EXPECT_FALSE((MerkleShape{.leaf_count_log2 = 10, .branching_log2 = 0}).valid());
  EXPECT_FALSE((MerkleShape{.leaf_count_log2 = 10, .branching_log2 = 9}).valid());
}

TEST(MerkleShapeTest, KeysSpreadOverAllLeaves) {
  const MerkleShape shape;
  std::vector<int> per_leaf(shape.leaf_count(), 0);
  Random rng(7);
  for (int i = 0; i < 64 * 1024; ++i) ++per_leaf[LeafOfKey(shape, RandomKey(rng))];
  // 64 keys per leaf on average; a leaf under 20 or over 120 would mean a broken spread.
  EXPECT_GT(*std::min_element(per_leaf.begin(), per_leaf.end()), 20);
  EXPECT_LT(*std::max_element(per_leaf.begin(), per_leaf.end()), 120);
}

TEST(MerkleTreeTest, HashesArePinned) {
  // Part of the wire format between replicas: these values may never change.
  MerkleTree tree;
  EXPECT_EQ(tree.Root(), 0xdaa79f9c2acc764eu) << std::hex << tree.Root();
  tree.Update("apple", std::nullopt, 1);
  tree.Update("banana", std::nullopt, 2);
  EXPECT_EQ(tree.LeafOf("apple"), 123u);
  EXPECT_EQ(tree.Root(), 0x4e7e53c459189f68u) << std::hex << tree.Root();
}

TEST(MerkleTreeTest, SameKeysInDifferentOrdersGiveEqualTrees) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    Random rng(seed);
    const Store store = RandomStore(rng, 5000);
    std::vector<std::pair<std::string, uint64_t>> entries(store.begin(), store.end());
    MerkleTree a, b;
    Shuffle(rng, entries);
    for (const auto& [key, digest] : entries) a.Update(key, std::nullopt, digest);
    Shuffle(rng, entries);
    for (size_t i = 0; i < entries.size(); ++i) {
      b.Update(entries[i].first, std::nullopt, entries[i].second);
      if (rng.Bernoulli(0.01)) b.Root();  // refresh part-way in one tree only
    }
    EXPECT_EQ(a.Root(), b.Root());
    EXPECT_NE(a.Root(), MerkleTree().Root());
    EXPECT_EQ(a.key_count(), 5000u);
    ExpectSameHashes(a, b);
    EXPECT_TRUE(DifferingLeaves(a, b).empty());
  }
}

// One random operation on `store`, mirrored into `tree`: insert, change or remove.
void RandomOp(Random& rng, Store& store, std::vector<std::string>& keys, MerkleTree& tree) {
  const uint64_t kind = store.empty() ? 0 : rng.Uniform(3);
  if (kind == 0) {
    std::string key = RandomKey(rng);
    auto [it, inserted] = store.emplace(key, rng.Next64());
    if (!inserted) return;
    tree.Update(key, std::nullopt, it->second);
    keys.push_back(std::move(key));
    return;
  }
  const size_t pick = rng.Uniform(keys.size());
  auto it = store.find(keys[pick]);
  if (kind == 1) {
    const uint64_t digest = rng.Next64();
    tree.Update(it->first, it->second, digest);
    it->second = digest;
  } else {
    tree.Update(it->first, it->second, std::nullopt);
    store.erase(it);
    std::swap(keys[pick], keys.back());
    keys.pop_back();
  }
}

TEST(MerkleTreeTest, IncrementalUpdatesEqualARebuild) {
  const MerkleShape shapes[] = {MerkleShape(),
                                MerkleShape{.leaf_count_log2 = 10, .branching_log2 = 4},
                                MerkleShape{.leaf_count_log2 = 6, .branching_log2 = 1}};
  for (const MerkleShape& shape : shapes) {
    for (uint64_t seed = 11; seed <= 13; ++seed) {
      SCOPED_TRACE(absl::StrCat("seed=", seed, " leaves_log2=", shape.leaf_count_log2,
                                " branching_log2=", shape.branching_log2));
      Random rng(seed);
      Store store;
      std::vector<std::string> keys;
      MerkleTree tree(shape);
      for (int op = 1; op <= 20000; ++op) {
        RandomOp(rng, store, keys, tree);
        if (rng.Bernoulli(0.001)) {  // refresh part of the tree now and then
          tree.NodeHash(1, static_cast<uint32_t>(rng.Uniform(shape.NodeCount(1))));
        }
        if (op % 5000 != 0) continue;
        MerkleTree rebuilt(shape);
        rebuilt.Rebuild(store);
        ASSERT_EQ(tree.key_count(), store.size());
        ASSERT_EQ(tree.Root(), rebuilt.Root()) << "after op " << op;
        ExpectSameHashes(tree, rebuilt);
        for (uint32_t leaf = 0; leaf < shape.leaf_count(); ++leaf) {
          ASSERT_EQ(tree.LeafKeyCount(leaf), rebuilt.LeafKeyCount(leaf));
        }
      }
    }
  }
}

TEST(MerkleTreeTest, EachUpdateChangesExactlyThePathToItsLeaf) {
  const MerkleShape shape{.leaf_count_log2 = 8, .branching_log2 = 2};
  const uint64_t seed = 21;
  SCOPED_TRACE(absl::StrCat("seed=", seed));
  Random rng(seed);
  const Store store = RandomStore(rng, 2000);
  MerkleTree tree(shape);
  tree.Rebuild(store);
  std::vector<std::string> keys;
  for (const auto& entry : store) keys.push_back(entry.first);
  for (int i = 0; i < 200; ++i) {
    const MerkleTree before = tree;  // a snapshot: copies keep their own caches
    const std::string& key = keys[rng.Uniform(keys.size())];
    const uint64_t old_digest = store.at(key);
    const uint64_t new_digest = old_digest ^ (uint64_t{1} << rng.Uniform(64));
    tree.Update(key, old_digest, new_digest);
    uint32_t on_path = tree.LeafOf(key);
    for (uint32_t level = shape.depth() + 1; level-- > 0;) {
      for (uint32_t node = 0; node < shape.NodeCount(level); ++node) {
        if (node == on_path) {
          ASSERT_NE(before.NodeHash(level, node), tree.NodeHash(level, node)) << level;
        } else {
          ASSERT_EQ(before.NodeHash(level, node), tree.NodeHash(level, node)) << level;
        }
      }
      if (level > 0) on_path /= shape.ChildCount(level - 1);
    }
    tree.Update(key, new_digest, old_digest);  // undo
    tree.Update(key, old_digest, old_digest);      // equal digests: a no-op
    ASSERT_EQ(tree.Root(), before.Root());
  }
}

TEST(MerkleTreeTest, RemovingEveryKeyGivesBackTheEmptyTree) {
  Random rng(31);
  const Store store = RandomStore(rng, 3000);
  MerkleTree tree;
  tree.Rebuild(store);
  ASSERT_NE(tree.Root(), MerkleTree().Root());
  for (const auto& [key, digest] : store) tree.Update(key, digest, std::nullopt);
  EXPECT_EQ(tree.key_count(), 0u);
  ExpectSameHashes(tree, MerkleTree());
}

TEST(MerkleTreeTest, CrowdedLeavesStillTellKeysApart) {
  // Two leaves for 20,000 keys: every leaf holds thousands of keys.
  const MerkleShape shape{.leaf_count_log2 = 1, .branching_log2 = 1};
  const uint64_t seed = 41;
  SCOPED_TRACE(absl::StrCat("seed=", seed));
  Random rng(seed);
  const Store store = RandomStore(rng, 20000);
  MerkleTree a(shape), b(shape);
  a.Rebuild(store);
  b.Rebuild(store);
  EXPECT_GT(a.LeafKeyCount(0), 5000u);
  EXPECT_GT(a.LeafKeyCount(1), 5000u);
  for (int i = 0; i < 100; ++i) {
    auto it = store.begin();
    std::advance(it, static_cast<long>(rng.Uniform(store.size())));
    const uint64_t other = it->second + 1 + rng.Uniform(1000);
    b.Update(it->first, it->second, other);
    ASSERT_NE(a.Root(), b.Root());
    ASSERT_EQ(DifferingLeaves(a, b), std::vector<uint32_t>{b.LeafOf(it->first)});
    b.Update(it->first, other, std::nullopt);  // removed: still different
    ASSERT_NE(a.Root(), b.Root());
    b.Update(it->first, std::nullopt, it->second);
    ASSERT_EQ(a.Root(), b.Root());
  }
}

TEST(MerkleTreeTest, SwappedDigestsBetweenKeysAreADifference) {
  // The leaf sums (key, digest) pairs, not digests: two keys trading digests must change the leaf.
  const MerkleShape shape{.leaf_count_log2 = 1, .branching_log2 = 1};
  MerkleTree a(shape), b(shape);
  a.Update("x", std::nullopt, 1);
  a.Update("y", std::nullopt, 2);
  b.Update("x", std::nullopt, 2);
  b.Update("y", std::nullopt, 1);
  EXPECT_NE(a.Root(), b.Root());
}

TEST(MerkleTreeDeathTest, RemovingFromAnEmptyLeafAsserts) {
  MerkleTree tree;
  EXPECT_DEATH(tree.Update("ghost", 5, std::nullopt), "empty Merkle leaf");
}

}  // namespace
}  // namespace kv
