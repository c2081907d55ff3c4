// The trace of a simulated run: every executed event, delivered or dropped message, fault and disk
// operation, folded into a running 64-bit fingerprint. Two runs of the same seed must produce the
// same fingerprint; the first differing record names where they diverged (write both traces with a
// sink and compare, or use `kvsim diff`).
//
// Records are fixed-size tuples hashed as integers (cheap enough to record millions per second).
// Text is produced only when a sink is attached.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include "absl/strings/string_view.h"

namespace kv::sim {

enum class TraceKind : uint8_t {
  kTask = 1,         // an event ran: a = owner process, b = event sequence number
  kMsgSend,          // a = from, b = to, c = payload hash
  kMsgDeliver,       // a = from, b = to, c = payload hash
  kMsgDrop,          // a = from, b = to, c = DropReason
  kConnEvent,        // a = process, b = peer, c = TransportEvent::Kind
  kFault,            // a = FaultKind, b = target process, c = parameter
  kDiskOp,           // a = process, b = DiskOp << 56 | path hash, c = offset ^ len << 40 ^ data hash
  kBuggify,          // a = process, b = site hash, c = fired
  kNote,             // a, b, c: free use by workloads (client operations, checker verdicts)
};

const char* TraceKindName(TraceKind kind);

class Trace {
 public:
  // A sink receives one line per record: "<time> <kind> <a> <b> <c>[ <detail>]".
  using Sink = std::function<void(absl::string_view line)>;

  void Record(int64_t time_ns, TraceKind kind, uint64_t a, uint64_t b, uint64_t c);
  // As Record, with a human-readable detail for the sink (not hashed: only a, b, c are).
  void RecordWithDetail(int64_t time_ns, TraceKind kind, uint64_t a, uint64_t b, uint64_t c,
                        absl::string_view detail);

  void set_sink(Sink sink) { sink_ = std::move(sink); }
  bool has_sink() const { return static_cast<bool>(sink_); }

  uint64_t fingerprint() const { return hash_; }
  uint64_t records() const { return records_; }

 private:
  void Emit(int64_t time_ns, TraceKind kind, uint64_t a, uint64_t b, uint64_t c,
            absl::string_view detail);

  uint64_t hash_ = 0x6a09e667f3bcc908ULL;
  uint64_t records_ = 0;
  Sink sink_;
};

// Renders a fingerprint the way reports print it: 16 hex digits.
std::string FingerprintString(uint64_t fingerprint);

}  // namespace kv::sim
