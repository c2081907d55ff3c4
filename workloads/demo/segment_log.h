// A durable, checksummed, segmented append-only log on the disk seam: the demo world's storage.
// It shows the disciplines the simulator's disk fault model demands:
//  - a record is acknowledged only after its segment's data sync (and, for a new segment, the
//    directory sync that makes its name durable) returned OK;
//  - after any failed write or sync the segment is sealed and never appended to again (a failed
//    fsync may have dropped earlier unsynced bytes, leaving a hole);
//  - recovery verifies every record's CRC, re-reads a bad record before believing it (reads may
//    flip bits transiently), reports each invalid record it finds, and truncates the segment there,
//    so garbage is never returned and never followed by new data.
//
// Record format: u32 payload length (LE), u32 CRC-32 of length and payload (LE), payload.
// Segment files are <dir>/seg-00000001, ...; each process start appends to a fresh segment.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/file_system.h"

namespace kv::demo {

struct LogLocation {
  uint32_t segment = 0;
  uint64_t offset = 0;
};

struct InvalidRecord {
  uint32_t segment = 0;
  uint64_t offset = 0;
  std::string reason;  // "checksum mismatch", "truncated record", "bad length"
};

struct RecoveredLog {
  struct Record {
    LogLocation location;
    std::string payload;
  };
  std::vector<Record> records;
  std::vector<InvalidRecord> invalid;
  uint64_t read_retries = 0;
};

class SegmentLog {
 public:
  static constexpr uint32_t kRecordBytesMax = 1 << 20;
  static constexpr int kReadAttemptsMax = 5;

  // `fs` must outlive the log. `dir` is created if missing.
  SegmentLog(storage::FileSystem* fs, std::string dir);

  // Reads all segments in order, truncating each at its first invalid record. Must be called (and
  // succeed) before Append. Errors: UNAVAILABLE if reads keep failing, or the truncation fails.
  absl::StatusOr<RecoveredLog> Recover();

  // Appends `payload` as one record and makes it durable. OK means durable. On error nothing may
  // be assumed about the record, and the segment is sealed.
  // REQUIRES: Recover() succeeded; payload.size() <= kRecordBytesMax.
  absl::StatusOr<LogLocation> AppendDurable(absl::string_view payload);

  uint64_t sealed_segments() const { return sealed_; }

 private:
  absl::Status OpenNewSegment();
  absl::StatusOr<std::string> ReadWhole(const std::string& path, uint64_t* retries);
  std::string SegmentPath(uint32_t segment) const;

  storage::FileSystem* fs_;
  std::string dir_;
  bool recovered_ = false;
  uint32_t last_segment_ = 0;
  std::unique_ptr<storage::File> current_;
  uint32_t current_segment_ = 0;
  uint64_t sealed_ = 0;
};

// Encodes one record (exposed for tests).
std::string EncodeLogRecord(absl::string_view payload);

}  // namespace kv::demo
