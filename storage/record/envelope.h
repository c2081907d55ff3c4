// The checksummed envelope around every persisted or client-visible blob of this folder (records,
// causal contexts):
//
//   [1 byte format version][4 bytes CRC-32C, little-endian][payload]
//
// The CRC covers the version byte and the payload, so a flipped bit anywhere is reported as
// DATA_LOSS, while an intact blob of a version this build does not know is reported as
// FAILED_PRECONDITION (a newer writer, not corruption). The envelope layout itself never changes;
// only the payload format does, under a new version byte.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kv::storage {

inline constexpr size_t kEnvelopeHeaderBytes = 5;

// CRC-32C (Castagnoli), as in iSCSI, ext4 and RocksDB. Crc32c("123456789") == 0xE3069283.
uint32_t Crc32c(absl::string_view bytes);

// Returns the envelope of `payload` with version byte `version`.
std::string Seal(uint8_t version, absl::string_view payload);

// The header Seal puts before `payload`: Seal(version, payload) == header + payload. For a writer
// that serialises the payload in place behind the header instead of copying it there.
std::array<char, kEnvelopeHeaderBytes> SealHeader(uint8_t version, absl::string_view payload);

// An envelope's version byte and a view of its payload (pointing into the opened bytes, which
// must outlive it).
struct Opened {
  uint8_t version = 0;
  absl::string_view payload;
};

// Checks an envelope written in any version from 1 to `newest_version` (a reader of several
// versions then parses the payload by `version`). `what` names the blob in error messages
// ("record", "causal context").
// Errors: DATA_LOSS if shorter than the header or the checksum does not match;
// FAILED_PRECONDITION naming the version if the checksum matches but the version is not one this
// build reads.
absl::StatusOr<Opened> Open(absl::string_view bytes, uint8_t newest_version,
                            absl::string_view what);

}  // namespace kv::storage
