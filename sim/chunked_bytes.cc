#include "sim/chunked_bytes.h"

#include <algorithm>
#include <cstring>

#include "net/assert.h"

namespace kv::sim {

void ChunkedBytes::AppendTo(uint64_t offset, uint64_t n, std::string* out) const {
  KV_ASSERT(out != nullptr);
  if (offset >= size_) return;
  n = std::min(n, size_ - offset);
  out->reserve(out->size() + n);
  for (uint64_t done = 0; done < n;) {
    const uint64_t pos = offset + done;
    const uint64_t in_chunk = pos % kChunkBytes;
    const uint64_t length = std::min(n - done, kChunkBytes - in_chunk);
    out->append(chunks_[pos / kChunkBytes]->bytes + in_chunk, length);
    done += length;
  }
}

std::string ChunkedBytes::Read(uint64_t offset, uint64_t n) const {
  std::string out;
  AppendTo(offset, n, &out);
  return out;
}

char* ChunkedBytes::WritableChunk(uint64_t index, uint64_t begin, uint64_t private_from) {
  KV_ASSERT(index <= chunks_.size());
  if (index == chunks_.size()) {
    chunks_.push_back(std::shared_ptr<Chunk>(new Chunk));
    return chunks_.back()->bytes;
  }
  std::shared_ptr<Chunk>& chunk = chunks_[index];
  if (chunk.use_count() > 1 && begin < private_from) {
    // Another holder may read the bytes this write changes: write to a copy of what we read.
    std::shared_ptr<Chunk> copy(new Chunk);
    const uint64_t start = index * kChunkBytes;
    const uint64_t valid = size_ > start ? std::min(kChunkBytes, size_ - start) : 0;
    std::memcpy(copy->bytes, chunk->bytes, valid);
    chunk = std::move(copy);
  }
  return chunk->bytes;
}

void ChunkedBytes::Store(uint64_t offset, const char* data, uint64_t n, uint64_t private_from) {
  KV_ASSERT(offset <= size_);
  for (uint64_t done = 0; done < n;) {
    const uint64_t pos = offset + done;
    const uint64_t in_chunk = pos % kChunkBytes;
    const uint64_t length = std::min(n - done, kChunkBytes - in_chunk);
    char* chunk = WritableChunk(pos / kChunkBytes, pos, private_from);
    if (data != nullptr) {
      std::memcpy(chunk + in_chunk, data + done, length);
    } else {
      std::memset(chunk + in_chunk, 0, length);
    }
    done += length;
  }
}

void ChunkedBytes::Write(uint64_t offset, absl::string_view data, uint64_t private_from) {
  if (offset > size_) Resize(offset, private_from);
  Store(offset, data.data(), data.size(), private_from);
  size_ = std::max<uint64_t>(size_, offset + data.size());
  KV_ASSERT(chunks_.size() == (size_ + kChunkBytes - 1) / kChunkBytes);
}

void ChunkedBytes::Resize(uint64_t size, uint64_t private_from) {
  if (size <= size_) {
    size_ = size;
    chunks_.resize((size + kChunkBytes - 1) / kChunkBytes);
    return;
  }
  Store(size_, nullptr, size - size_, private_from);
  size_ = size;
  KV_ASSERT(chunks_.size() == (size_ + kChunkBytes - 1) / kChunkBytes);
}

void ChunkedBytes::XorByteInPlace(uint64_t offset, uint8_t mask) {
  KV_ASSERT(offset < size_);
  chunks_[offset / kChunkBytes]->bytes[offset % kChunkBytes] ^= static_cast<char>(mask);
}

bool ChunkedBytes::SharesChunkAt(const ChunkedBytes& other, uint64_t offset) const {
  const uint64_t index = offset / kChunkBytes;
  return index < chunks_.size() && index < other.chunks_.size() &&
         chunks_[index] == other.chunks_[index];
}

void ChunkedBytes::ShareFrom(const ChunkedBytes& source) {
  if (this == &source) return;
  chunks_.resize(source.chunks_.size());
  for (size_t i = 0; i < chunks_.size(); ++i) {
    if (chunks_[i] != source.chunks_[i]) chunks_[i] = source.chunks_[i];
  }
  size_ = source.size_;
}

}  // namespace kv::sim
