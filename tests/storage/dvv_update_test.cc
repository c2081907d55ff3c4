// Puts and deletes as a client of a Dynamo store sees them: what a read returns after a sequence of
// writes, with and without the context of an earlier read.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "net/random.h"
#include "storage/record/dvv.h"
#include "storage/record/validate.h"
#include "tests/storage/record_test_util.h"

namespace kv::storage {
namespace {

using testing::Show;
using testing::ValuesOf;

using Strings = std::vector<std::string>;

TEST(DvvUpdateTest, FirstWriteHasDotOneOfItsCoordinator) {
  const Record r = Update(EmptyRecord(), Context(), 5, Write::Put("a", 77), 1234);
  ASSERT_EQ(SiblingCount(r), 1u);
  const Sibling& s = r.siblings(0);
  EXPECT_EQ(DotOf(s), (Dot{5, 1}));
  EXPECT_EQ(s.wall_micros(), 1234);
  EXPECT_EQ(s.expiry_micros(), 77);
  EXPECT_EQ(ReadContext(r).counter(5), 1u);
  EXPECT_EQ(ReadContext(r).entries().at(5).updated_wall_micros, 1234);
}

TEST(DvvUpdateTest, WriteWithTheReadContextReplacesWhatWasRead) {
  Record r = Update(EmptyRecord(), Context(), 1, Write::Put("a"), 1);
  r = Update(r, Context(), 2, Write::Put("b"), 2);  // blind: concurrent with "a"
  EXPECT_EQ(ValuesOf(r), (Strings{"a", "b"}));
  r = Update(r, ReadContext(r), 1, Write::Put("resolved"), 3);
  EXPECT_EQ(ValuesOf(r), (Strings{"resolved"}));
}

TEST(DvvUpdateTest, WriteWithAnOldContextKeepsWhatItDidNotSee) {
  Record r = Update(EmptyRecord(), Context(), 1, Write::Put("a"), 1);
  const Context saw_a = ReadContext(r);
  r = Update(r, saw_a, 2, Write::Put("b"), 2);  // replaces a
  r = Update(r, saw_a, 3, Write::Put("c"), 3);  // saw only a: b is concurrent
  EXPECT_EQ(ValuesOf(r), (Strings{"b", "c"}));
}

TEST(DvvUpdateTest, AClientThatReadsBeforeEachWriteNeverConflictsWithItself) {
  Random rng(7);
  Record r = EmptyRecord();
  for (int i = 0; i < 200; ++i) {
    const uint64_t coordinator = 1 + rng.Uniform(3);  // any coordinator
    r = Update(r, ReadContext(r), coordinator, Write::Put(absl::StrCat("v", i)), i);
    ASSERT_EQ(SiblingCount(r), 1u) << "write " << i << ": " << Show(r);
  }
  EXPECT_EQ(ValuesOf(r), (Strings{"v199"}));
}

// Riak's "sibling explosion": two clients each write with the context of their own previous write,
// through the same coordinator. Plain per-server version vectors grow a sibling per write; dots
// keep one sibling per client.
TEST(DvvUpdateTest, InterleavedWritersThroughOneCoordinatorKeepOneSiblingEach) {
  Record r = EmptyRecord();
  Context ctx_a, ctx_b;
  for (int i = 0; i < 100; ++i) {
    r = Update(r, ctx_a, 1, Write::Put(absl::StrCat("a", i)), 2 * i);
    ctx_a = ReadContext(r);
    r = Update(r, ctx_b, 1, Write::Put(absl::StrCat("b", i)), 2 * i + 1);
    ctx_b = ReadContext(r);
    ASSERT_LE(SiblingCount(r), 2u) << "round " << i << ": " << Show(r);
  }
  EXPECT_EQ(ValuesOf(r), (Strings{"a99", "b99"}));
}

TEST(DvvUpdateTest, DeleteWithTheReadContextMakesTheKeyNotFound) {
  Record r = Update(EmptyRecord(), Context(), 1, Write::Put("a"), 1);
  r = Update(r, ReadContext(r), 2, Write::Delete(), 2);
  EXPECT_TRUE(LiveValues(r, 3).empty());
  ASSERT_EQ(SiblingCount(r), 1u);
  EXPECT_TRUE(r.siblings(0).tombstone());
  // A put with the context of that (empty) read replaces the tombstone.
  r = Update(r, ReadContext(r), 1, Write::Put("again"), 4);
  EXPECT_EQ(ValuesOf(r), (Strings{"again"}));
  EXPECT_EQ(SiblingCount(r), 1u);
}

TEST(DvvUpdateTest, ABlindDeleteDoesNotHideAConcurrentPut) {
  Record r = Update(EmptyRecord(), Context(), 1, Write::Put("kept"), 1);
  r = Update(r, Context(), 2, Write::Delete(), 2);
  EXPECT_EQ(ValuesOf(r), (Strings{"kept"}));
  EXPECT_EQ(SiblingCount(r), 2u);
}

TEST(DvvUpdateTest, ExpiredSiblingsAreInvisibleFromTheirExpiryOn) {
  Record r = Update(EmptyRecord(), Context(), 1, Write::Put("ttl", /*expiry=*/1000), 1);
  r = Update(r, Context(), 2, Write::Put("forever"), 2);
  EXPECT_EQ(ValuesOf(r, 999), (Strings{"ttl", "forever"}));
  EXPECT_EQ(ValuesOf(r, 1000), (Strings{"forever"}));
  EXPECT_EQ(SiblingCount(r), 2u);  // still a version until the record is rewritten or compacted
}

TEST(DvvUpdateTest, NewDotIsAboveAnyCounterTheClientHasSeen) {
  // The coordinator's copy lags (it never saw its own (1,1..3) writes, e.g. they reached other
  // replicas only); the client's context did. Reissuing (1,1) would make replicas treat the new
  // write as one they already superseded.
  Record elsewhere = EmptyRecord();
  for (int i = 0; i < 3; ++i)
    elsewhere = Update(elsewhere, ReadContext(elsewhere), 1, Write::Put("x"), i);
  const Record r = Update(EmptyRecord(), ReadContext(elsewhere), 1, Write::Put("new"), 10);
  ASSERT_EQ(SiblingCount(r), 1u);
  EXPECT_EQ(DotOf(r.siblings(0)), (Dot{1, 4}));
  EXPECT_EQ(ValuesOf(Merge(r, elsewhere)), (Strings{"new"}));
}

TEST(DvvUpdateTest, DescendsAndConcurrentCompareWhatRecordsHaveSeen) {
  const Record a = Update(EmptyRecord(), Context(), 1, Write::Put("a"), 1);
  const Record later = Update(a, ReadContext(a), 2, Write::Put("b"), 2);
  const Record other = Update(EmptyRecord(), Context(), 3, Write::Put("c"), 3);
  EXPECT_TRUE(Descends(later, a));
  EXPECT_FALSE(Descends(a, later));
  EXPECT_TRUE(Descends(a, a));
  EXPECT_FALSE(Concurrent(a, later));
  EXPECT_TRUE(Concurrent(a, other));
}

TEST(DvvUpdateTest, ANodeWideCounterIsNeverReissuedAfterAPurge) {
  // Node 5 writes a key and then deletes it; replica B holds the tombstone.
  Record written = Update(EmptyRecord(), Context(), 5, Write::Put("a"), 1);
  Record tombstone = Update(written, ReadContext(written), 5, Write::Delete(), 2);
  const Record replica_b = tombstone;
  // Node 5 purges the dead record (grace passed). A per-key counter restarts at 1, a dot B's
  // context already covers: B drops the new write as superseded. That is the bug.
  Record reissued = Update(EmptyRecord(), Context(), 5, Write::Put("new"), 3);
  EXPECT_TRUE(LiveValues(Merge(replica_b, reissued), 4).empty()) << "the reissued dot is lost";
  // A node-wide counter (above every dot node 5 issued) gives a dot B has not seen.
  Record fresh = Update(EmptyRecord(), Context(), 5, Write::Put("new"), 3, /*min_counter=*/42);
  EXPECT_EQ(fresh.siblings(0).dot_counter(), 42u);
  const Record merged = Merge(replica_b, fresh);
  std::vector<const Sibling*> live = LiveValues(merged, 4);
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0]->value(), "new");
  // The record's own counter still wins when it is higher.
  Record next = Update(fresh, ReadContext(fresh), 5, Write::Put("c"), 5, /*min_counter=*/7);
  EXPECT_EQ(next.siblings(0).dot_counter(), 43u);
}

TEST(DvvUpdateTest, ACoordinatorWhoseCopyLostItsOwnDotCoversItSoItMustTakeANewId) {
  // Node 5 wrote "a" as (5,3); replica B holds it. Node 5's own copy is gone (handed off).
  const Record replica_b = Update(EmptyRecord(), Context(), 5, Write::Put("a"), 1, 3);
  // A blind write through node 5 as the same id gets (5,7): its context {5:7} claims (5,3) too,
  // and B drops "a" although no client saw it.
  const Record same_id = Update(EmptyRecord(), Context(), 5, Write::Put("b"), 2, 7);
  EXPECT_EQ(ValuesOf(Merge(replica_b, same_id)), (Strings{"b"})) << "the hazard";
  // Under a new id (node/replica_store.h retires the old one) both stay: they are concurrent.
  const Record new_id = Update(EmptyRecord(), Context(), 6, Write::Put("b"), 2, 7);
  EXPECT_EQ(ValuesOf(Merge(replica_b, new_id)), (Strings{"a", "b"}));
}

// Node 1's write "v1" expires at 100 (by the clock of the node that accepted it); its concurrent
// write "v2" has no expiry. Node clocks may disagree by up to kOffset.
constexpr int64_t kOffset = 1000;

Record ExpiringAndLasting() {
  Record r = Update(EmptyRecord(), Context(), 1, Write::Put("v1", /*expiry=*/100), 10);  // (1,1)
  return Update(r, Context(), 1, Write::Put("v2"), 20);                                  // (1,2)
}

TEST(DvvUpdateTest, AReplyLeavesAJustExpiredValueOutOfItsContext) {
  const Record r = ExpiringAndLasting();
  // At 150 this node hides v1; a node whose clock is behind still shows it.
  EXPECT_EQ(ValuesOf(r, 150), (Strings{"v2"}));
  const Context shown = ReplyContext(r, 150, kOffset);
  EXPECT_FALSE(shown.Covers(Dot{1, 1}));
  EXPECT_TRUE(shown.Covers(Dot{1, 2}));
  // A write with it replaces what its client saw, not what it was not shown.
  const Record written = Update(r, shown, 3, Write::Put("w"), 160);
  EXPECT_EQ(ValuesOf(written, 50), (Strings{"v1", "w"})) << Show(written);
  EXPECT_EQ(ValuesOf(written, 150), (Strings{"w"}));
  // Long expired (on any clock within the offset): covered, and the next write removes it.
  EXPECT_TRUE(ReadContext(r).Covers(Dot{1, 1}));
  const Context later = ReplyContext(written, 100 + kOffset, kOffset);
  EXPECT_TRUE(later.Covers(Dot{1, 1}));
  const Record cleaned = Update(written, later, 3, Write::Put("x"), 100 + kOffset);
  EXPECT_EQ(SiblingCount(cleaned), 1u) << Show(cleaned);
  // Tombstones are never shown and always covered: a write after a delete supersedes it.
  const Record deleted = Update(r, ReadContext(r), 4, Write::Delete(), 30);
  EXPECT_TRUE(ReplyContext(deleted, 40, kOffset).Covers(Dot{4, 1}));
}

TEST(DvvUpdateTest, AnExceptionTravelsWithTheWriteUntilItMeetsTheValue) {
  const Record elsewhere = ExpiringAndLasting();
  const Context shown = ReplyContext(elsewhere, 150, kOffset);  // saw v2, not v1
  // The coordinator's copy is empty (it lags): the new record keeps the exception, so it does not
  // claim to have seen v1, and is written as format version 2.
  const Record written = Update(EmptyRecord(), shown, 3, Write::Put("w"), 160);
  EXPECT_FALSE(ReadContext(written).Covers(Dot{1, 1}));
  EXPECT_TRUE(ReadContext(written).Covers(Dot{1, 2}));
  EXPECT_EQ(written.format_version(), kRecordFormatVersionUnseen);
  for (const Record& m : {Merge(elsewhere, written), Merge(written, elsewhere)}) {
    EXPECT_EQ(ValuesOf(m, 50), (Strings{"v1", "w"})) << Show(m);  // v2 superseded, v1 kept
    EXPECT_TRUE(ReadContext(m).Covers(Dot{1, 1}));              // the exception met v1
    EXPECT_EQ(m.format_version(), kRecordFormatVersion);
  }
}

}  // namespace
}  // namespace kv::storage
