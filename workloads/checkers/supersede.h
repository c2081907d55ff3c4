// Causality helpers shared by the checkers.
#pragma once

#include <string>

#include "workloads/kv/history.h"

namespace kv::workloads {

// True if some write or delete of `key` (acknowledged or not: a failed write may have been
// applied), other than `except`, was sent with a context covering `dot`.
bool SupersededByAttempt(const KvHistory& h, const std::string& key, const storage::Dot& dot,
                         size_t except);
// As SupersededByAttempt, counting only acknowledged writes and deletes.
bool SupersededByAcknowledged(const KvHistory& h, const std::string& key, const storage::Dot& dot,
                              size_t except);

// True if some write or delete of the put's key (acknowledged or not), other than the put at
// `index` itself, was sent with a context that covers the put's dot and came from a reply that
// returned the put's value: the value was knowingly replaced. A context that covers a value its
// reply did not show (last-writer-wins discarding a concurrent write, say) does not count: that
// is a lost update.
bool KnowinglySuperseded(const KvHistory& h, size_t index);

// True if the acknowledged put expires at or before `wall_micros` (its coordinator's expiry).
bool ExpiredBy(const KvOp& put, int64_t wall_micros);

// Formats a violation message's common tail.
std::string Where(const KvOp& op, uint64_t seed);

}  // namespace kv::workloads
