// The real runtime's logger: "<wall time> <name> <LEVEL> <message>" lines on stderr.
#pragma once

#include <string>

#include "net/log.h"

namespace kv {

class StderrLogger final : public Logger {
 public:
  StderrLogger(std::string name, LogLevel level) : name_(std::move(name)), level_(level) {}
  void Log(LogLevel level, absl::string_view message) override;
  bool Enabled(LogLevel level) const override {
    return static_cast<int>(level) >= static_cast<int>(level_);
  }

 private:
  std::string name_;
  LogLevel level_;
};

}  // namespace kv
