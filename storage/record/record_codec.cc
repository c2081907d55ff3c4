#include "storage/record/record_codec.h"

#include <array>
#include <cstring>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "storage/record/envelope.h"
#include "storage/record/validate.h"

namespace kv::storage {

std::string EncodeRecord(const Record& record) {
  const absl::Status valid = ValidateRecord(record);
  KV_ASSERT_MSG(valid.ok(), valid.message());
  std::string payload;
  KV_ASSERT(record.SerializeToString(&payload));
  return Seal(static_cast<uint8_t>(record.format_version()), payload);
}

void EncodeValidRecord(const Record& record, std::string* out) {
  KV_ASSERT(out != nullptr);
  out->clear();
  AppendValidRecord(record, out);
}

void AppendValidRecord(const Record& record, std::string* out) {
  KV_ASSERT(out != nullptr);
  const size_t payload_bytes = record.ByteSizeLong();
  KV_ASSERT(payload_bytes <= static_cast<size_t>(std::numeric_limits<int>::max()));
  const size_t start = out->size();
  out->resize(start + kEnvelopeHeaderBytes + payload_bytes);
  char* const envelope = out->data() + start;
  uint8_t* const payload = reinterpret_cast<uint8_t*>(envelope) + kEnvelopeHeaderBytes;
  uint8_t* const end = record.SerializeWithCachedSizesToArray(payload);
  KV_ASSERT(end == payload + payload_bytes);
  const std::array<char, kEnvelopeHeaderBytes> header =
      SealHeader(static_cast<uint8_t>(record.format_version()),
                 absl::string_view(reinterpret_cast<const char*>(payload), payload_bytes));
  std::memcpy(envelope, header.data(), header.size());
}

absl::StatusOr<Record> DecodeRecord(absl::string_view bytes) {
  Record record;
  if (absl::Status s = DecodeRecordInto(bytes, &record); !s.ok()) return s;
  return record;
}

absl::Status CheckRecordEnvelope(absl::string_view bytes) {
  return Open(bytes, kRecordFormatVersionUnseen, "record").status();
}

absl::Status DecodeRecordInto(absl::string_view bytes, Record* record) {
  KV_ASSERT(record != nullptr);
  absl::StatusOr<Opened> opened = Open(bytes, kRecordFormatVersionUnseen, "record");
  if (!opened.ok()) return opened.status();
  if (!record->ParseFromArray(opened->payload.data(), static_cast<int>(opened->payload.size()))) {
    return absl::DataLossError(
        "record does not parse (checksum matched: written by a buggy writer)");
  }
  if (absl::Status s = ValidateRecord(*record); !s.ok()) {
    return absl::DataLossError(absl::StrCat("record breaks its invariants: ", s.message()));
  }
  if (record->format_version() != opened->version) {
    return absl::DataLossError(absl::StrCat("record format_version ", record->format_version(),
                                            " in an envelope of version ",
                                            static_cast<int>(opened->version)));
  }
  return absl::OkStatus();
}

}  // namespace kv::storage
