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
// Record.format_version.
inline constexpr uint8_t kRecordFormatVersion = 1;

// OK iff every entry has counter >= 1 and entries are sorted by strictly increasing node.
// Errors: INVALID_ARGUMENT naming the first offending entry.
absl::Status ValidateVersionVector(const VersionVector& vv);

// OK iff format_version == kRecordFormatVersion, the context is valid (above), siblings are sorted
// by strictly increasing (dot_node, dot_counter) with dot_counter >= 1, every sibling's dot is
// covered by the context, tombstones have empty values and expiry_micros >= 0.
// Errors: INVALID_ARGUMENT naming the first violated rule.
absl::Status ValidateRecord(const Record& record);

}  // namespace kv::storage
