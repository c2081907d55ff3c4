#include "workloads/demo/segment_log.h"

#include <cstring>

#include <boost/crc.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/match.h"
#include "net/assert.h"
#include "net/status_macros.h"

namespace kv::demo {
namespace {

constexpr size_t kHeaderBytes = 8;
constexpr absl::string_view kSegmentPrefix = "seg-";

uint32_t LoadLe32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

void StoreLe32(char* p, uint32_t v) { std::memcpy(p, &v, 4); }

uint32_t RecordCrc(uint32_t length, absl::string_view payload) {
  boost::crc_32_type crc;
  char len[4];
  StoreLe32(len, length);
  crc.process_bytes(len, 4);
  crc.process_bytes(payload.data(), payload.size());
  return crc.checksum();
}

// Parses the record at `offset`: OK with its payload, or the reason it is invalid.
absl::StatusOr<std::string> ParseRecord(absl::string_view data, uint64_t offset) {
  if (data.size() - offset < kHeaderBytes) return absl::DataLossError("truncated record");
  const uint32_t length = LoadLe32(data.data() + offset);
  const uint32_t crc = LoadLe32(data.data() + offset + 4);
  if (length == 0 || length > SegmentLog::kRecordBytesMax) return absl::DataLossError("bad length");
  if (data.size() - offset - kHeaderBytes < length) return absl::DataLossError("truncated record");
  absl::string_view payload = data.substr(offset + kHeaderBytes, length);
  if (RecordCrc(length, payload) != crc) return absl::DataLossError("checksum mismatch");
  return std::string(payload);
}

}  // namespace

std::string EncodeLogRecord(absl::string_view payload) {
  KV_ASSERT(!payload.empty());
  KV_ASSERT(payload.size() <= SegmentLog::kRecordBytesMax);
  std::string out(kHeaderBytes, '\0');
  const auto length = static_cast<uint32_t>(payload.size());
  StoreLe32(out.data(), length);
  StoreLe32(out.data() + 4, RecordCrc(length, payload));
  out.append(payload.data(), payload.size());
  return out;
}

SegmentLog::SegmentLog(storage::FileSystem* fs, std::string dir) : fs_(fs), dir_(std::move(dir)) {}

std::string SegmentLog::SegmentPath(uint32_t segment) const {
  return storage::JoinPath(dir_, absl::StrFormat("%s%08d", kSegmentPrefix, segment));
}

absl::StatusOr<std::string> SegmentLog::ReadWhole(const std::string& path, uint64_t* retries) {
  ASSIGN_OR_RETURN(std::unique_ptr<storage::File> file, fs_->Open(path, {.create = false}));
  ASSIGN_OR_RETURN(const uint64_t size, file->Size());
  std::string data;
  constexpr size_t kChunk = 64 << 10;
  while (data.size() < size) {
    absl::StatusOr<std::string> chunk;
    for (int attempt = 0; attempt < kReadAttemptsMax; ++attempt) {
      chunk = file->ReadAt(data.size(), kChunk);
      if (chunk.ok()) break;
      ++*retries;
    }
    if (!chunk.ok()) return chunk.status();
    if (chunk->empty()) break;
    data += *chunk;
  }
  return data;
}

absl::StatusOr<RecoveredLog> SegmentLog::Recover() {
  RecoveredLog out;
  if (!fs_->IsDir(dir_)) {
    RETURN_IF_ERROR(fs_->CreateDir(dir_));
    RETURN_IF_ERROR(fs_->SyncDir(storage::ParentDir(dir_)));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> names, fs_->List(dir_));
  for (const std::string& name : names) {
    uint32_t segment = 0;
    if (!absl::StartsWith(name, kSegmentPrefix) ||
        !absl::SimpleAtoi(absl::string_view(name).substr(kSegmentPrefix.size()), &segment)) {
      continue;
    }
    last_segment_ = std::max(last_segment_, segment);
    const std::string path = SegmentPath(segment);
    ASSIGN_OR_RETURN(std::string data, ReadWhole(path, &out.read_retries));
    uint64_t offset = 0;
    while (offset < data.size()) {
      absl::StatusOr<std::string> payload = ParseRecord(data, offset);
      if (!payload.ok()) {
        // Rule out a transient read error before declaring the record corrupt.
        for (int attempt = 0; attempt < 3 && !payload.ok(); ++attempt) {
          ++out.read_retries;
          ASSIGN_OR_RETURN(std::string again, ReadWhole(path, &out.read_retries));
          if (again.size() == data.size()) {
            payload = ParseRecord(again, offset);
            if (payload.ok()) data = std::move(again);
          }
        }
      }
      if (!payload.ok()) {
        out.invalid.push_back({segment, offset, std::string(payload.status().message())});
        ASSIGN_OR_RETURN(std::unique_ptr<storage::File> file, fs_->Open(path, {.create = false}));
        RETURN_IF_ERROR(file->Truncate(offset));
        RETURN_IF_ERROR(file->Sync());
        break;
      }
      out.records.push_back({{segment, offset}, *std::move(payload)});
      offset += kHeaderBytes + out.records.back().payload.size();
    }
  }
  recovered_ = true;
  return out;
}

absl::Status SegmentLog::OpenNewSegment() {
  const uint32_t segment = ++last_segment_;
  const std::string path = SegmentPath(segment);
  ASSIGN_OR_RETURN(current_, fs_->Open(path, {.create = true, .exclusive = true}));
  absl::Status synced = fs_->SyncDir(dir_);
  if (!synced.ok()) {
    // The name may not be durable: nothing may be acknowledged in this segment.
    current_.reset();
    ++sealed_;
    return synced;
  }
  current_segment_ = segment;
  return absl::OkStatus();
}

absl::StatusOr<LogLocation> SegmentLog::AppendDurable(absl::string_view payload) {
  KV_ASSERT_MSG(recovered_, "AppendDurable before Recover");
  if (current_ == nullptr) RETURN_IF_ERROR(OpenNewSegment());
  absl::StatusOr<uint64_t> offset = current_->Size();
  absl::Status status = offset.status();
  if (status.ok()) status = current_->Append(EncodeLogRecord(payload));
  if (status.ok()) status = current_->Sync();
  if (!status.ok()) {
    current_.reset();  // sealed: never append after a failed write or sync
    ++sealed_;
    return status;
  }
  return LogLocation{current_segment_, *offset};
}

}  // namespace kv::demo
