// Helpers for tests of the disk seam (storage/file_system.h) and its implementations: recognisable
// file contents, reading a whole file back, and counting flipped bits.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "net/random.h"
#include "net/status_macros.h"
#include "storage/file_system.h"

namespace kv::testing {

// `n` bytes that differ for each `tag`, so that writes can be told apart after a crash.
inline std::string Pattern(size_t n, uint64_t tag) {
  Random random(tag);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(random.Uniform(256));
  return bytes;
}

// Options that open an existing file and fail with NOT_FOUND instead of creating a missing one.
inline storage::OpenOptions NoCreate() {
  storage::OpenOptions options;
  options.create = false;
  return options;
}

// The whole visible contents of the file at `path`, read through `fs`.
inline absl::StatusOr<std::string> ReadFile(storage::FileSystem& fs, absl::string_view path) {
  ASSIGN_OR_RETURN(std::unique_ptr<storage::File> file, fs.Open(path, NoCreate()));
  ASSIGN_OR_RETURN(uint64_t size, file->Size());
  return file->ReadAt(0, size);
}

// Number of bits in which `a` and `b` differ. REQUIRES: equal sizes (a test failure otherwise).
inline int BitsDiffering(const std::string& a, const std::string& b) {
  EXPECT_EQ(a.size(), b.size());
  int bits = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    bits += std::popcount(static_cast<unsigned>(static_cast<unsigned char>(a[i] ^ b[i])));
  }
  return bits;
}

}  // namespace kv::testing
