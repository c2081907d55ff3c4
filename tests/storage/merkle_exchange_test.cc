// The anti-entropy exchange end to end: two replicas' stores with N known differences, the
// level-by-level protocol over MerkleDiffer / AnswerLevelRequest, then the key-level step, must
// find exactly those N keys, in depth() round trips, with traffic bounded by N rather than by the
// number of keys.
// Randomised with fixed seeds; every randomised check runs under a SCOPED_TRACE naming its seed.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "support/seeds.h"
#include "net/random.h"
#include "storage/merkle/key_diff.h"
#include "storage/merkle/merkle_exchange.h"
#include "storage/merkle/merkle_tree.h"

namespace kv {
namespace {

using Store = absl::btree_map<std::string, uint64_t>;

// A replica's partition: its records' digests, and the tree kept current with them.
struct Replica {
  explicit Replica(const MerkleShape& shape) : tree(shape) {}

  void Put(const std::string& key, uint64_t digest) {
    auto it = store.find(key);
    tree.Update(key, it == store.end() ? std::nullopt : std::optional<uint64_t>(it->second),
                digest);
    store[key] = digest;
  }
  void Erase(const std::string& key) {
    auto it = store.find(key);
    ASSERT_NE(it, store.end());
    tree.Update(key, it->second, std::nullopt);
    store.erase(it);
  }
  // The (key, digest) listing of `leaves`, as the node would produce it from storage.
  std::vector<KeyDigest> List(const std::vector<uint32_t>& leaves) const {
    std::vector<KeyDigest> listing;
    for (const auto& [key, digest] : store) {
      if (std::binary_search(leaves.begin(), leaves.end(), tree.LeafOf(key))) {
        listing.push_back({key, digest});
      }
    }
    return listing;
  }

  Store store;
  MerkleTree tree;
};

struct ExchangeResult {
  std::vector<uint32_t> leaves;
  size_t round_trips = 0;
  size_t hashes = 0;             // sent plus received
  size_t request_nodes_max = 0;  // largest request, in nodes
  size_t reply_hashes_max = 0;   // largest reply, in hashes
};

// Runs the level-by-level protocol with `local` driving and `remote` answering, as the node would
// over the network (here the messages are handed across directly).
ExchangeResult RunExchange(
    const MerkleTree& local, const MerkleTree& remote,
    size_t max_nodes_per_request = MerkleDiffer::kDefaultMaxNodesPerRequest) {
  MerkleDiffer differ(local, max_nodes_per_request);
  ExchangeResult result;
  // Bound the loop: a correct exchange needs at most one request per node of the tree.
  for (size_t step = 0; step <= 2 * local.shape().leaf_count(); ++step) {
    std::optional<MerkleLevelRequest> request = differ.NextRequest();
    if (!request.has_value()) break;
    result.request_nodes_max = std::max(result.request_nodes_max, request->nodes.size());
    absl::StatusOr<MerkleLevelReply> reply = AnswerLevelRequest(remote, *request);
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return result;
    result.reply_hashes_max = std::max(result.reply_hashes_max, reply->child_hashes.size());
    const absl::Status status = differ.OnReply(*reply);
    EXPECT_TRUE(status.ok()) << status;
    if (!status.ok()) return result;
  }
  EXPECT_TRUE(differ.done());
  if (!differ.done()) return result;
  result.leaves = differ.differing_leaves();
  result.round_trips = differ.round_trips();
  result.hashes = differ.hashes_sent() + differ.hashes_received();
  return result;
}

// The ground truth: every key on which the two stores disagree.
std::vector<KeyDifference> TrueDifferences(const Store& local, const Store& remote) {
  std::vector<KeyDifference> out;
  for (const auto& [key, digest] : local) {
    auto it = remote.find(key);
    if (it == remote.end()) {
      out.push_back({key, digest, std::nullopt});
    } else if (it->second != digest) {
      out.push_back({key, digest, it->second});
    }
  }
  for (const auto& [key, digest] : remote) {
    if (!local.contains(key)) out.push_back({key, std::nullopt, digest});
  }
  std::sort(out.begin(), out.end(),
            [](const KeyDifference& a, const KeyDifference& b) { return a.key < b.key; });
  return out;
}

std::string RandomUserKey(Random& rng) { return absl::StrCat("user/", rng.Next64()); }

// `a` and `b` get the same `keys` random records, then exactly `differences` distinct keys are made
// to differ: a key only in b, a key only in a, or a key with another digest in b.
void MakeReplicas(Random& rng, size_t keys, size_t differences, Replica& a, Replica& b) {
  std::vector<std::string> base;
  while (a.store.size() < keys) {
    const std::string key = RandomUserKey(rng);
    if (a.store.contains(key)) continue;
    const uint64_t digest = rng.Next64();
    a.Put(key, digest);
    b.Put(key, digest);
    base.push_back(key);
  }
  absl::btree_set<std::string> touched;
  while (touched.size() < differences) {
    const uint64_t kind = base.empty() ? 0 : rng.Uniform(3);
    const std::string key = kind == 0 ? RandomUserKey(rng) : base[rng.Uniform(base.size())];
    if (touched.contains(key) || (kind == 0 && a.store.contains(key))) continue;
    touched.insert(key);
    if (kind == 0) {
      (rng.Bernoulli(0.5) ? a : b).Put(key, rng.Next64());
    } else if (kind == 1) {
      b.Erase(key);
    } else {
      b.Put(key, a.store.at(key) + 1 + rng.Uniform(1000));
    }
  }
}

// The leaves holding at least one of `differences`.
std::vector<uint32_t> LeavesOf(const MerkleTree& tree,
                               const std::vector<KeyDifference>& differences) {
  absl::btree_set<uint32_t> leaves;
  for (const KeyDifference& d : differences) leaves.insert(tree.LeafOf(d.key));
  return std::vector<uint32_t>(leaves.begin(), leaves.end());
}

// An upper bound on the hashes one exchange may move when `differences` keys differ: per level, at
// most min(differences, nodes) differing nodes, each costing one hash in the request and its
// children's hashes in the reply.
size_t HashBound(const MerkleShape& shape, size_t differences) {
  size_t bound = 1 + shape.ChildCount(0);  // the root, asked about even when nothing differs
  for (uint32_t level = 1; level < shape.depth(); ++level) {
    const size_t nodes = std::min<size_t>(differences, shape.NodeCount(level));
    bound += nodes * (1 + shape.ChildCount(level));
  }
  return bound;
}

// The whole anti-entropy check for one pair of replicas with `n` known differences.
void CheckExchangeFindsExactly(const Replica& a, const Replica& b, size_t n) {
  const std::vector<KeyDifference> truth = TrueDifferences(a.store, b.store);
  ASSERT_EQ(truth.size(), n);
  const MerkleShape& shape = a.tree.shape();
  const ExchangeResult result = RunExchange(a.tree, b.tree);
  EXPECT_EQ(result.leaves, LeavesOf(a.tree, truth));
  EXPECT_EQ(result.leaves, DifferingLeaves(a.tree, b.tree));
  EXPECT_EQ(result.round_trips, n == 0 ? 1u : shape.depth());
  EXPECT_LE(result.hashes, HashBound(shape, n));
  // Each message carries at most (branching * differing nodes) hashes.
  EXPECT_LE(result.reply_hashes_max,
            result.request_nodes_max * (size_t{1} << shape.branching_log2));

  absl::StatusOr<std::vector<KeyDifference>> found =
      DiffKeyListings(shape, result.leaves, a.List(result.leaves), b.List(result.leaves));
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_EQ(*found, truth);
}

TEST(MerkleExchangeTest, FindsExactlyTheDifferingKeys) {
  const MerkleShape shapes[] = {MerkleShape(),
                                MerkleShape{.leaf_count_log2 = 10, .branching_log2 = 4},
                                MerkleShape{.leaf_count_log2 = 14, .branching_log2 = 2}};
  const size_t counts[] = {0, 1, 2, 3, 10, 50, 100, 300};
  for (const MerkleShape& shape : shapes) {
    for (const size_t n : counts) {
      for (uint64_t seed = 1; seed <= static_cast<uint64_t>(kv::testing::PropertySeeds(3, 1));
           ++seed) {
        SCOPED_TRACE(absl::StrCat("seed=", seed, " differences=", n, " leaves_log2=",
                                  shape.leaf_count_log2, " branching_log2=", shape.branching_log2));
        Random rng(seed * 1000 + n);
        Replica a(shape), b(shape);
        MakeReplicas(rng, 10000, n, a, b);
        CheckExchangeFindsExactly(a, b, n);
        // The other replica may drive the exchange too: the same leaves come out.
        EXPECT_EQ(RunExchange(b.tree, a.tree).leaves, RunExchange(a.tree, b.tree).leaves);
      }
    }
  }
}

TEST(MerkleExchangeTest, TrafficGrowsWithDifferencesNotKeys) {
  const MerkleShape shape{.leaf_count_log2 = 16, .branching_log2 = 4};
  const uint64_t seed = 77;
  SCOPED_TRACE(absl::StrCat("seed=", seed));
  for (const size_t keys : {size_t{1000}, size_t{200000}}) {
    Random rng(seed);
    Replica a(shape), b(shape);
    MakeReplicas(rng, keys, 5, a, b);
    const ExchangeResult result = RunExchange(a.tree, b.tree);
    EXPECT_EQ(result.round_trips, shape.depth());
    // 5 differences: at most 1 + 16 + 3 levels * 5 nodes * 17 hashes = 272, whatever the keys.
    EXPECT_LE(result.hashes, 272u) << keys << " keys";
    EXPECT_LE(result.leaves.size(), 5u);
  }
}

TEST(MerkleExchangeTest, EqualTreesTakeOneRoundTripAndNoChildHashes) {
  Random rng(5);
  Replica a{MerkleShape()}, b{MerkleShape()};
  MakeReplicas(rng, 5000, 0, a, b);
  const ExchangeResult result = RunExchange(a.tree, b.tree);
  EXPECT_TRUE(result.leaves.empty());
  EXPECT_EQ(result.round_trips, 1u);
  EXPECT_EQ(result.hashes, 1u);  // just the root, in the request
}

TEST(MerkleExchangeTest, EmptyAgainstFullFindsEveryKey) {
  const uint64_t seed = 9;
  SCOPED_TRACE(absl::StrCat("seed=", seed));
  Random rng(seed);
  const MerkleShape shape{.leaf_count_log2 = 10, .branching_log2 = 4};
  Replica empty(shape), full(shape);
  for (int i = 0; i < 5000; ++i) full.Put(RandomUserKey(rng), rng.Next64());
  for (const bool empty_drives : {true, false}) {
    const Replica& local = empty_drives ? empty : full;
    const Replica& remote = empty_drives ? full : empty;
    const ExchangeResult result = RunExchange(local.tree, remote.tree);
    EXPECT_EQ(result.round_trips, shape.depth());
    EXPECT_EQ(result.leaves, LeavesOf(full.tree, TrueDifferences(full.store, {})));
    EXPECT_GT(result.leaves.size(), 1000u);  // 5000 keys leave few of 1024 leaves empty
    absl::StatusOr<std::vector<KeyDifference>> found = DiffKeyListings(
        shape, result.leaves, local.List(result.leaves), remote.List(result.leaves));
    ASSERT_TRUE(found.ok()) << found.status();
    EXPECT_EQ(*found, TrueDifferences(local.store, remote.store));
    EXPECT_EQ(found->size(), 5000u);
  }
}

TEST(MerkleExchangeTest, CrowdedLeavesStillGiveExactKeys) {
  // 8 leaves for 20,000 keys: thousands of keys share each leaf.
  const MerkleShape shape{.leaf_count_log2 = 3, .branching_log2 = 1};
  for (const size_t n : {size_t{1}, size_t{7}, size_t{200}}) {
    const uint64_t seed = 100 + n;
    SCOPED_TRACE(absl::StrCat("seed=", seed, " differences=", n));
    Random rng(seed);
    Replica a(shape), b(shape);
    MakeReplicas(rng, 20000, n, a, b);
    CheckExchangeFindsExactly(a, b, n);
  }
}

TEST(MerkleExchangeTest, SmallRequestLimitSplitsALevelButFindsTheSameLeaves) {
  const uint64_t seed = 13;
  SCOPED_TRACE(absl::StrCat("seed=", seed));
  Random rng(seed);
  const MerkleShape shape{.leaf_count_log2 = 12, .branching_log2 = 3};
  Replica a(shape), b(shape);
  MakeReplicas(rng, 20000, 200, a, b);
  const ExchangeResult whole = RunExchange(a.tree, b.tree);
  const ExchangeResult split = RunExchange(a.tree, b.tree, /*max_nodes_per_request=*/4);
  EXPECT_EQ(split.leaves, whole.leaves);
  EXPECT_EQ(split.hashes, whole.hashes);
  EXPECT_LE(split.request_nodes_max, 4u);
  EXPECT_LE(split.reply_hashes_max, 4u * 8u);
  EXPECT_GT(split.round_trips, shape.depth());
}

TEST(MerkleExchangeTest, ResponderRefusesMalformedRequests) {
  MerkleTree tree;  // 1024 leaves, branching 32
  const auto answer = [&](MerkleLevelRequest r) { return AnswerLevelRequest(tree, r).status(); };
  MerkleLevelRequest ok{.shape = tree.shape(), .level = 1, .nodes = {3, 5}, .hashes = {1, 2}};
  EXPECT_TRUE(answer(ok).ok());

  MerkleLevelRequest r = ok;
  r.shape.branching_log2 = 4;
  EXPECT_EQ(answer(r).code(), absl::StatusCode::kFailedPrecondition);
  r = ok;
  r.level = 2;  // leaves have no children
  EXPECT_EQ(answer(r).code(), absl::StatusCode::kInvalidArgument);
  r = ok;
  r.nodes = {5, 3};
  EXPECT_EQ(answer(r).code(), absl::StatusCode::kInvalidArgument);
  r = ok;
  r.nodes = {3, 3};
  EXPECT_EQ(answer(r).code(), absl::StatusCode::kInvalidArgument);
  r = ok;
  r.nodes = {3, 32};
  EXPECT_EQ(answer(r).code(), absl::StatusCode::kInvalidArgument);
  r = ok;
  r.hashes = {1};
  EXPECT_EQ(answer(r).code(), absl::StatusCode::kInvalidArgument);

  const MerkleShape big{.leaf_count_log2 = 20, .branching_log2 = 8};  // levels 1, 16, 4096, 2^20
  MerkleTree big_tree(big);
  MerkleLevelRequest huge{.shape = big, .level = 2};
  for (uint32_t i = 0; i < 257; ++i) {  // 257 * 256 child hashes > kMerkleReplyHashesMax
    huge.nodes.push_back(i);
    huge.hashes.push_back(0);
  }
  EXPECT_EQ(AnswerLevelRequest(big_tree, huge).status().code(), absl::StatusCode::kInvalidArgument);
  huge.nodes.pop_back();
  huge.hashes.pop_back();
  EXPECT_TRUE(AnswerLevelRequest(big_tree, huge).ok());
}

TEST(MerkleExchangeTest, DifferRefusesRepliesThatDoNotFitTheRequest) {
  MerkleTree local, remote;
  remote.Update("k", std::nullopt, 1);
  const auto first_reply = [&](MerkleDiffer& differ) {
    std::optional<MerkleLevelRequest> request = differ.NextRequest();
    EXPECT_TRUE(request.has_value());
    return *AnswerLevelRequest(remote, *request);
  };
  {
    MerkleDiffer differ(local);
    MerkleLevelReply reply = first_reply(differ);
    reply.level = 1;
    EXPECT_EQ(differ.OnReply(reply).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    MerkleDiffer differ(local);
    MerkleLevelReply reply = first_reply(differ);
    reply.nodes = {1};  // only the root (node 0) was asked about
    EXPECT_EQ(differ.OnReply(reply).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    MerkleDiffer differ(local);
    MerkleLevelReply reply = first_reply(differ);
    reply.child_hashes.pop_back();
    EXPECT_EQ(differ.OnReply(reply).code(), absl::StatusCode::kInvalidArgument);
  }
  {
    MerkleDiffer differ(local);
    EXPECT_TRUE(differ.OnReply(first_reply(differ)).ok());
  }
}

TEST(KeyDiffTest, ReportsMissingAndChangedKeysInKeyOrder) {
  const MerkleShape shape{.leaf_count_log2 = 1, .branching_log2 = 1};
  const std::vector<uint32_t> leaves = {0, 1};
  const std::vector<KeyDigest> local = {{"d", 4}, {"a", 1}, {"b", 2}, {"c", 3}};
  const std::vector<KeyDigest> remote = {{"e", 5}, {"b", 2}, {"c", 30}, {"a", 1}};
  absl::StatusOr<std::vector<KeyDifference>> found = DiffKeyListings(shape, leaves, local, remote);
  ASSERT_TRUE(found.ok()) << found.status();
  const std::vector<KeyDifference> expected = {
      {"c", 3, 30}, {"d", 4, std::nullopt}, {"e", std::nullopt, 5}};
  EXPECT_EQ(*found, expected);
  EXPECT_TRUE(DiffKeyListings(shape, leaves, {}, {})->empty());
}

TEST(KeyDiffTest, RefusesRepeatedKeysAndKeysOutsideTheLeaves) {
  const MerkleShape shape{.leaf_count_log2 = 1, .branching_log2 = 1};
  const std::vector<KeyDigest> repeated = {{"a", 1}, {"a", 2}};
  EXPECT_EQ(DiffKeyListings(shape, std::vector<uint32_t>{0, 1}, {}, repeated).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::vector<KeyDigest> one = {{"a", 1}};
  const uint32_t other_leaf = 1 - LeafOfKey(shape, "a");
  EXPECT_EQ(DiffKeyListings(shape, std::vector<uint32_t>{other_leaf}, one, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(DiffKeyListings(shape, std::vector<uint32_t>{1 - other_leaf}, one, {}).ok());
}

}  // namespace
}  // namespace kv
