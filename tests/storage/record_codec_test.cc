// The record's bytes: what a node writes to disk and reads back. A user notices if a stored value
// comes back different, if a corrupted record is served as if it were valid, or if an old binary
// misreads a record a newer binary wrote.
#include "storage/record/record_codec.h"

#include <array>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "net/random.h"
#include "storage/record/dvv.h"
#include "storage/record/envelope.h"
#include "storage/record/validate.h"
#include "tests/storage/record_test_util.h"

namespace kv::storage {
namespace {

using testing::RandomRecord;
using testing::SameRecord;
using testing::Show;

TEST(RecordCodecTest, Crc32cMatchesTheStandardCheckValue) {
  // The published check value of CRC-32C; if this changes, every stored record becomes unreadable.
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(RecordCodecTest, LayoutIsVersionByteThenLittleEndianCrcThenProtobuf) {
  const Record r = Update(EmptyRecord(), Context(), 7, Write::Put("hello"), 1000);
  const std::string bytes = EncodeRecord(r);
  ASSERT_GT(bytes.size(), kEnvelopeHeaderBytes);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kRecordFormatVersion);
  std::string crc_input = bytes.substr(0, 1) + bytes.substr(kEnvelopeHeaderBytes);
  const uint32_t crc = Crc32c(crc_input);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(static_cast<uint8_t>(bytes[1 + i]), (crc >> (8 * i)) & 0xff) << "crc byte " << i;
  }
  Record parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes.substr(kEnvelopeHeaderBytes)));
  EXPECT_TRUE(SameRecord(parsed, r));
}

TEST(RecordCodecTest, RandomRecordsRoundTrip) {
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    Random rng(seed);
    const Record r = RandomRecord(rng);
    const std::string bytes = EncodeRecord(r);
    absl::StatusOr<Record> decoded = DecodeRecord(bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_TRUE(SameRecord(*decoded, r)) << Show(r) << " vs " << Show(*decoded);
    EXPECT_EQ(EncodeRecord(*decoded), bytes);
  }
}

TEST(RecordCodecTest, EncodeValidRecordWritesExactlyEncodeRecordsBytes) {
  // The storage engine stores EncodeValidRecord's bytes; readers check them as EncodeRecord's.
  std::string out = "stale bytes that must not survive, longer than some records";
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    Random rng(seed);
    const Record r = RandomRecord(rng);
    EncodeValidRecord(r, &out);
    EXPECT_EQ(out, EncodeRecord(r));
  }
  EncodeValidRecord(EmptyRecord(), &out);
  EXPECT_EQ(out, EncodeRecord(EmptyRecord()));
}

TEST(RecordCodecTest, AppendValidRecordKeepsWhatCameBeforeIt) {
  // The engine appends each record of a batch to one buffer.
  std::string out = "prefix";
  std::string expected = out;
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    Random rng(seed);
    const Record r = RandomRecord(rng);
    AppendValidRecord(r, &out);
    expected += EncodeRecord(r);
    ASSERT_EQ(out, expected);
  }
}

TEST(RecordCodecTest, SealHeaderIsWhatSealPutsBeforeThePayload) {
  for (const std::string& payload : {std::string(), std::string("payload"), std::string(1000, 'p')}) {
    const std::array<char, kEnvelopeHeaderBytes> header = SealHeader(3, payload);
    EXPECT_EQ(std::string(header.data(), header.size()) + payload, Seal(3, payload));
  }
}

TEST(RecordCodecTest, EmptyRecordBinaryValuesAndLargeValuesRoundTrip) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  const std::string large(1 << 20, 'x');
  Record r = EmptyRecord();
  for (const Record& rec : {r, Update(r, Context(), 1, Write::Put(binary, 99), 5),
                            Update(r, Context(), 2, Write::Put(large), 6),
                            Update(r, Context(), 3, Write::Delete(), 7)}) {
    absl::StatusOr<Record> decoded = DecodeRecord(EncodeRecord(rec));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_TRUE(SameRecord(*decoded, rec));
  }
}

// A flipped bit anywhere (version byte, checksum, payload) is DATA_LOSS, never another record.
TEST(RecordCodecTest, EveryFlippedBitIsDataLoss) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    Random rng(seed);
    const std::string bytes = EncodeRecord(RandomRecord(rng));
    for (size_t bit = 0; bit < bytes.size() * 8; ++bit) {
      std::string corrupt = bytes;
      corrupt[bit / 8] = static_cast<char>(corrupt[bit / 8] ^ (1 << (bit % 8)));
      const absl::StatusOr<Record> decoded = DecodeRecord(corrupt);
      ASSERT_FALSE(decoded.ok()) << "bit " << bit
                                 << " flipped and still decoded: " << Show(*decoded);
      ASSERT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss)
          << "bit " << bit << ": " << decoded.status();
      ASSERT_TRUE(absl::StrContains(decoded.status().message(), "record checksum mismatch"))
          << decoded.status();
      // The envelope check alone (a replica forwarding its stored bytes) catches it too.
      ASSERT_EQ(CheckRecordEnvelope(corrupt).code(), absl::StatusCode::kDataLoss) << "bit " << bit;
    }
    ASSERT_TRUE(CheckRecordEnvelope(bytes).ok());
  }
}

// Torn or garbled records (truncation, extension, random byte overwrites) never decode to a
// record other than the one written.
TEST(RecordCodecTest, TruncatedExtendedOrGarbledRecordsNeverDecodeToAnotherRecord) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE(absl::StrCat("seed=", seed));
    Random rng(seed);
    const Record r = RandomRecord(rng);
    const std::string bytes = EncodeRecord(r);
    for (size_t len = 0; len < bytes.size(); ++len) {
      const absl::StatusOr<Record> decoded = DecodeRecord(bytes.substr(0, len));
      ASSERT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss)
          << "prefix of " << len << " bytes";
    }
    EXPECT_EQ(DecodeRecord(bytes + "x").status().code(), absl::StatusCode::kDataLoss);
    for (int trial = 0; trial < 50; ++trial) {
      std::string corrupt = bytes;
      const int changes = 1 + static_cast<int>(rng.Uniform(4));
      for (int c = 0; c < changes; ++c) {
        corrupt[rng.Uniform(corrupt.size())] = static_cast<char>(rng.Uniform(256));
      }
      const absl::StatusOr<Record> decoded = DecodeRecord(corrupt);
      if (corrupt == bytes) continue;
      ASSERT_FALSE(decoded.ok()) << "garbled record decoded: " << Show(*decoded);
      EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss);
    }
  }
}

TEST(RecordCodecTest, UnknownFormatVersionIsRejectedAndNamed) {
  const Record r = Update(EmptyRecord(), Context(), 7, Write::Put("hello"), 1000);
  const std::string payload = r.SerializeAsString();
  for (int version : {0, 3, 9, 255}) {
    // An intact record of another format (as a newer build would write it): not corruption.
    const absl::StatusOr<Record> decoded =
        DecodeRecord(Seal(static_cast<uint8_t>(version), payload));
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kFailedPrecondition) << decoded.status();
    EXPECT_TRUE(
        absl::StrContains(decoded.status().message(), absl::StrCat("format version ", version)))
        << decoded.status();
    EXPECT_EQ(CheckRecordEnvelope(Seal(static_cast<uint8_t>(version), payload)).code(),
              absl::StatusCode::kFailedPrecondition);
  }
}

// A record whose context lists unseen counters is version 2, so that a build that reads version 1
// only refuses it instead of taking the exceptions as seen (and superseding those writes).
TEST(RecordCodecTest, ARecordWithUnseenCountersIsVersionTwo) {
  Random rng(7);
  Record r = EmptyRecord();
  do {
    r = RandomRecord(rng, testing::UnseenDotOptions());
  } while (!HasUnseen(r.context()));
  ASSERT_EQ(r.format_version(), kRecordFormatVersionUnseen);
  const std::string bytes = EncodeRecord(r);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), kRecordFormatVersionUnseen);
  absl::StatusOr<Record> decoded = DecodeRecord(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(SameRecord(*decoded, r)) << Show(r) << " vs " << Show(*decoded);
  // Under the version 1 byte, or claiming version 1: a writer bug.
  EXPECT_EQ(DecodeRecord(Seal(kRecordFormatVersion, r.SerializeAsString())).status().code(),
            absl::StatusCode::kDataLoss);
  Record claims_one = r;
  claims_one.set_format_version(kRecordFormatVersion);
  EXPECT_TRUE(absl::StrContains(ValidateRecord(claims_one).message(), "format_version"));
}

// The checksum only proves the bytes are what was written; a record that a buggy writer produced
// (unparseable, or breaking the DVV invariants) is still refused rather than served.
TEST(RecordCodecTest, ChecksummedButInvalidRecordsAreDataLoss) {
  Record uncovered = EmptyRecord();
  Sibling* s = uncovered.add_siblings();
  s->set_dot_node(1);
  s->set_dot_counter(3);  // the context does not cover it
  Record wrong_schema = Update(EmptyRecord(), Context(), 1, Write::Put("v"), 1);
  wrong_schema.set_format_version(2);
  for (const std::string& payload :
       {uncovered.SerializeAsString(), wrong_schema.SerializeAsString(),
        std::string("\xff\xff\xff", 3)}) {
    const absl::StatusOr<Record> decoded = DecodeRecord(Seal(kRecordFormatVersion, payload));
    ASSERT_FALSE(decoded.ok());
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << decoded.status();
    // Intact envelopes: only a reader that decodes (as every reader of forwarded bytes does)
    // finds these.
    EXPECT_TRUE(CheckRecordEnvelope(Seal(kRecordFormatVersion, payload)).ok());
  }
}

TEST(RecordCodecTest, ValidateRecordNamesTheBrokenRule) {
  Record r = Update(EmptyRecord(), Context(), 1, Write::Put("v"), 1);
  r = Update(r, Context(), 2, Write::Put("w"), 2);
  ASSERT_TRUE(ValidateRecord(r).ok());
  Record unsorted = r;
  unsorted.mutable_siblings()->SwapElements(0, 1);
  EXPECT_TRUE(absl::StrContains(ValidateRecord(unsorted).message(), "order"));
  Record tomb_with_value = r;
  tomb_with_value.mutable_siblings(0)->set_tombstone(true);
  EXPECT_TRUE(absl::StrContains(ValidateRecord(tomb_with_value).message(), "tombstone"));
  Record uncovered = r;
  uncovered.mutable_context()->mutable_entries(1)->set_counter(0);
  EXPECT_FALSE(ValidateRecord(uncovered).ok());
  Record unseen_sibling = r;
  unseen_sibling.mutable_context()->mutable_entries(1)->set_counter(2);
  unseen_sibling.mutable_context()->mutable_entries(1)->add_unseen(1);  // w's dot is (2, 1)
  unseen_sibling.set_format_version(kRecordFormatVersionUnseen);
  EXPECT_TRUE(absl::StrContains(ValidateRecord(unseen_sibling).message(), "not covered"))
      << ValidateRecord(unseen_sibling);
  Record unseen_above = r;
  unseen_above.mutable_context()->mutable_entries(1)->add_unseen(1);  // not below counter 1
  unseen_above.set_format_version(kRecordFormatVersionUnseen);
  EXPECT_TRUE(absl::StrContains(ValidateRecord(unseen_above).message(), "unseen"));
  Record negative_expiry = r;
  negative_expiry.mutable_siblings(1)->set_expiry_micros(-5);
  EXPECT_TRUE(absl::StrContains(ValidateRecord(negative_expiry).message(), "expiry"));
}

}  // namespace
}  // namespace kv::storage
