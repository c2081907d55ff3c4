// The causal context a client carries from a read to its next put or delete. If it comes back
// altered, the put could delete versions the client never saw; so a damaged context must be
// refused, never reinterpreted.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "net/random.h"
#include "storage/record/context.h"
#include "storage/record/dvv.h"
#include "storage/record/envelope.h"
#include "tests/storage/record_test_util.h"

namespace kv::storage {
namespace {

using testing::RandomRecord;

Context Make(std::initializer_list<std::pair<uint64_t, uint64_t>> entries) {
  Context c;
  for (auto [node, counter] : entries)
    c.Advance(Dot{node, counter}, static_cast<int64_t>(counter) * 10);
  return c;
}

TEST(DvvContextTest, EncodeDecodeRoundTripsRandomContexts) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    Random rng(seed);
    const Context c = ReadContext(RandomRecord(rng));
    absl::StatusOr<Context> decoded = Context::Decode(c.Encode());
    ASSERT_TRUE(decoded.ok()) << "seed=" << seed << " " << decoded.status();
    EXPECT_EQ(*decoded, c) << "seed=" << seed;
  }
}

TEST(DvvContextTest, EmptyStringIsTheEmptyContext) {
  EXPECT_EQ(Context().Encode(), "");
  absl::StatusOr<Context> decoded = Context::Decode("");
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->empty());
}

TEST(DvvContextTest, EveryFlippedBitIsRefused) {
  const std::string bytes = Make({{1, 3}, {2, 7}, {9, 1}}).Encode();
  for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
    std::string corrupt = bytes;
    corrupt[bit / 8] = static_cast<char>(corrupt[bit / 8] ^ (1 << (bit % 8)));
    const absl::StatusOr<Context> decoded = Context::Decode(corrupt);
    ASSERT_FALSE(decoded.ok()) << "bit " << bit;
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument) << decoded.status();
  }
}

TEST(DvvContextTest, UnknownVersionAndMalformedContentsAreRefused) {
  VersionVector vv;
  Make({{1, 3}}).ToProto(&vv);
  const absl::StatusOr<Context> future = Context::Decode(Seal(3, vv.SerializeAsString()));
  EXPECT_EQ(future.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(future.status().message(), "format version 3")) << future.status();

  VersionVector zero;
  zero.add_entries()->set_node(4);  // counter 0
  EXPECT_EQ(Context::Decode(Seal(kContextFormatVersion, zero.SerializeAsString())).status().code(),
            absl::StatusCode::kInvalidArgument);
  VersionVector dup;
  for (int i = 0; i < 2; ++i) {
    auto* e = dup.add_entries();
    e->set_node(4);
    e->set_counter(1);
  }
  EXPECT_EQ(Context::Decode(Seal(kContextFormatVersion, dup.SerializeAsString())).status().code(),
            absl::StatusCode::kInvalidArgument);
  VersionVector huge;
  for (uint64_t n = 1; n <= kContextEntriesLimit + 1; ++n) {
    auto* e = huge.add_entries();
    e->set_node(n);
    e->set_counter(1);
  }
  EXPECT_EQ(Context::Decode(Seal(kContextFormatVersion, huge.SerializeAsString())).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DvvContextTest, CoversDescendsConcurrent) {
  const Context a = Make({{1, 3}, {2, 1}});
  const Context b = Make({{1, 2}});
  const Context c = Make({{2, 2}});
  EXPECT_TRUE(a.Covers(Dot{1, 3}));
  EXPECT_TRUE(a.Covers(Dot{1, 1}));
  EXPECT_FALSE(a.Covers(Dot{1, 4}));
  EXPECT_FALSE(a.Covers(Dot{3, 1}));
  EXPECT_TRUE(a.Descends(b));
  EXPECT_FALSE(b.Descends(a));
  EXPECT_TRUE(a.Descends(a));
  EXPECT_TRUE(a.Descends(Context()));
  EXPECT_FALSE(Concurrent(a, b));
  EXPECT_TRUE(Concurrent(a, c));
  EXPECT_FALSE(Concurrent(a, a));
}

// Exceptions: a context that was not shown a write does not cover it, although it covers writes
// of the same node after it; an old build must not be able to read such a context as if it did.
TEST(DvvContextTest, AnExcludedDotIsNotCoveredButTheOthersAre) {
  Context c = Make({{1, 9}, {2, 4}});
  c.Exclude(Dot{1, 5});
  EXPECT_FALSE(c.Covers(Dot{1, 5}));
  EXPECT_TRUE(c.Covers(Dot{1, 4}));
  EXPECT_TRUE(c.Covers(Dot{1, 9}));
  EXPECT_EQ(c.counter(1), 9u);
  EXPECT_TRUE(c.has_unseen());
  EXPECT_TRUE(Make({{1, 9}, {2, 4}}).Descends(c));
  EXPECT_FALSE(c.Descends(Make({{1, 9}})));
  EXPECT_TRUE(c.Descends(Make({{1, 4}})));
  // Joining a context that saw the write removes the exception.
  Context joined = c;
  joined.Join(Make({{1, 6}}));
  EXPECT_TRUE(joined.Covers(Dot{1, 5}));
  EXPECT_FALSE(joined.has_unseen());
  // Excluding the highest counter lowers it, past exceptions just below it.
  Context top = Make({{3, 7}});
  top.Exclude(Dot{3, 6});
  top.Exclude(Dot{3, 7});
  EXPECT_EQ(top.counter(3), 5u);
  EXPECT_FALSE(top.has_unseen());
  Context gone = Make({{4, 1}});
  gone.Exclude(Dot{4, 1});
  EXPECT_TRUE(gone.empty());
}

TEST(DvvContextTest, ExceptionsTravelAsVersionTwoAndPlainContextsStayVersionOne) {
  const Context plain = Make({{1, 3}, {2, 7}});
  EXPECT_EQ(static_cast<uint8_t>(plain.Encode()[0]), kContextFormatVersion);
  Context with = plain;
  with.Exclude(Dot{2, 4});
  const std::string bytes = with.Encode();
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kContextFormatVersionUnseen);
  absl::StatusOr<Context> decoded = Context::Decode(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, with);
  EXPECT_FALSE(decoded->Covers(Dot{2, 4}));
  // The same exceptions under version 1 (which has none) or out of range: refused.
  VersionVector vv;
  with.ToProto(&vv);
  EXPECT_EQ(Context::Decode(Seal(kContextFormatVersion, vv.SerializeAsString())).status().code(),
            absl::StatusCode::kInvalidArgument);
  vv.mutable_entries(1)->add_unseen(9);  // above the counter
  EXPECT_EQ(
      Context::Decode(Seal(kContextFormatVersionUnseen, vv.SerializeAsString())).status().code(),
      absl::StatusCode::kInvalidArgument);
}

// Contexts with random counters, stamps and exceptions (including equal counters with different
// stamps, as after a reissued dot): Join must still be commutative, associative and an upper
// bound.
Context RandomContext(Random& rng) {
  Context c;
  for (uint64_t node = 1; node <= 4; ++node) {
    if (rng.Bernoulli(0.3)) continue;
    c.Advance(Dot{node, 1 + rng.Uniform(5)}, static_cast<int64_t>(rng.Uniform(3)));
    for (uint64_t counter = 1; counter <= c.counter(node); ++counter) {
      if (rng.Bernoulli(0.2) && c.Covers(Dot{node, counter})) c.Exclude(Dot{node, counter});
    }
  }
  return c;
}

// Every dot a RandomContext may cover.
std::vector<Dot> AllDots() {
  std::vector<Dot> dots;
  for (uint64_t node = 1; node <= 4; ++node) {
    for (uint64_t counter = 1; counter <= 5; ++counter) dots.push_back(Dot{node, counter});
  }
  return dots;
}

TEST(DvvContextTest, JoinIsTheUnionAndDescendsIsInclusionOfTheWritesSeen) {
  for (uint64_t seed = 1; seed <= 3000; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    Random rng(seed);
    const Context a = RandomContext(rng), b = RandomContext(rng);
    Context ab = a;
    ab.Join(b);
    bool a_within_b = true;
    for (const Dot& d : AllDots()) {
      ASSERT_EQ(ab.Covers(d), a.Covers(d) || b.Covers(d)) << d.node << "," << d.counter;
      a_within_b = a_within_b && (!a.Covers(d) || b.Covers(d));
    }
    ASSERT_EQ(b.Descends(a), a_within_b);
    absl::StatusOr<Context> decoded = Context::Decode(ab.Encode());
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    ASSERT_EQ(*decoded, ab);
  }
}

TEST(DvvContextTest, JoinIsTheLeastUpperBound) {
  for (uint64_t seed = 1; seed <= 3000; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    Random rng(seed);
    const Context a = RandomContext(rng), b = RandomContext(rng), c = RandomContext(rng);
    Context ab = a;
    ab.Join(b);
    Context ba = b;
    ba.Join(a);
    ASSERT_EQ(ab, ba);
    Context ab_c = ab;
    ab_c.Join(c);
    Context bc = b;
    bc.Join(c);
    Context a_bc = a;
    a_bc.Join(bc);
    ASSERT_EQ(ab_c, a_bc);
    Context aa = a;
    aa.Join(a);
    ASSERT_EQ(aa, a);
    ASSERT_TRUE(ab.Descends(a));
    ASSERT_TRUE(ab.Descends(b));
    for (const auto& [node, entry] : ab.entries()) {
      ASSERT_EQ(entry.counter, std::max(a.counter(node), b.counter(node)));
    }
  }
}

}  // namespace
}  // namespace kv::storage
