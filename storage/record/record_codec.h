// The on-disk and on-the-wire bytes of one record:
//
//   [1 byte format version = Record.format_version][4 bytes CRC-32C, LE][Record protobuf bytes]
//
// The envelope is envelope.h's (the CRC also covers the version byte); the version is 1, or 2 when
// the context lists unseen counters (validate.h). DecodeRecord never returns a record it did not
// verify: checksum, version, protobuf parse and the record invariants (validate.h).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/record/record.pb.h"

namespace kv::storage {

// REQUIRES: ValidateRecord(record).ok() (asserted: writing an invalid record is a bug).
std::string EncodeRecord(const Record& record);

// EncodeRecord into `*out` (replacing its contents) with one allocation and no copy, for a
// record its caller has just checked. REQUIRES: ValidateRecord(record).ok() (not checked again).
void EncodeValidRecord(const Record& record, std::string* out);
// EncodeValidRecord, appending to `*out` (what it held stays in front).
void AppendValidRecord(const Record& record, std::string* out);

// Errors (the message names the problem):
//   DATA_LOSS "record checksum mismatch" if any bit of the bytes changed, or shorter than the
//   header; FAILED_PRECONDITION "unsupported record format version N ..." for an intact record
//   written in a format this build does not read;
//   DATA_LOSS if the checksummed bytes do not parse, break the record invariants or state another
//   version than the envelope's (a writer bug).
absl::StatusOr<Record> DecodeRecord(absl::string_view bytes);

// The checks of DecodeRecord that need no parse (checksum, then version), with its errors: for
// bytes passed on to a reader that decodes them (a replica's stored record sent to the
// coordinator, which runs DecodeRecord and so the parse and invariant checks).
absl::Status CheckRecordEnvelope(absl::string_view bytes);

// DecodeRecord into `*record`, replacing its contents, with the same checks and errors: for a
// record that lives on a protobuf arena (a request's scratch), whose parse then allocates little.
// On error `*record` holds unspecified (parsed but unchecked) contents.
absl::Status DecodeRecordInto(absl::string_view bytes, Record* record);

}  // namespace kv::storage
