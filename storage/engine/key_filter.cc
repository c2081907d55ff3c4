#include "storage/engine/key_filter.h"

#include <algorithm>

#include "net/assert.h"
#include "net/random.h"

namespace kv::storage {
namespace {

// Layers' probe sequences are independent of the caller's hash bits that chose the block.
constexpr uint64_t kProbeSalt = 0x6b657966696c7472ULL;  // "keyfiltr"

// Bits per key -> probes: the optimum is ln 2 * bits per key; at most 7 here, as each probe takes
// 9 bits of one 64-bit word.
uint32_t ProbesFor(uint32_t bits_per_key) {
  return std::clamp<uint32_t>(bits_per_key * 69 / 100, 1, 7);
}

// The block a hash falls in, from its high 32 bits (multiply-shift, no division).
size_t BlockOf(uint64_t key_hash, size_t block_count) {
  return static_cast<size_t>(((key_hash >> 32) * static_cast<uint64_t>(block_count)) >> 32);
}

}  // namespace

KeyFilter::KeyFilter(uint64_t expected_keys) {
  AddLayer(std::max(expected_keys, kMinCapacity));
}

void KeyFilter::AddLayer(uint64_t capacity) {
  const uint32_t bits_per_key = std::min<uint32_t>(
      kFirstBitsPerKey + kExtraBitsPerLayer * static_cast<uint32_t>(layers_.size()),
      kBitsPerKeyMax);
  Layer& layer = layers_.emplace_back();
  layer.capacity = capacity;
  layer.probes = ProbesFor(bits_per_key);
  const uint64_t blocks = (capacity * bits_per_key + 511) / 512;
  KV_ASSERT(blocks > 0);
  KV_ASSERT(blocks <= (uint64_t{1} << 32));  // BlockOf uses 32 bits of the hash
  layer.blocks.assign(static_cast<size_t>(blocks), Block{});
}

void KeyFilter::Add(uint64_t key_hash) {
  if (layers_.back().added >= layers_.back().capacity) AddLayer(layers_.back().capacity * 2);
  Layer& layer = layers_.back();
  Block& block = layer.blocks[BlockOf(key_hash, layer.blocks.size())];
  uint64_t probe = Mix64(key_hash ^ kProbeSalt);
  for (uint32_t i = 0; i < layer.probes; ++i, probe >>= 9) {
    const uint32_t bit = static_cast<uint32_t>(probe & 511);
    block.words[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
  ++layer.added;
  ++added_;
  KV_ASSERT(LayerMayContain(layer, key_hash));
}

bool KeyFilter::LayerMayContain(const Layer& layer, uint64_t key_hash) {
  const Block& block = layer.blocks[BlockOf(key_hash, layer.blocks.size())];
  uint64_t probe = Mix64(key_hash ^ kProbeSalt);
  for (uint32_t i = 0; i < layer.probes; ++i, probe >>= 9) {
    const uint32_t bit = static_cast<uint32_t>(probe & 511);
    if ((block.words[bit >> 6] & (uint64_t{1} << (bit & 63))) == 0) return false;
  }
  return true;
}

bool KeyFilter::MayContain(uint64_t key_hash) const {
  // Newest first: recently written keys are the likeliest to be asked about again.
  for (auto it = layers_.rbegin(); it != layers_.rend(); ++it) {
    if (it->added > 0 && LayerMayContain(*it, key_hash)) return true;
  }
  return false;
}

size_t KeyFilter::memory_bytes() const {
  size_t bytes = 0;
  for (const Layer& layer : layers_) bytes += layer.blocks.size() * sizeof(Block);
  return bytes;
}

}  // namespace kv::storage
