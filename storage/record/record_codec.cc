#include "storage/record/record_codec.h"

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
  return Seal(kRecordFormatVersion, payload);
}

absl::StatusOr<Record> DecodeRecord(absl::string_view bytes) {
  absl::StatusOr<absl::string_view> payload = Open(bytes, kRecordFormatVersion, "record");
  if (!payload.ok()) return payload.status();
  Record record;
  if (!record.ParseFromArray(payload->data(), static_cast<int>(payload->size()))) {
    return absl::DataLossError(
        "record does not parse (checksum matched: written by a buggy writer)");
  }
  if (absl::Status s = ValidateRecord(record); !s.ok()) {
    return absl::DataLossError(absl::StrCat("record breaks its invariants: ", s.message()));
  }
  return record;
}

}  // namespace kv::storage
