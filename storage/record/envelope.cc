#include "storage/record/envelope.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "net/assert.h"
#include "net/crc32c.h"

namespace kv::storage {
namespace {

uint32_t EnvelopeCrc(uint8_t version, absl::string_view payload) {
  const char v = static_cast<char>(version);
  return Crc32cExtend(Crc32cExtend(0, &v, 1), payload.data(), payload.size());
}

}  // namespace

uint32_t Crc32c(absl::string_view bytes) { return kv::Crc32c(bytes); }

std::array<char, kEnvelopeHeaderBytes> SealHeader(uint8_t version, absl::string_view payload) {
  const uint32_t crc = EnvelopeCrc(version, payload);
  std::array<char, kEnvelopeHeaderBytes> header;
  header[0] = static_cast<char>(version);
  for (int i = 0; i < 4; ++i) header[1 + i] = static_cast<char>((crc >> (8 * i)) & 0xff);
  return header;
}

std::string Seal(uint8_t version, absl::string_view payload) {
  const std::array<char, kEnvelopeHeaderBytes> header = SealHeader(version, payload);
  std::string out;
  out.reserve(kEnvelopeHeaderBytes + payload.size());
  out.append(header.data(), header.size());
  out.append(payload.data(), payload.size());
  KV_ASSERT(out.size() == kEnvelopeHeaderBytes + payload.size());
  return out;
}

absl::StatusOr<Opened> Open(absl::string_view bytes, uint8_t newest_version,
                            absl::string_view what) {
  KV_ASSERT(newest_version >= 1);
  if (bytes.size() < kEnvelopeHeaderBytes) {
    return absl::DataLossError(absl::StrCat(what, " too short: ", bytes.size(),
                                            " bytes, the header alone is ", kEnvelopeHeaderBytes));
  }
  const uint8_t version = static_cast<uint8_t>(bytes[0]);
  uint32_t stored_crc = 0;
  for (int i = 0; i < 4; ++i) {
    stored_crc |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[1 + i])) << (8 * i);
  }
  const absl::string_view payload = bytes.substr(kEnvelopeHeaderBytes);
  if (EnvelopeCrc(version, payload) != stored_crc) {
    return absl::DataLossError(absl::StrCat(what, " checksum mismatch"));
  }
  if (version < 1 || version > newest_version) {
    return absl::FailedPreconditionError(
        absl::StrCat("unsupported ", what, " format version ", static_cast<int>(version),
                     " (this build reads versions 1 to ", static_cast<int>(newest_version), ")"));
  }
  KV_ASSERT(payload.size() + kEnvelopeHeaderBytes == bytes.size());
  return Opened{version, payload};
}

}  // namespace kv::storage
