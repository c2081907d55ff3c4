// Message bodies built from fuzzer input for tests/fuzz/messages_fuzzer.cc: well-formed enough to
// get past the node's parsers and checksums (valid records made by DVV operations, contexts
// encoded with their envelope), with the values a buggy or hostile peer may choose (huge counters,
// unknown or reserved node ids, rings of any shape, Merkle requests of any shape).
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "net/transport.h"

namespace kv::fuzz {

inline constexpr NodeId kNode = 1;  // the node under test
// The fake peers that send it the input and answer its calls.
inline constexpr NodeId kPeer = 2;
inline constexpr NodeId kOtherPeer = 3;
inline constexpr uint32_t kPartitions = 16;  // the node's ring
// Wall time near the simulation's epoch (2026-01-01), in Unix microseconds.
inline constexpr int64_t kWallBase = int64_t{1767225600} * 1000 * 1000;

// One of the node's RPC methods, or one it does not have.
std::string PickMethod(FuzzedDataProvider& in);

// A request body for `method` (PickMethod's), built from `in`.
std::string BuildRequest(absl::string_view method, FuzzedDataProvider& in);

// A reply body to the node's call of `method`, built from `in`.
std::string BuildReply(absl::string_view method, FuzzedDataProvider& in);

}  // namespace kv::fuzz
