// Parsing of command-line values shared by the tools: seeds and durations, with clear errors.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace kv::tools {

// A 64-bit seed: decimal ("42") or hexadecimal with 0x ("0x2a").
absl::StatusOr<uint64_t> ParseSeed(const std::string& text);

// A positive duration in Go/Abseil syntax: "60s", "5m", "1h30m", "250ms".
absl::StatusOr<absl::Duration> ParsePositiveDuration(const std::string& text);

}  // namespace kv::tools
