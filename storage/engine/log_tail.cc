#include "storage/engine/log_tail.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/crc32c.h"
#include "net/status_macros.h"
#include "storage/engine/rocksdb_status.h"
#include "storage/file_system.h"

namespace kv::storage {
namespace {

constexpr uint64_t kBlockBytes = 32768;
constexpr size_t kHeaderBytes = 7;
// Record types of the legacy format: full, first, middle, last.
constexpr uint8_t kFirstLegacyType = 1;
constexpr uint8_t kLastLegacyType = 4;

// The log format stores CRCs masked (rotated and offset), so that a CRC of data holding CRCs is
// not a CRC of a CRC.
uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

uint32_t LoadFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<uint32_t>(u[0]) | static_cast<uint32_t>(u[1]) << 8 |
         static_cast<uint32_t>(u[2]) << 16 | static_cast<uint32_t>(u[3]) << 24;
}

}  // namespace

std::optional<DamagedLogRecord> FindDamagedLogRecord(absl::string_view block) {
  uint64_t p = 0;
  while (block.size() - p >= kHeaderBytes) {
    const char* header = block.data() + p;
    const uint32_t stored_crc = LoadFixed32(header);
    const uint32_t length = static_cast<uint8_t>(header[4]) |
                            static_cast<uint32_t>(static_cast<uint8_t>(header[5])) << 8;
    const uint8_t type = static_cast<uint8_t>(header[6]);
    // Zero type and length: padding RocksDB skips with the rest of the block. Other types: a
    // format this check does not judge.
    if (type < kFirstLegacyType || type > kLastLegacyType) return std::nullopt;
    const char* payload = header + kHeaderBytes;
    const uint64_t present = block.size() - p - kHeaderBytes;
    uint32_t crc = Crc32cExtend(0, header + 6, 1);  // the type byte
    if (length <= present) {
      if (Mask(Crc32cExtend(crc, payload, length)) != stored_crc) return std::nullopt;
      p += kHeaderBytes + length;
      continue;
    }
    // Past the end: torn, unless the bytes present hold the whole record.
    for (uint64_t n = 0;; ++n) {
      if (Mask(crc) == stored_crc) {
        return DamagedLogRecord{p, length, static_cast<uint32_t>(n)};
      }
      if (n == present) return std::nullopt;
      crc = Crc32cExtend(crc, payload + n, 1);
    }
  }
  return std::nullopt;
}

namespace {

// Checks one log file's final block.
absl::Status CheckLogTail(rocksdb::FileSystem* fs, const std::string& path) {
  const rocksdb::IOOptions io;
  const std::string reading = absl::StrCat("reading ", path);
  uint64_t size = 0;
  RETURN_IF_ERROR(FromRocksDb(fs->GetFileSize(path, io, &size, nullptr), reading));
  const uint64_t tail = size % kBlockBytes;  // a full final block: RocksDB reports bad lengths
  if (tail == 0) return absl::OkStatus();
  std::unique_ptr<rocksdb::FSRandomAccessFile> file;
  RETURN_IF_ERROR(
      FromRocksDb(fs->NewRandomAccessFile(path, rocksdb::FileOptions(), &file, nullptr), reading));
  std::string scratch(tail, '\0');
  rocksdb::Slice read;
  RETURN_IF_ERROR(
      FromRocksDb(file->Read(size - tail, tail, io, &read, scratch.data(), nullptr), reading));
  if (read.size() != tail) {
    return absl::UnavailableError(
        absl::StrCat(reading, ": read ", read.size(), " of its last ", tail, " bytes"));
  }
  const std::optional<DamagedLogRecord> damaged =
      FindDamagedLogRecord(absl::string_view(read.data(), read.size()));
  if (!damaged.has_value()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(
      path, " holds a complete record at offset ", size - tail + damaged->offset,
      " whose length field is damaged (it says ", damaged->claimed_length,
      " bytes, past the end of the file; the record has ", damaged->complete_length,
      "): recovery would drop it and the records after it, which were synced; refusing to serve "
      "a database missing acknowledged writes"));
}

}  // namespace

absl::Status CheckLogTails(rocksdb::FileSystem* fs, const std::string& dir, bool wals) {
  std::string current;
  const rocksdb::IOStatus read_current =
      rocksdb::ReadFileToString(fs, JoinPath(dir, "CURRENT"), &current);
  if (read_current.ok()) {
    // CURRENT names the MANIFEST ("MANIFEST-000022\n"); a torn or odd one is RocksDB's to judge.
    const absl::string_view name = absl::StripTrailingAsciiWhitespace(current);
    if (absl::StartsWith(name, "MANIFEST-") && name.find('/') == absl::string_view::npos) {
      RETURN_IF_ERROR(CheckLogTail(fs, JoinPath(dir, name)));
    }
  } else if (!read_current.IsNotFound() && !read_current.IsPathNotFound()) {
    return FromRocksDb(read_current, absl::StrCat("reading ", JoinPath(dir, "CURRENT")));
  }
  if (!wals) return absl::OkStatus();
  std::vector<std::string> children;
  const rocksdb::IOStatus listed = fs->GetChildren(dir, rocksdb::IOOptions(), &children, nullptr);
  if (listed.IsNotFound() || listed.IsPathNotFound()) return absl::OkStatus();
  RETURN_IF_ERROR(FromRocksDb(listed, absl::StrCat("listing ", dir)));
  std::sort(children.begin(), children.end());
  for (const std::string& name : children) {
    if (!absl::EndsWith(name, ".log")) continue;
    RETURN_IF_ERROR(CheckLogTail(fs, JoinPath(dir, name)));
  }
  return absl::OkStatus();
}

}  // namespace kv::storage
