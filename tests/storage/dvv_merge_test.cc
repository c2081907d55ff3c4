// Merge is what read repair, hinted handoff and anti-entropy do to two replicas of a key. If it
// were not commutative, associative and idempotent, replicas would disagree depending on who synced
// with whom first, and keep "repairing" each other forever.
#include <set>
#include <string>

#include "absl/strings/str_cat.h"

#include "gtest/gtest.h"
#include "net/random.h"
#include "storage/record/context.h"
#include "storage/record/dvv.h"
#include "storage/record/record_digest.h"
#include "storage/record/validate.h"
#include "tests/storage/record_test_util.h"

namespace kv::storage {
namespace {

using testing::RandomRecord;
using testing::RandomRecordOptions;
using testing::SameRecord;
using testing::Show;

constexpr uint64_t kMergeSeeds = 3000;

// Records of the same key as they occur (one content per dot), and records where a dot was reissued
// with other content (to prove Merge stays a join even then).
const RandomRecordOptions kRealistic;
const RandomRecordOptions kConflicting = testing::ReissuedDotOptions();
// Records whose contexts list unseen counters (context.h exceptions).
const RandomRecordOptions kUnseen = testing::UnseenDotOptions();

class DvvMergeAlgebraTest : public ::testing::TestWithParam<RandomRecordOptions> {};

TEST_P(DvvMergeAlgebraTest, Commutative) {
  for (uint64_t seed = 1; seed <= kMergeSeeds; ++seed) {
    Random rng(seed);
    const Record a = RandomRecord(rng, GetParam()), b = RandomRecord(rng, GetParam());
    const Record ab = Merge(a, b), ba = Merge(b, a);
    ASSERT_TRUE(SameRecord(ab, ba)) << "seed=" << seed << "\na=" << Show(a) << "\nb=" << Show(b)
                                    << "\nab=" << Show(ab) << "\nba=" << Show(ba);
  }
}

TEST_P(DvvMergeAlgebraTest, Associative) {
  for (uint64_t seed = 1; seed <= kMergeSeeds; ++seed) {
    Random rng(seed);
    const Record a = RandomRecord(rng, GetParam()), b = RandomRecord(rng, GetParam()),
                 c = RandomRecord(rng, GetParam());
    const Record left = Merge(Merge(a, b), c), right = Merge(a, Merge(b, c));
    ASSERT_TRUE(SameRecord(left, right))
        << "seed=" << seed << "\na=" << Show(a) << "\nb=" << Show(b) << "\nc=" << Show(c)
        << "\n(ab)c=" << Show(left) << "\na(bc)=" << Show(right);
  }
}

TEST_P(DvvMergeAlgebraTest, IdempotentAndAbsorbing) {
  for (uint64_t seed = 1; seed <= kMergeSeeds; ++seed) {
    Random rng(seed);
    const Record a = RandomRecord(rng, GetParam()), b = RandomRecord(rng, GetParam());
    ASSERT_TRUE(SameRecord(Merge(a, a), a)) << "seed=" << seed << " a=" << Show(a);
    const Record ab = Merge(a, b);
    // Merging again with either input changes nothing: a replica that already has the merge result
    // is not "repaired" again.
    ASSERT_TRUE(SameRecord(Merge(ab, a), ab)) << "seed=" << seed;
    ASSERT_TRUE(SameRecord(Merge(ab, b), ab)) << "seed=" << seed;
    ASSERT_TRUE(Descends(ab, a) && Descends(ab, b)) << "seed=" << seed;
  }
}

TEST_P(DvvMergeAlgebraTest, EmptyRecordIsTheIdentity) {
  for (uint64_t seed = 1; seed <= kMergeSeeds; ++seed) {
    Random rng(seed);
    const Record a = RandomRecord(rng, GetParam());
    ASSERT_TRUE(SameRecord(Merge(a, EmptyRecord()), a)) << "seed=" << seed << " a=" << Show(a);
  }
}

// Merge reads contexts without exceptions straight from the messages (dvv.cc's MergePlain) and
// converts the others to Context: both must follow Context's rules. A sibling survives iff the
// other side holds its dot too or does not cover it; the context is the Join of both.
TEST_P(DvvMergeAlgebraTest, FollowsTheContextRulesWithOrWithoutExceptions) {
  for (uint64_t seed = 1; seed <= kMergeSeeds; ++seed) {
    Random rng(seed);
    const Record a = RandomRecord(rng, GetParam()), b = RandomRecord(rng, GetParam());
    const Context ca = ReadContext(a), cb = ReadContext(b);
    std::set<Dot> a_dots, b_dots, expected;
    for (const Sibling& s : a.siblings()) a_dots.insert(DotOf(s));
    for (const Sibling& s : b.siblings()) b_dots.insert(DotOf(s));
    for (const Dot& d : a_dots) {
      if (b_dots.contains(d) || !cb.Covers(d)) expected.insert(d);
    }
    for (const Dot& d : b_dots) {
      if (a_dots.contains(d) || !ca.Covers(d)) expected.insert(d);
    }
    Context joined = ca;
    joined.Join(cb);
    const Record ab = Merge(a, b);
    std::set<Dot> got;
    for (const Sibling& s : ab.siblings()) got.insert(DotOf(s));
    const std::string reproduce = absl::StrCat(
        "seed=", seed, "; reproduce: build/release/tests/tests_storage --gtest_filter='*/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), "'\na=", Show(a),
        "\nb=", Show(b), "\nmerged=", Show(ab));
    ASSERT_EQ(got, expected) << reproduce;
    ASSERT_TRUE(ReadContext(ab) == joined) << reproduce;
  }
}

// Context::Join's tie rule, for both of Merge's paths: equal counters keep the later wall time.
TEST(DvvMergeTest, EqualCountersKeepTheLaterWallTimeOnBothPaths) {
  for (bool exceptions : {false, true}) {
    auto record = [exceptions](int64_t wall) {
      Record r = EmptyRecord();
      VersionVectorEntry* e = r.mutable_context()->add_entries();
      e->set_node(1);
      e->set_counter(5);
      e->set_updated_wall_micros(wall);
      if (exceptions) e->add_unseen(3);
      r.set_format_version(RecordFormatVersionFor(r.context()));
      return r;
    };
    const Record early = record(100), late = record(200);
    for (const Record& merged : {Merge(early, late), Merge(late, early)}) {
      ASSERT_EQ(merged.context().entries_size(), 1) << Show(merged);
      EXPECT_EQ(merged.context().entries(0).updated_wall_micros(), 200)
          << (exceptions ? "with" : "without") << " exceptions: " << Show(merged);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Realistic, DvvMergeAlgebraTest, ::testing::Values(kRealistic));
INSTANTIATE_TEST_SUITE_P(ReissuedDots, DvvMergeAlgebraTest, ::testing::Values(kConflicting));
INSTANTIATE_TEST_SUITE_P(UnseenDots, DvvMergeAlgebraTest, ::testing::Values(kUnseen));

// The rule itself, on a picture: b superseded v1 (covers it, does not hold it); a has not seen v3.
TEST(DvvMergeTest, KeepsWhatTheOtherSideHasNotSeenDropsWhatItSuperseded) {
  Record a = Update(EmptyRecord(), Context(), 1, Write::Put("v1"), 1);  // (1,1)
  Record b = Update(a, ReadContext(a), 2, Write::Put("v2"), 2);         // (2,1) replaces v1
  b = Update(b, Context(), 3, Write::Put("v3"), 3);                     // (3,1) blind: sibling
  a = Update(a, Context(), 4, Write::Put("v4"), 4);                     // (4,1) on a only
  const Record m = Merge(a, b);
  ASSERT_EQ(SiblingCount(m), 3u) << Show(m);
  EXPECT_EQ(m.siblings(0).value(), "v2");
  EXPECT_EQ(m.siblings(1).value(), "v3");
  EXPECT_EQ(m.siblings(2).value(), "v4");
  EXPECT_TRUE(Concurrent(a, b));
}

TEST(DvvMergeTest, AReplicaThatMissedADeleteDoesNotBringTheValueBack) {
  const Record written = Update(EmptyRecord(), Context(), 1, Write::Put("secret"), 1);
  const Record deleted = Update(written, ReadContext(written), 2, Write::Delete(), 2);
  for (const Record& m : {Merge(written, deleted), Merge(deleted, written)}) {
    EXPECT_TRUE(LiveValues(m, 3).empty()) << Show(m);
    EXPECT_EQ(RecordDigest(m), RecordDigest(deleted));
  }
}

TEST(DvvMergeTest, AnExpiredValueStaysGoneAfterMergingWithAStaleReplica) {
  // v0 has no expiry; v1 replaced it with a TTL. The stale replica still holds v0.
  const Record stale = Update(EmptyRecord(), Context(), 1, Write::Put("v0"), 1);
  const Record fresh = Update(stale, ReadContext(stale), 2, Write::Put("v1", /*expiry=*/100), 2);
  EXPECT_EQ(LiveValues(fresh, 99).size(), 1u);
  for (const Record& m : {Merge(stale, fresh), Merge(fresh, stale)}) {
    EXPECT_TRUE(LiveValues(m, 100).empty()) << Show(m);
    EXPECT_EQ(SiblingCount(m), 1u);
  }
}

}  // namespace
}  // namespace kv::storage
