// Context pruning by size and age. What a user could notice: a write that vanishes (must never
// happen) or an old value reappearing as a sibling (the documented, accepted cost).
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "net/random.h"
#include "storage/record/dvv.h"
#include "storage/record/validate.h"
#include "tests/storage/record_test_util.h"

namespace kv::storage {
namespace {

using testing::RandomRecord;
using testing::RandomRecordOptions;
using testing::SameRecord;
using testing::Show;
using testing::ValuesOf;

using Strings = std::vector<std::string>;

bool Eligible(const Context::Entry& e, const PruneOptions& o, int64_t now) {
  return now - e.updated_wall_micros >= o.entry_age_min_micros;
}

TEST(DvvPruneTest, RemovesOnlyOldestUnprotectedEntriesAndOnlyAboveTheLimit) {
  RandomRecordOptions ro;
  ro.nodes = 12;
  ro.sibling_probability = 0.05;
  for (uint64_t seed = 1; seed <= 3000; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    Random rng(seed);
    const Record before = RandomRecord(rng, ro);
    PruneOptions o;
    o.entries_max = rng.Uniform(8);
    o.entry_age_min_micros = static_cast<int64_t>(rng.Uniform(8'000'000));
    const int64_t now = static_cast<int64_t>(rng.Uniform(10'000'000));
    const uint64_t self = 1 + rng.Uniform(12);
    const Record after = PruneContext(before, self, o, now);
    ASSERT_TRUE(ValidateRecord(after).ok())
        << ValidateRecord(after);  // every sibling still covered
    const Context cb = ReadContext(before), ca = ReadContext(after);
    ASSERT_TRUE(cb.Descends(ca)) << "pruning added knowledge";
    // Siblings untouched.
    Record siblings_only = after;
    *siblings_only.mutable_context() = before.context();
    ASSERT_TRUE(SameRecord(siblings_only, before));
    if (cb.size() <= o.entries_max) {
      ASSERT_TRUE(SameRecord(after, before)) << "pruned within the limit";
      continue;
    }
    std::vector<std::pair<int64_t, uint64_t>> removed, kept_eligible;
    for (const auto& [node, entry] : cb.entries()) {
      const bool kept = ca.entries().contains(node);
      if (kept) {
        ASSERT_EQ(ca.entries().at(node), entry) << "entry changed, node " << node;
      } else {
        ASSERT_NE(node, self) << "pruned its own entry";
        for (const Sibling& s : before.siblings())
          ASSERT_NE(s.dot_node(), node) << "uncovered a sibling";
        ASSERT_TRUE(Eligible(entry, o, now)) << "pruned a young entry, node " << node;
        removed.emplace_back(entry.updated_wall_micros, node);
      }
    }
    for (const auto& [node, entry] : ca.entries()) {
      bool sibling_node_or_self = node == self;
      for (const Sibling& s : after.siblings()) sibling_node_or_self |= s.dot_node() == node;
      if (!sibling_node_or_self && Eligible(entry, o, now))
        kept_eligible.emplace_back(entry.updated_wall_micros, node);
    }
    if (ca.size() > o.entries_max) {
      ASSERT_TRUE(kept_eligible.empty()) << "stopped while over the limit";
    }
    if (!removed.empty()) {
      ASSERT_GE(ca.size(), o.entries_max) << "pruned below the limit";
    }
    for (const auto& r : removed) {
      for (const auto& k : kept_eligible)
        ASSERT_LT(r, k) << "pruned a newer entry before an older one";
    }
  }
}

// A node that pruned its context still lets a client replace exactly what it read: the entries
// covering the current siblings are kept, so the read context covers them.
TEST(DvvPruneTest, AClientReadingAPrunedRecordStillReplacesWhatItRead) {
  Record r = EmptyRecord();
  for (uint64_t node = 1; node <= 8; ++node)
    r = Update(r, ReadContext(r), node, Write::Put("old"), 0);
  r = Update(r, Context(), 9, Write::Put("x"), 100);
  r = Update(r, Context(), 10, Write::Put("y"), 100);
  ASSERT_EQ(ValuesOf(r), (Strings{"old", "x", "y"}));
  const Record pruned = PruneContext(
      r, /*self_node=*/11, PruneOptions{.entries_max = 2, .entry_age_min_micros = 50}, 200);
  EXPECT_EQ(ReadContext(pruned).size(), 3u) << Show(pruned);  // 8 (holds "old"), 9 and 10
  const Record resolved = Update(pruned, ReadContext(pruned), 11, Write::Put("merged"), 300);
  EXPECT_EQ(ValuesOf(resolved), (Strings{"merged"}));
  EXPECT_EQ(ValuesOf(Merge(resolved, r)), (Strings{"merged"}));
}

// The documented risk: a replica that still holds a long-superseded value brings it back as a
// sibling when merged with a record whose context forgot that value's writer. It is visible (a
// sibling a client can resolve), not a loss.
TEST(DvvPruneTest, PruningCanMakeAnOldWriteLookConcurrentButLosesNothing) {
  const Record stale = Update(EmptyRecord(), Context(), 1, Write::Put("ancient"), 0);
  Record current = Update(stale, ReadContext(stale), 2, Write::Put("current"), 10);
  ASSERT_EQ(ValuesOf(Merge(stale, current)), (Strings{"current"}));
  const Record pruned = PruneContext(
      current, /*self_node=*/2, PruneOptions{.entries_max = 1, .entry_age_min_micros = 0}, 1000);
  ASSERT_EQ(ReadContext(pruned).counter(1), 0u) << Show(pruned);
  EXPECT_EQ(ValuesOf(Merge(stale, pruned)), (Strings{"ancient", "current"}));
  // Any replica that kept node 1's entry drops the false sibling again.
  EXPECT_EQ(ValuesOf(Merge(Merge(stale, pruned), current)), (Strings{"current"}));
}

// Why a node never prunes its own entry: it would reissue a dot that other replicas' contexts
// already cover, and they would drop its next write as one they had already superseded.
TEST(DvvPruneTest, ANodeKeepsItsOwnEntrySoItsNextWriteIsNotSwallowed) {
  // Node 1 writes v1; node 2 replaces it; both replicas know (1,1).
  Record at1 = Update(EmptyRecord(), Context(), 1, Write::Put("v1"), 0);
  at1 = Update(at1, ReadContext(at1), 2, Write::Put("v2"), 0);
  const Record at2 = at1;
  const PruneOptions o{.entries_max = 1, .entry_age_min_micros = 0};

  // What a naive pruner on node 1 would do: forget node 1's entry. The next write reuses (1,1).
  Record naive = at1;
  Context forgetful = ReadContext(naive);
  forgetful.Erase(1);
  forgetful.ToProto(naive.mutable_context());
  const Record naive_write = Update(naive, ReadContext(naive), 1, Write::Put("v3"), 1);
  EXPECT_EQ(DotOf(naive_write.siblings(0)), (Dot{1, 1}));
  EXPECT_EQ(ValuesOf(Merge(naive_write, at2)), (Strings{})) << "the hazard this rule prevents";

  // PruneContext on node 1 keeps its own entry (and node 2's, which covers the sibling v2), so the
  // next write gets a fresh dot and survives any merge.
  const Record pruned = PruneContext(at1, /*self_node=*/1, o, 1);
  EXPECT_EQ(ReadContext(pruned).counter(1), 1u);
  const Record write = Update(pruned, ReadContext(pruned), 1, Write::Put("v3"), 1);
  EXPECT_EQ(DotOf(write.siblings(0)), (Dot{1, 2}));
  EXPECT_EQ(ValuesOf(Merge(write, at2)), (Strings{"v3"}));
  EXPECT_EQ(ValuesOf(Merge(at2, write)), (Strings{"v3"}));
}

}  // namespace
}  // namespace kv::storage
