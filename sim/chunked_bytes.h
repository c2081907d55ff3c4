// A byte string kept as fixed-size chunks that copies share (copy on write). SimDisk holds every
// file twice, the bytes reads see and the bytes a crash keeps; as chunks, making a file durable or
// surviving a crash copies chunk pointers instead of whole files, and growth never moves bytes
// already written.
//
// Sharing contract: copying a ChunkedBytes (or ShareFrom) shares its chunks. A write to a shared
// chunk copies it first, except for bytes at or past the write's `private_from`: the caller
// promises that no other holder of the chunk reads those bytes. SimDisk's durable image never
// reads past its own size, so the live image may append past the durable size in place.
//
// Bytes of a chunk past size() are unspecified; every operation that exposes them (a write past
// the end, Resize up) zero-fills them first. Single-threaded, like the rest of the simulator.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace kv::sim {

class ChunkedBytes {
 public:
  static constexpr uint64_t kChunkBytes = uint64_t{64} << 10;
  // `private_from` that promises nothing: every shared chunk is copied before a write.
  static constexpr uint64_t kNothingPrivate = std::numeric_limits<uint64_t>::max();

  ChunkedBytes() = default;

  uint64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  // Appends up to `n` bytes at `offset` to `out`: fewer at the end, none past it.
  void AppendTo(uint64_t offset, uint64_t n, std::string* out) const;
  std::string Read(uint64_t offset, uint64_t n) const;
  std::string ToString() const { return Read(0, size_); }

  // Writes `data` at `offset`, zero-filling any gap between size() and `offset`.
  void Write(uint64_t offset, absl::string_view data, uint64_t private_from = kNothingPrivate);
  // Cuts to `size`, or zero-extends to it.
  void Resize(uint64_t size, uint64_t private_from = kNothingPrivate);

  // XORs `mask` into the byte at `offset` in place, without copying its chunk: every holder of
  // that chunk that reads the byte sees the change. REQUIRES: offset < size().
  void XorByteInPlace(uint64_t offset, uint8_t mask);
  // True iff the byte at `offset` lives in the same chunk here and in `other`.
  bool SharesChunkAt(const ChunkedBytes& other, uint64_t offset) const;

  // Makes this equal to `source`, sharing its chunks. Costs a pointer comparison per chunk that is
  // already shared, a reference count update per chunk that is not, and copies no bytes.
  void ShareFrom(const ChunkedBytes& source);

 private:
  struct Chunk {
    char bytes[kChunkBytes];  // left uninitialised: see the class comment
  };

  // The chunk holding byte `begin` (of this write), created or copied as the contract requires.
  char* WritableChunk(uint64_t index, uint64_t begin, uint64_t private_from);
  // Stores `n` bytes at `offset` (from `data`, or zeros if null) without changing size().
  void Store(uint64_t offset, const char* data, uint64_t n, uint64_t private_from);

  std::vector<std::shared_ptr<Chunk>> chunks_;  // chunk i holds bytes [i, i + 1) * kChunkBytes
  uint64_t size_ = 0;
};

}  // namespace kv::sim
