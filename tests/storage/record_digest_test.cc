// RecordDigest feeds the Merkle trees of anti-entropy: equal version sets must hash equal on every
// node and build (or replicas sync forever), and any difference a reader could see must change it
// (or divergent replicas are never repaired).
#include "storage/record/record_digest.h"

#include <set>

#include "gtest/gtest.h"
#include "net/random.h"
#include "storage/record/dvv.h"
#include "tests/storage/record_test_util.h"

namespace kv::storage {
namespace {

using testing::RandomRecord;
using testing::Show;

Record TwoSiblings() {
  Record r = Update(EmptyRecord(), Context(), 1, Write::Put("apple", 500), 10);
  return Update(r, Context(), 2, Write::Put("pear"), 20);
}

TEST(RecordDigestTest, PinnedAcrossBuilds) {
  // Replicas running different builds compare digests: this value may never change.
  EXPECT_EQ(RecordDigest(TwoSiblings()), 0xa2e9c2892992ac93ULL)
      << std::hex << RecordDigest(TwoSiblings());
}

TEST(RecordDigestTest, PinnedAcrossBuildsForOneSibling) {
  // Most records hold one sibling and take a shorter path: it must hash as the general one did.
  const Record one = Update(EmptyRecord(), Context(), 1, Write::Put("apple", 500), 10);
  EXPECT_EQ(RecordDigest(one), 0x214522e4feebb66dULL) << std::hex << RecordDigest(one);
  const Record tombstone = Update(one, ReadContext(one), 2, Write::Delete(), 30);
  ASSERT_EQ(tombstone.siblings_size(), 1);
  EXPECT_EQ(RecordDigest(tombstone), 0xe2e0851b814edc37ULL) << std::hex << RecordDigest(tombstone);
}

TEST(RecordDigestTest, EmptyVersionSetIsZeroAndAnythingElseIsNot) {
  EXPECT_EQ(RecordDigest(EmptyRecord()), 0u);
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    Random rng(seed);
    const Record r = RandomRecord(rng);
    if (r.siblings_size() > 0) {
      EXPECT_NE(RecordDigest(r), 0u) << "seed=" << seed;
    }
  }
}

TEST(RecordDigestTest, IndependentOfSiblingOrderAndOfTheContext) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    Random rng(seed);
    const Record r = RandomRecord(rng);
    Record shuffled = r;
    for (int i = shuffled.siblings_size() - 1; i > 0; --i) {
      shuffled.mutable_siblings()->SwapElements(i, static_cast<int>(rng.Uniform(i + 1)));
    }
    shuffled.mutable_context()->mutable_entries()->Clear();  // e.g. pruned differently elsewhere
    EXPECT_EQ(RecordDigest(shuffled), RecordDigest(r)) << Show(r);
  }
}

TEST(RecordDigestTest, ChangesWithEveryVisibleField) {
  const Record base = TwoSiblings();
  const uint64_t d = RecordDigest(base);
  std::set<uint64_t> seen = {d};
  auto expect_new = [&](const Record& changed, const char* what) {
    const uint64_t h = RecordDigest(changed);
    EXPECT_TRUE(seen.insert(h).second) << what << " did not change the digest";
  };
  Record r = base;
  r.mutable_siblings(0)->set_value("apples");
  expect_new(r, "value");
  r = base;
  r.mutable_siblings(1)->set_value("");
  r.mutable_siblings(1)->set_tombstone(true);
  expect_new(r, "tombstone");
  r = base;
  r.mutable_siblings(0)->set_expiry_micros(501);
  expect_new(r, "expiry");
  r = base;
  r.mutable_siblings(1)->set_dot_counter(2);
  expect_new(r, "dot counter");
  r = base;
  r.mutable_siblings(1)->set_dot_node(3);
  expect_new(r, "dot node");
  r = base;
  r.mutable_siblings()->RemoveLast();
  expect_new(r, "a missing sibling");
  r = base;
  r.mutable_siblings(0)->set_wall_micros(11);
  expect_new(r, "wall timestamp");
}

TEST(RecordDigestTest, DistinctRandomVersionSetsRarelyCollide) {
  std::set<std::string> sets;
  std::set<uint64_t> digests;
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    Random rng(seed);
    const Record r = RandomRecord(rng);
    std::string key;
    for (const Sibling& s : r.siblings()) key += s.SerializeAsString() + "|";
    if (sets.insert(key).second) digests.insert(RecordDigest(r));
  }
  EXPECT_EQ(digests.size(), sets.size());
}

}  // namespace
}  // namespace kv::storage
