// Last-writer-wins resolution (storage/record/resolution.h): one sibling, the
// newest by timestamp then dot; the timestamp alone decides, whatever the
// client's context; merges form a join-semilattice, so replicas that saw the
// same writes in any order hold identical records.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/random.h"
#include "storage/record/record_digest.h"
#include "storage/record/resolution.h"
#include "tests/storage/record_test_util.h"

namespace kv::storage {
namespace {

using testing::RandomRecord;
using testing::RandomRecordOptions;
using testing::SameRecord;
using testing::Show;
using testing::ValuesOf;

constexpr uint64_t kLwwSeeds = 3000;
constexpr Resolution kLww = Resolution::kLastWriterWins;

Record PutAt(const Record& r, const Context& ctx, uint64_t node, std::string value, int64_t wall,
             Resolution resolution) {
  return Update(r, ctx, node, Write::Put(std::move(value)), wall, 0, resolution);
}

TEST(LwwTest, KeepsTheGreatestTimestampThenTheGreatestDot) {
  Record r = EmptyRecord();
  r = Update(r, Context(), 1, Write::Put("early"), 100, 0);
  r = Update(r, Context(), 3, Write::Put("late, node 3"), 200, 0);
  r = Update(r, Context(), 2, Write::Put("late, node 2"), 200, 0);
  ASSERT_EQ(SiblingCount(r), 3u);
  const Record before = r;
  KeepNewestSibling(&r);
  EXPECT_EQ(ValuesOf(r), std::vector<std::string>{"late, node 3"});  // same time: greater dot
  EXPECT_EQ(r.context().SerializeAsString(), before.context().SerializeAsString());
}

// Riak's LWW ignores vector clocks: a write through a node whose clock lags
// loses to the value it read and meant to replace. DVV lets the client's
// context supersede it.
TEST(LwwTest, TheTimestampAloneDecidesEvenAgainstAWriteTheClientRead) {
  const Record first = PutAt(EmptyRecord(), Context(), 1, "first", 2'000, kLww);
  const Context read = ReadContext(first);
  const Record lww = PutAt(first, read, 2, "second, slow clock", 1'000, kLww);
  EXPECT_EQ(ValuesOf(lww), std::vector<std::string>{"first"});
  EXPECT_TRUE(Context::FromProto(lww.context()).Covers(Dot{2, 1}));  // seen, and lost
  const Record dvv =
      PutAt(first, read, 2, "second, slow clock", 1'000, Resolution::kDottedVersionVectors);
  EXPECT_EQ(ValuesOf(dvv), std::vector<std::string>{"second, slow clock"});
}

// Two blind writes: DVV keeps both as siblings, LWW keeps the later one only.
TEST(LwwTest, ConcurrentWritesLeaveOneValue) {
  for (Resolution resolution : {Resolution::kDottedVersionVectors, kLww}) {
    const Record a = PutAt(EmptyRecord(), Context(), 1, "a", 1'000, resolution);
    const Record b = PutAt(EmptyRecord(), Context(), 2, "b", 1'001, resolution);
    const Record ab = Merge(a, b, resolution);
    if (resolution == kLww) {
      EXPECT_EQ(ValuesOf(ab), std::vector<std::string>{"b"});
    } else {
      EXPECT_EQ(ValuesOf(ab), (std::vector<std::string>{"a", "b"}));
    }
  }
}

TEST(LwwTest, ADeleteCompetesByTimestampLikeAValue) {
  const Record value = PutAt(EmptyRecord(), Context(), 1, "v", 1'000, kLww);
  const Record newer_delete = Update(EmptyRecord(), Context(), 2, Write::Delete(), 1'001, 0, kLww);
  const Record older_delete = Update(EmptyRecord(), Context(), 3, Write::Delete(), 999, 0, kLww);
  EXPECT_TRUE(ValuesOf(Merge(value, newer_delete, kLww)).empty());
  EXPECT_EQ(SiblingCount(Merge(value, newer_delete, kLww)),
            1u);  // the tombstone
  EXPECT_EQ(ValuesOf(Merge(older_delete, value, kLww)), std::vector<std::string>{"v"});
}

// ---- Merge under LWW is a join-semilattice, on any valid records ----

class LwwMergeAlgebraTest : public ::testing::TestWithParam<RandomRecordOptions> {};

TEST_P(LwwMergeAlgebraTest, CommutativeAssociativeIdempotent) {
  for (uint64_t seed = 1; seed <= kLwwSeeds; ++seed) {
    Random rng(seed);
    const Record a = RandomRecord(rng, GetParam()), b = RandomRecord(rng, GetParam()),
                 c = RandomRecord(rng, GetParam());
    const Record ab = Merge(a, b, kLww);
    const std::string where =
        absl::StrCat("seed=", seed, "\na=", Show(a), "\nb=", Show(b), "\nc=", Show(c));
    ASSERT_TRUE(SameRecord(ab, Merge(b, a, kLww))) << where;
    ASSERT_TRUE(SameRecord(Merge(ab, c, kLww), Merge(a, Merge(b, c, kLww), kLww))) << where;
    ASSERT_TRUE(SameRecord(Merge(ab, a, kLww), ab)) << where;
    ASSERT_TRUE(SameRecord(Merge(ab, ab, kLww), ab)) << where;
    ASSERT_LE(SiblingCount(ab), 1u) << where;
    // The context is the DVV join, so every dot either side saw stays covered.
    ASSERT_EQ(ab.context().SerializeAsString(), Merge(a, b).context().SerializeAsString()) << where;
  }
}

TEST_P(LwwMergeAlgebraTest, KeepsTheNewestSiblingOfBothSides) {
  for (uint64_t seed = 1; seed <= kLwwSeeds; ++seed) {
    Random rng(seed);
    const Record a = RandomRecord(rng, GetParam()), b = RandomRecord(rng, GetParam());
    Record both = a;
    for (const Sibling& s : b.siblings()) *both.add_siblings() = s;
    const Record ab = Merge(a, b, kLww);
    if (both.siblings_size() == 0) {
      ASSERT_EQ(SiblingCount(ab), 0u);
      continue;
    }
    KeepNewestSibling(&both);
    ASSERT_EQ(ab.siblings(0).SerializeAsString(), both.siblings(0).SerializeAsString())
        << "seed=" << seed << "\na=" << Show(a) << "\nb=" << Show(b);
  }
}

INSTANTIATE_TEST_SUITE_P(Realistic, LwwMergeAlgebraTest, ::testing::Values(RandomRecordOptions()));
INSTANTIATE_TEST_SUITE_P(ReissuedDots, LwwMergeAlgebraTest,
                         ::testing::Values(testing::ReissuedDotOptions()));

// ---- Replicas under random histories ----

// A few replicas of one key. Each coordinates writes with its own node id
// (clocks coarse, so timestamps tie often), with contexts read from any
// replica, and syncs in two ways a node does: an LWW merge (replica writes,
// hints, transfers) or anti-entropy's DVV merge of both sides that each side
// then stores through an LWW merge.
struct LwwHistory {
  static constexpr int kReplicas = 4;
  explicit LwwHistory(uint64_t seed) : rng(seed) {
    for (Record& r : replicas) r = EmptyRecord();
  }

  void Write(int i) {
    const int j = static_cast<int>(rng.Uniform(kReplicas));
    const Context ctx = rng.Bernoulli(0.5) ? ReadContext(replicas[j]) : Context();
    const bool tombstone = rng.Bernoulli(0.2);
    Sibling s;
    s.set_dot_node(static_cast<uint64_t>(i) + 1);
    s.set_dot_counter(++counters[i]);
    s.set_wall_micros(rng.Range(0, 20));
    s.set_tombstone(tombstone);
    if (!tombstone) s.set_value(absl::StrCat("w", writes.size()));
    replicas[i] =
        Update(replicas[i], ctx, s.dot_node(), tombstone ? Write::Delete() : Write::Put(s.value()),
               s.wall_micros(), s.dot_counter(), kLww);
    writes.push_back(s);
  }

  void Sync(int i, int j) {
    if (rng.Bernoulli(0.5)) {
      replicas[i] = Merge(replicas[i], replicas[j], kLww);
      return;
    }
    const Record dvv = Merge(replicas[i], replicas[j]);
    replicas[i] = Merge(replicas[i], dvv, kLww);
    replicas[j] = Merge(replicas[j], dvv, kLww);
  }

  // The newest of the writes `r`'s context covers, serialised ("" if none).
  std::string NewestCovered(const Record& r) const {
    const Context ctx = Context::FromProto(r.context());
    const Sibling* newest = nullptr;
    for (const Sibling& w : writes) {
      if (ctx.Covers(DotOf(w)) && (newest == nullptr || NewerWrite(w, *newest))) newest = &w;
    }
    return newest == nullptr ? "" : newest->SerializeAsString();
  }

  Random rng;
  Record replicas[kReplicas];
  uint64_t counters[kReplicas] = {};
  std::vector<Sibling> writes;
};

TEST(LwwHistoryTest, ReplicasThatSawTheSameWritesInAnyOrderEndIdentical) {
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    LwwHistory h(seed);
    for (int step = 0; step < 40; ++step) {
      const int i = static_cast<int>(h.rng.Uniform(LwwHistory::kReplicas));
      if (h.rng.Bernoulli(0.4)) {
        h.Write(i);
      } else {
        h.Sync(i, static_cast<int>(h.rng.Uniform(LwwHistory::kReplicas)));
      }
      // A record's one sibling is the newest write its context covers
      // (resolution.h), which is what makes anti-entropy's DVV merge safe to
      // store through an LWW merge.
      for (const Record& r : h.replicas) {
        ASSERT_EQ(r.siblings_size() == 0 ? "" : r.siblings(0).SerializeAsString(),
                  h.NewestCovered(r))
            << "seed=" << seed << " step=" << step << " " << Show(r);
      }
    }
    // Every replica now receives every other's record, each in its own random
    // order.
    const Record snapshot[LwwHistory::kReplicas] = {h.replicas[0], h.replicas[1], h.replicas[2],
                                                    h.replicas[3]};
    for (Record& r : h.replicas) {
      const uint64_t start = h.rng.Uniform(LwwHistory::kReplicas);
      const bool backwards = h.rng.Bernoulli(0.5);
      for (uint64_t k = 0; k < LwwHistory::kReplicas; ++k) {
        const uint64_t from =
            (start + (backwards ? LwwHistory::kReplicas - k : k)) % LwwHistory::kReplicas;
        r = Merge(r, snapshot[from], kLww);
      }
    }
    for (const Record& r : h.replicas) {
      ASSERT_TRUE(SameRecord(r, h.replicas[0])) << "seed=" << seed << "\n"
                                                << Show(r) << "\n"
                                                << Show(h.replicas[0]);
      ASSERT_EQ(RecordDigest(r), RecordDigest(h.replicas[0])) << "seed=" << seed;
      ASSERT_LE(SiblingCount(r), 1u);
    }
    // The survivor is the newest write of the whole history.
    const Sibling* newest = nullptr;
    for (const Sibling& w : h.writes) {
      if (newest == nullptr || NewerWrite(w, *newest)) newest = &w;
    }
    ASSERT_EQ(
        h.replicas[0].siblings_size() == 0 ? "" : h.replicas[0].siblings(0).SerializeAsString(),
        newest == nullptr ? "" : newest->SerializeAsString())
        << "seed=" << seed;
  }
}

}  // namespace
}  // namespace kv::storage
