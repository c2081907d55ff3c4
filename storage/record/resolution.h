// How a key's concurrent writes are resolved: dotted version vectors (dvv.h: keep them all as
// siblings) or last-writer-wins (keep one, chosen by timestamp), as Riak's `last_write_wins=true`
// bucket property and Cassandra do.
//
// Last-writer-wins rule. Of every write a record has seen, it keeps exactly one sibling: the
// newest by (wall_micros, then dot as a deterministic tie-break). The timestamp alone decides, as
// in Riak's LWW mode, which ignores vector clocks: a client's causal context plays no part, so a
// write whose coordinator's clock is behind loses to an older write with a later timestamp, even
// one the client had read and meant to replace. Tombstones and expired values compete like any
// value (a delete with the newest timestamp wins; an expired newest value makes the key read as not
// found).
// The cost (Jepsen, "Call me maybe: Riak"): concurrent writes, and writes through a node whose
// clock lags, are acknowledged and then silently lost. Dotted version vectors keep them as
// siblings for the client to resolve.
//
// Context under LWW. The record's causal context is joined by Merge and advanced by Update exactly
// as under DVV, so every sibling's dot stays covered (ValidateRecord holds) and replicas that saw
// the same writes end with identical records and digests. Update does not join the client's
// context. Hence every LWW record's context covers only writes of the key that the record has seen
// (through any chain of merges), and its sibling is the newest of them. A consequence node code
// relies on: the DVV Merge of two LWW records keeps the newest sibling of both (a side whose
// context covers that write holds it), so a DVV merge stored through an LWW merge (as node/'s
// anti-entropy does) loses nothing.
// REQUIRES: every replica of a key uses the same resolution (a cluster-wide setting, like a bucket
// property); records written under DVV are valid under LWW but do not carry that guarantee.
//
// Pure functions, like dvv.h's (KeepNewestSibling edits the record it is given, nothing else).
// REQUIRES of every Record argument: ValidateRecord(record).ok() (asserted by Update; Merge
// asserts its result only, as in dvv.h).
#pragma once

#include <cstdint>

#include "storage/record/context.h"
#include "storage/record/dvv.h"
#include "storage/record/record.pb.h"

namespace kv::storage {

enum class Resolution {
  kDottedVersionVectors,  // concurrent writes become siblings (the default)
  kLastWriterWins,        // the newest timestamp wins; other concurrent writes are lost
};

// True iff `a` beats `b` under last-writer-wins: the greater (wall_micros, dot); siblings that
// share a dot (only if a dot was reissued) are ordered by (tombstone, expiry_micros, value), so the
// order is total and the winner never depends on which side a sibling came from.
bool NewerWrite(const Sibling& a, const Sibling& b);

// Removes every sibling of `*record` but the newest (NewerWrite); the context is unchanged, so it
// still covers the dots of the removed ones. No-op with at most one sibling.
// REQUIRES: record != nullptr.
void KeepNewestSibling(Record* record);

// Merge (dvv.h) under `resolution`. Under LWW: the context is the join of both contexts and the one
// sibling is the newest of both records' siblings; coverage plays no part. Commutative,
// associative and idempotent under either resolution.
Record Merge(const Record& a, const Record& b, Resolution resolution);

// Update (dvv.h) under `resolution`. Under LWW `client_context` is ignored: the new write gets its
// dot as Update gives it for an empty client context, and the record keeps the newest of its
// current siblings and the new write; if a current one is newer, the new write is lost at once (its
// dot is still covered).
Record Update(const Record& record, const Context& client_context, uint64_t coordinator,
              Write write, int64_t wall_now_micros, uint64_t min_counter, Resolution resolution);

}  // namespace kv::storage
