// CRC-32C (Castagnoli), as in iSCSI, ext4 and RocksDB: hardware (SSE4.2) when the CPU has it, a
// table otherwise; both give the same values.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace kv {

// Extends `crc` (a finished CRC-32C of earlier bytes; 0 for none) over `data`.
uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n);

inline uint32_t Crc32c(absl::string_view bytes) { return Crc32cExtend(0, bytes.data(), bytes.size()); }

}  // namespace kv
