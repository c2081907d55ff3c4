// Tests of ChunkedBytes (sim/chunked_bytes.h): random writes, resizes, bit flips and shares across
// several holders, each checked against a plain std::string model, so that sharing chunks never
// lets one holder see another's writes except where the private_from contract allows it.
#include "sim/chunked_bytes.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "net/random.h"
#include "support/seeds.h"

namespace kv::sim {
namespace {

constexpr uint64_t kChunk = ChunkedBytes::kChunkBytes;

// std::string semantics of ChunkedBytes::Write.
void ModelWrite(std::string* model, uint64_t offset, absl::string_view data) {
  if (model->size() < offset + data.size()) model->resize(offset + data.size(), '\0');
  std::copy(data.begin(), data.end(), model->begin() + static_cast<ptrdiff_t>(offset));
}

std::string RandomBytes(Random& random, uint64_t n) {
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(random.Uniform(256));
  return bytes;
}

TEST(ChunkedBytesTest, WritesReadsAndResizesAcrossChunkBoundaries) {
  ChunkedBytes bytes;
  bytes.Write(kChunk - 3, "abcdef");
  EXPECT_EQ(bytes.size(), kChunk + 3);
  EXPECT_EQ(bytes.Read(kChunk - 3, 100), "abcdef");
  EXPECT_EQ(bytes.Read(0, 2), std::string(2, '\0'));  // the gap reads as zeros
  bytes.Resize(kChunk - 1);
  EXPECT_EQ(bytes.Read(kChunk - 3, 100), "ab");
  bytes.Resize(kChunk + 1);  // what was cut off comes back as zeros, not as the old bytes
  EXPECT_EQ(bytes.Read(kChunk - 3, 100), std::string("ab\0\0", 4));
  EXPECT_EQ(bytes.Read(kChunk + 1, 10), "");
}

TEST(ChunkedBytesTest, CopiesDoNotSeeEachOthersWrites) {
  ChunkedBytes a;
  a.Write(0, std::string(kChunk + 10, 'a'));
  ChunkedBytes b = a;
  b.Write(5, "bb");
  a.Write(kChunk + 2, "aa");
  EXPECT_EQ(a.Read(5, 2), "aa");
  EXPECT_EQ(b.Read(5, 2), "bb");
  EXPECT_EQ(b.Read(kChunk + 2, 2), "aa");  // b's copy of the last chunk was never changed by a
  EXPECT_EQ(a.Read(kChunk + 2, 2), "aa");
}

TEST(ChunkedBytesTest, WritesPastPrivateFromGoInPlace) {
  ChunkedBytes live;
  live.Write(0, "hello");
  ChunkedBytes durable = live;
  live.Write(5, " world", /*private_from=*/durable.size());
  EXPECT_TRUE(live.SharesChunkAt(durable, 0));  // appended in place: no copy
  EXPECT_EQ(durable.ToString(), "hello");
  live.Write(0, "J", /*private_from=*/durable.size());
  EXPECT_FALSE(live.SharesChunkAt(durable, 0));  // a byte durable reads: copied first
  EXPECT_EQ(live.ToString(), "Jello world");
  EXPECT_EQ(durable.ToString(), "hello");
}

// A live image and a durable image as SimDisk uses them, against two string models: live writes
// in place past the durable size, syncs share, durable and crash survivors write with full
// copying, and a crash survivor replaces both images.
TEST(ChunkedBytesTest, RandomOperationsMatchTheStringModel) {
  // KV_SEED=n runs that seed alone; otherwise 40 (4 under the sanitizers: 20 s for all 40).
  for (const uint64_t seed : kv::testing::PropertySeedList(1, 40, 4)) {
    SCOPED_TRACE(absl::StrCat("seed ", seed, "; reproduce: KV_SEED=", seed,
                              " build/release/tests/tests_sim "
                              "--gtest_filter=ChunkedBytesTest.RandomOperationsMatchTheStringModel"));
    Random random(seed);
    ChunkedBytes live, durable;
    std::string live_model, durable_model;
    const uint64_t span = 3 * kChunk;
    for (int step = 0; step < 300; ++step) {
      SCOPED_TRACE(step);  // the operation that broke the model
      switch (random.Uniform(7)) {
        case 0:
        case 1: {  // a write, often an append
          const uint64_t offset = random.Bernoulli(0.5) ? live.size() : random.Uniform(span);
          const std::string data = RandomBytes(random, random.Uniform(kChunk / 2));
          live.Write(offset, data, durable.size());
          ModelWrite(&live_model, offset, data);
          break;
        }
        case 2: {
          const uint64_t size = random.Uniform(span);
          live.Resize(size, durable.size());
          live_model.resize(size, '\0');
          break;
        }
        case 3:  // a sync
          durable.ShareFrom(live);
          durable_model = live_model;
          break;
        case 4: {  // a crash: a copy of durable, changed with full copying, becomes both images
          const uint64_t offset = random.Uniform(span);
          const std::string data = RandomBytes(random, 100);
          ChunkedBytes survivor = durable;
          std::string survivor_model = durable_model;
          survivor.Write(offset, data);
          ModelWrite(&survivor_model, offset, data);
          ASSERT_EQ(durable.ToString(), durable_model);  // the copy did not change the original
          live = survivor;
          durable = std::move(survivor);
          live_model = durable_model = survivor_model;
          break;
        }
        case 5:
          if (!live_model.empty()) {
            const uint64_t offset = random.Uniform(live_model.size());
            const bool shared = live.SharesChunkAt(durable, offset);
            live.XorByteInPlace(offset, 1);
            live_model[offset] ^= 1;
            if (offset < durable_model.size()) {
              if (!shared) durable.XorByteInPlace(offset, 1);
              durable_model[offset] ^= 1;
            }
          }
          break;
        default: {  // durable written directly (a replayed sync), with full copying
          const uint64_t offset = random.Uniform(span);
          const std::string data = RandomBytes(random, random.Uniform(200));
          durable.Write(offset, data);
          ModelWrite(&durable_model, offset, data);
          break;
        }
      }
      ASSERT_EQ(live.ToString(), live_model);
      ASSERT_EQ(durable.ToString(), durable_model);
    }
  }
}

}  // namespace
}  // namespace kv::sim
