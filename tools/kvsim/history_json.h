// Writes a key-value history as JSON Lines, one operation per line in invocation order, for
// Jepsen-style offline checkers (Knossos, Elle, a notebook):
//   {"index":0,"client":1,"type":"put","key":"key3","value":"c1-1","context_used":false,
//    "ttl_micros":0,"coordinator":2,"invoked_micros":1200,"completed_micros":4100,"status":"ok",
//    "dot":{"node":2,"counter":1},"expiry_micros":0,"values_read":null}
// Fields:
//   type            "put", "delete" or "get"
//   value           the value written (put); "" otherwise
//   context_used    true if the write sent a causal context (false: a blind write; gets: false)
//   ttl_micros      the put's time to live (0 = none)
//   coordinator     the node the client sent the request to
//   invoked_micros  simulated time of invocation; completed_micros of completion, or null if the
//                   run ended first
//   status          "ok", or the absl status code name ("DEADLINE_EXCEEDED", "UNAVAILABLE"...);
//                   "incomplete" if the run ended first. A write that is not ok is indeterminate.
//   dot             acknowledged put/delete: the write's {"node","counter"}; else null
//   expiry_micros   acknowledged put: when its value expires (0 = never); else null
//   values_read     acknowledged get: [{"value","dot":{"node","counter"},"expiry_micros"}], in the
//                   order returned; else null
// Strings that are not UTF-8 have the bad bytes replaced (U+FFFD): the file is always valid JSON.
#pragma once

#include <ostream>

#include "absl/status/status.h"
#include "workloads/kv/history.h"

namespace kv::tools {

// "put", "delete" or "get": the names every export uses.
const char* OpTypeName(workloads::KvOp::Type type);

// Writes every operation of `history`. Errors: DATA_LOSS if a write to `out` failed.
absl::Status WriteHistoryJsonLines(const workloads::KvHistory& history, std::ostream& out);

}  // namespace kv::tools
