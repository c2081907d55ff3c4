#include "storage/rocksdb_env/seam_logger.h"

#include <cstdio>
#include <string>

namespace kv::storage::rocksdb_env {

namespace {

// RocksDB's ERROR lines are advisory here: it logs one for every new database ("Error when
// reading /db dir"), and every error that matters reaches the engine as a status, which the
// engine reports. So they are warnings; only FATAL is an error.
LogLevel ToLogLevel(rocksdb::InfoLogLevel level) {
  switch (level) {
    case rocksdb::InfoLogLevel::WARN_LEVEL:
    case rocksdb::InfoLogLevel::ERROR_LEVEL:
      return LogLevel::kWarn;
    case rocksdb::InfoLogLevel::FATAL_LEVEL:
      return LogLevel::kError;
    default:
      return LogLevel::kDebug;
  }
}

// Formats at most kLineBytesMax bytes (RocksDB's own loggers also truncate long lines).
std::string Format(const char* format, va_list ap) {
  constexpr size_t kLineBytesMax = 4096;
  char buffer[kLineBytesMax];
  const int n = vsnprintf(buffer, sizeof(buffer), format, ap);
  if (n < 0) return std::string("(unformattable RocksDB log line)");
  std::string line(buffer, static_cast<size_t>(n) < sizeof(buffer) ? n : sizeof(buffer) - 1);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

}  // namespace

SeamLogger::SeamLogger(kv::Logger* logger)
    : rocksdb::Logger(rocksdb::InfoLogLevel::DEBUG_LEVEL), logger_(logger) {}

void SeamLogger::Logv(const char* format, va_list ap) {
  Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
}

void SeamLogger::Logv(rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  if (logger_ == nullptr) return;
  const LogLevel ours = ToLogLevel(level);
  if (!logger_->Enabled(ours)) return;
  logger_->Log(ours, std::string("rocksdb: ") + Format(format, ap));
}

std::shared_ptr<rocksdb::Logger> NewNullLogger() { return std::make_shared<SeamLogger>(nullptr); }

}  // namespace kv::storage::rocksdb_env
