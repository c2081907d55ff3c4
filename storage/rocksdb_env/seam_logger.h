// SeamLogger: RocksDB's info log sent to the process's seam logger (net/log.h) instead of a LOG
// file. RocksDB levels map DEBUG/INFO/HEADER -> kDebug, WARN -> kWarn, ERROR/FATAL -> kError.
//
// Threading: RocksDB's periodic-task timer thread (the one thread no option stops, DESIGN.md
// section 3) calls Flush() every 10 s of real time. Flush therefore does nothing at all and touches
// no state; Logv runs only on the simulator's thread, where RocksDB's foreground calls and
// background jobs run.
#pragma once

#include <cstdarg>
#include <memory>

#include "net/log.h"
#include "rocksdb/env.h"

namespace kv::storage::rocksdb_env {

class SeamLogger final : public rocksdb::Logger {
 public:
  // `logger` may be null: everything is then discarded. It must outlive this logger's use.
  explicit SeamLogger(kv::Logger* logger);

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  void Logv(rocksdb::InfoLogLevel level, const char* format, va_list ap) override;
  // Deliberately empty: see the threading note above.
  void Flush() override {}

 private:
  kv::Logger* logger_;
};

// A logger that discards everything (and whose Flush does nothing).
std::shared_ptr<rocksdb::Logger> NewNullLogger();

}  // namespace kv::storage::rocksdb_env
