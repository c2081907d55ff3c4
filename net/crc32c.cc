#include "net/crc32c.h"

#include <cstring>

#include <boost/crc.hpp>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace kv {
namespace {

uint32_t ExtendTable(uint32_t crc, const char* data, size_t n) {
  // boost::crc_optimal's state is the pre-inversion register: start from ~crc.
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> table(~crc);
  table.process_bytes(data, n);
  return table.checksum();
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t crc, const char* data,
                                                          size_t n) {
  uint64_t state = ~crc;
  while (n >= 8) {
    uint64_t word;
    std::memcpy(&word, data, 8);
    state = _mm_crc32_u64(state, word);
    data += 8;
    n -= 8;
  }
  uint32_t s = static_cast<uint32_t>(state);
  while (n > 0) {
    s = _mm_crc32_u8(s, static_cast<uint8_t>(*data));
    ++data;
    --n;
  }
  return ~s;
}
#endif

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, const char* data, size_t n) {
#if defined(__x86_64__)
  static const bool hardware = __builtin_cpu_supports("sse4.2");
  if (hardware) return ExtendHardware(crc, data, n);
#endif
  return ExtendTable(crc, data, n);
}

}  // namespace kv
