// What a well-formed record and causal context are, in the format this build reads and writes.
// DecodeRecord and Context::Decode reject anything that fails these checks, and every DVV operation
// (dvv.h) asserts them on its inputs and outputs, so code past the decoder never sees a record that
// breaks them.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "storage/record/record.pb.h"

namespace kv::storage {

// The record format version: the envelope's version byte (record_codec.h) and
// Record.format_version. A record whose context lists unseen counters (exceptions, context.h) is
// version 2; any other is version 1, which older builds read. A build that reads version 1 only
// refuses version 2 (FAILED_PRECONDITION) instead of taking the exceptions as seen.
inline constexpr uint8_t kRecordFormatVersion = 1;
inline constexpr uint8_t kRecordFormatVersionUnseen = 2;

// OK iff every entry has counter >= 1, entries are sorted by strictly increasing node, and each
// entry's unseen counters are strictly increasing and in [1, counter).
// Errors: INVALID_ARGUMENT naming the first offending entry.
absl::Status ValidateVersionVector(const VersionVector& vv);

// True iff some entry of `vv` lists unseen counters.
bool HasUnseen(const VersionVector& vv);

// The format version a record with context `vv` is written in (above).
uint8_t RecordFormatVersionFor(const VersionVector& vv);

// OK iff format_version == RecordFormatVersionFor(context), the context is valid (above), siblings
// are sorted by strictly increasing (dot_node, dot_counter) with dot_counter >= 1, every sibling's
// dot is covered by the context, tombstones have empty values and expiry_micros >= 0.
// Errors: INVALID_ARGUMENT naming the first violated rule.
absl::Status ValidateRecord(const Record& record);

// Aborts (KV_ASSERT) with ValidateRecord's message unless `record` is valid. The DVV and
// last-writer-wins operations (dvv.h, resolution.h) call it on their results, and on their
// inputs except the merges' (whose inputs always come from DecodeRecord or those operations).
void AssertValidRecord(const Record& record);

}  // namespace kv::storage
