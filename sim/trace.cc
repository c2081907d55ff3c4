#include "sim/trace.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/random.h"

namespace kv::sim {

const char* TraceKindName(TraceKind kind) {
  switch (kind) {
    case TraceKind::kTask:
      return "task";
    case TraceKind::kMsgSend:
      return "send";
    case TraceKind::kMsgDeliver:
      return "deliver";
    case TraceKind::kMsgDrop:
      return "drop";
    case TraceKind::kConnEvent:
      return "conn";
    case TraceKind::kFault:
      return "fault";
    case TraceKind::kDiskOp:
      return "disk";
    case TraceKind::kBuggify:
      return "buggify";
    case TraceKind::kNote:
      return "note";
  }
  return "?";
}

void Trace::Record(int64_t time_ns, TraceKind kind, uint64_t a, uint64_t b, uint64_t c) {
  Emit(time_ns, kind, a, b, c, {});
}

void Trace::RecordWithDetail(int64_t time_ns, TraceKind kind, uint64_t a, uint64_t b, uint64_t c,
                             absl::string_view detail) {
  Emit(time_ns, kind, a, b, c, detail);
}

void Trace::Emit(int64_t time_ns, TraceKind kind, uint64_t a, uint64_t b, uint64_t c,
                 absl::string_view detail) {
  uint64_t h = hash_;
  h = HashCombine(h, static_cast<uint64_t>(time_ns));
  h = HashCombine(h, static_cast<uint64_t>(kind));
  h = HashCombine(h, a);
  h = HashCombine(h, b);
  h = HashCombine(h, c);
  hash_ = h;
  ++records_;
  if (sink_) {
    std::string line = absl::StrFormat("%d.%09d %s %d %d %d", time_ns / 1000000000,
                                       time_ns % 1000000000, TraceKindName(kind), a, b, c);
    if (!detail.empty()) absl::StrAppend(&line, " ", detail);
    sink_(line);
  }
}

std::string FingerprintString(uint64_t fingerprint) { return absl::StrFormat("%016x", fingerprint); }

}  // namespace kv::sim
