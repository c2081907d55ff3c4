// Dotted version vectors (Riak 2.0's model; Preguiça et al., "Dotted Version Vectors"), on the
// stored Record (record.proto).
//
// Model. A record is a set of siblings, each tagged with the dot of the write that made it, plus a
// causal context (a version vector with exceptions, context.h) summarising every write the record
// has seen, superseded or not. Invariant: the context covers every sibling's dot. Then:
//   - a sibling the context covers but the record does not hold was superseded (deleted knowingly);
//   - a sibling the context does not cover is news.
// Merge uses exactly that to tell "superseded" from "not yet seen", which plain version vectors
// without dots cannot do per sibling; that is why concurrent writers produce at most one sibling
// each and a client that reads before it writes never conflicts with itself.
//
// Every function here is pure: inputs are const, results are new canonical records (siblings sorted
// by dot, context entries by node), so equal version sets are equal messages. REQUIRES of every
// Record argument: ValidateRecord(record).ok(); DecodeRecord guarantees it, and so does every
// function here for its result (asserted). Arguments are asserted too, except Merge's: merges run
// several times per replica write and read, always on records that were just decoded or produced
// here, so checking them again would only repeat the same check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/record/context.h"
#include "storage/record/record.pb.h"

namespace kv::storage {

// The record of a key that has never been written: no siblings, empty context.
Record EmptyRecord();

// Everything `record` has seen: its context.
Context ReadContext(const Record& record);

// The causal context to hand a client that was shown LiveValues(record, wall_now_micros) (encode
// it with Context::Encode): the record's context, except the dots of siblings that expired less
// than clock_offset_max_micros before wall_now_micros. Such a value is hidden by this node's clock
// but may still be live by another node's (clocks may disagree by that much), so a write made
// with this context keeps it as a sibling instead of superseding a value its client never saw.
// Once it has been expired that long the context covers it, and the next such write removes it.
// Tombstones stay covered: a write after a delete supersedes it.
// REQUIRES: clock_offset_max_micros >= 0.
Context ReplyContext(const Record& record, int64_t wall_now_micros,
                     int64_t clock_offset_max_micros);

// What a put or delete writes.
struct Write {
  std::string value;          // empty for a tombstone
  bool tombstone = false;     // a delete
  int64_t expiry_micros = 0;  // absolute wall micros; 0 = never

  static Write Put(std::string value, int64_t expiry_micros = 0);
  static Write Delete();
};

// A put or delete coordinated by `coordinator` at `wall_now_micros`, by a client that read
// `client_context` (the empty context for a blind write). Returns the new record:
//   - the new dot is (coordinator, n + 1) where n is the coordinator's counter in
//     join(record.context, client_context) (so a dot the client has seen is never reissued);
//   - siblings covered by client_context are removed: the client saw them, this write replaces
//   them;
//     siblings it did not see stay, as siblings of the new one;
//   - context := join(record.context, client_context) plus the new dot, stamped wall_now_micros.
// The new dot is (coordinator, result.context counter of coordinator).
// `min_counter` raises the new dot's counter to at least that value: a node that draws counters
// from one node-wide sequence (never reset, unlike a key's record, which a tombstone purge takes
// away) never reissues a dot other replicas' contexts already cover. The new context then covers
// every counter of this coordinator up to the new dot, including the coordinator's dots for this
// key that neither `record` nor client_context holds. That is sound only if `record` holds (or
// has superseded) every dot this coordinator id issued for the key: the caller must store each
// write in the record it later updates before acknowledging it, and take a new coordinator id
// whenever that copy may miss one (its unsynced writes lost in a crash, the copy deleted after a
// handoff: node/replica_store.h). A purge of a record whose versions are all dead is harmless.
// REQUIRES: write.tombstone implies write.value is empty; write.expiry_micros >= 0.
Record Update(const Record& record, const Context& client_context, uint64_t coordinator,
              Write write, int64_t wall_now_micros, uint64_t min_counter = 0);

// The record two replicas of the same key agree on after exchanging theirs. A sibling of one side
// survives iff the other side holds it too or the other side's context does not cover its dot
// (covered but absent = the other side superseded it). Context := join of both contexts.
// Merge is commutative, associative and idempotent on the result (a join-semilattice), so replicas
// that exchange records in any order converge. Two siblings with the same dot are the same write;
// should their contents ever differ (only if a node reissued a dot after losing its own record),
// the greater by (wall_micros, tombstone, expiry_micros, value) is kept, deterministically.
Record Merge(const Record& a, const Record& b);

// True iff `a` has seen every write `b` has seen (compares contexts; reflexive).
bool Descends(const Record& a, const Record& b);
// True iff each record has seen a write the other has not (compares contexts).
bool Concurrent(const Record& a, const Record& b);

// True iff `sibling` has an expiry and wall_now_micros has reached it.
bool IsExpired(const Sibling& sibling, int64_t wall_now_micros);

// The siblings a read returns at wall_now_micros: not tombstones, not expired, in canonical order.
// The pointers point into `record` and are valid while it is alive and unmodified. An empty result
// means the key reads as not found.
std::vector<const Sibling*> LiveValues(const Record& record, int64_t wall_now_micros);

// The number of siblings, tombstones and expired ones included (what a sibling-count guard bounds).
size_t SiblingCount(const Record& record);

// Context pruning by size and age (Dynamo paper, section 4.4; Riak's small/big/young/old vclock).
struct PruneOptions {
  // Prune only while the context has more entries than this (the paper uses 10).
  size_t entries_max = 10;
  // Only entries whose counter was issued at least this long ago (by the pruner's wall clock).
  int64_t entry_age_min_micros = int64_t{24} * 3600 * 1000 * 1000;
};

// While the context has more than options.entries_max entries, drops the oldest entry (by
// updated_wall_micros, then node id) that is at least options.entry_age_min_micros old, except
// that it NEVER drops:
//   - an entry whose node has a current sibling (that entry covers the sibling's dot: without it
//     the record would break its invariant, and a client reading it would not supersede what it
//     saw);
//   - the entry of `self_node`, the node doing the pruning. A node takes its next dot counter from
//     its own record (Update); if it forgot its own counter it would reissue dots other replicas'
//     contexts already cover, and those replicas would drop the new writes as superseded.
// May leave more than entries_max entries when the rest are protected or too young.
//
// RISK (why the paper accepts it, and what it costs here). Pruning only ever removes coverage: the
// pruned context claims to have seen fewer writes, never more. Merge and Update drop a sibling only
// when a context covers its dot, so a pruned context can only cause a sibling NOT to be dropped.
// The visible effect is false siblings: a replica that still holds a long-superseded version whose
// dot the pruned entry covered will, on merging with the pruned record, keep that old version as if
// it were concurrent, and a read returns it as a sibling until a client resolves it (or until a
// merge with an unpruned context of that node drops it again). It is never a silent loss of an
// acknowledged write, provided dots are never reissued, which the self_node rule above guarantees
// as long as a coordinator runs Update on its own copy of the key and neither loses nor purges
// that copy (a crash that loses its local copy, a handoff that deletes it, or tombstone garbage
// collection restarts its counter; that is the node's problem to solve, and node/replica_store.h
// does, with a new coordinator id per life and per deleted partition and a node-wide counter).
Record PruneContext(const Record& record, uint64_t self_node, const PruneOptions& options,
                    int64_t wall_now_micros);

}  // namespace kv::storage
